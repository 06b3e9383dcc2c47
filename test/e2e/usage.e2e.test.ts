// `kms-alias usage` built and spawned against moto, through the fault proxy, which serves what
// moto lacks (GetKeyLastUsage, CloudTrail LookupEvents) with answers shaped as AWS's (the KMS and
// CloudTrail API references; timestamps in epoch seconds as the JSON protocols carry them).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DescribeKeyCommand } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { cli, cliEnv, createAlias, createKey, moto, MOTO_ACCOUNT, REGION, uniqueAlias, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const DAY_S = 86_400
const APP = `arn:aws:iam::${MOTO_ACCOUNT}:role/app`

const env = () => cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url, AWS_ENDPOINT_URL_CLOUDTRAIL: proxy.url })
const seconds = (iso: string) => Date.parse(iso) / 1000

function decryptEvent(keyArn: string, iso: string, extra: Record<string, unknown> = {}) {
  return {
    EventId: `ev-${iso}`,
    EventName: 'Decrypt',
    ReadOnly: 'true',
    EventTime: seconds(iso),
    EventSource: 'kms.amazonaws.com',
    Username: 'app',
    Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: keyArn }],
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.08',
      userIdentity: { type: 'AssumedRole', arn: APP, accountId: MOTO_ACCOUNT },
      eventTime: iso,
      eventSource: 'kms.amazonaws.com',
      eventName: 'Decrypt',
      awsRegion: REGION,
      requestParameters: { keyId: 'alias/app' },
      readOnly: true,
      resources: [{ accountId: MOTO_ACCOUNT, type: 'AWS::KMS::Key', ARN: keyArn }],
      ...extra,
    }),
  }
}

describe('usage (built CLI, moto, GetKeyLastUsage and LookupEvents served by the fault proxy)', () => {
  const recent = new Date(Date.now() - 2 * DAY_S * 1000).toISOString()
  it.each([
    ['used: KeyLastUsage present', { KeyLastUsage: { Operation: 'Decrypt', Timestamp: seconds(recent), CloudTrailEventId: 'ev-1', KmsRequestId: 'req-1' }, TrackingStartDate: seconds('2026-01-01T00:00:00Z'), KeyCreationDate: seconds('2025-06-01T00:00:00Z') }, 'used', 'in-use'],
    ['never used: empty, created after tracking began', { TrackingStartDate: seconds('2026-01-01T00:00:00Z'), KeyCreationDate: seconds('2026-02-01T00:00:00Z') }, 'never-used', 'idle'],
    ['unknown: empty, created before tracking, which began inside the window', { TrackingStartDate: Date.now() / 1000 - DAY_S, KeyCreationDate: seconds('2025-06-01T00:00:00Z') }, 'unknown', 'unknown'],
  ])('%s', async (_name, answer, expected, verdict) => {
    const keyId = await createKey()
    const keyArn = `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${keyId}`
    proxy.serve('GetKeyLastUsage', (request: { KeyId: string }) => ({ KeyId: `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${request.KeyId}`, ...answer }))
    proxy.serve('LookupEvents', () => ({ Events: expected === 'used' ? [decryptEvent(keyArn, recent)] : [] }))
    const { code, stdout, stderr } = await cli(['usage', keyId, '--json'], env())
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.lastUse[0].answer).toBe(expected)
    expect(report.verdict).toBe(verdict)
    expect(report.callers.map((c: { principal: string; count: number }) => [c.principal, c.count])).toEqual(expected === 'used' ? [[APP, 1]] : [])
    // The requests: GetKeyLastUsage by key ID; LookupEvents by ResourceName = the key ARN over 30 days, 50 a page.
    expect(proxy.bodies('GetKeyLastUsage').map((b) => b.body)).toEqual([{ KeyId: keyId }])
    const [lookup] = proxy.bodies('LookupEvents').map((b) => b.body as { LookupAttributes: unknown; StartTime: number; EndTime: number; MaxResults: number })
    expect(lookup?.LookupAttributes).toEqual([{ AttributeKey: 'ResourceName', AttributeValue: keyArn }])
    expect(lookup?.MaxResults).toBe(50)
    expect(Math.round(((lookup?.EndTime ?? 0) - (lookup?.StartTime ?? 0)) / DAY_S)).toBe(30)
    // usage is read-only: the key in moto is as it was.
    expect((await moto().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled')
  })

  it('an alias on the key is read from moto; CloudTrail denied (fault proxy): verdict in-use, the CloudTrail error reported, exit 0', async () => {
    const keyId = await createKey()
    const alias = uniqueAlias('usage')
    await createAlias(alias, keyId)
    proxy.serve('GetKeyLastUsage', () => ({ KeyId: keyId, TrackingStartDate: seconds('2026-01-01T00:00:00Z'), KeyCreationDate: seconds('2026-02-01T00:00:00Z') }))
    proxy.serve('LookupEvents', () => ({ Events: [] }))
    proxy.fault('LookupEvents', 'access-denied')
    const { code, stdout } = await cli(['usage', alias, '--json', '--max-attempts', '1'], env())
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.aliases).toEqual([{ region: REGION, name: alias }])
    expect(report.verdict).toBe('in-use')
    expect(report.events[0].error).toBe('CloudTrail LookupEvents was denied: AccessDeniedException: User is not authorized to perform this operation.')
  })

  it("CloudTrail's endpoint from the profile's services section, as KMS's (no AWS_ENDPOINT_URL_* set)", async () => {
    const keyId = await createKey()
    proxy.serve('GetKeyLastUsage', () => ({ KeyId: keyId, TrackingStartDate: seconds('2026-01-01T00:00:00Z'), KeyCreationDate: seconds('2026-02-01T00:00:00Z') }))
    proxy.serve('LookupEvents', () => ({ Events: [] }))
    const dir = mkdtempSync(join(tmpdir(), 'kms-alias-e2e-profile-'))
    const config = join(dir, 'config')
    const credentials = join(dir, 'credentials')
    writeFileSync(
      config,
      `[profile e2e]\nregion = ${REGION}\nservices = e2e-endpoints\n\n[services e2e-endpoints]\nkms =\n  endpoint_url = ${proxy.url}\ncloudtrail =\n  endpoint_url = ${proxy.url}\n`,
    )
    writeFileSync(credentials, '[e2e]\naws_access_key_id = testing\naws_secret_access_key = testing\n')
    const profileEnv = cliEnv({
      AWS_ENDPOINT_URL_KMS: undefined,
      AWS_REGION: undefined,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_PROFILE: 'e2e',
    })
    const { code, stdout, stderr } = await cli(['usage', keyId, '--json'], profileEnv)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout).verdict).toBe('idle')
    expect(proxy.calls('LookupEvents')).toBe(1)
    expect(proxy.calls('GetKeyLastUsage')).toBe(1)
  })
})
