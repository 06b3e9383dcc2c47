// Issue 18's defects of the change flow (1, 2, 5) and issue 19's items that belong to it, on the
// fake KMS port. Each test says which defect it covers; each failed before its fix.
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { GrantInfo, KmsConfig } from '../../src/kms/port.js'
import { ConflictError } from '../../src/errors.js'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { journalOf, run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

const WORKER = 'arn:aws:iam::111122223333:role/worker'
const grant = (grantId: string): GrantInfo => ({ grantId, granteePrincipal: WORKER, operations: ['Decrypt'] })

/** alias/app on A; B carries a grant that A lacks, so moving back from B to A loses it. */
function grantWorld() {
  const a = key()
  const b = key()
  const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId, 'alias/other': a.keyId }, grants: { [b.keyId]: [grant('g-b')] } })
  return { a, b, kms, journal: defaultJournal() }
}

describe('issue 18 defect 1: undo accepts the overrides its findings name', () => {
  // Failed before the fix: `undo --allow-access-change` was exit 2, unknown option.
  it('undo --last of an update onto a key with an extra grant: refused naming --allow-access-change, which then works', async () => {
    const { a, b, kms, journal } = grantWorld()
    expect((await run(['update', 'alias/app', '--to', b.keyId, '--yes'], { kms, journal })).code).toBe(0)
    const refused = await run(['undo', '--last', '--yes'], { kms, journal })
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('GRANTS_MISSING')
    expect(refused.stderr).toContain('--allow-access-change')
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)

    const r = await run(['undo', '--last', '--yes', '--allow-access-change'], { kms, journal })
    expect(r.stderr).toContain('GRANTS_MISSING')
    expect(r.code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
    expect((await journalOf(r.ctx)).map((e) => [e.command, e.previousKeyId, e.newKeyId])).toEqual([
      ['update', a.keyId, b.keyId],
      ['undo', b.keyId, a.keyId],
    ])
  })
})

describe('issue 18 defect 2: undo --run runs the access preflight', () => {
  function appliedOntoGrantedKey() {
    const { a, b, kms, journal } = grantWorld()
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, `alias/app ${b.keyId}\n`)
    return { a, b, kms, journal, path }
  }

  // Failed before the fix: undo --run read no policy or grant and moved the alias back (exit 0).
  it('refuses with GRANTS_MISSING like undo does, and --allow-access-change lets it through', async () => {
    const { a, b, kms, journal, path } = appliedOntoGrantedKey()
    const apply = await run(['apply', path, '--yes', '--json'], { kms, journal })
    expect(apply.code).toBe(0)
    const runId = JSON.parse(apply.stdout).runId as string

    const refused = await run(['undo', '--run', runId, '--yes', '--json'], { kms, journal })
    expect(refused.code).toBe(3)
    const doc = JSON.parse(refused.stdout)
    expect(doc.changes.map((c: { outcome: string; findings: { code: string; severity: string }[] }) => [c.outcome, c.findings.map((f) => `${f.code}:${f.severity}`)])).toEqual([
      ['refused', ['PREVIOUS_KEY_ORPHANED:warn', 'GRANTS_MISSING:block']],
    ])
    expect(kms.calls).toContain(`ListGrants ${b.keyId}`)
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)

    const r = await run(['undo', '--run', runId, '--yes', '--allow-access-change', '--json'], { kms, journal })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).changes.map((c: { outcome: string }) => c.outcome)).toEqual(['reverted'])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })
})

describe('issue 18 defect 5: update --regions prints an undo that a disabled previous key accepts', () => {
  // Failed before the fix: the printed undo lacked --allow-disabled, so running it was refused (exit 3).
  it('adds --allow-disabled where the previous key is not Enabled, and the printed undo then runs', async () => {
    const old = key({ keyState: 'Disabled' })
    const next = key()
    const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId } })
    const port = (_config: KmsConfig) => kms
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--regions', 'us-east-1', '--yes', '--json'], { kms: port })
    expect(r.code).toBe(0)
    const undo = JSON.parse(r.stdout).undo as string
    expect(undo).toBe(`kms-alias update alias/app --to ${old.keyId} --expect-current ${next.keyId} --allow-disabled --region us-east-1`)
    const back = await run(undo.split(' ').slice(1), { kms: port })
    expect(back.code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })
})

describe('issue 19 item 12: --expect-current alias/<name> is taken in one Region as with --regions', () => {
  // Failed before: one Region refused it (exit 2, "must be a key ID or key ARN, not an alias")
  // while --regions resolved it, and the malformed-value hint suggested alias/<name>.
  it.each([
    ['update one Region', (next: string) => ['update', 'alias/app', '--to', next]],
    ['update --regions', (next: string) => ['update', 'alias/app', '--to', next, '--regions', 'us-east-1']],
    ['delete', (_next: string) => ['delete', 'alias/app']],
  ])('%s: passes when the named alias is on the current key, exit 5 when not', async (_name, argv) => {
    const old = key()
    const next = key()
    const world = () => new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/same': old.keyId, 'alias/elsewhere': next.keyId } })
    const moved = world()
    const conflict = await run([...argv(next.keyId), '--expect-current', 'alias/elsewhere', '--yes'], { kms: moved })
    expect(conflict.code).toBe(5)
    expect(moved.mutations()).toEqual([])
    const kms = world()
    const r = await run([...argv(next.keyId), '--expect-current', 'alias/same', '--yes'], { kms })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(kms.mutations().length).toBe(1)
    // Failed before (found in review): an alias that does not exist gave exit 5, "points to X, not alias/nope".
    const typo = world()
    const missing = await run([...argv(next.keyId), '--expect-current', 'alias/nope', '--yes'], { kms: typo })
    expect(missing.code).toBe(4)
    expect(missing.stderr).toContain('--expect-current alias/nope does not exist\nhint: name the key the alias points to now, or an alias on that key\n')
    expect(typo.mutations()).toEqual([])
  })
})

describe('issue 19 item 5: apply counts its own additions against the aliases-per-key quota', () => {
  const aliasesOn = (keyId: string, n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`alias/${prefix}-${i}`, keyId]))

  // Failed before the fix: 60 lines onto one key dry-ran with exit 0 and no finding.
  it('60 new aliases onto one key: refused at plan time (exit 3), nothing written', async () => {
    const k = key()
    const kms = new FakeKms({ keys: [k] })
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, Array.from({ length: 60 }, (_, i) => `alias/new-${i} ${k.keyId}\n`).join(''))
    const r = await run(['apply', path, '--dry-run', '--json'], { kms })
    expect(r.code).toBe(3)
    const findings = JSON.parse(r.stdout).changes.flatMap((c: { findings: { code: string; severity: string }[] }) => c.findings.map((f) => `${f.code}:${f.severity}`))
    expect(findings).toEqual(['ALIAS_QUOTA_EXCEEDED:block'])
    expect(kms.mutations()).toEqual([])
  })

  // Failed before the fix: a key with 46 aliases plus 10 new ones gave only ALIAS_QUOTA_NEAR warnings.
  it('46 aliases on the key plus 10 from the file: blocked; moving 6 others off it in the same file makes it fit', async () => {
    const k = key()
    const other = key()
    const kms = () => new FakeKms({ keys: [k, other], aliases: aliasesOn(k.keyId, 46, 'old') })
    const adds = Array.from({ length: 10 }, (_, i) => `alias/new-${i} ${k.keyId}\n`).join('')
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, adds)
    const blocked = await run(['apply', path, '--dry-run', '--json'], { kms: kms() })
    expect(blocked.code).toBe(3)
    expect(JSON.parse(blocked.stdout).changes.at(-1).findings[0]).toMatchObject({ code: 'ALIAS_QUOTA_EXCEEDED', severity: 'block' })

    writeFileSync(path, adds + Array.from({ length: 6 }, (_, i) => `alias/old-${i} ${other.keyId}\n`).join(''))
    const fits = await run(['apply', path, '--dry-run', '--json'], { kms: kms() })
    expect(fits.code).toBe(0)
    const codes = JSON.parse(fits.stdout).changes.flatMap((c: { findings: { code: string }[] }) => c.findings.map((f) => f.code))
    expect(codes).toEqual(['ALIAS_QUOTA_NEAR'])
  })
})

describe('issue 19 item 3: undo --run deletes nothing without --yes off a terminal', () => {
  // Failed before the fix: the revert of the run's create deleted alias/new with exit 0.
  it('reverting a run that created an alias: exit 2 before any KMS call; with --yes it is deleted', async () => {
    const k = key()
    const kms = new FakeKms({ keys: [k] })
    const journal = defaultJournal()
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, `alias/new ${k.keyId}\n`)
    const runId = JSON.parse((await run(['apply', path, '--yes', '--json'], { kms, journal })).stdout).runId as string
    const calls = kms.calls.length
    const r = await run(['undo', '--run', runId], { kms, journal })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      `error: --yes is required to revert this run when not running interactively: it deletes alias/new (the run created it)\nhint: deleting an alias breaks every caller that uses it; pass --yes, or --dry-run to see the plan\n`,
    )
    expect(kms.calls.length).toBe(calls)
    expect(kms.aliases.get('alias/new')).toBe(k.keyId)
    expect((await run(['undo', '--run', runId, '--dry-run'], { kms, journal })).code).toBe(0)
    expect((await run(['undo', '--run', runId, '--yes'], { kms, journal })).code).toBe(0)
    expect(kms.aliases.has('alias/new')).toBe(false)
  })
})

describe("issue 19 item 4: create's printed undo is guarded on the created key", () => {
  // Failed before the fix: the printed undo was `delete alias/new --yes`, which deleted the alias
  // after someone had repointed it.
  it('run after another writer repointed the alias, it deletes nothing (exit 5)', async () => {
    const k = key()
    const theirs = key()
    const kms = new FakeKms({ keys: [k, theirs] })
    const r = await run(['create', 'alias/new', '--to', k.keyId, '--json'], { kms })
    const undo = JSON.parse(r.stdout).undo as string
    kms.aliases.set('alias/new', theirs.keyId)
    const back = await run(undo.split(' ').slice(1), { kms })
    expect(back.code).toBe(5)
    expect(kms.aliases.get('alias/new')).toBe(theirs.keyId)
  })
})

describe('issue 19 item 6: undo --last after update --regions reverts every Region of that run', () => {
  // Failed before the fix: only the last Region's entry was reverted; the alias stayed skewed.
  it('both Regions go back, each guarded and journaled as an undo', async () => {
    const places = Object.fromEntries(
      ['us-east-1', 'eu-west-1'].map((region) => {
        const old = key({ region })
        const next = key({ region })
        return [region, { old, next, kms: new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/app-next': next.keyId }, region }) }]
      }),
    ) as Record<string, { old: { keyId: string }; next: { keyId: string }; kms: FakeKms }>
    const port = (config: KmsConfig) => places[config.region ?? 'us-east-1']!.kms
    const journal = defaultJournal()
    const changed = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', 'us-east-1,eu-west-1', '--yes'], { kms: port, journal })
    expect(changed.code).toBe(0)
    const r = await run(['undo', '--last', '--yes', '--json'], { kms: port, journal })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).changes.map((c: { region: string; outcome: string }) => `${c.region} ${c.outcome}`)).toEqual([
      'eu-west-1 reverted',
      'us-east-1 reverted',
    ])
    for (const p of Object.values(places)) expect(p.kms.aliases.get('alias/app')).toBe(p.old.keyId)
    // Nothing left: the run is undone as a whole.
    expect((await run(['undo', '--last', '--yes'], { kms: port, journal })).code).toBe(4)
  })
})

describe('issue 19 item 10 (undo): a failure under --json is one JSON document with error and exitCode', () => {
  // Failed before the fix: stdout was empty.
  it.each([
    [['undo', 'deadbeef', '--json'], 4, { code: 'NOT_FOUND', message: 'no journal entry deadbeef', hint: 'kms-alias history lists the ids' }],
    [['undo', '--last', '--json'], 4, { code: 'NOT_FOUND', message: 'the journal has no change left to undo', hint: 'kms-alias history lists the ids' }],
    [['undo', '--json'], 2, { code: 'USAGE', message: 'give one of a journal id, --last or --run <runId>', hint: 'kms-alias history lists the ids' }],
  ] as const)('%j: exit %i', async (argv, code, error) => {
    const kms = new FakeKms()
    const r = await run([...argv], { kms })
    expect(r.code).toBe(code)
    expect(JSON.parse(r.stdout)).toEqual({ error, exitCode: code })
    expect(r.stderr).toBe(`error: ${error.message}\nhint: ${error.hint}\n`)
  })
})

describe('issue 19 item 12: undo of an entry an earlier undo reverted names that undo', () => {
  // Failed before the fix: the hint said "someone else may have changed it".
  it('a second undo of one update: exit 5, the hint names the first undo entry', async () => {
    const a = key()
    const b = key()
    const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId } })
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', b.keyId, '--yes'], { kms, journal })
    const [change] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    expect((await run(['undo', change!.id, '--yes'], { kms, journal })).code).toBe(0)
    const undone = (await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })).find((e) => e.reverts === change!.id)!
    const again = await run(['undo', change!.id, '--yes'], { kms, journal })
    expect(again.code).toBe(5)
    expect(again.stderr).toBe(
      `error: alias/app points to ${a.keyId}, not ${b.keyId}; nothing was changed\nhint: journal entry ${undone.id} (undo, ${undone.time}) already reverted this change; kms-alias history shows what happened since\n`,
    )
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })
})

describe('issue 19 item 12: an apply file with no entries says "nothing to do"', () => {
  // Failed before the fix: exit 0 with nothing on stderr.
  it.each([
    ['empty', ''],
    ['comments only', '# nothing yet\n\n# still nothing\n'],
  ])('%s: exit 0, the note on stderr, no KMS write', async (_name, text) => {
    const kms = new FakeKms()
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, text)
    const r = await run(['apply', path, '--yes'], { kms })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(`nothing to do: ${path} has no entries\n`)
    expect(kms.mutations()).toEqual([])
  })
})

describe('issue 19 item 12: undo --run warns PREVIOUS_KEY_ORPHANED only for keys it leaves without an alias', () => {
  // Failed before the fix: undoing a swap warned for both keys, which the undo points the other alias to.
  it('undo of a swap of two aliases between two keys: no orphan warning', async () => {
    const k1 = key()
    const k2 = key()
    const kms = new FakeKms({ keys: [k1, k2], aliases: { 'alias/a': k1.keyId, 'alias/b': k2.keyId } })
    const journal = defaultJournal()
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, `alias/a ${k2.keyId}\nalias/b ${k1.keyId}\n`)
    const runId = JSON.parse((await run(['apply', path, '--yes', '--json'], { kms, journal })).stdout).runId as string
    const r = await run(['undo', '--run', runId, '--yes', '--json'], { kms, journal })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).changes.map((c: { alias: string; findings: unknown[] }) => [c.alias, c.findings])).toEqual([
      ['alias/b', []],
      ['alias/a', []],
    ])
    expect([kms.aliases.get('alias/a'), kms.aliases.get('alias/b')]).toEqual([k1.keyId, k2.keyId])
  })
})

describe('issue 19 item 22: apply does not report a not-attempted entry\'s plan-time state as known', () => {
  // Failed before the fix: alias/b, never reached, reported its plan-time key with stateKnown: true.
  it('a run stopped by a failure: the entries it never reached say stateKnown: false', async () => {
    const k1 = key()
    const k2 = key()
    const kms = new FakeKms({
      keys: [k1, k2],
      aliases: { 'alias/a': k1.keyId, 'alias/b': k1.keyId, 'alias/keep': k1.keyId },
      failures: { UpdateAlias: { error: new ConflictError('UpdateAlias refused', 'x'), applied: false } },
    })
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, `alias/a ${k2.keyId}\nalias/b ${k2.keyId}\n`)
    const r = await run(['apply', path, '--yes', '--json'], { kms })
    expect(r.code).toBe(5)
    const changes = JSON.parse(r.stdout).changes as { alias: string; status: string; stateKnown: boolean; nowKeyId: string | null }[]
    expect(changes.map((c) => [c.alias, c.status, c.stateKnown, c.nowKeyId])).toEqual([
      ['alias/a', 'failed', true, k1.keyId],
      ['alias/b', 'not-attempted', false, null],
    ])
  })
})

describe('the planner: a read that fails while another is still awaited', () => {
  // Failed before the fix (found by the moto e2e test "exits 4 for a missing key"): the target's
  // NotFound arrived while the planner awaited the alias's DescribeKey, had no handler yet, and
  // Node ended the process on the unhandled rejection (exit 1, internal error).
  it('update: the target answers NotFound before the alias is described: exit 4, not a crash', async () => {
    const old = key()
    const kms = new FakeKms({ keys: [old], aliases: { 'alias/app': old.keyId } })
    const describe = kms.describeKey.bind(kms)
    kms.describeKey = async (ref) => {
      // The alias answers after the event loop has turned once more, so the target's failure comes first.
      if (ref === 'alias/app') await new Promise((resolve) => setImmediate(resolve))
      return describe(ref)
    }
    const missing = '99999999-9999-4999-8999-999999999999'
    const r = await run(['update', 'alias/app', '--to', missing, '--yes'], { kms })
    expect(r.stderr).toBe(`error: --to ${missing} not found in us-east-1\n`)
    expect(r.code).toBe(4)
  })
})
