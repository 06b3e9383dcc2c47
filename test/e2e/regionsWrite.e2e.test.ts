// Changes over several Regions and accounts against moto_server: update --regions and apply over
// partitions. moto keeps Regions apart, and STS AssumeRole of a role in another account gives
// credentials whose calls land in that account's own state. Plain keys in every Region: moto's
// multi-Region keys share one alias table between replicas (the replica-set rules are tested on
// fake ports in test/commands/updateRegions.test.ts).
import { randomUUID } from 'node:crypto'
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms'
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers'
import { describe, expect, it } from 'vitest'
import { cli, cliEnv, freshJournal, journalEntries, mappingFile, MOTO_ACCOUNT, motoUrl, useFaultProxy } from './harness.js'

const OTHER_ACCOUNT = '222233334444'
const ROLE_NAME = 'kms-alias-operator'
const ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/${ROLE_NAME}`
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
const testing = { accessKeyId: 'testing', secretAccessKey: 'testing' }

const proxy = useFaultProxy()

const clients = new Map<string, KMSClient>()
/** A client of our own in `region`, in moto's default account or (through the role) the other one. */
function kmsIn(region: string, viaRole = false): KMSClient {
  const id = `${region} ${viaRole}`
  let client = clients.get(id)
  if (!client) {
    const credentials = viaRole
      ? fromTemporaryCredentials({
          params: { RoleArn: ROLE, RoleSessionName: 'e2e-fixtures' },
          masterCredentials: testing,
          clientConfig: { region, endpoint: motoUrl() },
        })
      : testing
    client = new KMSClient({ region, endpoint: motoUrl(), credentials })
    clients.set(id, client)
  }
  return client
}

const newKey = async (client: KMSClient) => (await client.send(new CreateKeyCommand({ KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata?.KeyId ?? ''
const alias = (client: KMSClient, name: string, keyId: string) => client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }))
const targetIn = async (client: KMSClient, name: string) =>
  (await client.send(new ListAliasesCommand({}))).Aliases?.find((a) => a.AliasName === name)?.TargetKeyId

/** In each Region: `name` (and `name`-keep) on an old key, `name`-next on a new key. */
async function inRegions(label: string, regions = REGIONS, viaRole = false) {
  const name = `alias/e2e-${label}-${randomUUID().slice(0, 8)}`
  const keys: Record<string, { old: string; next: string }> = {}
  for (const region of regions) {
    const client = kmsIn(region, viaRole)
    const [old, next] = [await newKey(client), await newKey(client)]
    await alias(client, name, old)
    await alias(client, `${name}-keep`, old)
    await alias(client, `${name}-next`, next)
    keys[region] = { old, next }
  }
  const targets = async () => Object.fromEntries(await Promise.all(regions.map(async (r) => [r, await targetIn(kmsIn(r, viaRole), name)] as const)))
  const olds = () => Object.fromEntries(regions.map((r) => [r, keys[r]?.old]))
  const nexts = () => Object.fromEntries(regions.map((r) => [r, keys[r]?.next]))
  return { name, keys, targets, olds, nexts }
}

const viaProxy = (extra: Record<string, string> = {}) => cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url, ...extra })
type RegionDoc = { region: string; outcome: string; changed: boolean | null; verified: boolean }
const outcomes = (stdout: string) => (JSON.parse(stdout).regions as RegionDoc[]).map((r) => `${r.region} ${r.outcome}`)

describe('update --regions against moto_server', () => {
  it("repoints the alias in three Regions, each to its own Region's key, one journal line each sharing a runId", async () => {
    const w = await inRegions('upd3')
    const journal = freshJournal()
    const r = await cli(['update', w.name, '--to', `${w.name}-next`, '--regions', REGIONS.join(','), '--yes', '--json'], cliEnv({ KMS_ALIAS_JOURNAL: journal }))
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'updated', changed: true, verified: true, exitCode: 0 })
    expect(outcomes(r.stdout)).toEqual(REGIONS.map((region) => `${region} updated`))
    expect(await w.targets()).toEqual(w.nexts())
    const entries = await journalEntries(journal)
    expect(entries.map((e) => [e.region, e.account, e.previousKeyId, e.newKeyId, e.runId, e.verified])).toEqual(
      REGIONS.map((region) => [region, MOTO_ACCOUNT, w.keys[region]?.old, w.keys[region]?.next, doc.runId, true]),
    )
  })

  it('a block in one Region (its new key disabled) refuses all (exit 3): nothing changed in any Region', async () => {
    const w = await inRegions('upd-refused')
    await kmsIn('eu-west-1').send(new DisableKeyCommand({ KeyId: w.keys['eu-west-1']?.next }))
    const r = await cli(['update', w.name, '--to', `${w.name}-next`, '--regions', REGIONS.join(','), '--yes', '--json', '--no-journal'])
    expect(r.code).toBe(3)
    expect(outcomes(r.stdout)).toEqual(['us-east-1 not-attempted', 'eu-west-1 refused', 'ap-southeast-2 not-attempted'])
    expect(r.stderr).toBe('error: refused by the preflight: eu-west-1 TARGET_NOT_ENABLED; nothing was changed in any Region\nhint: see the findings\n')
    // moto accepts a disabled target: the refusal is ours, and the aliases are where they were.
    expect(await w.targets()).toEqual(w.olds())
  })
  // A failure in the last Region and its guarded rollback (fault proxy) are in faults.inprocess.test.ts.
})

describe('apply over several Regions and accounts against moto_server', () => {
  it("keeps each Region under its own 5/s: never throttled by a 5/s-per-Region limit, each Region's calls spread out (fault proxy rate limit)", async () => {
    const per = 10
    const regions = REGIONS
    const lines: string[] = []
    const names: Record<string, string[]> = {}
    for (const region of regions) {
      const client = kmsIn(region)
      const [old, next] = [await newKey(client), await newKey(client)]
      await alias(client, `alias/e2e-pace-keep-${randomUUID().slice(0, 8)}`, old)
      names[region] = []
      for (let i = 0; i < per; i++) {
        const name = `alias/e2e-pace-${randomUUID().slice(0, 8)}`
        await alias(client, name, old)
        names[region]?.push(name)
        lines.push(`${name} ${next} ${region}`)
      }
    }
    proxy.limitRate(['UpdateAlias', 'CreateAlias', 'DeleteAlias'], 5, { perRegion: true })
    const r = await cli(['apply', mappingFile(lines), '--yes', '--json', '--no-journal', '--rate', '5'], viaProxy())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).summary).toMatchObject({ total: 30, applied: 30, failed: 0 })
    expect(proxy.throttled()).toBe(0)
    // Tried: with no pacing the proxy throttles. That the Regions are paced each on its own (three
    // at once take 1.8 s, one shared pacer 5.8 s) is asserted on a fake clock in
    // test/commands/applyPacing.test.ts: an upper bound on this wall-clock span flakes on a loaded machine.
    for (const region of regions) {
      const at = proxy.arrivals('UpdateAlias', region)
      expect(at).toHaveLength(per)
      // Each Region's own calls are sent 9 intervals of 200 ms apart (slots, so single gaps jitter);
      // one interval of slack for a first call that reaches the proxy late on a loaded machine.
      expect((at.at(-1) as number) - (at[0] as number)).toBeGreaterThanOrEqual(1_600)
    }
  })

  it('a failure in one Region stops the others before their next change and rolls back what they applied (fault proxy: AccessDenied in eu-west-1)', async () => {
    const east = kmsIn('us-east-1')
    const [old, next] = [await newKey(east), await newKey(east)]
    await alias(east, `alias/e2e-stop-keep-${randomUUID().slice(0, 8)}`, old)
    const names = [] as string[]
    for (let i = 0; i < 4; i++) {
      names.push(`alias/e2e-stop-${randomUUID().slice(0, 8)}`)
      await alias(east, names[i] as string, old)
    }
    const west = await inRegions('stop-west', ['eu-west-1'])
    proxy.fault('UpdateAlias', 'access-denied', { region: 'eu-west-1' })
    // us-east-1's four entries go out a second apart (--rate 1); eu-west-1's only entry fails at once.
    const file = mappingFile([...names.map((n) => `${n} ${next} us-east-1`), `${west.name} ${west.keys['eu-west-1']?.next} eu-west-1`])
    const r = await cli(['apply', file, '--yes', '--json', '--no-journal', '--rate', '1', '--max-attempts', '1'], viaProxy())
    expect(r.code).toBe(7)
    const doc = JSON.parse(r.stdout)
    expect(doc.changes.at(-1)).toMatchObject({ region: 'eu-west-1', status: 'failed' })
    // Tried: without the shared stop, us-east-1 sends all four (and rolls back four: 8 calls).
    const eastCalls = proxy.arrivals('UpdateAlias', 'us-east-1').length
    expect(eastCalls).toBeLessThanOrEqual(4)
    expect(eastCalls % 2).toBe(0) // each change it made, rolled back
    expect(
      doc.changes
        .slice(0, 4)
        .map((c: { status: string }) => c.status)
        .sort(),
    ).toEqual([...Array(eastCalls / 2).fill('rolled-back'), ...Array(4 - eastCalls / 2).fill('not-attempted')].sort())
    for (const n of names) expect(await targetIn(east, n)).toBe(old)
    expect(await west.targets()).toEqual(west.olds())
  })

  it('entries for another account through --role-name (moto AssumeRole, STS on loopback), then undo of that entry needs --role-arn', async () => {
    const mine = await inRegions('acct-mine', ['us-east-1'])
    const theirs = await inRegions('acct-theirs', ['eu-west-1'], true)
    const journal = freshJournal()
    const file = mappingFile([
      JSON.stringify([
        { alias: mine.name, to: `${mine.name}-next` },
        { alias: theirs.name, to: `${theirs.name}-next`, region: 'eu-west-1', account: OTHER_ACCOUNT },
      ]),
    ])
    const env = cliEnv({ KMS_ALIAS_JOURNAL: journal })
    const r = await cli(['apply', file, '--yes', '--json', '--role-name', ROLE_NAME], env)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.partitions).toEqual([
      { account: MOTO_ACCOUNT, region: 'us-east-1' },
      { account: OTHER_ACCOUNT, region: 'eu-west-1' },
    ])
    expect(doc.changes.map((c: { account: string; region: string; status: string }) => `${c.account} ${c.region} ${c.status}`)).toEqual([
      `${MOTO_ACCOUNT} us-east-1 applied`,
      `${OTHER_ACCOUNT} eu-west-1 applied`,
    ])
    expect(await mine.targets()).toEqual(mine.nexts())
    expect(await theirs.targets()).toEqual(theirs.nexts())
    // The caller's own account in eu-west-1 has no such alias: the change landed in the role's account.
    expect(await targetIn(kmsIn('eu-west-1'), theirs.name)).toBeUndefined()

    const entry = (await journalEntries(journal)).find((e) => e.account === OTHER_ACCOUNT)
    expect(entry).toMatchObject({ region: 'eu-west-1', alias: theirs.name, runId: doc.runId })
    const refused = await cli(['undo', entry?.id as string, '--yes'], env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      `error: entry ${entry?.id} changed ${theirs.name} in account ${OTHER_ACCOUNT}, but these credentials act on account ${MOTO_ACCOUNT}; nothing was changed\n` +
        `hint: undo acts in the entry's account: pass --role-arn arn:aws:iam::${OTHER_ACCOUNT}:role/<role> (with --role-session-name and --external-id as that role needs)\n`,
    )
    expect(await theirs.targets()).toEqual(theirs.nexts())
    const undone = await cli(['undo', entry?.id as string, '--yes', '--role-arn', ROLE], env)
    expect(undone.stderr).toBe('')
    expect(undone.code).toBe(0)
    expect(await theirs.targets()).toEqual(theirs.olds())
  })

  it('update --regions in another account through --role-arn', async () => {
    const w = await inRegions('acct-regions', ['us-east-1', 'eu-west-1'], true)
    const r = await cli(['update', w.name, '--to', `${w.name}-next`, '--regions', 'us-east-1,eu-west-1', '--yes', '--json', '--no-journal', '--role-arn', ROLE])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect((JSON.parse(r.stdout).regions as Array<{ previous: { arn: string } }>).map((x) => x.previous.arn.split(':')[4])).toEqual([
      OTHER_ACCOUNT,
      OTHER_ACCOUNT,
    ])
    expect(await w.targets()).toEqual(w.nexts())
  })
})
