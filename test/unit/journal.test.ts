import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { appendJournal, journalPath, readJournal, type JournalEntry } from '../../src/journal.js'

const dir = () => mkdtempSync(join(tmpdir(), 'kms-alias-journal-test-'))
const entry = (id: string, alias = 'alias/app'): JournalEntry => ({
  id,
  time: '2026-11-29T00:00:00.000Z',
  account: '111122223333',
  region: 'us-east-1',
  alias,
  action: 'update',
  previousKeyId: 'k1',
  newKeyId: 'k2',
  verified: true,
  certain: true,
  command: 'update',
  reverts: null,
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
    expect(await readJournal(join(dir(), 'none.jsonl'))).toEqual({ entries: [], skipped: 0 })
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
    // dist/ is one bundle now: the writers get src/journal.ts bundled on its own.
    const module = join(dir(), 'journal.mjs')
    await build({ entryPoints: [fileURLToPath(new URL('../../src/journal.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: module, logLevel: 'silent' })
    const writer = `
      const { appendJournal } = await import(${JSON.stringify(module)})
      const [path, who] = process.argv.slice(1)
      for (let i = 0; i < 25; i++) {
        await appendJournal(path, [{ id: who + '-' + i, alias: 'alias/' + 'x'.repeat(200), pad: 'y'.repeat(3000) }])
      }`
    await Promise.all(['p1', 'p2', 'p3', 'p4'].map((who) => promisify(execFile)(process.execPath, ['--input-type=module', '-e', writer, path, who])))
    const read = await readJournal(path)
    expect(read.skipped).toBe(0)
    expect(read.entries).toHaveLength(100)
    expect(new Set(read.entries.map((e) => e.id)).size).toBe(100)
  })
})

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
