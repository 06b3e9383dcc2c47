import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createMemoryKms, MemoryKmsStore } from '../../src/kms/memory.js'
import { appendJournal, type JournalLine } from '../../src/engine/journal.js'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

// What an 80-column terminal reports. Tried once without renderTable's fitting (columns ignored):
// history was 159 columns wide, list 116, the update plan 104 and show 98, and every case failed.
const COLUMNS = 80
const widest = (text: string) => Math.max(...text.split('\n').map((line) => line.length))
/** The lines of a boxed table (the closing sentences are text, which the terminal wraps). */
const tableOf = (text: string) => text.split('\n').filter((line) => /^[┌│└]/.test(line)).join('\n')
const terminal = { tty: true, columns: COLUMNS, env: { NO_COLOR: '1' } }

function world() {
  const old = key({ keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', description: 'payments signing key, rotated yearly by the platform team' })
  const next = key({ keyId: '0987dcba-09fe-87dc-65ba-ab0987654321' })
  const kms = new FakeKms({
    keys: [old, next],
    aliases: { 'alias/payments/eu/settlement-signing': old.keyId, 'alias/payments/eu/settlement-signing-previous': old.keyId },
  })
  return { old, next, kms }
}

describe('a terminal that does not tell its width (0 columns)', () => {
  // Tried once without columnsFromEnv: the table was 104 columns wide and this failed.
  it('takes the width from COLUMNS', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/payments/eu/settlement-signing', '--to', next.keyId, '--dry-run'], {
      kms,
      tty: true,
      env: { NO_COLOR: '1', COLUMNS: '60' },
    })
    expect(r.code).toBe(0)
    expect(widest(tableOf(r.stdout))).toBeLessThanOrEqual(60)
    expect(widest(tableOf(r.stdout))).toBeGreaterThan(40)
  })

  it('ignores COLUMNS when stdout is not a terminal (a file has no width)', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/payments/eu/settlement-signing', '--to', next.keyId, '--dry-run', '--output', 'table'], {
      kms,
      env: { NO_COLOR: '1', COLUMNS: '60' },
    })
    expect(r.code).toBe(0)
    expect(widest(tableOf(r.stdout))).toBeGreaterThan(60)
  })
})

describe(`tables fit a ${COLUMNS}-column terminal`, () => {
  // Tried once with the demo's key table drawn by newTable (no fitting): 138 columns, and this failed.
  it('the demo fits every table it prints, its key table included', async () => {
    const r = await run(['demo', '--no-journal'], { kms: createMemoryKms(new MemoryKmsStore()), ...terminal })
    expect(r.code).toBe(0)
    expect(widest(tableOf(r.stdout))).toBeLessThanOrEqual(COLUMNS)
  })

  // Tried once with apply's plan drawn by newTable again (no fitting): 167 columns, and this failed.
  it('the apply plan shortens key IDs in the middle and wraps alias names', async () => {
    const { next, kms } = world()
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(file, `alias/payments/eu/settlement-signing ${next.keyId}\nalias/payments/eu/settlement-signing-previous ${next.keyId}\n`)
    const r = await run(['apply', file, '--dry-run'], { kms, ...terminal })
    expect(r.code).toBe(0)
    const table = tableOf(r.stdout)
    expect(widest(table)).toBeLessThanOrEqual(COLUMNS)
    expect(table).toContain('…')
    expect(table).not.toContain(next.keyId)
  })

  it('the update plan shortens key IDs in the middle', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/payments/eu/settlement-signing', '--to', next.keyId, '--dry-run'], { kms, ...terminal })
    expect(r.code).toBe(0)
    const table = tableOf(r.stdout)
    // A row per field (access included), header and borders.
    expect(table.split('\n')).toHaveLength(13)
    expect(widest(table)).toBe(COLUMNS)
    expect(table).toContain('│ key ID       │ 1234abcd-12a…234567890ab │ 0987dcba-09f…b0987654321 │ ✓ ok    │')
    // The closing line keeps the whole IDs, to copy.
    expect(r.stdout).toContain(`Would update alias/payments/eu/settlement-signing: ${old.keyId} → ${next.keyId}.`)
  })

  it('list shortens key IDs and wraps long names', async () => {
    const { old, kms } = world()
    const r = await run(['list'], { kms, ...terminal })
    expect(r.code).toBe(0)
    expect(tableOf(r.stdout)).toBe(r.stdout.trimEnd())
    expect(widest(r.stdout)).toBeLessThanOrEqual(COLUMNS)
    expect(r.stdout).toContain('│ 1234a…890ab │')
    expect(r.stdout).not.toContain(old.keyId)
  })

  it('show wraps the ARNs and the description, keeping every character', async () => {
    const { old, kms } = world()
    const r = await run(['show', 'alias/payments/eu/settlement-signing'], { kms, ...terminal })
    expect(r.code).toBe(0)
    expect(tableOf(r.stdout)).toBe(r.stdout.trimEnd())
    expect(widest(r.stdout)).toBeLessThanOrEqual(COLUMNS)
    const cells = r.stdout.split('\n').map((line) => line.split('│')[2]?.trim() ?? '').join('')
    expect(cells).toContain(old.arn)
  })

  it('history drops the borders when even the shortest columns do not fit inside them', async () => {
    const journal = defaultJournal()
    const entry = (id: string, reverts: string | null): JournalLine => ({
      type: 'intent', runId: null, id, time: '2026-11-29T10:00:00.000Z', account: '111122223333', region: 'us-east-1', alias: 'alias/payments/eu/settlement-signing', action: 'update',
      previousKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', newKeyId: '0987dcba-09fe-87dc-65ba-ab0987654321',
      command: reverts ? 'undo' : 'update', reverts, toolVersion: '0.1.0',
    })
    const outcome = (id: string): JournalLine => ({ type: 'outcome', id, time: '2026-11-29T10:00:01.000Z', changed: true, verified: true })
    await appendJournal(journal, [entry('3f9c01ab', null), outcome('3f9c01ab'), entry('5e6f7a8b', '3f9c01ab'), outcome('5e6f7a8b')])
    const r = await run(['history'], { ...terminal, journal })
    expect(r.code).toBe(0)
    expect(widest(r.stdout)).toBeLessThanOrEqual(COLUMNS)
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      'id        time        action  alias     previous   new key    verified  by',
      '                                        key',
      '5e6f7a8b  2026-11-29  update  alias/    1234…90ab  0987…4321  yes       undo of',
      '          10:00:00Z           payments                                  3f9c01ab',
    ])
  })

  it('the text and JSON views are the same at any width', async () => {
    const { kms } = world()
    for (const args of [['list'], ['list', '--json'], ['show', 'alias/payments/eu/settlement-signing', '-o', 'text']]) {
      const wide = await run(args, { kms, stdoutTTY: false })
      const narrow = await run(args, { kms, stdoutTTY: false, columns: 40 })
      expect(narrow.stdout).toBe(wide.stdout)
    }
  })
})
