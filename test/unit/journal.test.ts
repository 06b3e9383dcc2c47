import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { appendJournal, journalPath, readJournal, type JournalIntent, type JournalOutcome } from '../../src/engine/journal.js'

const dir = () => mkdtempSync(join(tmpdir(), 'kms-alias-journal-test-'))
const entry = (id: string, alias = 'alias/app'): JournalIntent => ({
  type: 'intent',
  id,
  time: '2026-11-29T00:00:00.000Z',
  account: '111122223333',
  region: 'us-east-1',
  alias,
  action: 'update',
  previousKeyId: 'k1',
  newKeyId: 'k2',
  command: 'update',
  reverts: null,
  runId: null,
  toolVersion: '0.1.0',
})

describe('journalPath', () => {
  it.each([
    ['--no-journal wins over everything', false, { KMS_ALIAS_JOURNAL: '/j' }, 'linux', null],
    ['--journal wins over the environment', '/flag.jsonl', { KMS_ALIAS_JOURNAL: '/env.jsonl' }, 'linux', '/flag.jsonl'],
    ['KMS_ALIAS_JOURNAL', undefined, { KMS_ALIAS_JOURNAL: '/env.jsonl', HOME: '/home/u' }, 'linux', '/env.jsonl'],
    ['XDG_STATE_HOME', undefined, { XDG_STATE_HOME: '/state', HOME: '/home/u' }, 'linux', '/state/kms-alias/journal.jsonl'],
    ['HOME on Linux', undefined, { HOME: '/home/u' }, 'linux', '/home/u/.local/state/kms-alias/journal.jsonl'],
    ['HOME on macOS', undefined, { HOME: '/Users/u' }, 'darwin', '/Users/u/Library/Application Support/kms-alias/journal.jsonl'],
    ['nothing to go on', undefined, {}, 'linux', null],
  ] as const)('%s', (_name, flag, env, platform, expected) => {
    expect(journalPath(flag, env, platform)).toBe(expected)
  })
})

describe('appendJournal / readJournal', () => {
  it('appends whole lines and reads them back in order', async () => {
    const path = join(dir(), 'nested', 'journal.jsonl')
    await appendJournal(path, [entry('a'), entry('b')])
    await appendJournal(path, [entry('c')])
    expect((await readJournal(path)).entries.map((e) => e.id)).toEqual(['a', 'b', 'c'])
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4)
  })

  it('a missing journal is empty', async () => {
    expect(await readJournal(join(dir(), 'none.jsonl'))).toEqual({ entries: [], skipped: 0, invalid: [] })
  })

  it('skips a torn line on read and seals it off on the next write', async () => {
    const path = join(dir(), 'journal.jsonl')
    writeFileSync(path, `${JSON.stringify(entry('a'))}\n{"id":"torn","ali`)
    await appendJournal(path, [entry('b')])
    expect(await readJournal(path)).toMatchObject({ entries: [{ id: 'a' }, { id: 'b' }], skipped: 1 })
  })

  it('fails (for the caller to warn) when the path cannot be written', async () => {
    const file = join(dir(), 'a-file')
    writeFileSync(file, 'x')
    await expect(appendJournal(join(file, 'journal.jsonl'), [entry('a')])).rejects.toThrow(/ENOTDIR|EEXIST/)
  })

  it('keeps every line whole when several processes append at once', async () => {
    const path = join(dir(), 'journal.jsonl')
    // dist/ is one bundle now: the writers get src/engine/journal.ts bundled on its own.
    const module = join(dir(), 'journal.mjs')
    await build({ entryPoints: [fileURLToPath(new URL('../../src/engine/journal.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: module, logLevel: 'silent' })
    const writer = `
      const { appendJournal } = await import(${JSON.stringify(module)})
      const [path, who] = process.argv.slice(1)
      for (let i = 0; i < 25; i++) {
        await appendJournal(path, [{ ...${JSON.stringify(entry('x'))}, id: who + '-' + i, command: 'y'.repeat(3000) }])
      }`
    await Promise.all(['p1', 'p2', 'p3', 'p4'].map((who) => promisify(execFile)(process.execPath, ['--input-type=module', '-e', writer, path, who])))
    const read = await readJournal(path)
    expect(read.skipped).toBe(0)
    expect(read.entries).toHaveLength(100)
    expect(new Set(read.entries.map((e) => e.id)).size).toBe(100)
  })

  // O_APPEND writes of one line are whole on Linux anyway, so the test above passes without the
  // lock (tried); this one fails without it (tried: the append then lands at once).
  it('an append waits while another live run holds the journal lock', async () => {
    const path = join(dir(), 'journal.jsonl')
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, token: 'another-run', created: Date.now() }))
    let done = false
    const appending = appendJournal(path, [entry('a')]).then(() => (done = true))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(done).toBe(false)
    expect(existsSync(path)).toBe(false)
    rmSync(`${path}.lock`)
    await appending
    expect((await readJournal(path)).entries.map((e) => e.id)).toEqual(['a'])
  })
})

describe('write-ahead lines folded by id', () => {
  const outcome = (id: string, changed: boolean | null, verified = false): JournalOutcome => ({ type: 'outcome', id, time: '2026-11-29T00:00:01.000Z', changed, verified })
  const write = (lines: unknown[]) => {
    const path = join(dir(), 'journal.jsonl')
    writeFileSync(path, lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join(''))
    return path
  }

  it.each([
    ['an intent with no outcome (killed after the send) is unknown', [entry('a')], { changed: null, certain: false, verified: false }],
    ['an outcome that it changed makes it certain', [entry('a'), outcome('a', true)], { changed: true, certain: true, verified: false }],
    ['a later verified outcome marks it verified', [entry('a'), outcome('a', true), outcome('a', true, true)], { changed: true, certain: true, verified: true }],
    ['an unclear outcome stays unknown', [entry('a'), outcome('a', null)], { changed: null, certain: false, verified: false }],
  ] as const)('%s', async (_name, lines, expected) => {
    const { entries } = await readJournal(write([...lines]))
    expect(entries).toEqual([{ ...omitType(entry('a')), ...expected }])
  })

  it('leaves out a change known not to have been made', async () => {
    expect((await readJournal(write([entry('a'), outcome('a', false), entry('b')]))).entries.map((e) => e.id)).toEqual(['b'])
  })

  it('reads whole entries written before the journal was write-ahead', async () => {
    const legacy = { ...omitType(entry('old')), verified: true, certain: true }
    delete (legacy as Partial<typeof legacy>).runId
    const { entries } = await readJournal(write([legacy]))
    expect(entries).toEqual([{ ...omitType(entry('old')), changed: true, verified: true, certain: true }])
  })

  it.each([
    ['an unknown action', { action: 'rename' }, 'unknown action "rename"'],
    ['no Region', { region: '' }, 'no Region'],
    ['no previous key on an update', { previousKeyId: null }, 'no previousKeyId'],
    ['no new key on a create', { action: 'create', newKeyId: null }, 'no newKeyId'],
    ['no alias', { alias: 7 }, 'no alias name'],
  ])('skips and reports an entry with %s', async (_name, change, reason) => {
    const read = await readJournal(write([entry('good'), { ...entry('bad'), ...change }]))
    expect(read.entries.map((e) => e.id)).toEqual(['good'])
    expect(read.invalid).toEqual([{ id: 'bad', reason, after: 'good' }])
  })
})

function omitType(line: JournalIntent): Omit<JournalIntent, 'type'> {
  const { type: _type, ...rest } = line
  return rest
}

describe('journal directories', () => {
  it('creates missing parent directories', async () => {
    const path = join(dir(), 'a', 'b', 'c', 'journal.jsonl')
    await appendJournal(path, [entry('a')])
    expect((await readJournal(path)).entries).toHaveLength(1)
  })

  // Node's recursive mkdir never settles here; a hang shows as this test's timeout.
  it('fails under /proc instead of hanging', async () => {
    await expect(appendJournal('/proc/kms-alias-test/journal.jsonl', [entry('a')])).rejects.toThrow(/ENOENT/)
  })
})
