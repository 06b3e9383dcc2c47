// The write commands check the account they act on against the one asked for (--role-arn's, or
// the journal entry's for undo), on a fake KMS port whose keys are in account 111122223333.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ACCOUNT, FakeKms, key } from '../helpers/fakeKms.js'
import { journalOf, run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

const ELSEWHERE = '999988887777'
const ROLE = `arn:aws:iam::${ELSEWHERE}:role/kms-alias-operator`

function world() {
  const a = key()
  const b = key()
  const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId, 'alias/keep': a.keyId }, account: ELSEWHERE })
  return { a, b, kms }
}

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-accounts-')), 'aliases.txt')
  writeFileSync(path, text)
  return path
}

describe('--role-arn of another account than the keys the preflight describes: refused, nothing changed (fake port)', () => {
  it.each([
    ['update', (w: ReturnType<typeof world>) => ['update', 'alias/app', '--to', w.b.keyId, '--yes'], 'ALIAS_OTHER_ACCOUNT'],
    ['create', (w: ReturnType<typeof world>) => ['create', 'alias/new', '--to', w.b.keyId], 'TARGET_OTHER_ACCOUNT'],
    ['delete', () => ['delete', 'alias/keep', '--yes'], 'ALIAS_OTHER_ACCOUNT'],
    ['update --regions', (w: ReturnType<typeof world>) => ['update', 'alias/app', '--to', w.b.keyId, '--regions', 'us-east-1', '--yes'], 'ALIAS_OTHER_ACCOUNT'],
    ['apply', (w: ReturnType<typeof world>) => ['apply', file(`alias/app ${w.b.keyId}\n`), '--yes'], 'ALIAS_OTHER_ACCOUNT'],
  ])('%s', async (_, args, code) => {
    const w = world()
    const before = new Map(w.kms.aliases)
    const r = await run([...args(w), '--json', '--role-arn', ROLE], { kms: w.kms })
    expect(r.code).toBe(3)
    expect(r.stdout).toContain(`"code": "${code}"`)
    expect(w.kms.mutations()).toEqual([])
    expect(w.kms.aliases).toEqual(before)
  })
})

describe('undo of an entry made in another account (fake port)', () => {
  it('with --role-arn of a third account: a usage error naming --role-arn before any call', async () => {
    const w = world()
    const journal = defaultJournal()
    expect((await run(['update', 'alias/app', '--to', w.b.keyId, '--yes'], { kms: w.kms, journal })).code).toBe(0)
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    expect(entry?.account).toBe(ACCOUNT)
    const calls = w.kms.calls.length
    const r = await run(['undo', entry?.id as string, '--yes', '--role-arn', ROLE], { kms: w.kms, journal })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      `error: entry ${entry?.id} changed alias/app in account ${ACCOUNT}, but --role-arn acts on account ${ELSEWHERE}; nothing was changed\n` +
        `hint: undo acts in the entry's account: pass --role-arn arn:aws:iam::${ACCOUNT}:role/<role> (with --role-session-name and --external-id as that role needs)\n`,
    )
    expect(w.kms.calls.length).toBe(calls)
    expect(w.kms.aliases.get('alias/app')).toBe(w.b.keyId)
  })

  it('without --role-arn, credentials of another account (GetCallerIdentity) are refused the same way', async () => {
    const w = world()
    const journal = defaultJournal()
    await run(['update', 'alias/app', '--to', w.b.keyId, '--yes'], { kms: w.kms, journal })
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    const r = await run(['undo', '--last', '--yes'], { kms: w.kms, journal })
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe(`error: entry ${entry?.id} changed alias/app in account ${ACCOUNT}, but these credentials act on account ${ELSEWHERE}; nothing was changed`)
    expect(w.kms.mutations()).toEqual([`UpdateAlias alias/app ${w.b.keyId}`])
  })

  // With KMS on an emulator and no STS endpoint set, GetCallerIdentity would carry the emulator's
  // test credentials to AWS's real STS (seen in a trial run): undo asks nothing, and the
  // journal entry's recheck (issue 19 item 18, before any planning) compares the entry's account
  // with the keys' ARNs instead; before that recheck the preflight's ALIAS_OTHER_ACCOUNT did (exit 3).
  it('KMS on an emulator, STS not set: no STS call; the keys of another account are refused by the entry recheck (exit 2)', async () => {
    const w = world()
    const journal = defaultJournal()
    const env = { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:4566' }
    await run(['update', 'alias/app', '--to', w.b.keyId, '--yes'], { kms: w.kms, journal, env })
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: journal } })
    for (const k of [w.a, w.b]) w.kms.keys.set(k.keyId, { ...k, accountId: ELSEWHERE, arn: k.arn.replace(ACCOUNT, ELSEWHERE) })
    const r = await run(['undo', '--last', '--yes', '--json'], { kms: w.kms, journal, env })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error.message).toBe(
      `journal entry ${entry?.id} would put alias/app (account ${ACCOUNT}, us-east-1) back on ${w.a.arn.replace(ACCOUNT, ELSEWHERE)}, a key of another account or Region; nothing was changed`,
    )
    expect(w.kms.calls).not.toContain('GetCallerIdentity')
    expect(w.kms.mutations()).toEqual([`UpdateAlias alias/app ${w.b.keyId}`])
  })
})
