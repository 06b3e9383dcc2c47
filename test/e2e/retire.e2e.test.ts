// `kms-alias retire` and `undo` of its steps, built and spawned against moto, whose DisableKey,
// EnableKey, ScheduleKeyDeletion and CancelKeyDeletion are real; the fault proxy serves what moto
// lacks (GetKeyLastUsage, CloudTrail LookupEvents) with answers shaped as AWS's. Every test reads
// the key's final state back from moto.
import { DescribeKeyCommand } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { cli, cliEnv, createAlias, createKey, disableKey, freshJournal, journalEntries, moto, MOTO_ACCOUNT, REGION, uniqueAlias, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const DAY_S = 86_400
const APP = `arn:aws:iam::${MOTO_ACCOUNT}:role/app`

const env = (journal: string) => cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url, AWS_ENDPOINT_URL_CLOUDTRAIL: proxy.url, KMS_ALIAS_JOURNAL: journal })
const stateInMoto = async (keyId: string) => (await moto().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState
const arnOf = (keyId: string) => `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${keyId}`
const daysAgo = (days: number) => Date.now() / 1000 - days * DAY_S

/** A CloudTrail event about `keyId` as LookupEvents answers it. */
function trailEvent(keyId: string, name: string, at: number, extra: Record<string, unknown> = {}) {
  return {
    EventId: `ev-${name}-${at}`,
    EventName: name,
    EventTime: at,
    EventSource: 'kms.amazonaws.com',
    Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: arnOf(keyId) }],
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.08',
      userIdentity: { type: 'AssumedRole', arn: APP, accountId: MOTO_ACCOUNT },
      eventTime: new Date(at * 1000).toISOString(),
      eventSource: 'kms.amazonaws.com',
      eventName: name,
      awsRegion: REGION,
      requestParameters: { keyId },
      resources: [{ accountId: MOTO_ACCOUNT, type: 'AWS::KMS::Key', ARN: arnOf(keyId) }],
      ...extra,
    }),
  }
}

/** GetKeyLastUsage's "never used" (created after tracking began) and the given CloudTrail events, newest first. */
function serve(events: ReturnType<typeof trailEvent>[], lastUsage?: Record<string, unknown>) {
  proxy.serve('GetKeyLastUsage', (request: { KeyId: string }) => ({
    KeyId: arnOf(request.KeyId),
    TrackingStartDate: daysAgo(400),
    KeyCreationDate: daysAgo(100),
    ...(lastUsage ? { KeyLastUsage: lastUsage } : {}),
  }))
  proxy.serve('LookupEvents', () => ({ Events: [...events].sort((a, b) => b.EventTime - a.EventTime) }))
}

describe('retire --disable (moto)', () => {
  it('an idle key is disabled in moto; undo --last enables it again', async () => {
    const keyId = await createKey()
    const journal = freshJournal()
    serve([])
    const disabled = await cli(['retire', keyId, '--disable', '--yes', '--json'], env(journal))
    expect(disabled.stderr).toBe('')
    expect(disabled.code).toBe(0)
    expect(JSON.parse(disabled.stdout)).toMatchObject({ outcome: 'disabled', changed: true, usage: { verdict: 'idle' } })
    expect(await stateInMoto(keyId)).toBe('Disabled')
    const undone = await cli(['undo', '--last', '--yes', '--json'], env(journal))
    expect(undone.code).toBe(0)
    expect(JSON.parse(undone.stdout)).toMatchObject({ step: 'undo', outcome: 'reverted', changed: true })
    expect(await stateInMoto(keyId)).toBe('Enabled')
    expect((await journalEntries(journal)).map((e: { action: string }) => e.action)).toEqual(['disable-key', 'enable-key'])
  })

  it.each([
    ['an alias in moto points to it', async (keyId: string) => void (await createAlias(uniqueAlias('retire'), keyId)), () => serve([]), 'KEY_HAS_ALIASES'],
    ['CloudTrail shows a Decrypt 3 days ago', async () => {}, (keyId: string) => serve([trailEvent(keyId, 'Decrypt', daysAgo(3))]), 'KEY_RECENTLY_USED'],
    ['GetKeyLastUsage shows use yesterday', async () => {}, () => serve([], { Operation: 'Encrypt', Timestamp: daysAgo(1), CloudTrailEventId: 'ev-1' }), 'KEY_RECENTLY_USED'],
    [
      'use is unknown (CloudTrail denied by the fault proxy)',
      async () => {},
      () => {
        serve([])
        proxy.fault('LookupEvents', 'access-denied')
      },
      'LAST_USE_UNKNOWN',
    ],
  ])('refused (exit 3) when %s: the key stays Enabled in moto', async (_name, setup, answers, finding) => {
    const keyId = await createKey()
    await setup(keyId)
    answers(keyId)
    const { code, stdout } = await cli(['retire', keyId, '--disable', '--yes', '--json', '--max-attempts', '1'], env(freshJournal()))
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.filter((f: { severity: string }) => f.severity === 'block').map((f: { code: string }) => f.code)).toEqual([finding])
    expect(await stateInMoto(keyId)).toBe('Enabled')
  })
})

describe('retire --check and --schedule-deletion (moto)', () => {
  it('--check: a caller refused with DisabledException since the disable is KEY_STILL_NEEDED (exit 3); none is clean (exit 0)', async () => {
    const keyId = await createKey()
    const journal = freshJournal()
    serve([])
    expect((await cli(['retire', keyId, '--disable', '--yes'], env(journal))).code).toBe(0)
    proxy.reset()
    serve([trailEvent(keyId, 'Decrypt', Date.now() / 1000 + 1, { errorCode: 'DisabledException', errorMessage: `${arnOf(keyId)} is disabled.` })])
    const needed = await cli(['retire', keyId, '--check', '--json'], env(journal))
    expect(needed.code).toBe(3)
    expect(JSON.parse(needed.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['KEY_STILL_NEEDED'])
    // The lookup started at the journaled disable, not 90 days back.
    const [lookup] = proxy.bodies('LookupEvents').map((b) => b.body as { StartTime: number; EndTime: number })
    expect((lookup?.EndTime ?? 0) - (lookup?.StartTime ?? 0)).toBeLessThan(DAY_S)
    proxy.reset()
    serve([])
    const clean = await cli(['retire', keyId, '--check', '--json'], env(journal))
    expect(clean.code).toBe(0)
    expect(JSON.parse(clean.stdout)).toMatchObject({ outcome: 'clean', disabledFrom: 'journal' })
    expect(await stateInMoto(keyId)).toBe('Disabled')
  })

  it('--schedule-deletion after a 10-day soak (DisableKey in CloudTrail): PendingDeletion in moto; undo cancels it and the key stays Disabled', async () => {
    const keyId = await createKey()
    await disableKey(keyId)
    const journal = freshJournal()
    serve([trailEvent(keyId, 'DisableKey', daysAgo(10))])
    const scheduled = await cli(['retire', keyId, '--schedule-deletion', '--days', '7', '--yes', '--json'], env(journal))
    expect(scheduled.stderr).toBe('')
    expect(scheduled.code).toBe(0)
    const report = JSON.parse(scheduled.stdout)
    expect(report).toMatchObject({ outcome: 'scheduled', disabledFrom: 'cloudtrail', soak: '10 days' })
    expect(Math.round((Date.parse(report.deletionDate) - Date.now()) / (DAY_S * 1000))).toBe(7)
    expect(await stateInMoto(keyId)).toBe('PendingDeletion')
    const undone = await cli(['undo', '--last', '--yes'], env(journal))
    expect(undone.code).toBe(0)
    expect(undone.stderr).toContain('is no longer pending deletion and stays Disabled, as KMS leaves a key whose deletion is cancelled')
    expect(await stateInMoto(keyId)).toBe('Disabled')
  })

  it.each([
    ['the soak is too short (disabled 2 days ago)', 2, [], 'SOAK_TOO_SHORT'],
    ['a caller was refused since', 10, [['Decrypt', 1]], 'KEY_STILL_NEEDED'],
  ] as const)('--schedule-deletion refused (exit 3) when %s: still Disabled in moto', async (_name, disabledDaysAgo, refused, finding) => {
    const keyId = await createKey()
    await disableKey(keyId)
    serve([
      trailEvent(keyId, 'DisableKey', daysAgo(disabledDaysAgo)),
      ...refused.map(([name, ago]) => trailEvent(keyId, name, daysAgo(ago), { errorCode: 'DisabledException' })),
    ])
    const { code, stdout } = await cli(['retire', keyId, '--schedule-deletion', '--yes', '--json'], env(freshJournal()))
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toEqual([finding])
    expect(await stateInMoto(keyId)).toBe('Disabled')
  })

  it('--schedule-deletion of a key still Enabled: KEY_NOT_DISABLED, exit 3, still Enabled', async () => {
    const keyId = await createKey()
    serve([])
    const { code, stdout } = await cli(['retire', keyId, '--schedule-deletion', '--yes', '--json'], env(freshJournal()))
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toEqual(['KEY_NOT_DISABLED'])
    expect(await stateInMoto(keyId)).toBe('Enabled')
  })
})
