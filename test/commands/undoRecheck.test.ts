// Issue 19 item 18: undo and undo --run believe a journal entry only where KMS agrees with it
// (recheckEntry), before they plan. Each test forges an entry the way anyone who can write the
// journal file could, and failed before recheckEntry was wired in.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ACCOUNT, FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

/** alias/app moved from A to B by an apply run; C is a key of another account. */
async function appliedRun() {
  const a = key()
  const b = key()
  const elsewhere = key({ accountId: '444455556666' })
  const kms = new FakeKms({ keys: [a, b, elsewhere], aliases: { 'alias/app': a.keyId, 'alias/keep': a.keyId } })
  const journal = defaultJournal()
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
  writeFileSync(path, `alias/app ${b.keyId}\n`)
  const apply = await run(['apply', path, '--yes', '--json'], { kms, journal })
  expect(apply.code).toBe(0)
  const runId = JSON.parse(apply.stdout).runId as string
  /** Rewrites the journal's record of the change, as a forger would. */
  const forge = (from: string, to: string) => writeFileSync(journal, readFileSync(journal, 'utf8').replaceAll(from, to))
  return { a, b, elsewhere, kms, journal, runId, forge }
}

describe('issue 19 item 18: undo --run rechecks each entry against KMS before planning', () => {
  // Failed before the wiring: the forged previous key (another account's) was planned as the target.
  it('a forged previous key of another account: exit 2 naming the entry, nothing changed', async () => {
    const { a, b, elsewhere, kms, journal, runId, forge } = await appliedRun()
    forge(a.keyId, elsewhere.arn)
    const writes = kms.mutations().length
    const r = await run(['undo', '--run', runId, '--yes', '--json'], { kms, journal })
    const doc = JSON.parse(r.stdout)
    expect(r.code).toBe(2)
    expect(doc.error.message).toMatch(
      new RegExp(`^journal entry \\S+ would put alias/app \\(account ${ACCOUNT}, us-east-1\\) back on ${elsewhere.arn}, a key of another account or Region; nothing was changed$`),
    )
    expect(doc.changes.map((c: { outcome: string }) => c.outcome)).toEqual(['not-attempted'])
    expect(kms.mutations().length).toBe(writes)
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)
  })

  // Failed before the wiring: the planner's NotFound named the key but not the entry that is not true.
  it('a forged previous key that does not exist: exit 4 naming the entry, nothing changed', async () => {
    const { a, b, kms, journal, runId, forge } = await appliedRun()
    const missing = '99999999-0000-4000-8000-000000000000'
    forge(a.keyId, missing)
    const r = await run(['undo', '--run', runId, '--yes', '--json'], { kms, journal })
    expect(r.code).toBe(4)
    expect(JSON.parse(r.stdout).error.message).toMatch(/^journal entry \S+ would put alias\/app back on 99999999-0000-4000-8000-000000000000, which does not exist in us-east-1; nothing was changed$/)
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)
  })
})

describe('issue 19 item 18: undo <id> rechecks its entry against KMS before planning', () => {
  // Failed before the wiring: the forged previous key was planned as the target (exit 3, refused by the preflight).
  it('a forged previous key of another account: exit 2 naming the entry, nothing changed', async () => {
    const { a, b, elsewhere, kms, journal, forge } = await appliedRun()
    forge(a.keyId, elsewhere.arn)
    const id = (JSON.parse((await run(['history', '--json'], { kms, journal })).stdout) as { id: string }[])[0]?.id as string
    const r = await run(['undo', id, '--yes'], { kms, journal })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      `error: journal entry ${id} would put alias/app (account ${ACCOUNT}, us-east-1) back on ${elsewhere.arn}, a key of another account or Region; nothing was changed\n` +
        'hint: an alias can point only to a key of its own account and Region: the entry is not true; revert by hand if you must\n',
    )
    expect(kms.aliases.get('alias/app')).toBe(b.keyId)
  })
})
