// apply over several partitions (account, Region) on fake KMS ports, one per partition.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KmsConfig } from '../../src/kms/port.js'
import { FakeKms, key, throttled, type FakeKmsOptions } from '../helpers/fakeKms.js'
import { journalOf, line, run } from '../helpers/run.js'

function file(text: string, name = 'aliases.txt'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-apply-')), name)
  writeFileSync(path, text)
  return path
}

const OTHER = '444455556666'

/** Two Regions of the caller's account and one Region of another; alias/a and alias/keep on an old key in each. */
function world(failures: FakeKmsOptions['failures'] = {}) {
  const make = (region: string, account = '111122223333', extra: FakeKmsOptions = {}) => {
    const old = key({ region, accountId: account })
    const next = key({ region, accountId: account })
    const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/a': old.keyId, 'alias/keep': old.keyId }, region, account, ...extra })
    return { old, next, kms }
  }
  const east = make('us-east-1')
  const west = make('eu-west-1', '111122223333', { failures })
  const other = make('us-east-1', OTHER)
  const port = (config: KmsConfig) => (config.role ? other.kms : config.region === 'eu-west-1' ? west.kms : east.kms)
  return { east, west, other, port }
}

describe('apply over several partitions (fake KMS ports per Region and account)', () => {
  it('plans and applies each Region through its own port; JSON entries and journal lines carry region and account, one runId', async () => {
    const { east, west, port } = world()
    const mapping = file(`alias/a ${east.next.keyId}\nalias/a ${west.next.keyId} eu-west-1\n`)
    const r = await run(['apply', mapping, '--json', '--region', 'us-east-1'], { kms: port })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.region).toBeNull()
    expect(doc.partitions).toEqual([{ account: null, region: 'us-east-1' }, { account: null, region: 'eu-west-1' }])
    expect(doc.changes.map((c: Record<string, unknown>) => [c.alias, c.region, c.account, c.status, c.verified])).toEqual([
      ['alias/a', 'us-east-1', null, 'applied', true],
      ['alias/a', 'eu-west-1', null, 'applied', true],
    ])
    expect([east.kms.aliases.get('alias/a'), west.kms.aliases.get('alias/a')]).toEqual([east.next.keyId, west.next.keyId])
    // Partitions write at the same time: the journal's order between them is not fixed.
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.region, e.account, e.alias, e.newKeyId, e.runId, e.verified]).sort()).toEqual([
      ['eu-west-1', '111122223333', 'alias/a', west.next.keyId, doc.runId, true],
      ['us-east-1', '111122223333', 'alias/a', east.next.keyId, doc.runId, true],
    ])
  })

  it('text view: six fields, then Region and account, only when the run has several partitions', async () => {
    const { east, west, port } = world()
    const r = await run(['apply', file(`alias/a ${east.next.keyId}\nalias/a ${west.next.keyId} eu-west-1\n`)], { kms: port })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      line('applied', 'alias/a', 'update', east.old.keyId, east.next.keyId, 'true', 'us-east-1', '-') + line('applied', 'alias/a', 'update', west.old.keyId, west.next.keyId, 'true', 'eu-west-1', '-'),
    )
    const single = world()
    const one = await run(['apply', file(`alias/a ${single.west.next.keyId} eu-west-1\n`)], { kms: single.port })
    expect(one.stdout).toBe(line('applied', 'alias/a', 'update', single.west.old.keyId, single.west.next.keyId, 'true'))
  })

  it('a block in one partition refuses all of them (exit 3): nothing changed in any Region', async () => {
    const blocked = world()
    // alias/aws/x is refused by the preflight (RESERVED_ALIAS) in eu-west-1 only.
    const refused = await run(['apply', file(`alias/a ${blocked.east.next.keyId}\nalias/aws/x ${blocked.west.next.keyId} eu-west-1\n`), '--json'], { kms: blocked.port })
    expect(refused.code).toBe(3)
    expect(JSON.parse(refused.stdout).changes.map((c: { alias: string; region: string; status: string }) => `${c.alias} ${c.region} ${c.status}`)).toEqual(['alias/a us-east-1 not-attempted', 'alias/aws/x eu-west-1 not-attempted'])
    expect([...blocked.east.kms.mutations(), ...blocked.west.kms.mutations()]).toEqual([])
  })

  it('a failure in one partition stops all and rolls back the others, guarded (fake port failing UpdateAlias in eu-west-1)', async () => {
    const { east, west, port } = world({ UpdateAlias: { error: throttled(), applied: false } })
    // eu-west-1 comes second in the file; us-east-1's change is made first (both start at once, and
    // eu-west-1 fails on its first call), then rolled back.
    const mapping = file(`alias/a ${east.next.keyId}\nalias/a ${west.next.keyId} eu-west-1\n`)
    const r = await run(['apply', mapping, '--json'], { kms: port })
    expect(r.code).toBe(8)
    const doc = JSON.parse(r.stdout)
    expect(doc.changes.map((c: { region: string; status: string }) => `${c.region} ${c.status}`)).toEqual(['us-east-1 rolled-back', 'eu-west-1 failed'])
    expect(east.kms.mutations()).toEqual([`UpdateAlias alias/a ${east.next.keyId}`, `UpdateAlias alias/a ${east.old.keyId}`])
    expect([east.kms.aliases.get('alias/a'), west.kms.aliases.get('alias/a')]).toEqual([east.old.keyId, west.old.keyId])
    // The journal keeps changes that happened (eu-west-1's failed call changed nothing).
    expect((await journalOf(r.ctx)).map((e) => `${e.region} ${e.command} ${e.changed}`)).toEqual(['us-east-1 apply true', 'us-east-1 apply (rollback) true'])
  })

  it('--role-name assumes the role of that name in the account an entry names; the caller\'s own entries use the credentials', async () => {
    const { east, other, port } = world()
    const mapping = file(JSON.stringify([{ alias: 'alias/a', to: east.next.keyId }, { alias: 'alias/a', to: other.next.keyId, account: OTHER }]), 'aliases.json')
    const r = await run(['apply', mapping, '--json', '--role-name', 'kms-alias-operator', '--role-session-name', 'ci-run'], { kms: port })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.ctx.kmsConfigs.map((c) => c.role ?? null)).toEqual([null, { arn: `arn:aws:iam::${OTHER}:role/kms-alias-operator`, sessionName: 'ci-run' }])
    expect(JSON.parse(r.stdout).changes.map((c: { account: string; status: string }) => `${c.account} ${c.status}`)).toEqual(['111122223333 applied', `${OTHER} applied`])
    expect([east.kms.aliases.get('alias/a'), other.kms.aliases.get('alias/a')]).toEqual([east.next.keyId, other.next.keyId])
  })

  it('an account column of another account without --role-name is a usage error (exit 2) naming --role-name; nothing changed', async () => {
    const { east, other, port } = world()
    const mapping = file(JSON.stringify([{ alias: 'alias/keep', to: east.next.keyId }, { alias: 'alias/a', to: other.next.keyId, account: OTHER }], null, 1), 'aliases.json')
    const r = await run(['apply', mapping, '--json'], { kms: port })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error).toEqual({
      code: 'USAGE',
      message: `${mapping}:6: alias/a is for account ${OTHER}, but these credentials act on account 111122223333; nothing was changed`,
      hint: 'pass --role-name <name> to assume arn:aws:iam::<account>:role/<name> in each account the file names',
    })
    expect([...east.kms.mutations(), ...other.kms.mutations()]).toEqual([])
  })

  it('--role-name with --role-arn is a usage error', async () => {
    const { port } = world()
    const r = await run(['apply', file('alias/a 00000000-0000-4000-8000-000000000001\n'), '--role-name', 'x', '--role-arn', 'arn:aws:iam::111122223333:role/y'], { kms: port })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('error: --role-name and --role-arn cannot be used together\nhint: --role-arn acts in one account; --role-name assumes a role of that name in each account the file names\n')
  })
})
