import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InterruptedError, UsageError } from '../../src/errors.js'
import {
  appendJournal,
  findJournalEntry,
  JournalFileError,
  newJournalId,
  readJournal,
  readLastUndoable,
  scanJournalNewestFirst,
  type JournalEntry,
  type JournalIntent,
  type JournalOutcome,
} from '../../src/engine/journal.js'
import { acquireLock, ensurePrivateDirectory } from '../../src/engine/lock.js'
import { historyJsonStream } from '../../src/output/historyView.js'

const dir = () => mkdtempSync(join(tmpdir(), 'kms-alias-reader-test-'))
const intent = (id: string, fields: Partial<JournalIntent> = {}): JournalIntent => ({
  type: 'intent',
  id,
  time: '2026-11-29T00:00:00.000Z',
  account: '111122223333',
  region: 'us-east-1',
  alias: 'alias/app',
  action: 'update',
  previousKeyId: 'k1',
  newKeyId: 'k2',
  command: 'update',
  reverts: null,
  runId: null,
  toolVersion: '0.1.0',
  ...fields,
})
const outcome = (id: string, changed: boolean | null, verified = false): JournalOutcome => ({ type: 'outcome', id, time: '2026-11-29T00:00:01.000Z', changed, verified })
const write = (lines: unknown[]) => {
  const path = join(dir(), 'journal.jsonl')
  writeFileSync(path, lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join(''))
  return path
}

describe('journal ids (issue 19.17)', () => {
  // Failed before the fix: ids were 4 random bytes (8 hex digits).
  it('are 64 random bits: 16 hex digits, no two alike in 10,000', () => {
    const ids = Array.from({ length: 10_000 }, newJournalId)
    expect(ids.every((id) => /^[0-9a-f]{16}$/.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(10_000)
  })

  // Failed before the fix: the second intent replaced the first, and `a`'s outcome was credited to it.
  it('two different entries that share an id are both refused, with their outcomes; the same line twice is one entry', async () => {
    const read = await readJournal(write([intent('dup'), outcome('dup', true), intent('ok'), intent('dup', { alias: 'alias/other' }), outcome('dup', true, true), intent('ok')]))
    expect(read.entries.map((e) => e.id)).toEqual(['ok'])
    const reason = 'another journal entry has the same id, so neither can be told apart'
    expect(read.invalid).toEqual([{ id: 'dup', reason, after: 'ok' }])
    // From the end, a shared id is seen among the lines read: here the newer `dup` is an undo, so the older one is reached.
    const fromEnd = await readLastUndoable(write([intent('x'), intent('dup'), intent('dup', { command: 'undo', reverts: 'x' })]))
    expect(fromEnd).toEqual({ invalid: { id: 'dup', reason, after: null } })
  })

  it.each([
    ['the full id', '3f9c01ab22d4e5f6', '3f9c01ab22d4e5f6'],
    ['a unique prefix', '3f9c01ab2', '3f9c01ab22d4e5f6'],
    ['an old 8-digit id in full, though a longer id starts with it', '3f9c01ab', '3f9c01ab'],
    ['too short a prefix (under 4 characters)', '3f9', undefined],
    ['no such id', 'ffff', undefined],
  ])('findJournalEntry takes %s', async (_name, ref, expected) => {
    const read = await readJournal(write([intent('3f9c01ab22d4e5f6'), intent('3f9c01ab'), intent('77aa01ab22d4e5f6')]))
    const found = findJournalEntry(read, ref)
    expect(found && 'entry' in found ? found.entry.id : undefined).toBe(expected)
  })

  it('findJournalEntry refuses an ambiguous prefix, naming the ids it starts', async () => {
    const read = await readJournal(write([intent('3f9c01ab22d4e5f6'), intent('3f9c77ab22d4e5f6')]))
    expect(() => findJournalEntry(read, '3f9c')).toThrow(UsageError)
    expect(() => findJournalEntry(read, '3f9c')).toThrow('journal id 3f9c is ambiguous: it starts 2 ids (3f9c01ab22d4e5f6, 3f9c77ab22d4e5f6)')
  })
})

describe('undo --last reads from the end (issue 19.19)', () => {
  it.each([
    ['the newest change', [intent('a'), outcome('a', true), intent('b'), outcome('b', true, true)], { entry: 'b', changed: true, verified: true }],
    ['past a change known not made', [intent('a'), outcome('a', true), intent('b'), outcome('b', false)], { entry: 'a', changed: true, verified: false }],
    ['past an undo and what it reverted', [intent('a'), intent('b'), intent('u', { command: 'undo', reverts: 'b' })], { entry: 'a', changed: null, verified: false }],
    ['the latest of several outcomes (unclear after changed)', [intent('a'), outcome('a', true), outcome('a', null)], { entry: 'a', changed: null, verified: false }],
    ['an intent with no outcome, as unknown', [intent('a')], { entry: 'a', changed: null, verified: false }],
    ['nothing when every change was reverted', [intent('a'), intent('u', { reverts: 'a', command: 'undo' })], {}],
    ['nothing in an empty journal', [], {}],
    ['an unreadable newest entry, refused by name', [intent('a'), intent('b', { action: 'rename' as never })], { invalid: 'b' }],
    ['a whole entry from before the write-ahead journal', [{ ...intent('old'), type: undefined, certain: true, verified: true }], { entry: 'old', changed: true, verified: true }],
  ])('finds %s, as the forward read does', async (_name, lines, expected) => {
    const path = write(lines)
    const last = await readLastUndoable(path)
    if ('entry' in expected) {
      expect(last.entry && { entry: last.entry.id, changed: last.entry.changed, verified: last.entry.verified }).toEqual(expected)
      // The same entry as the whole-journal fold gives.
      expect((await readJournal(path)).entries.find((e) => e.id === expected.entry)).toEqual(last.entry)
    } else if ('invalid' in expected) expect(last.invalid?.id).toBe(expected.invalid)
    else expect(last).toEqual({})
  })

  it('reads lines longer than its chunk and multi-byte text split across chunks whole', async () => {
    const long = 'é'.repeat(70_000) // 140 kB, so every chunk boundary falls inside it, some mid-character
    const path = write([intent('a', { command: long }), outcome('a', true), intent('b', { command: `x${long}` }), intent('u', { reverts: 'b', command: 'undo' })])
    const last = await readLastUndoable(path)
    expect(last.entry?.command).toBe(long)
    expect(last.entry?.changed).toBe(true)
    expect((await readJournal(path)).entries.map((e) => e.command.length)).toEqual([70_000, 70_001, 4])
  })

  // Checked: without the signal check between chunks, the read completes and this fails.
  it("stops between chunks when the run is signalled, with the signal's error", async () => {
    const path = write(Array.from({ length: 2_000 }, (_, i) => intent(`id-${i}`)))
    const stop = new AbortController()
    stop.abort(new InterruptedError('SIGTERM'))
    await expect(readJournal(path, { signal: stop.signal })).rejects.toMatchObject({ exitCode: 143 })
    await expect(readLastUndoable(path, { signal: stop.signal })).rejects.toMatchObject({ exitCode: 143 })
  })
})

describe('the journal file (issue 19.8, 19.18)', () => {
  // Failed before the fix: readFile on a FIFO waits for a writer for ever (this test timed out).
  it('a FIFO is refused at once, for reading and for appending', async () => {
    const fifo = join(dir(), 'journal.jsonl')
    execFileSync('mkfifo', [fifo])
    const refusal = new JournalFileError(fifo, 'a FIFO')
    expect(refusal.exitCode).toBe(2)
    await expect(readJournal(fifo)).rejects.toThrow(refusal)
    await expect(readLastUndoable(fifo)).rejects.toThrow(refusal)
    await expect(appendJournal(fifo, [intent('a')])).rejects.toThrow(refusal)
  })

  it('a directory is refused for reading', async () => {
    const path = dir()
    await expect(readJournal(path)).rejects.toThrow(new JournalFileError(path, 'a directory'))
  })

  // Failed before the fix: the append landed in the link's target.
  it('a symbolic link is not followed: refused for reading and appending, its target untouched', async () => {
    const target = write([intent('a')])
    const link = join(dir(), 'journal.jsonl')
    symlinkSync(target, link)
    const before = readFileSync(target, 'utf8')
    await expect(appendJournal(link, [intent('b')])).rejects.toThrow(new JournalFileError(link, 'a symbolic link'))
    await expect(readJournal(link)).rejects.toThrow(new JournalFileError(link, 'a symbolic link'))
    expect(readFileSync(target, 'utf8')).toBe(before)
  })

  // Failed before the fix: the journal was created with the umask's mode (0644), its directories 0755.
  it('a new journal is 0600 and the directories made for it 0700', async () => {
    const base = dir()
    const path = join(base, 'made', 'journal.jsonl')
    await appendJournal(path, [intent('a')])
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(base, 'made')).mode & 0o777).toBe(0o700)
    expect(statSync(`${path}.lock`, { throwIfNoEntry: false })).toBeUndefined()
  })

  it('an invalid entry is named with its text cut, however long the forged field', async () => {
    const read = await readJournal(write([intent('a'.repeat(5_000), { action: 'x'.repeat(1_000_000) as never })]))
    expect(read.invalid).toEqual([{ id: `${'a'.repeat(64)}… (5000 characters)`, reason: `unknown action "${'x'.repeat(63)}… (1000002 characters)`, after: null }])
  })
})

describe('private state directories and locks (issue 19.15)', () => {
  it('makes a missing directory 0700 and a loose one of the user 0700', async () => {
    const base = dir()
    await ensurePrivateDirectory(join(base, 'new'))
    expect(statSync(join(base, 'new')).mode & 0o777).toBe(0o700)
    mkdirSync(join(base, 'loose'), { mode: 0o755 })
    await ensurePrivateDirectory(join(base, 'loose'))
    expect(statSync(join(base, 'loose')).mode & 0o777).toBe(0o700)
  })

  // Failed before the fix: a lock directory another user made was used as it was.
  it('refuses a directory another user owns (exit 7), naming both users, and leaves it alone', async () => {
    const planted = join(dir(), 'kms-alias')
    mkdirSync(planted)
    chmodSync(planted, 0o777)
    chownSync(planted, 4242, 4242)
    const error = await ensurePrivateDirectory(planted, 1000).catch((e: unknown) => e)
    expect(error).toMatchObject({
      exitCode: 7,
      message: `${planted} belongs to another user (uid 4242), not to you (uid 1000): kms-alias keeps its journal and locks only in a directory of your own`,
    })
    expect(lstatSync(planted).mode & 0o777).toBe(0o777)
  })

  // Failed before the fix: a future `created` was never stale, so a planted lock blocked for good.
  it('a lock "from the future" whose pid is alive is taken over at once', async () => {
    const path = join(dir(), 'a.lock')
    writeFileSync(path, JSON.stringify({ pid: process.pid, token: 'planted', created: Date.now() + 86_400_000 }))
    const release = await acquireLock(path, { waitMs: 0, staleMs: 600_000 })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    await release()
  })
})

describe('scanJournalNewestFirst (issue 19.19: history streams the journal)', () => {
  const scan = async (path: string, stopAfter = Number.POSITIVE_INFINITY) => {
    const entries: JournalEntry[] = []
    const notes = await scanJournalNewestFirst(path, (e) => entries.push(e) < stopAfter)
    return { entries, ...notes }
  }

  // The forward fold is the reference: the scan must give the same entries (newest first), the same
  // unusable entries and the same count of foreign lines, for any mix of intents, outcomes, shared
  // ids, invalid intents, repeated lines and garbage.
  it('gives what readJournal gives, newest first, for any journal', async () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd')
    const line = fc.oneof(
      fc.record({ id, alias: fc.constantFrom('alias/app', 'alias/other') }).map(({ id, alias }) => intent(id, { alias })),
      fc.record({ id, changed: fc.constantFrom(true, false, null), verified: fc.boolean() }).map(({ id, changed, verified }) => outcome(id, changed, verified)),
      id.map((i) => intent(i, { action: 'explode' as JournalIntent['action'] })),
      fc.constant('not json'),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), async (lines) => {
        const path = write(lines)
        const forward = await readJournal(path)
        const backward = await scan(path)
        expect(backward.entries).toEqual([...forward.entries].reverse())
        expect(backward.skipped).toBe(forward.skipped)
        expect(backward.invalid).toEqual(forward.invalid)
      }),
      { numRuns: 1000 },
    )
  })

  it('stops when told to: only the newest entries are read', async () => {
    const path = write([intent('a'), outcome('a', true), intent('b'), outcome('b', true), intent('c'), outcome('c', true, true)])
    const { entries } = await scan(path, 2)
    expect(entries.map((e) => [e.id, e.changed, e.verified])).toEqual([
      ['c', true, true],
      ['b', true, false],
    ])
  })
})

describe('historyJsonStream', () => {
  it.each([0, 1, 3])('writes the text of JSON.stringify(entries, null, 2) for %i entries', async (count) => {
    const lines = Array.from({ length: count }, (_, i) => intent(`id${i}`, { alias: `alias/a${i}` }))
    const { entries } = await readJournal(write(lines))
    let text = ''
    const stream = historyJsonStream((t) => (text += t))
    for (const e of entries) stream.entry(e)
    stream.end()
    expect(text).toBe(`${JSON.stringify(entries, null, 2)}\n`)
  })
})
