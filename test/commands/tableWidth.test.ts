import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createMemoryCloudTrail } from '../../src/cloudtrail/memory.js'
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
/** The lines of a plan, boxed or not: all but the heading, the findings and the closing sentence. */
const planOf = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '' && !/^(Dry run|Would|No findings|[!✓✗i] )/.test(line))
    .join('\n')
/**
 * Issue 19.13: a key ID is never shortened. When nothing else fits it breaks after a hyphen, so
 * every part of it is on screen; and no value anywhere is cut with `…`.
 */
function expectWholeKeyIds(text: string, ...keyIds: string[]) {
  expect(text).not.toContain('…')
  for (const id of keyIds) for (const part of id.match(/[^-]+-?/g) ?? []) expect(text).toContain(part)
}

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
    expect(widest(planOf(r.stdout))).toBeLessThanOrEqual(60)
    expect(widest(planOf(r.stdout))).toBeGreaterThan(40)
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
    // Issue 21's act reads the in-memory KMS's trail: the same store's, on the test context's clock
    // (retire --check looks for the DisableKey event up to the context's now).
    const store = new MemoryKmsStore({ now: () => new Date('2026-11-29T00:00:00Z') })
    const r = await run(['demo', '--no-journal'], { kms: createMemoryKms(store), cloudtrail: (config) => createMemoryCloudTrail(store.trail, config), ...terminal })
    expect(r.code).toBe(0)
    expect(widest(tableOf(r.stdout))).toBeLessThanOrEqual(COLUMNS)
  })

  // Tried once with apply's plan drawn by newTable again (no fitting): 167 columns, and this failed.
  it('the apply plan keeps key IDs whole (broken after a hyphen at most) and breaks alias names after a slash', async () => {
    const { old, next, kms } = world()
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
    writeFileSync(file, `alias/payments/eu/settlement-signing ${next.keyId}\nalias/payments/eu/settlement-signing-previous ${next.keyId}\n`)
    const r = await run(['apply', file, '--dry-run'], { kms, ...terminal })
    expect(r.code).toBe(0)
    const table = planOf(r.stdout)
    expect(widest(table)).toBeLessThanOrEqual(COLUMNS)
    expectWholeKeyIds(table, old.keyId, next.keyId)
    expect(table).toContain('payments/eu/')
  })

  // Before (issue 19.13) the key IDs were shortened in the middle here: `1234abcd-12a…234567890ab`.
  it('the update plan keeps key IDs whole, broken once after a hyphen', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/payments/eu/settlement-signing', '--to', next.keyId, '--dry-run'], { kms, ...terminal })
    expect(r.code).toBe(0)
    const table = tableOf(r.stdout)
    // A row per field (access included), the key IDs' second lines, header and borders.
    expect(table.split('\n')).toHaveLength(14)
    expect(widest(table)).toBe(COLUMNS)
    expect(table.split('\n').slice(2, 4)).toEqual([
      '│ key ID       │ 1234abcd-12ab-34cd-56ef- │ 0987dcba-09fe-87dc-65ba- │ ✓ ok    │',
      '│              │ 1234567890ab             │ ab0987654321             │         │',
    ])
    expect(r.stdout).toContain(`Would update alias/payments/eu/settlement-signing: ${old.keyId} → ${next.keyId}.`)
  })

  // Before (issue 19.13): `│ 1234a…890ab │`, and SYMMETRIC_DEFAULT wrapped while the usage column stood empty.
  it('list leaves out whole columns rather than cut a key ID', async () => {
    const { old, kms } = world()
    const r = await run(['list'], { kms, ...terminal })
    expect(r.code).toBe(0)
    expect(tableOf(r.stdout)).toBe(r.stdout.trimEnd())
    expect(widest(r.stdout)).toBeLessThanOrEqual(COLUMNS)
    expect(r.stdout).toContain(`│ ${old.keyId} │`)
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

  it('history drops the borders and the `by` column, and keeps key IDs whole', async () => {
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
    expectWholeKeyIds(r.stdout, '1234abcd-12ab-34cd-56ef-1234567890ab', '0987dcba-09fe-87dc-65ba-ab0987654321')
    expect(r.stdout.split('\n').slice(0, 6)).toEqual([
      'id        time         action  alias        previous key  new key       verified',
      '5e6f7a8b  2026-11-29   update  alias/       1234abcd-     0987dcba-     yes',
      '          10:00:00Z            payments/    12ab-34cd-    09fe-87dc-',
      '                               eu/          56ef-         65ba-',
      '                               settlement-  1234567890ab  ab0987654321',
      '                               signing',
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

// Issue 19.13. Before: at 60 columns SYMMETRIC_DEFAULT was cut to `SYMMET…EFAULT` and key IDs to
// `1234…90ab`; at 80, list wrapped every SYMMETRIC_DEFAULT while its usage column stood empty (as it
// does against moto, which reports no KeyUsage unless the key was made with one). Now whole columns
// go first (the empty usage, then manager, usage, spec), then borders; names and ARNs break after
// `/` and `:`, and a key ID after a hyphen only when nothing else fits. Enum values never break.
// Tried once with the empty column kept (tableShapes): the 120-column list failed; with every
// separator allowed from the first level on: the list at every width and compare at 120 failed.
describe('exact tables at 60, 80 and 120 columns: list, show, compare', () => {
  function narrowWorld() {
    const old = key({ keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', keyUsage: undefined, description: 'payments signing key, rotated yearly by the platform team' })
    const next = key({ keyId: '0987dcba-09fe-87dc-65ba-ab0987654321', keyUsage: undefined })
    return new FakeKms({
      keys: [old, next],
      aliases: { 'alias/payments/settlement': old.keyId, 'alias/payments/settlement-previous': old.keyId, 'alias/app': next.keyId },
      tags: { [old.keyId]: { team: 'payments' } },
    })
  }
  const commands: Record<string, string[]> = {
    list: ['list'],
    show: ['show', 'alias/payments/settlement'],
    compare: ['compare', 'alias/app', '1234abcd-12ab-34cd-56ef-1234567890ab'],
  }
  const closing = (line: string) => line.startsWith('! ') || line.startsWith('✓ ')

  it.each([
    [60, 'list', [
      '┌───────────────────────┬────────────────────────┬─────────┐',
      '│ alias                 │ target key             │ state   │',
      '│ alias/app             │ 0987dcba-09fe-87dc-    │ Enabled │',
      '│                       │ 65ba-ab0987654321      │         │',
      '│ alias/payments/       │ 1234abcd-12ab-34cd-    │ Enabled │',
      '│ settlement            │ 56ef-1234567890ab      │         │',
      '│ alias/payments/       │ 1234abcd-12ab-34cd-    │ Enabled │',
      '│ settlement-previous   │ 56ef-1234567890ab      │         │',
      '└───────────────────────┴────────────────────────┴─────────┘',
    ]],
    [60, 'show', [
      '┌──────────────────┬───────────────────────────────────────┐',
      '│ alias            │ alias/payments/settlement             │',
      '│ alias ARN        │ arn:aws:kms:us-east-1:111122223333:   │',
      '│                  │ alias/payments/settlement             │',
      '│ last updated     │ -                                     │',
      '│ target key       │ 1234abcd-12ab-34cd-56ef-1234567890ab  │',
      '│ key ARN          │ arn:aws:kms:us-east-1:111122223333:   │',
      '│                  │ key/                                  │',
      '│                  │ 1234abcd-12ab-34cd-56ef-1234567890ab  │',
      '│ key spec         │ SYMMETRIC_DEFAULT                     │',
      '│ key usage        │ (not reported)                        │',
      '│ key state        │ Enabled                               │',
      '│ key manager      │ CUSTOMER                              │',
      '│ origin           │ AWS_KMS                               │',
      '│ multi-Region     │ no                                    │',
      '│ created          │ -                                     │',
      '│ material expires │ -                                     │',
      '│ description      │ payments signing key, rotated yearly  │',
      '│                  │ by the platform team                  │',
      '│ algorithms       │ SYMMETRIC_DEFAULT                     │',
      '│ other aliases    │ alias/payments/settlement-previous    │',
      '└──────────────────┴───────────────────────────────────────┘',
    ]],
    [60, 'compare', [
      'field              current             new',
      '                   (alias/app)',
      'key ID             0987dcba-09fe-      1234abcd-12ab-',
      '                   87dc-65ba-          34cd-56ef-',
      '                   ab0987654321        1234567890ab',
      'aliases            alias/app           alias/payments/',
      '                                       settlement',
      '                                       alias/payments/',
      '                                       settlement-',
      '                                       previous',
      'key spec           SYMMETRIC_DEFAULT   SYMMETRIC_DEFAULT',
      'key usage          ENCRYPT_DECRYPT     ENCRYPT_DECRYPT',
      '                   (inferred)          (inferred)',
      'key state          Enabled             Enabled',
      'key manager        CUSTOMER            CUSTOMER',
      'origin             AWS_KMS             AWS_KMS',
      'multi-Region       no                  no',
      'account            111122223333        111122223333',
      'Region             us-east-1           us-east-1',
      'rotation           off                 off',
      'algorithms         SYMMETRIC_DEFAULT   SYMMETRIC_DEFAULT',
      'tags               -                   team=payments       ≠',
      'policy: arn:aws:   kms:*               kms:*',
      'iam::',
      '111122223333:root',
      'grants             -                   -',
    ]],
    [80, 'list', [
      '┌─────────────────────────────┬──────────────────────────────────────┬─────────┐',
      '│ alias                       │ target key                           │ state   │',
      '│ alias/app                   │ 0987dcba-09fe-87dc-65ba-ab0987654321 │ Enabled │',
      '│ alias/payments/settlement   │ 1234abcd-12ab-34cd-56ef-1234567890ab │ Enabled │',
      '│ alias/payments/             │ 1234abcd-12ab-34cd-56ef-1234567890ab │ Enabled │',
      '│ settlement-previous         │                                      │         │',
      '└─────────────────────────────┴──────────────────────────────────────┴─────────┘',
    ]],
    [80, 'show', [
      '┌──────────────────┬───────────────────────────────────────────────────────────┐',
      '│ alias            │ alias/payments/settlement                                 │',
      '│ alias ARN        │ arn:aws:kms:us-east-1:111122223333:alias/payments/        │',
      '│                  │ settlement                                                │',
      '│ last updated     │ -                                                         │',
      '│ target key       │ 1234abcd-12ab-34cd-56ef-1234567890ab                      │',
      '│ key ARN          │ arn:aws:kms:us-east-1:111122223333:key/                   │',
      '│                  │ 1234abcd-12ab-34cd-56ef-1234567890ab                      │',
      '│ key spec         │ SYMMETRIC_DEFAULT                                         │',
      '│ key usage        │ (not reported)                                            │',
      '│ key state        │ Enabled                                                   │',
      '│ key manager      │ CUSTOMER                                                  │',
      '│ origin           │ AWS_KMS                                                   │',
      '│ multi-Region     │ no                                                        │',
      '│ created          │ -                                                         │',
      '│ material expires │ -                                                         │',
      '│ description      │ payments signing key, rotated yearly by the platform team │',
      '│ algorithms       │ SYMMETRIC_DEFAULT                                         │',
      '│ other aliases    │ alias/payments/settlement-previous                        │',
      '└──────────────────┴───────────────────────────────────────────────────────────┘',
    ]],
    [80, 'compare', [
      '┌────────────────────────┬────────────────────────┬────────────────────────┬───┐',
      '│ field                  │ current (alias/app)    │ new                    │   │',
      '│ key ID                 │ 0987dcba-09fe-87dc-    │ 1234abcd-12ab-34cd-    │   │',
      '│                        │ 65ba-ab0987654321      │ 56ef-1234567890ab      │   │',
      '│ aliases                │ alias/app              │ alias/payments/        │   │',
      '│                        │                        │ settlement             │   │',
      '│                        │                        │ alias/payments/        │   │',
      '│                        │                        │ settlement-previous    │   │',
      '│ key spec               │ SYMMETRIC_DEFAULT      │ SYMMETRIC_DEFAULT      │   │',
      '│ key usage              │ ENCRYPT_DECRYPT        │ ENCRYPT_DECRYPT        │   │',
      '│                        │ (inferred)             │ (inferred)             │   │',
      '│ key state              │ Enabled                │ Enabled                │   │',
      '│ key manager            │ CUSTOMER               │ CUSTOMER               │   │',
      '│ origin                 │ AWS_KMS                │ AWS_KMS                │   │',
      '│ multi-Region           │ no                     │ no                     │   │',
      '│ account                │ 111122223333           │ 111122223333           │   │',
      '│ Region                 │ us-east-1              │ us-east-1              │   │',
      '│ rotation               │ off                    │ off                    │   │',
      '│ algorithms             │ SYMMETRIC_DEFAULT      │ SYMMETRIC_DEFAULT      │   │',
      '│ tags                   │ -                      │ team=payments          │ ≠ │',
      '│ policy: arn:aws:iam::  │ kms:*                  │ kms:*                  │   │',
      '│ 111122223333:root      │                        │                        │   │',
      '│ grants                 │ -                      │ -                      │   │',
      '└────────────────────────┴────────────────────────┴────────────────────────┴───┘',
    ]],
    [120, 'list', [
      '┌────────────────────────────────────┬──────────────────────────────────────┬───────────────────┬─────────┬──────────┐',
      '│ alias                              │ target key                           │ spec              │ state   │ manager  │',
      '│ alias/app                          │ 0987dcba-09fe-87dc-65ba-ab0987654321 │ SYMMETRIC_DEFAULT │ Enabled │ CUSTOMER │',
      '│ alias/payments/settlement          │ 1234abcd-12ab-34cd-56ef-1234567890ab │ SYMMETRIC_DEFAULT │ Enabled │ CUSTOMER │',
      '│ alias/payments/settlement-previous │ 1234abcd-12ab-34cd-56ef-1234567890ab │ SYMMETRIC_DEFAULT │ Enabled │ CUSTOMER │',
      '└────────────────────────────────────┴──────────────────────────────────────┴───────────────────┴─────────┴──────────┘',
    ]],
    [120, 'show', [
      '┌──────────────────┬─────────────────────────────────────────────────────────────────────────────┐',
      '│ alias            │ alias/payments/settlement                                                   │',
      '│ alias ARN        │ arn:aws:kms:us-east-1:111122223333:alias/payments/settlement                │',
      '│ last updated     │ -                                                                           │',
      '│ target key       │ 1234abcd-12ab-34cd-56ef-1234567890ab                                        │',
      '│ key ARN          │ arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab │',
      '│ key spec         │ SYMMETRIC_DEFAULT                                                           │',
      '│ key usage        │ (not reported)                                                              │',
      '│ key state        │ Enabled                                                                     │',
      '│ key manager      │ CUSTOMER                                                                    │',
      '│ origin           │ AWS_KMS                                                                     │',
      '│ multi-Region     │ no                                                                          │',
      '│ created          │ -                                                                           │',
      '│ material expires │ -                                                                           │',
      '│ description      │ payments signing key, rotated yearly by the platform team                   │',
      '│ algorithms       │ SYMMETRIC_DEFAULT                                                           │',
      '│ other aliases    │ alias/payments/settlement-previous                                          │',
      '└──────────────────┴─────────────────────────────────────────────────────────────────────────────┘',
    ]],
    [120, 'compare', [
      'field                                   current (alias/app)                   new',
      'key ID                                  0987dcba-09fe-87dc-65ba-ab0987654321  1234abcd-12ab-34cd-56ef-1234567890ab',
      'aliases                                 alias/app                             alias/payments/settlement',
      '                                                                              alias/payments/settlement-previous',
      'key spec                                SYMMETRIC_DEFAULT                     SYMMETRIC_DEFAULT',
      'key usage                               ENCRYPT_DECRYPT (inferred)            ENCRYPT_DECRYPT (inferred)',
      'key state                               Enabled                               Enabled',
      'key manager                             CUSTOMER                              CUSTOMER',
      'origin                                  AWS_KMS                               AWS_KMS',
      'multi-Region                            no                                    no',
      'account                                 111122223333                          111122223333',
      'Region                                  us-east-1                             us-east-1',
      'rotation                                off                                   off',
      'algorithms                              SYMMETRIC_DEFAULT                     SYMMETRIC_DEFAULT',
      'tags                                    -                                     team=payments                         ≠',
      'policy: arn:aws:iam::111122223333:root  kms:*                                 kms:*',
      'grants                                  -                                     -',
    ]],
  ] as Array<[number, string, string[]]>)('%i columns: %s', async (columns, command, expected) => {
    const r = await run(commands[command] ?? [], { kms: narrowWorld(), tty: true, columns, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(0)
    expect(r.stdout.trimEnd().split('\n').filter((line) => !closing(line))).toEqual(expected)
    expect(widest(expected.join('\n'))).toBeLessThanOrEqual(columns)
  })
})

describe('audit on an 80-column terminal', () => {
  // Failed before the fix: the detail column was the one dropped, so the deletion date and the days
  // left (what the issue asks the finding to give) were not on screen; the key column goes instead.
  it('keeps the detail (wrapped), with the deletion date and days left; drops the key column; no alias twice in a row', async () => {
    const pending = key({ keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', keyState: 'PendingDeletion', deletionDate: new Date(Date.parse('2026-11-29T00:00:00Z') + 7 * 86_400_000) })
    const kms = new FakeKms({ keys: [pending], aliases: { 'alias/payments/eu/settlement-signing': pending.keyId } })
    const r = await run(['audit'], { kms, ...terminal })
    expect(r.code).toBe(3)
    const table = tableOf(r.stdout)
    expect(widest(table)).toBeLessThanOrEqual(COLUMNS)
    expect(table.split('\n')[1]).toMatch(/^│ code +│ alias +│ region +│ detail +│$/)
    // The detail column's lines, joined (a line broken after '-', '/' or a time's ':' was one word): the
    // whole message but the alias it began with.
    const detail = table
      .split('\n')
      .slice(2, -1)
      .map((line) => line.split('│').at(-2)?.trim() ?? '')
      .reduce((text, part) => (text === '' ? part : /([-/]|\d:)$/.test(text) ? `${text}${part}` : `${text} ${part}`), '')
    expect(detail).toBe(
      `points to ${pending.keyId}, scheduled for deletion on 2026-12-06T00:00:00.000Z (7 days left): every call through alias/payments/eu/settlement-signing fails from then on`,
    )
    expectWholeKeyIds(table, pending.keyId)
  })
})
