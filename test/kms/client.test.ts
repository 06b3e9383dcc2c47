import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DescribeKeyCommand, GetKeyLastUsageCommand, KMSClient, KMSServiceException, ListAliasesCommand, ListKeysCommand, NotFoundException, UpdateAliasCommand } from '@aws-sdk/client-kms'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import { AccessError, AwsError, Exit, KmsRefusedError, NotFoundError } from '../../src/errors.js'

const kmsMock = mockClient(KMSClient)
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab'
const serviceError = (name: string, status: number, message = `${name} happened`) =>
  new KMSServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts: 3 }, message })

beforeEach(() => kmsMock.reset())
afterEach(() => kmsMock.reset())

const port = (debugLines?: string[]) => createKmsPort({ region: 'us-east-1', ...(debugLines ? { debug: (l: string) => void debugLines.push(l) } : {}) })

describe('KMS adapter (aws-sdk-client-mock)', () => {
  it('reads every ListAliases page, 100 at a time', async () => {
    const pages = [
      { Aliases: [{ AliasName: 'alias/a', TargetKeyId: KEY }], Truncated: true, NextMarker: 'm1' },
      { Aliases: [{ AliasName: 'alias/b', TargetKeyId: KEY }], Truncated: true, NextMarker: 'm2' },
      { Aliases: [{ AliasName: 'alias/c' }], Truncated: false },
    ]
    // The paginator reuses one input object, so each input is copied as it arrives.
    const inputs: unknown[] = []
    kmsMock.on(ListAliasesCommand).callsFake((input: object) => {
      inputs.push({ ...input })
      return pages.shift()
    })
    const aliases = await port().listAliases({ keyId: KEY })
    expect(aliases.map((a) => a.name)).toEqual(['alias/a', 'alias/b', 'alias/c'])
    expect(inputs).toEqual([
      { KeyId: KEY, Limit: 100 },
      { KeyId: KEY, Limit: 100, Marker: 'm1' },
      { KeyId: KEY, Limit: 100, Marker: 'm2' },
    ])
  })

  it.each([
    [2, undefined, 2],
    [3, ['alias/a', 'alias/b', 'alias/c'], 3],
  ])('listAliasesWithin(%i) of a three-page listing gives %j after %i pages', async (maxPages, expected, reads) => {
    const pages = [
      { Aliases: [{ AliasName: 'alias/a', TargetKeyId: KEY }], Truncated: true, NextMarker: 'm1' },
      { Aliases: [{ AliasName: 'alias/b', TargetKeyId: KEY }], Truncated: true, NextMarker: 'm2' },
      { Aliases: [{ AliasName: 'alias/c', TargetKeyId: KEY }], Truncated: false },
    ]
    const inputs: unknown[] = []
    kmsMock.on(ListAliasesCommand).callsFake((input: object) => {
      inputs.push({ ...input })
      return pages.shift()
    })
    const aliases = await port().listAliasesWithin(maxPages)
    expect(aliases?.map((a) => a.name)).toEqual(expected)
    expect(inputs).toEqual([{ Limit: 100 }, { Limit: 100, Marker: 'm1' }, { Limit: 100, Marker: 'm2' }].slice(0, reads))
  })

  it('listAliasPages (audit): one page at a time, beforePage awaited before each request and only then', async () => {
    const pages = [
      { Aliases: [{ AliasName: 'alias/a', TargetKeyId: KEY }], Truncated: true, NextMarker: 'm1' },
      { Aliases: [{ AliasName: 'alias/b', TargetKeyId: KEY }], Truncated: false },
    ]
    const events: string[] = []
    kmsMock.on(ListAliasesCommand).callsFake((input: { Marker?: string; Limit?: number }) => {
      events.push(`ListAliases ${input.Marker ?? '-'} ${input.Limit}`)
      return pages.shift()
    })
    for await (const page of port().listAliasPages(async () => void events.push('slot'))) events.push(`page ${page.map((a) => a.name).join(',')}`)
    expect(events).toEqual(['slot', 'ListAliases - 100', 'page alias/a', 'slot', 'ListAliases m1 100', 'page alias/b'])
  })

  it('listKeys pages ListKeys (1000 a page) and gives the key IDs', async () => {
    const pages = [{ Keys: [{ KeyId: 'k1' }, { KeyId: 'k2' }], Truncated: true, NextMarker: 'm1' }, { Keys: [{ KeyId: 'k3' }], Truncated: false }]
    const inputs: unknown[] = []
    kmsMock.on(ListKeysCommand).callsFake((input: object) => {
      inputs.push({ ...input })
      return pages.shift()
    })
    expect(await port().listKeys()).toEqual(['k1', 'k2', 'k3'])
    expect(inputs).toEqual([{ Limit: 1000 }, { Limit: 1000, Marker: 'm1' }])
  })

  it('maps DescribeKey metadata to plain data, with region and account from the ARN', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: KEY, Arn: `arn:aws:kms:eu-west-1:111122223333:key/${KEY}`, AWSAccountId: '111122223333', CustomerMasterKeySpec: 'RSA_2048', KeyState: 'Enabled', SigningAlgorithms: ['RSASSA_PSS_SHA_256'] },
    })
    expect(await port().describeKey(KEY)).toEqual({
      keyId: KEY,
      arn: `arn:aws:kms:eu-west-1:111122223333:key/${KEY}`,
      accountId: '111122223333',
      region: 'eu-west-1',
      keySpec: 'RSA_2048',
      keyUsage: undefined,
      keyState: 'Enabled',
      keyManager: undefined,
      origin: undefined,
      multiRegion: false,
      validTo: undefined,
      description: undefined,
      creationDate: undefined,
      encryptionAlgorithms: [],
      signingAlgorithms: ['RSASSA_PSS_SHA_256'],
      macAlgorithms: [],
      keyAgreementAlgorithms: [],
    })
  })

  it.each([
    ['NotFoundException', new NotFoundException({ message: 'Alias is not found.', $metadata: {} }), NotFoundError, Exit.NotFound, 'alias/app not found in us-east-1 (Alias is not found.)'],
    ['AccessDenied', serviceError('AccessDeniedException', 400, 'User is not authorized'), AccessError, Exit.Access, 'DescribeKey was denied: AccessDeniedException: User is not authorized'],
    ['throttling after retries', serviceError('ThrottlingException', 400, 'Rate exceeded'), AwsError, Exit.Aws, 'DescribeKey alias/app failed (3 attempts): ThrottlingException: Rate exceeded'],
    ['5xx after retries', serviceError('KMSInternalException', 500, 'internal'), AwsError, Exit.Aws, 'DescribeKey alias/app failed (3 attempts): KMSInternalException: internal'],
    ['KMSInvalidState', serviceError('KMSInvalidStateException', 409, 'pending deletion'), KmsRefusedError, Exit.Refused, 'KMS refused DescribeKey alias/app: KMSInvalidStateException: pending deletion'],
    // moto's (and local-kms's) answer to a name under alias/aws/: a refusal, not an AWS failure.
    ['NotAuthorized', serviceError('NotAuthorizedException', 400, ''), KmsRefusedError, Exit.Refused, 'KMS refused DescribeKey alias/app: NotAuthorizedException'],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), AwsError, Exit.Aws, 'cannot reach KMS (ECONNRESET) during DescribeKey'],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), AwsError, Exit.Aws, 'DescribeKey timed out'],
    ['no credentials', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), AccessError, Exit.Access, 'no AWS credentials were found'],
  ])('translates %s', async (_name, error, type, exitCode, message) => {
    kmsMock.on(DescribeKeyCommand).rejects(error)
    const failure = await port().describeKey('alias/app').catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(type)
    expect(failure).toMatchObject({ exitCode, message })
  })

  // Failed before the fix: a KeyLastUsage without Timestamp was dropped, so a used key read as never used (idle).
  it('GetKeyLastUsage: a KeyLastUsage without Timestamp (optional in the model) is still a use, its time unknown', async () => {
    const tracking = new Date('2026-01-01T00:00:00Z')
    const created = new Date('2026-03-01T00:00:00Z')
    kmsMock.on(GetKeyLastUsageCommand).resolves({ KeyId: KEY, KeyLastUsage: { Operation: 'Sign', CloudTrailEventId: 'e-1' }, TrackingStartDate: tracking, KeyCreationDate: created })
    expect(await port().getKeyLastUsage(KEY)).toEqual({ keyId: KEY, lastUsage: { operation: 'Sign', cloudTrailEventId: 'e-1' }, trackingStartDate: tracking, keyCreationDate: created })
  })

  it('lets a non-AWS error through unchanged (a bug stays a bug)', async () => {
    const bug = new TypeError('x is undefined')
    kmsMock.on(UpdateAliasCommand).rejects(bug)
    await expect(port().updateAlias('alias/app', KEY)).rejects.toBe(bug)
  })

  it('logs each call with its outcome and duration, and nothing secret', async () => {
    kmsMock.on(UpdateAliasCommand).resolves({ $metadata: { attempts: 1 } })
    kmsMock.on(DescribeKeyCommand).rejects(serviceError('AccessDeniedException', 400))
    const lines: string[] = []
    const kms = port(lines)
    await kms.updateAlias('alias/app', KEY)
    await kms.describeKey(KEY).catch(() => undefined)
    expect(lines.map((l) => l.replace(/\d+ ms/, 'N ms'))).toEqual([
      `UpdateAlias alias/app -> ${KEY}: ok in N ms (1 attempt)`,
      `DescribeKey ${KEY}: AccessDeniedException in N ms (3 attempts)`,
    ])
  })

  it('reports a missing Region as an access/configuration error', async () => {
    // No Region anywhere: no variable, and shared files that do not exist (never the machine's own).
    const names = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'] as const
    const saved = names.map((n) => process.env[n])
    const none = join(mkdtempSync(join(tmpdir(), 'kms-alias-no-config-')), 'none')
    for (const n of names) delete process.env[n]
    process.env.AWS_CONFIG_FILE = none
    process.env.AWS_SHARED_CREDENTIALS_FILE = none
    try {
      const kms = createKmsPort({ env: process.env })
      const failure = await kms.region().catch((e: unknown) => e)
      expect(failure).toBeInstanceOf(AccessError)
      expect(failure).toMatchObject({ exitCode: Exit.Access, hint: 'pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in the profile' })
    } finally {
      names.forEach((n, i) => {
        const value = saved[i]
        if (value === undefined) delete process.env[n]
        else process.env[n] = value
      })
    }
  })
})

describe('the run\'s abort signal reaches every KMS send (aws-sdk-client-mock)', () => {
  // Tried once: without options() in the paginator calls, the pages of ListAliases went out with no
  // abortSignal, so Ctrl-C, SIGTERM or SIGHUP waited for KMS to answer a listing.
  it('each ListAliases page and each DescribeKey', async () => {
    const stop = new AbortController()
    kmsMock
      .on(ListAliasesCommand)
      .resolvesOnce({ Aliases: [{ AliasName: 'alias/a', TargetKeyId: KEY }], Truncated: true, NextMarker: 'm1' })
      .resolvesOnce({ Aliases: [], Truncated: false })
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY, Arn: `arn:aws:kms:us-east-1:111122223333:key/${KEY}` } })
    const kms = createKmsPort({ region: 'us-east-1', signal: stop.signal })
    await kms.listAliases()
    await kms.describeKey(KEY)
    expect(kmsMock.send.getCalls().map((call) => (call.args as unknown[])[1])).toEqual([
      { abortSignal: stop.signal },
      { abortSignal: stop.signal },
      { abortSignal: stop.signal },
    ])
  })
})
