import { describe, expect, it } from 'vitest'
import { ConflictError } from '../../src/errors.js'
import { FakeKms, key, throttled } from '../helpers/fakeKms.js'
import { journalOf, line, run } from '../helpers/run.js'

function world(target: Parameters<typeof key>[0] = {}, options: ConstructorParameters<typeof FakeKms>[0] = {}) {
  const next = key(target)
  const kms = new FakeKms({ keys: [next], aliases: {}, ...options })
  return { next, kms }
}

describe('create', () => {
  it('creates, confirms and prints the delete command as undo', async () => {
    const { next, kms } = world()
    const r = await run(['create', 'alias/new', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: 'create',
      alias: 'alias/new',
      outcome: 'created',
      changed: true,
      verified: true,
      previous: null,
      target: { keyId: next.keyId },
      findings: [],
      // Issue 19 item 4: guarded on the created key (it was 'kms-alias delete alias/new --yes --region us-east-1').
      undo: `kms-alias delete alias/new --yes --expect-current ${next.keyId} --region us-east-1`,
      exitCode: 0,
    })
    expect(kms.aliases.get('alias/new')).toBe(next.keyId)
    expect(kms.calls).toEqual(['DescribeKey alias/new', `DescribeKey ${next.keyId}`, `ListAliases ${next.keyId}`, 'DescribeKey alias/new', `CreateAlias alias/new ${next.keyId}`, `ListAliases ${next.keyId}`])
  })

  it('prints one text line when piped', async () => {
    const { next, kms } = world()
    const r = await run(['create', 'alias/new', '--to', next.keyId], { kms })
    expect(r).toMatchObject({ code: 0, stdout: line('created', 'alias/new', '-', next.keyId, 'true', 'true'), stderr: '' })
  })

  it('exits 5 with the update hint when the alias exists, and changes nothing', async () => {
    const { next, kms } = world()
    const other = key()
    kms.keys.set(other.keyId, other)
    kms.aliases.set('alias/taken', other.keyId)
    const r = await run(['create', 'alias/taken', '--to', next.keyId], { kms })
    expect(r.code).toBe(5)
    expect(r.stdout).toBe(line('conflict', 'alias/taken', '-', next.keyId, 'false', 'false'))
    expect(r.stderr).toBe(`error: alias/taken already exists in us-east-1 (it points to ${other.keyId})\nhint: to point it to another key, use kms-alias update alias/taken --to ${next.keyId}\n`)
    expect(kms.aliases.get('alias/taken')).toBe(other.keyId)
    expect(kms.mutations()).toEqual([])
  })

  it('onto the key it already has: exit 0, changed false, already-in-place, no CreateAlias, no journal line', async () => {
    // Before alreadyTargetFindings was used here, this exited 5 suggesting an update that does nothing.
    const { next, kms } = world()
    kms.aliases.set('alias/done', next.keyId)
    const json = await run(['create', 'alias/done', '--to', next.keyId, '--json'], { kms })
    expect(json.code).toBe(0)
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout)).toMatchObject({
      action: 'create',
      outcome: 'already-in-place',
      changed: false,
      verified: true,
      previous: null,
      target: { keyId: next.keyId },
      findings: [{ code: 'ALREADY_TARGET', severity: 'info', message: `alias/done already points to ${next.keyId}` }],
      undo: null,
      journalId: null,
      error: null,
      exitCode: 0,
    })
    expect(await journalOf(json.ctx)).toEqual([])
    const text = await run(['create', 'alias/done', '--to', next.keyId], { kms })
    expect(text).toMatchObject({ code: 0, stdout: line('already-in-place', 'alias/done', '-', next.keyId, 'false', 'true') })
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/done')).toBe(next.keyId)
  })

  it('refuses a reserved name with exit 3 and calls nothing', async () => {
    const { next, kms } = world()
    const r = await run(['create', 'alias/aws/mine', '--to', next.keyId], { kms })
    expect(r.code).toBe(3)
    expect(r.stderr).toBe('✗ block RESERVED_ALIAS alias/aws/mine is under alias/aws/, which is reserved for AWS managed keys\nerror: refused by the preflight: RESERVED_ALIAS\nhint: see the findings; nothing was changed\n')
    expect(kms.calls).toEqual([])
  })

  it.each([
    ['pending deletion', { keyState: 'PendingDeletion' }, [], 'TARGET_PENDING_DELETION'],
    ['disabled', { keyState: 'Disabled' }, [], 'TARGET_NOT_ENABLED'],
    ['AWS managed', { keyManager: 'AWS' }, [], 'TARGET_AWS_MANAGED'],
    ['in another Region', { region: 'eu-west-1' }, [], 'TARGET_OTHER_REGION'],
  ] as const)('refuses a target %s (exit 3)', async (_name, target, extra, code) => {
    const { next, kms } = world(target)
    const r = await run(['create', 'alias/new', '--to', next.keyId, '--json', ...extra], { kms })
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual([code])
    expect(kms.aliases.has('alias/new')).toBe(false)
  })

  it('--allow-disabled creates on a Disabled key with a warning', async () => {
    const { next, kms } = world({ keyState: 'Disabled' })
    const r = await run(['create', 'alias/new', '--to', next.keyId, '--allow-disabled', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).findings).toEqual([{ code: 'TARGET_NOT_ENABLED', severity: 'warn', message: 'the new key is Disabled; callers fail until it is enabled' }])
  })

  it('warns when the key is near its alias quota', async () => {
    const { next, kms } = world()
    for (let i = 0; i < 45; i++) kms.aliases.set(`alias/q${i}`, next.keyId)
    const r = await run(['create', 'alias/new', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).findings).toEqual([{ code: 'ALIAS_QUOTA_NEAR', severity: 'warn', message: 'the new key already has 45 of its 50 aliases (the default quota)' }])
  })

  it('--dry-run creates nothing', async () => {
    const { next, kms } = world()
    const r = await run(['create', 'alias/new', '--to', next.keyId, '--dry-run'], { kms })
    expect(r).toMatchObject({ code: 0, stdout: line('would-create', 'alias/new', '-', next.keyId, 'false', 'false') })
    expect(kms.mutations()).toEqual([])
  })

  it('exits 4 when the target key does not exist', async () => {
    const { kms } = world()
    const r = await run(['create', 'alias/new', '--to', 'alias/missing'], { kms })
    expect(r.code).toBe(4)
    expect(r.stderr).toBe('error: --to alias/missing not found in us-east-1\n')
  })

  it('a lost CreateAlias answered by AlreadyExists on retry is success when the alias points to the key (fake port)', async () => {
    const exists = new ConflictError('alias/new already exists in us-east-1')
    const { next, kms } = world({}, { failures: { CreateAlias: { error: exists, applied: true } } })
    const r = await run(['create', 'alias/new', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'created', changed: true, verified: true })
  })

  it('exits 8 and says it was not created when CreateAlias fails after retries (fake port)', async () => {
    const { next, kms } = world({}, { failures: { CreateAlias: { error: throttled('CreateAlias'), applied: false } } })
    const r = await run(['create', 'alias/new', '--to', next.keyId], { kms })
    expect(r.code).toBe(8)
    expect(r.stderr).toBe('error: CreateAlias failed (3 attempts): ThrottlingException: Rate exceeded; alias/new still does not exist (unchanged)\n')
  })

  it('shows the plan with a target column on a terminal', async () => {
    const { next, kms } = world()
    const r = await run(['create', 'alias/new', '--to', next.keyId], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('create alias/new in us-east-1')
    expect(lines[2]).toMatch(/^│ field +│ target +│ verdict │$/)
    expect(lines.at(-3)).toBe(`✓ Created alias/new → ${next.keyId} (confirmed with ListAliases).`)
    expect(lines.at(-2)).toBe(`Undo: kms-alias delete alias/new --yes --expect-current ${next.keyId} --region us-east-1`)
    expect(r.ctx.prompts).toEqual([])
  })
})
