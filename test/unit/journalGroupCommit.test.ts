import { mkdirSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

// Counts the journal's flushed writes without changing them.
const writes = vi.hoisted(() => ({ count: 0 }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  return {
    ...real,
    appendFile: (...args: Parameters<typeof real.appendFile>) => {
      writes.count += 1
      return real.appendFile(...args)
    },
  }
})

const { appendJournal, readJournal } = await import('../../src/engine/journal.js')

const intent = (id: string) =>
  ({
    type: 'intent',
    id,
    time: '2026-11-29T00:00:00.000Z',
    account: '111122223333',
    region: 'us-east-1',
    alias: `alias/${id}`,
    action: 'update',
    previousKeyId: 'k1',
    newKeyId: 'k2',
    command: 'apply',
    reverts: null,
    runId: 'run-1',
    toolVersion: '0.1.0',
  }) as const

describe('journal group commit (one process)', () => {
  // Checked: with each append taking the lock and writing on its own (the old appendJournal), this counts 40.
  it('40 appends made at once are written in one flushed write, every line whole and in order', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-group-')), 'journal.jsonl')
    writes.count = 0
    const ids = Array.from({ length: 40 }, (_, i) => `j${String(i).padStart(2, '0')}`)
    await Promise.all(ids.map((id) => appendJournal(path, [intent(id)])))
    // The batch is written a moment after the first append, so the other 39 join it.
    expect(writes.count).toBe(1)
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(ids)
    expect((await readJournal(path)).entries.map((e) => e.id)).toEqual(ids)
  })

  it('an append made after a write finished starts a write of its own', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-group-')), 'journal.jsonl')
    writes.count = 0
    await appendJournal(path, [intent('a')])
    await appendJournal(path, [intent('b')])
    expect(writes.count).toBe(2)
    expect(readFileSync(path, 'utf8')).toBe(`${JSON.stringify(intent('a'))}\n${JSON.stringify(intent('b'))}\n`)
  })

  it('a failed write fails the appends of its batch and not the next batch to the same journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-alias-group-'))
    // A directory where the journal file should be: appendFile fails with EISDIR.
    const path = join(dir, 'journal.jsonl')
    mkdirSync(path)
    const failed = await Promise.allSettled([appendJournal(path, [intent('x')]), appendJournal(path, [intent('y')])])
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    rmdirSync(path)
    await appendJournal(path, [intent('z')])
    expect((await readJournal(path)).entries.map((e) => e.id)).toEqual(['z'])
  })
})
