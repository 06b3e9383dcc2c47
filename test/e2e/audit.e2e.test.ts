// `kms-alias audit` (the built CLI) against moto_server. Each test works in an account of its own:
// moto keeps separate state for the credentials of an assumed role (STS on loopback), so another
// test file's disabled keys in moto's default account cannot change these exit codes. Plain keys
// per Region only: moto's multi-Region replicas share the primary's aliases (those cases are in
// test/commands/audit.test.ts on the in-memory KMS).
import { randomInt } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  type KeySpec,
  type KeyUsageType,
} from '@aws-sdk/client-kms'
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers'
import { describe, expect, it } from 'vitest'
import { cli, cliEnv, motoUrl, MOTO_ACCOUNT, useFaultProxy } from './harness.js'

const ROLE_NAME = 'kms-alias-auditor'
const proxy = useFaultProxy()

/** A fresh 12-digit account: its state on moto starts empty (but for moto's alias/aws/* entries). */
const newAccount = () => String(randomInt(100_000_000_000, 999_999_999_999))
const roleOf = (account: string) => `arn:aws:iam::${account}:role/${ROLE_NAME}`

/** Our own client in `account` and `region`, through the same role the CLI assumes. */
function clientIn(account: string, region: string): KMSClient {
  return new KMSClient({
    region,
    endpoint: motoUrl(),
    credentials: fromTemporaryCredentials({
      params: { RoleArn: roleOf(account), RoleSessionName: 'e2e-fixtures' },
      masterCredentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      clientConfig: { region, endpoint: motoUrl() },
    }),
  })
}

async function keyIn(client: KMSClient, keySpec: KeySpec = 'SYMMETRIC_DEFAULT', keyUsage: KeyUsageType = 'ENCRYPT_DECRYPT'): Promise<string> {
  return (await client.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage }))).KeyMetadata?.KeyId ?? ''
}
const aliasIn = (client: KMSClient, name: string, keyId: string) => client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }))

/** What moto holds in a Region: every alias with its target, and the state of each key named. */
async function stateOf(client: KMSClient) {
  const aliases = ((await client.send(new ListAliasesCommand({}))).Aliases ?? []).filter((a) => !a.AliasName?.startsWith('alias/aws/'))
  const keys = await Promise.all(
    aliases.map(async (a) => (await client.send(new DescribeKeyCommand({ KeyId: a.TargetKeyId }))).KeyMetadata?.KeyState),
  )
  return aliases.map((a, i) => `${a.AliasName} ${a.TargetKeyId} ${keys[i]}`).sort()
}

type Finding = { code: string; level: string; account: string; region: string; alias: string | null; keyId: string | null; daysLeft?: number | null }
const brief = (findings: Finding[]) => findings.map((f) => `${f.level} ${f.code} ${f.region} ${f.alias ?? '-'}`)

describe('audit against moto_server', () => {
  it('disabled key, key pending deletion, Region skew: findings, exit 3, and moto unchanged', async () => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const west = clientIn(account, 'eu-west-1')
    const [ok, off, going, skewEast] = [await keyIn(east), await keyIn(east), await keyIn(east), await keyIn(east)]
    const skewWest = await keyIn(west)
    await aliasIn(east, 'alias/ok', ok)
    await aliasIn(east, 'alias/off', off)
    await aliasIn(east, 'alias/going', going)
    await aliasIn(east, 'alias/app', skewEast)
    await aliasIn(west, 'alias/app', skewWest)
    await east.send(new DisableKeyCommand({ KeyId: off }))
    await east.send(new ScheduleKeyDeletionCommand({ KeyId: going, PendingWindowInDays: 7 }))
    const before = [await stateOf(east), await stateOf(west)]

    const r = await cli(['audit', '--regions', 'us-east-1,eu-west-1', '--role-arn', roleOf(account), '--json'], cliEnv())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(brief(doc.findings)).toEqual([
      'error ALIAS_ON_DISABLED_KEY us-east-1 alias/off',
      'error ALIAS_ON_PENDING_DELETION us-east-1 alias/going',
      'warn ALIAS_REGION_SKEW eu-west-1 alias/app',
      'warn ALIAS_REGION_SKEW us-east-1 alias/app',
    ])
    for (const f of doc.findings as Finding[]) expect(f.account).toBe(account)
    // moto answers DeletionDate: the scheduled window, counted from now.
    expect(doc.findings[1]).toMatchObject({ keyId: going, daysLeft: 7 })
    expect(doc.summary).toMatchObject({ partitions: 2, unreadable: 0, keys: 5, findings: { error: 2, warn: 2, info: 0 } })
    expect([await stateOf(east), await stateOf(west)]).toEqual(before)
  })

  it.each([
    ['error', 3],
    ['warn', 3],
    ['never', 0],
  ])('--fail-on %s with an error finding: exit %i (text view)', async (failOn, code) => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const off = await keyIn(east)
    await aliasIn(east, 'alias/off', off)
    await east.send(new DisableKeyCommand({ KeyId: off }))
    const r = await cli(['audit', '--role-arn', roleOf(account), '--fail-on', failOn], cliEnv())
    expect(r.stdout).toBe(
      `error\tALIAS_ON_DISABLED_KEY\t${account}\tus-east-1\talias/off\t${off}\talias/off points to ${off}, which is Disabled: every call through alias/off fails\n`,
    )
    expect(r.code).toBe(code)
  })

  it('several accounts (--accounts, --role-name): ALIAS_ACCOUNT_SKEW where the same name is a symmetric key in one and a signing key in the other', async () => {
    const [first, second] = [newAccount(), newAccount()]
    await aliasIn(clientIn(first, 'us-east-1'), 'alias/signer', await keyIn(clientIn(first, 'us-east-1')))
    await aliasIn(clientIn(second, 'us-east-1'), 'alias/signer', await keyIn(clientIn(second, 'us-east-1'), 'RSA_2048', 'SIGN_VERIFY'))
    const r = await cli(['audit', '--accounts', `${first},${second}`, '--role-name', ROLE_NAME, '--json'], cliEnv())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.partitions.map((p: { account: string; region: string }) => `${p.account} ${p.region}`)).toEqual([`${first} us-east-1`, `${second} us-east-1`])
    // Findings are ordered by account (the random accounts in either order).
    expect((doc.findings as Finding[]).map((f) => `${f.code} ${f.account} ${f.alias}`)).toEqual(
      [first, second].sort().map((account) => `ALIAS_ACCOUNT_SKEW ${account} alias/signer`),
    )
    // The credentials' own account (moto's default) was not read: only those named.
    expect(doc.partitions.some((p: { account: string }) => p.account === MOTO_ACCOUNT)).toBe(false)
  })

  it('PARTITION_UNREADABLE (fault proxy: AccessDenied on ListAliases in eu-west-1); us-east-1 is audited all the same', async () => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const off = await keyIn(east)
    await aliasIn(east, 'alias/off', off)
    await east.send(new DisableKeyCommand({ KeyId: off }))
    proxy.fault('ListAliases', 'access-denied', { region: 'eu-west-1' })
    const r = await cli(['audit', '--regions', 'us-east-1,eu-west-1', '--role-arn', roleOf(account), '--json'], cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url }))
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(brief(doc.findings)).toEqual(['error ALIAS_ON_DISABLED_KEY us-east-1 alias/off', 'error PARTITION_UNREADABLE eu-west-1 -'])
    expect(doc.findings[1].message).toMatch(/^eu-west-1 in account \d{12} could not be read: .*AccessDeniedException/)
    expect(doc.partitions).toEqual([
      { account, region: 'us-east-1', readable: true, aliases: expect.any(Number), keys: 1, unreadableKeys: 0 },
      { account, region: 'eu-west-1', readable: false, aliases: 0, keys: 0, unreadableKeys: 0 },
    ])
  })
})

// Failed before the fix: both were a PARTITION_UNREADABLE finding, exit 3 (0 with --fail-on never).
describe('audit: a failure of the whole run exits as list does', () => {
  it.each([[[]], [['--fail-on', 'never']]])('no credentials, %j: exit 7 with the hint, as list', async (flags) => {
    const env = cliEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined })
    const audit = await cli(['audit', ...flags], env)
    const list = await cli(['list'], env)
    expect([audit.code, list.code]).toEqual([7, 7])
    expect(audit.stdout).toBe('')
    expect(audit.stderr).toBe('error: no AWS credentials were found\nhint: set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n')
  })

  it('an endpoint nothing listens on: exit 8, as list', async () => {
    // Port 9 (discard) on loopback: refused at once, no traffic leaves the machine.
    const env = cliEnv({ AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' })
    const audit = await cli(['audit', '--regions', 'us-east-1,eu-west-1', '--fail-on', 'never'], env)
    const list = await cli(['list'], env)
    expect([audit.code, list.code]).toEqual([8, 8])
    expect(audit.stderr).toContain('cannot reach KMS at http://127.0.0.1:9 (ECONNREFUSED)')
  })
})

describe('audit against moto_server: a key throttled past the retries', () => {
  // Failed before the fix: KEY_UNREADABLE was a warning, so this audit of a disabled key exited 0.
  it('KEY_UNREADABLE (fault proxy: every DescribeKey throttled) is an error: the disabled key behind it fails --fail-on error (exit 3)', async () => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const off = await keyIn(east)
    await aliasIn(east, 'alias/off', off)
    await east.send(new DisableKeyCommand({ KeyId: off }))
    proxy.fault('DescribeKey', 'throttle')
    // One attempt: the SDK's retry backoff would only add real time, not change the outcome.
    const r = await cli(['audit', '--region', 'us-east-1', '--role-arn', roleOf(account), '--json'], cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url, AWS_MAX_ATTEMPTS: '1' }))
    const doc = JSON.parse(r.stdout)
    expect(brief(doc.findings)).toEqual(['error KEY_UNREADABLE us-east-1 alias/off'])
    expect(doc.summary).toMatchObject({ keys: 1, unreadableKeys: 1, findings: { error: 1, warn: 0, info: 0 } })
    expect(r.code).toBe(3)
  })
})

describe('audit against moto_server: more rows', () => {
  it('--keys: KEY_WITHOUT_ALIAS (info) for an enabled key no alias names; not for a disabled one; info never fails', async () => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const [named, lone, off] = [await keyIn(east), await keyIn(east), await keyIn(east)]
    await aliasIn(east, 'alias/named', named)
    await east.send(new DisableKeyCommand({ KeyId: off }))
    const r = await cli(['audit', '--keys', '--role-arn', roleOf(account), '--fail-on', 'warn'], cliEnv())
    expect(r.stdout).toBe(`info\tKEY_WITHOUT_ALIAS\t${account}\tus-east-1\t-\t${lone}\t${lone} is enabled and no alias names it\n`)
    expect(r.code).toBe(0)
  })

  // moto's EXTERNAL keys start Enabled with no ValidTo: the fault proxy answers DescribeKey as KMS
  // does for imported material that expires (ValidTo, in epoch seconds) and for a key awaiting it.
  it('ALIAS_ON_UNUSABLE_KEY: imported material expiring within --within days, and PendingImport (fault proxy: DescribeKey as KMS answers)', async () => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const [expiring, pending] = [await keyIn(east), await keyIn(east)]
    await aliasIn(east, 'alias/expiring', expiring)
    await aliasIn(east, 'alias/pending', pending)
    const validTo = Math.floor(Date.now() / 1000) + 10 * 86_400
    proxy.rewrite<{ KeyMetadata: Record<string, unknown> }, { KeyId: string }>('DescribeKey', {}, (answer, request) => {
      if (request.KeyId === expiring) return { KeyMetadata: { ...answer.KeyMetadata, Origin: 'EXTERNAL', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo } }
      if (request.KeyId === pending) return { KeyMetadata: { ...answer.KeyMetadata, Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false } }
      return answer
    })
    const env = cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url })
    const r = await cli(['audit', '--role-arn', roleOf(account), '--json'], env)
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(brief(doc.findings)).toEqual(['error ALIAS_ON_UNUSABLE_KEY us-east-1 alias/expiring', 'error ALIAS_ON_UNUSABLE_KEY us-east-1 alias/pending'])
    expect(doc.findings[0].validTo).toBe(new Date(validTo * 1000).toISOString())
    expect(doc.findings[1].message).toBe(`alias/pending points to ${pending}, which is PendingImport: it cannot be used now`)
    const within5 = await cli(['audit', '--role-arn', roleOf(account), '--within', '5', '--json'], env)
    expect(brief(JSON.parse(within5.stdout).findings)).toEqual(['error ALIAS_ON_UNUSABLE_KEY us-east-1 alias/pending'])
  })

  // moto's replica shares the primary's alias table, so its eu-west-1 lists the primary's alias;
  // the fault proxy answers eu-west-1's ListAliases as AWS would (without it).
  it('ALIAS_MISSING_IN_REPLICA_REGION on a moto multi-Region key (fault proxy: eu-west-1 listed as AWS lists it), and --fix-plan', async () => {
    const account = newAccount()
    const east = clientIn(account, 'us-east-1')
    const mrk = (await east.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', MultiRegion: true }))).KeyMetadata?.KeyId ?? ''
    await east.send(new ReplicateKeyCommand({ KeyId: mrk, ReplicaRegion: 'eu-west-1' }))
    await aliasIn(east, 'alias/pay', mrk)
    proxy.rewrite<{ Aliases: { AliasName: string }[] }, unknown>('ListAliases', { region: 'eu-west-1' }, (answer) => ({
      ...answer,
      Aliases: answer.Aliases.filter((a) => a.AliasName !== 'alias/pay'),
    }))
    const plan = join(mkdtempSync(join(tmpdir(), 'kms-alias-audit-e2e-')), 'fix.json')
    const r = await cli(
      ['audit', '--regions', 'us-east-1,eu-west-1', '--role-arn', roleOf(account), '--fix-plan', plan, '--json'],
      cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url }),
    )
    expect(r.code).toBe(0)
    expect(brief(JSON.parse(r.stdout).findings)).toEqual(['warn ALIAS_MISSING_IN_REPLICA_REGION eu-west-1 alias/pay'])
    expect(JSON.parse(readFileSync(plan, 'utf8'))).toEqual([{ alias: 'alias/pay', to: mrk, region: 'eu-west-1' }])
  })
})

describe('audit pacing (fault proxy: 10 reads a second per Region, ThrottlingException beyond)', () => {
  // 20 keys a Region: more than the proxy's bucket holds (10), so calls sent at once are throttled.
  // Tried once: at --rate 500 (no pacing to speak of) the proxy throttles (the second test); at
  // --rate 10 nothing is, and the Regions run side by side (well under twice one Region's 2 s).
  async function twoRegions() {
    const account = newAccount()
    for (const region of ['us-east-1', 'eu-west-1']) {
      const client = clientIn(account, region)
      for (let i = 0; i < 20; i++) await aliasIn(client, `alias/k${i}`, await keyIn(client))
    }
    proxy.limitRate(['ListAliases', 'DescribeKey'], 10, { perRegion: true })
    return account
  }

  it('--rate 10: no call throttled; each Region spaced at 10/s on its own', async () => {
    const account = await twoRegions()
    const started = Date.now()
    const r = await cli(['audit', '--regions', 'us-east-1,eu-west-1', '--role-arn', roleOf(account), '--rate', '10', '--json'], cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url }))
    const elapsed = Date.now() - started
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).summary).toMatchObject({ partitions: 2, keys: 40 })
    expect(proxy.throttled()).toBe(0)
    for (const region of ['us-east-1', 'eu-west-1']) {
      const at = [...proxy.arrivals('ListAliases', region), ...proxy.arrivals('DescribeKey', region)].sort((a, b) => a - b)
      expect(at).toHaveLength(21)
      // 21 calls at 10 a second: the last is at least 2 s after the first (less a little clock slack).
      expect((at.at(-1) as number) - (at[0] as number)).toBeGreaterThanOrEqual(1900)
    }
    expect(elapsed).toBeGreaterThanOrEqual(1900)
    // Side by side: eu-west-1 began before us-east-1 was done.
    const first = (region: string) => Math.min(...proxy.arrivals('ListAliases', region))
    const last = (region: string) => Math.max(...proxy.arrivals('DescribeKey', region))
    expect(first('eu-west-1')).toBeLessThan(last('us-east-1'))
    expect(first('us-east-1')).toBeLessThan(last('eu-west-1'))
  })

  it('--rate 500 through the same proxy: calls are throttled (what the pacing prevents)', async () => {
    const account = await twoRegions()
    const r = await cli(['audit', '--regions', 'us-east-1,eu-west-1', '--role-arn', roleOf(account), '--rate', '500', '--json'], cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url }))
    expect(proxy.throttled()).toBeGreaterThan(0)
    // Either the SDK's retries carried every call through (exit 0, every key read), or a describe
    // throttled past them is KEY_UNREADABLE, an error (exit 3): never exit 0 with a key unread.
    const doc = JSON.parse(r.stdout)
    const unread = doc.findings.filter((f: { code: string }) => f.code === 'KEY_UNREADABLE')
    expect(unread.every((f: { level: string }) => f.level === 'error')).toBe(true)
    expect(doc.summary.unreadableKeys).toBe(unread.length)
    expect(r.code).toBe(unread.length === 0 ? 0 : 3)
  })
})
