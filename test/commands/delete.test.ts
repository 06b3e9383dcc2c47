import { describe, expect, it } from 'vitest'
import { NotFoundError } from '../../src/errors.js'
import { FakeKms, key, throttled } from '../helpers/fakeKms.js'
import { line, run } from '../helpers/run.js'

function world(options: ConstructorParameters<typeof FakeKms>[0] = {}, aliases: Record<string, 'k'> = { 'alias/old': 'k', 'alias/keep': 'k' }) {
  const k = key()
  const kms = new FakeKms({ keys: [k], aliases: Object.fromEntries(Object.keys(aliases).map((a) => [a, k.keyId])), ...options })
  return { k, kms }
}

describe('delete', () => {
  it('without a terminal and without --yes: exit 2, nothing called', async () => {
    const { kms } = world()
    const r = await run(['delete', 'alias/old'], { kms })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'error: --yes is required to delete an alias when not running interactively\nhint: deleting an alias breaks every caller that uses it; pass --yes, or run on a terminal to confirm by name\n',
    )
    expect(kms.calls).toEqual([])
  })

  it('with --json on a terminal it does not prompt: --yes is required', async () => {
    const { kms } = world()
    const r = await run(['delete', 'alias/old', '--json'], { kms, tty: true })
    expect(r.code).toBe(2)
    expect(kms.calls).toEqual([])
  })

  it('--yes deletes, confirms, and prints the command that recreates it', async () => {
    const { k, kms } = world()
    const r = await run(['delete', 'alias/old', '--yes', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: 'delete',
      outcome: 'deleted',
      changed: true,
      verified: true,
      previous: { keyId: k.keyId },
      target: null,
      findings: [],
      undo: `kms-alias create alias/old --to ${k.keyId} --region us-east-1`,
    })
    expect(kms.aliases.has('alias/old')).toBe(false)
    expect(kms.mutations()).toEqual(['DeleteAlias alias/old'])
  })

  it('warns PREVIOUS_KEY_ORPHANED when no other alias points to the key', async () => {
    const { k, kms } = world({}, { 'alias/old': 'k' })
    const r = await run(['delete', 'alias/old', '--yes'], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('deleted', 'alias/old', k.keyId, '-', 'true', 'true'))
    expect(r.stderr).toBe(`! warn  PREVIOUS_KEY_ORPHANED after this change no alias points to ${k.keyId}; keep that key enabled to decrypt or verify what was made with it (kms-alias usage shows who still uses it; kms-alias retire disables, then deletes it, in stages)\n`)
  })

  it('on a terminal, deletes only after the name is typed', async () => {
    const { k, kms } = world()
    const r = await run(['delete', 'alias/old'], { kms, tty: true, env: { NO_COLOR: '1' }, answers: ['alias/old'] })
    expect(r.code).toBe(0)
    expect(r.ctx.prompts).toEqual(['Type alias/old to delete it:'])
    expect(r.stdout.split('\n').slice(-3)).toEqual([`✓ Deleted alias/old (was → ${k.keyId}; confirmed with ListAliases).`, `Recreate it with: kms-alias create alias/old --to ${k.keyId} --region us-east-1`, ''])
    expect(kms.aliases.has('alias/old')).toBe(false)
  })

  it('on a terminal, a wrong name deletes nothing (exit 130)', async () => {
    const { k, kms } = world()
    const r = await run(['delete', 'alias/old'], { kms, tty: true, env: { NO_COLOR: '1' }, answers: ['old'] })
    expect(r.code).toBe(130)
    expect(r.stderr).toBe(`error: cancelled: the name typed did not match\nalias/old was not changed; it still points to ${k.keyId}.\n`)
    expect(kms.mutations()).toEqual([])
  })

  it('--dry-run needs no --yes and deletes nothing', async () => {
    const { k, kms } = world()
    const r = await run(['delete', 'alias/old', '--dry-run'], { kms })
    expect(r).toMatchObject({ code: 0, stdout: line('would-delete', 'alias/old', k.keyId, '-', 'false', 'false') })
    expect(kms.mutations()).toEqual([])
  })

  it('refuses an alias ARN of another account (exit 3): the name would act on this account', async () => {
    const { kms } = world()
    const r = await run(['delete', 'arn:aws:kms:us-east-1:999988887777:alias/old', '--yes', '--json'], { kms })
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['ALIAS_OTHER_ACCOUNT'])
    expect(kms.mutations()).toEqual([])
  })

  it('exits 3 for a reserved alias, 4 for a missing one', async () => {
    const { kms } = world()
    expect((await run(['delete', 'alias/aws/s3', '--yes'], { kms })).code).toBe(3)
    const missing = await run(['delete', 'alias/nope', '--yes'], { kms })
    expect(missing.code).toBe(4)
    expect(missing.stderr).toBe('error: alias alias/nope not found in us-east-1\n')
    expect(kms.mutations()).toEqual([])
  })

  it('a lost DeleteAlias answered by NotFound on retry is success once the alias is gone (fake port)', async () => {
    const { kms } = world({ failures: { DeleteAlias: { error: new NotFoundError('alias/old not found'), applied: true } } })
    const r = await run(['delete', 'alias/old', '--yes', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'deleted', changed: true, verified: true })
  })

  it('exits 8 and says the alias is still there when DeleteAlias fails after retries (fake port)', async () => {
    const { k, kms } = world({ failures: { DeleteAlias: { error: throttled('DeleteAlias'), applied: false } } })
    const r = await run(['delete', 'alias/old', '--yes'], { kms })
    expect(r.code).toBe(8)
    expect(r.stdout).toBe(line('failed', 'alias/old', k.keyId, '-', 'false', 'false'))
    expect(r.stderr).toBe(`error: DeleteAlias failed (3 attempts): ThrottlingException: Rate exceeded; alias/old points to ${k.keyId} (unchanged)\n`)
  })

  it('waits through stale reads, then exits 6 if the alias never disappears (fake port)', async () => {
    const { k, kms } = world({ staleReads: 1000 })
    const r = await run(['delete', 'alias/old', '--yes', '--verify-timeout', '1'], { kms })
    expect(r.code).toBe(6)
    expect(r.stderr).toBe(
      `error: DeleteAlias was sent, but ListAliases did not show alias/old gone from ${k.keyId} within 1 s (4 reads; last seen: ${k.keyId})\n` +
        'hint: KMS is eventually consistent: check again shortly, or raise --verify-timeout\n',
    )
  })
})
