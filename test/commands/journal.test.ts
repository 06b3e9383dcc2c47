import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FakeKms, key, throttled } from '../helpers/fakeKms.js'
import { journalOf, line, run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

function world() {
  const a = key()
  const b = key()
  const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId, 'alias/keep': a.keyId } })
  return { a, b, kms }
}

describe('journal lines from each mutating command', () => {
  it('update, create and delete each append one line; dry runs and refusals append none', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    const opts = { kms, journal }
    await run(['update', 'alias/app', '--to', b.keyId, '--dry-run'], opts)
    await run(['create', 'alias/aws/x', '--to', b.keyId], opts)
    expect(await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })).toEqual([])
    await run(['update', 'alias/app', '--to', b.keyId], opts)
    await run(['create', 'alias/new', '--to', a.keyId], opts)
    await run(['delete', 'alias/keep', '--yes'], opts)
    const entries = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    expect(entries.map((e) => [e.command, e.action, e.alias, e.previousKeyId, e.newKeyId, e.verified, e.certain])).toEqual([
      ['update', 'update', 'alias/app', a.keyId, b.keyId, true, true],
      ['create', 'create', 'alias/new', null, a.keyId, true, true],
      ['delete', 'delete', 'alias/keep', a.keyId, null, true, true],
    ])
    expect(new Set(entries.map((e) => e.id)).size).toBe(3)
  })

  it('a change whose outcome is unknown is journaled as uncertain', async () => {
    const { b, kms } = world()
    kms.updateAlias = async (name, target) => {
      kms.calls.push(`UpdateAlias ${name} ${target}`)
      throw throttled()
    }
    // The re-read after the failed UpdateAlias fails too: nobody can tell whether it was applied.
    const describe = kms.describeKey.bind(kms)
    kms.describeKey = async (ref) => {
      if (kms.mutations().length > 0) throw throttled('DescribeKey')
      return describe(ref)
    }
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms })
    expect(r.code).toBe(8)
    expect((await journalOf(r.ctx)).map((e) => [e.certain, e.verified, e.newKeyId])).toEqual([[false, false, b.keyId]])
  })

  it('--no-journal writes nothing', async () => {
    const { b, kms } = world()
    const r = await run(['update', 'alias/app', '--to', b.keyId, '--no-journal', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).journalId).toBeNull()
    expect(await journalOf(r.ctx)).toEqual([])
  })

  // Failed before the fix (issue 19.16): the change went through with exit 0 and only a warning.
  // (A directory as the journal is refused before any call since: test/commands/journalLocation.test.ts.)
  it.each([['ENOTDIR', (file: string) => join(file, 'journal.jsonl'), 'ENOTDIR: not a directory, open']])('a journal that cannot be written (%s) keeps the change from being made: exit 7 naming the path and the cause', async (_code, pathOf, cause) => {
    const { a, b, kms } = world()
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'file')
    writeFileSync(file, '')
    const journal = pathOf(file)
    const r = await run(['update', 'alias/app', '--to', b.keyId, '--journal', journal, '--json'], { kms })
    expect(r.code).toBe(7)
    expect(r.stderr.split('\n')[0]).toContain(`error: cannot write the journal ${journal}: ${cause}`)
    expect(r.stderr).toMatch(/; nothing was changed\nhint: free space or fix the permissions, pass --journal <path> to record elsewhere, or --no-journal to change without a record\n$/)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'failed', changed: false, journalId: null, exitCode: 7 })
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
    // --no-journal is the way to change without a record.
    const anyway = await run(['update', 'alias/app', '--to', b.keyId, '--journal', journal, '--no-journal'], { kms })
    expect(anyway.code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)
  })

  // Failed before the fix: with no journal location the change went ahead after a warning.
  it('no journal location (no HOME, XDG_STATE_HOME or KMS_ALIAS_JOURNAL) is exit 7 and no change, unless --no-journal', async () => {
    const { a, b, kms } = world()
    const env = { KMS_ALIAS_JOURNAL: undefined, XDG_STATE_HOME: undefined, HOME: undefined, TMPDIR: mkdtempSync(join(tmpdir(), 'kms-alias-tmp-')) }
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, env })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain(
      'error: there is no journal location, so the change cannot be recorded; nothing was changed\nhint: free space or fix the permissions, pass --journal <path> to record elsewhere, or --no-journal to change without a record\n',
    )
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
    expect((await run(['update', 'alias/app', '--to', b.keyId, '--no-journal'], { kms, env })).code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)
  })

  // Failed before the fix (issue 19.12): an empty --journal silently meant the default location.
  it("--journal '' is a usage error (exit 2) for history and for a change, which is not made", async () => {
    const { a, b, kms } = world()
    expect(await run(['history', '--journal', ''])).toMatchObject({
      code: 2,
      stderr: 'error: --journal needs a path\nhint: pass --journal <path>, or --no-journal to record nothing\n',
    })
    const r = await run(['update', 'alias/app', '--to', b.keyId, '--journal', ''], { kms })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('error: --journal needs a path\n')
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })

  // Failed before the fix (issue 19.12): "abc" fell back to 30 seconds without a word.
  it.each(['abc', '', '-1'])('KMS_ALIAS_LOCK_WAIT=%j is a usage error (exit 2) and nothing is changed', async (value) => {
    const { a, b, kms } = world()
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, env: { KMS_ALIAS_LOCK_WAIT: value } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`error: KMS_ALIAS_LOCK_WAIT=${JSON.stringify(value)} is not a number of seconds\nhint: set it to a number of seconds such as 30 or 0.5, or unset it\n`)
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })
})

describe('KMS_ALIAS_LOCK_WAIT is checked before any call', () => {
  // Failed before (found in review): the value was read at the first write, so a dry run accepted
  // it silently, and rotate --yes had created (and disabled) a billed key before refusing.
  it.each([
    ['update --dry-run', ['update', 'alias/app', '--to', 'placeholder', '--dry-run']],
    ['rotate --yes', ['rotate', 'alias/app', '--yes']],
  ])('%s: exit 2 and no KMS call at all', async (_name, args) => {
    const { a, b, kms } = world()
    const argv = args.map((w) => (w === 'placeholder' ? b.keyId : w))
    const r = await run(argv, { kms, env: { KMS_ALIAS_LOCK_WAIT: 'abc' } })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('error: KMS_ALIAS_LOCK_WAIT="abc" is not a number of seconds\nhint: set it to a number of seconds such as 30 or 0.5, or unset it\n')
    expect(kms.calls).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })
})

describe('rotate checks the journal before it creates a key', () => {
  // Failed before (found in review): rotate created the new key, then the move's write refused for
  // want of a journal (exit 7), leaving a disabled key that is billed until it is deleted.
  // Since the journal location is checked before any call, a directory is exit 2 (usage), not 7.
  it('a directory as the journal: exit 2, no key created, the alias unchanged', async () => {
    const { a, kms } = world()
    const journal = mkdtempSync(join(tmpdir(), 'kms-alias-journal-dir-'))
    const r = await run(['rotate', 'alias/app', '--yes'], { kms, journal })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`error: the journal ${journal} is a directory, not a regular file;`)
    expect(kms.calls.filter((c) => /^(CreateKey|UpdateAlias|DisableKey)/.test(c))).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })
})

describe('history', () => {
  it('prints the journal newest first, filtered by alias', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    await run(['update', 'alias/keep', '--to', b.keyId], { kms, journal })
    const all = await run(['history', '--json'], { journal })
    expect(JSON.parse(all.stdout).map((e: { alias: string }) => e.alias)).toEqual(['alias/keep', 'alias/app'])
    const one = await run(['history', 'alias/app'], { journal })
    const [entry] = JSON.parse((await run(['history', 'alias/app', '--json'], { journal })).stdout)
    expect(one.stdout).toBe(line(entry.id, entry.time, 'update', 'alias/app', a.keyId, b.keyId, 'true', 'us-east-1', 'update'))
  })

  it('an empty journal is not an error', async () => {
    expect(await run(['history', '--json'])).toMatchObject({ code: 0, stdout: '[]\n' })
    expect(await run(['history'], { tty: true })).toMatchObject({ code: 0, stdout: '', stderr: 'No changes in the journal.\n' })
  })
})

describe('undo', () => {
  it('reverts an update, guarded by where the change left the alias; the undo is journaled', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    const r = await run(['undo', '--last', '--json'], { kms, journal })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'update', outcome: 'updated', previous: { keyId: b.keyId }, target: { keyId: a.keyId } })
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
    const entries = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    expect(entries.map((e) => [e.command, e.reverts])).toEqual([
      ['update', null],
      ['undo', entries[0]!.id],
    ])
  })

  it('refuses with exit 5 when the alias changed after the recorded change', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    const third = key()
    kms.keys.set(third.keyId, third)
    kms.aliases.set('alias/app', third.keyId)
    const r = await run(['undo', entry!.id], { kms, journal })
    expect(r.code).toBe(5)
    expect(kms.aliases.get('alias/app')).toBe(third.keyId)
    expect(kms.mutations()).toEqual([`UpdateAlias alias/app ${b.keyId}`])
    expect(a.keyId).not.toBe(third.keyId)
  })

  it('reverts a create by deleting (only while it points to the key it was created on)', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    await run(['create', 'alias/new', '--to', a.keyId], { kms, journal })
    kms.aliases.set('alias/new', b.keyId)
    expect((await run(['undo', '--last', '--yes'], { kms, journal })).code).toBe(5)
    expect(kms.aliases.get('alias/new')).toBe(b.keyId)
    kms.aliases.set('alias/new', a.keyId)
    expect((await run(['undo', '--last', '--yes'], { kms, journal })).code).toBe(0)
    expect(kms.aliases.has('alias/new')).toBe(false)
  })

  it('reverts a delete by recreating (exit 5 if the alias exists again on another key)', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    await run(['delete', 'alias/keep', '--yes'], { kms, journal })
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    expect((await run(['undo', entry!.id], { kms, journal })).code).toBe(0)
    expect(kms.aliases.get('alias/keep')).toBe(a.keyId)
    // Back where the undo puts it: nothing to do (create is idempotent), exit 0, no journal line.
    expect(await run(['undo', entry!.id], { kms, journal })).toMatchObject({
      code: 0,
      stdout: line('already-in-place', 'alias/keep', '-', a.keyId, 'false', 'true'),
    })
    kms.aliases.set('alias/keep', b.keyId)
    expect((await run(['undo', entry!.id], { kms, journal })).code).toBe(5)
    expect(kms.aliases.get('alias/keep')).toBe(b.keyId)
  })

  it('usage errors: neither or both of id and --last (2); an unknown id (4); another --region (2)', async () => {
    const { b, kms } = world()
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    expect((await run(['undo'], { kms, journal })).stderr).toBe(
      'error: give one of a journal id, --last or --run <runId>\nhint: kms-alias history lists the ids\n',
    )
    expect((await run(['undo', 'abc', '--last'], { kms, journal })).code).toBe(2)
    expect(await run(['undo', 'deadbeef'], { kms, journal })).toMatchObject({
      code: 4,
      stderr: 'error: no journal entry deadbeef\nhint: kms-alias history lists the ids\n',
    })
    expect((await run(['undo', '--last', '--region', 'eu-west-1'], { kms, journal })).code).toBe(2)
  })
})

describe('the write-ahead journal (fake port)', () => {
  it('writes the intent before the mutating call goes out, then the outcome and the confirmation', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    let linesWhenSent = ''
    const update = kms.updateAlias.bind(kms)
    kms.updateAlias = async (name, keyId) => {
      linesWhenSent = readFileSync(journal, 'utf8')
      return update(name, keyId)
    }
    expect((await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })).code).toBe(0)
    const sent = linesWhenSent
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(sent).toEqual([expect.objectContaining({ type: 'intent', alias: 'alias/app', previousKeyId: a.keyId, newKeyId: b.keyId })])
    const all = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(all.map((l) => [l.type, l.id, l.changed, l.verified])).toEqual([
      ['intent', sent[0].id, undefined, undefined],
      ['outcome', sent[0].id, true, false],
      ['outcome', sent[0].id, true, true],
    ])
  })

  it('a guard conflict sends nothing and journals nothing', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    const c = key()
    kms.keys.set(c.keyId, c)
    // The prompt stands for any wait between the plan and the write: someone moves the alias meanwhile.
    const r = await run(['update', 'alias/app', '--to', b.keyId], {
      kms,
      journal,
      tty: true,
      env: { NO_COLOR: '1' },
      answers: ['y'],
      onPrompt: () => kms.aliases.set('alias/app', c.keyId),
    })
    expect(r.code).toBe(5)
    expect(r.stderr).toContain(
      `error: alias/app points to ${c.keyId}, but when this run planned the change it pointed to ${a.keyId}: another writer changed it; nothing was changed\n`,
    )
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(c.keyId)
    expect(existsSync(journal)).toBe(false)
  })
})

describe('undo of entries it cannot read whole', () => {
  const intent = (fields: Record<string, unknown>) =>
    JSON.stringify({
      type: 'intent',
      id: 'e1',
      time: '2026-11-29T00:00:00.000Z',
      account: null,
      region: 'us-east-1',
      alias: 'alias/app',
      action: 'update',
      previousKeyId: 'k1',
      newKeyId: 'k2',
      command: 'update',
      reverts: null,
      runId: null,
      toolVersion: '0',
      ...fields,
    })

  it.each([
    ['an unknown action', { action: 'rename' }, 'unknown action "rename"'],
    ['no Region', { region: null }, 'no Region'],
    ['no key ID', { previousKeyId: '' }, 'no previousKeyId'],
  ])('refuses %s by name (exit 2), by id and with --last; history skips it with a warning', async (_name, fields, reason) => {
    const { kms } = world()
    const journal = defaultJournal()
    writeFileSync(journal, `${intent(fields)}\n`)
    const refusal = `error: journal entry e1 cannot be undone: ${reason}\nhint: revert it by hand with kms-alias update, create or delete\n`
    const byId = await run(['undo', 'e1'], { kms, journal })
    expect(byId.code).toBe(2)
    expect(byId.stderr).toBe(`warning: skipped journal entry e1 of ${journal}: ${reason}\n${refusal}`)
    // --last reads from the end and stops at the entry, so it names it once, in the refusal.
    const last = await run(['undo', '--last'], { kms, journal })
    expect(last.code).toBe(2)
    expect(last.stderr).toBe(refusal)
    const history = await run(['history', '--json'], { kms, journal })
    expect(history.code).toBe(0)
    expect(history.stdout).toBe('[]\n')
    expect(history.stderr).toBe(`warning: skipped journal entry e1 of ${journal}: ${reason}\n`)
    expect(kms.mutations()).toEqual([])
  })
})

describe('undo --last steps back', () => {
  it('a second undo --last reverts the change before, not the undo', async () => {
    const { a, b, kms } = world()
    const c = key()
    kms.keys.set(c.keyId, c)
    const journal = defaultJournal()
    expect((await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })).code).toBe(0)
    expect((await run(['update', 'alias/app', '--to', c.keyId], { kms, journal })).code).toBe(0)
    expect((await run(['undo', '--last'], { kms, journal })).code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)
    expect((await run(['undo', '--last'], { kms, journal })).code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
    const third = await run(['undo', '--last'], { kms, journal })
    expect(third.code).toBe(4)
    expect(third.stderr).toBe('error: the journal has no change left to undo\nhint: kms-alias history lists the ids\n')
  })
})

describe('undo --run and history --run (fake port)', () => {
  function applied() {
    const k1 = key()
    const k2 = key()
    const kms = new FakeKms({ keys: [k1, k2], aliases: { 'alias/a': k1.keyId, 'alias/c': k1.keyId, 'alias/keep': k1.keyId } })
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(path, `alias/a ${k2.keyId}\nalias/b ${k2.keyId}\nalias/c ${k2.keyId}\n`)
    return { k1, k2, kms, path, journal: defaultJournal() }
  }

  it('reverts every change of an apply run, newest first, each guarded and journaled under one new runId', async () => {
    const { k1, k2, kms, path, journal } = applied()
    const apply = await run(['apply', path, '--json'], { kms, journal })
    expect(apply.code).toBe(0)
    const runId = JSON.parse(apply.stdout).runId as string
    const history = await run(['history', '--run', runId, '--json'], { kms, journal })
    expect(JSON.parse(history.stdout).map((e: { alias: string }) => e.alias)).toEqual(['alias/c', 'alias/b', 'alias/a'])
    const before = kms.mutations().length

    const r = await run(['undo', '--run', runId, '--yes', '--json'], { kms, journal })
    expect(r.code).toBe(0)
    expect(kms.mutations().slice(before)).toEqual([`UpdateAlias alias/c ${k1.keyId}`, 'DeleteAlias alias/b', `UpdateAlias alias/a ${k1.keyId}`])
    expect([kms.aliases.get('alias/a'), kms.aliases.get('alias/b'), kms.aliases.get('alias/c')]).toEqual([k1.keyId, undefined, k1.keyId])
    const doc = JSON.parse(r.stdout)
    expect(
      doc.changes.map((c: { alias: string; action: string; fromKeyId: string; toKeyId: string | null; outcome: string }) => [
        c.alias,
        c.action,
        c.fromKeyId,
        c.toKeyId,
        c.outcome,
      ]),
    ).toEqual([
      ['alias/c', 'update', k2.keyId, k1.keyId, 'reverted'],
      ['alias/b', 'delete', k2.keyId, null, 'reverted'],
      ['alias/a', 'update', k2.keyId, k1.keyId, 'reverted'],
    ])
    const undos = (await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })).filter((e) => e.command === 'undo')
    expect(new Set(undos.map((e) => e.runId))).toEqual(new Set([doc.undoRunId]))
    expect(undos.map((e) => [e.alias, e.verified])).toEqual([
      ['alias/c', true],
      ['alias/b', true],
      ['alias/a', true],
    ])
    // Done once: a second undo of the same run has nothing left.
    const again = await run(['undo', '--run', runId], { kms, journal })
    expect(again.code).toBe(4)
    expect(again.stderr).toBe(`error: run ${runId} has no change left to undo\nhint: kms-alias history --run shows what it did\n`)
  })

  it('all or nothing: one alias moved since the run means nothing is reverted (exit 5)', async () => {
    const { k1, kms, path, journal } = applied()
    const runId = JSON.parse((await run(['apply', path, '--json'], { kms, journal })).stdout).runId as string
    const other = key()
    kms.keys.set(other.keyId, other)
    kms.aliases.set('alias/a', other.keyId)
    const before = kms.mutations().length
    const r = await run(['undo', '--run', runId, '--yes', '--json'], { kms, journal })
    expect(r.code).toBe(5)
    expect(kms.mutations().slice(before)).toEqual([])
    const doc = JSON.parse(r.stdout)
    expect(doc.changes.map((c: { alias: string; outcome: string }) => `${c.alias} ${c.outcome}`)).toEqual([
      'alias/c not-attempted',
      'alias/b not-attempted',
      'alias/a conflict',
    ])
    expect(doc.error.message).toBe(`alias/a changed since run ${runId}; nothing was undone`)
    expect(kms.aliases.get('alias/c')).not.toBe(k1.keyId)
  })

  it('--dry-run plans and changes nothing; an unknown run is exit 4; --run with an id is exit 2', async () => {
    const { kms, path, journal } = applied()
    const runId = JSON.parse((await run(['apply', path, '--json'], { kms, journal })).stdout).runId as string
    const before = kms.mutations().length
    const dry = await run(['undo', '--run', runId, '--dry-run'], { kms, journal })
    expect(dry.code).toBe(0)
    expect(
      dry.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(['would-revert', 'would-revert', 'would-revert'])
    expect(kms.mutations().length).toBe(before)
    expect((await run(['undo', '--run', 'run-00000000'], { kms, journal })).code).toBe(4)
    const both = await run(['undo', 'abcd1234', '--run', runId], { kms, journal })
    expect(both.code).toBe(2)
    expect(both.stderr).toBe('error: give one of a journal id, --last or --run <runId>\nhint: kms-alias history lists the ids\n')
  })
})

describe('history --limit and --since, and who made each entry (issue 19.9)', () => {
  const at = (id: string, time: string, fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      type: 'intent',
      id,
      time,
      account: null,
      region: 'us-east-1',
      alias: 'alias/app',
      action: 'update',
      previousKeyId: 'k1',
      newKeyId: 'k2',
      command: 'update',
      reverts: null,
      runId: null,
      toolVersion: '0',
      ...fields,
    })
  const journalWith = () => {
    const journal = defaultJournal()
    const lines = [
      at('e1', '2026-11-20T00:00:00.000Z'),
      at('e2', '2026-11-27T00:00:00.000Z'),
      at('e3', '2026-11-28T12:00:00.000Z'),
      at('e4', '2026-11-28T23:30:00.000Z', { command: 'undo', reverts: 'e3', previousKeyId: 'k2', newKeyId: 'k1' }),
    ]
    writeFileSync(journal, `${lines.join('\n')}\n`)
    return journal
  }
  const ids = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])

  // Each failed before the fix: the options did not exist (exit 2, unknown option).
  it.each([
    ['--limit 2: the newest two', ['--limit', '2'], ['e4', 'e3']],
    ['--limit larger than the journal', ['--limit', '10'], ['e4', 'e3', 'e2', 'e1']],
    ['--since 2d (the clock is 2026-11-29T00:00Z)', ['--since', '2d'], ['e4', 'e3', 'e2']],
    ['--since 1h', ['--since', '1h'], ['e4']],
    ['--since a date', ['--since', '2026-11-27'], ['e4', 'e3', 'e2']],
    ['--since a time', ['--since', '2026-11-28T12:00:00Z'], ['e4', 'e3']],
    ['--since and --limit together', ['--since', '7d', '--limit', '1'], ['e4']],
  ])('%s', async (_name, args, expected) => {
    const r = await run(['history', ...args], { journal: journalWith() })
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(ids(r.stdout)).toEqual(expected)
  })

  it.each([
    [['--limit', '0'], '--limit 0 is not a whole number of entries of at least 1', 'for example --limit 20'],
    [['--limit', 'x'], '--limit x is not a whole number of entries of at least 1', 'for example --limit 20'],
    [
      ['--since', 'yesterday'],
      '--since yesterday is neither a duration nor a date',
      'for example --since 12h, --since 7d, --since 2026-11-29 or --since 2026-11-29T08:00:00Z',
    ],
  ])('refuses %j (exit 2)', async (args, message, hint) => {
    expect(await run(['history', ...args], { journal: journalWith() })).toMatchObject({ code: 2, stdout: '', stderr: `error: ${message}\nhint: ${hint}\n` })
  })

  // Failed before the fix: the text view had no "by" column (the table had).
  it('the text view ends each line with who made it: the command, or "undo of <id>"', async () => {
    const r = await run(['history', '--limit', '2'], { journal: journalWith() })
    expect(r.stdout).toBe(
      line('e4', '2026-11-28T23:30:00.000Z', 'update', 'alias/app', 'k2', 'k1', 'false', 'us-east-1', 'undo of e3') +
        line('e3', '2026-11-28T12:00:00.000Z', 'update', 'alias/app', 'k1', 'k2', 'false', 'us-east-1', 'update'),
    )
  })

  // Failed before the fix (issue 19.12): the warning held the whole 50 MB field.
  it("a forged entry's huge field is cut in the warning", async () => {
    const journal = defaultJournal()
    writeFileSync(journal, `${at('e1', '2026-11-28T00:00:00.000Z', { action: 'x'.repeat(50_000_000) })}\n`)
    const r = await run(['history'], { journal })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(`warning: skipped journal entry e1 of ${journal}: unknown action "${'x'.repeat(63)}… (50000002 characters)\n`)
  })
})

describe('the journal file and the state directories (issue 19.8, 15, 17, 18)', () => {
  // Failed before the fix: history waited on the FIFO for ever (this test timed out).
  it('a FIFO as the journal: history and a change are refused with exit 2, and nothing is changed', async () => {
    const { a, b, kms } = world()
    const fifo = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'journal.jsonl')
    execFileSync('mkfifo', [fifo])
    const refusal = `error: the journal ${fifo} is a FIFO, not a regular file; kms-alias reads and appends only a regular file\nhint: pass --journal <path> naming a regular file, or a path that does not exist yet\n`
    expect(await run(['history'], { journal: fifo })).toMatchObject({ code: 2, stdout: '', stderr: refusal })
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, journal: fifo })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(refusal)
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })

  // Failed before the fix: the intent was appended to the link's target and the change made.
  it('a symbolic link as the journal is not followed: the change is refused (exit 2) and the target untouched', async () => {
    const { a, b, kms } = world()
    const folder = mkdtempSync(join(tmpdir(), 'kms-alias-'))
    const target = join(folder, 'elsewhere')
    writeFileSync(target, '')
    const link = join(folder, 'journal.jsonl')
    symlinkSync(target, link)
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, journal: link })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`error: the journal ${link} is a symbolic link, not a regular file;`)
    expect(readFileSync(target, 'utf8')).toBe('')
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })

  // Failed before the fix: the planted directory was used (exit 0 as root; exit 1, "internal error", as another user).
  it('a lock directory another user owns is refused with exit 7 and a clear error; nothing is changed', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    const state = join(dirname(journal), 'kms-alias')
    mkdirSync(join(state, 'locks'), { recursive: true })
    chownSync(join(state, 'locks'), 4242, 4242)
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain(
      `error: ${join(state, 'locks')} belongs to another user (uid 4242), not to you (uid 0): kms-alias keeps its journal and locks only in a directory of your own\nhint: remove it if nobody else should have it, or set XDG_STATE_HOME to a directory of yours (KMS_ALIAS_JOURNAL moves only the journal)\n`,
    )
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })

  it('without HOME or XDG_STATE_HOME the locks live in a private directory of this user under TMPDIR', async () => {
    const { b, kms } = world()
    const tmp = mkdtempSync(join(tmpdir(), 'kms-alias-tmp-'))
    const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, env: { XDG_STATE_HOME: undefined, HOME: undefined, TMPDIR: tmp } })
    expect(r.code).toBe(0)
    expect(readdirSync(tmp)).toEqual(['kms-alias-0'])
    expect(statSync(join(tmp, 'kms-alias-0')).mode & 0o777).toBe(0o700)
    expect(statSync(join(tmp, 'kms-alias-0', 'locks')).mode & 0o777).toBe(0o700)
  })

  it('undo takes a unique prefix of an id, as git does', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    expect(entry?.id).toMatch(/^[0-9a-f]{16}$/)
    const r = await run(['undo', entry!.id.slice(0, 6)], { kms, journal })
    expect(r.code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })
})
