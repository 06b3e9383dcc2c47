// history names who made each change when the journal says (a team journal writes `by` into each
// intent). Failed before the fix: the table and text views showed only the command in `by`, and
// the identity was only in --json.
import { describe, expect, it } from 'vitest'
import { appendJournal, type JournalLine } from '../../src/engine/journal.js'
import { line, run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

const ALICE = 'arn:aws:iam::111122223333:user/alice'
const CI = 'arn:aws:sts::111122223333:assumed-role/ci-deployer/run-42'

const intent = (id: string, time: string, by: { identity: string | null; host: string } | undefined, alias = 'alias/app'): JournalLine => ({
  type: 'intent', runId: null, id, time, account: '111122223333', region: 'us-east-1', alias, action: 'update',
  previousKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', newKeyId: '0987dcba-09fe-87dc-65ba-ab0987654321',
  command: 'update', reverts: null, toolVersion: '0.1.0', ...(by ? { by } : {}),
})
const outcome = (id: string, time: string): JournalLine => ({ type: 'outcome', id, time, changed: true, verified: true })

async function teamJournal(alias?: string) {
  const journal = defaultJournal()
  await appendJournal(journal, [
    intent('e1', '2026-11-29T10:00:00.000Z', { identity: ALICE, host: 'laptop-7' }, alias),
    outcome('e1', '2026-11-29T10:00:01.000Z'),
    intent('e2', '2026-11-29T11:00:00.000Z', { identity: CI, host: 'runner-3' }, alias),
    outcome('e2', '2026-11-29T11:00:01.000Z'),
    intent('e3', '2026-11-29T12:00:00.000Z', { identity: null, host: 'box\u001b[31m' }, alias),
    outcome('e3', '2026-11-29T12:00:01.000Z'),
    intent('e4', '2026-11-29T13:00:00.000Z', undefined, alias),
    outcome('e4', '2026-11-29T13:00:01.000Z'),
  ])
  return journal
}

const OLD = '1234abcd-12ab-34cd-56ef-1234567890ab'
const NEW = '0987dcba-09fe-87dc-65ba-ab0987654321'

describe('history: who made each change', () => {
  it('the text view adds the identity and the host after `by` on the entries that carry them (escaped)', async () => {
    const r = await run(['history'], { journal: await teamJournal() })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      line('e4', '2026-11-29T13:00:00.000Z', 'update', 'alias/app', OLD, NEW, 'true', 'us-east-1', 'update') +
        line('e3', '2026-11-29T12:00:00.000Z', 'update', 'alias/app', OLD, NEW, 'true', 'us-east-1', 'update', '-', 'box\\x1b[31m') +
        line('e2', '2026-11-29T11:00:00.000Z', 'update', 'alias/app', OLD, NEW, 'true', 'us-east-1', 'update', CI, 'runner-3') +
        line('e1', '2026-11-29T10:00:00.000Z', 'update', 'alias/app', OLD, NEW, 'true', 'us-east-1', 'update', ALICE, 'laptop-7'),
    )
  })

  it('a wide table has a `who` column beside the command', async () => {
    const r = await run(['history', '--limit', '2'], { tty: true, columns: 200, env: { NO_COLOR: '1' }, journal: await teamJournal() })
    expect(r.code).toBe(0)
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('│'))
    expect(rows[0]).toMatch(/│ by +│ who +│$/)
    expect(rows[1]).toMatch(/│ e4 .*│ update +│ +│$/)
    expect(rows[2]).toMatch(/│ e3 .*│ update +│ by unknown on box\\x1b\[31m +│$/)
  })

  // Mechanism (renderTable's foldInto): with the fold removed (tried once) the column was dropped and this failed.
  it('at 80 columns the `who` column folds under the alias, and the table stays within 80 columns', async () => {
    const r = await run(['history'], { tty: true, columns: 80, env: { NO_COLOR: '1' }, journal: await teamJournal('alias/payments/eu/settlement-signing') })
    expect(r.code).toBe(0)
    expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80)
    const text = r.stdout.replace(/\s+/g, ' ')
    expect(text).toContain('by alice on laptop-7')
    // Wrapped after the slash, as identifiers are.
    expect(text).toContain('by ci-deployer/ run-42 on runner-3')
    expect(text).toContain('by unknown on box\\x1b[31m')
    expect(r.stdout).not.toContain(' who')
  })
})
