import { describe, expect, it } from 'vitest'
import { AccessError, InterruptedError } from '../../src/errors.js'
import { main } from '../../src/cli/main.js'
import { version } from '../../src/version.js'
import { ACCESS_READS, ACCOUNT, FakeKms, holdListAliases, key, REGION, throttled, type FakeKmsOptions } from '../helpers/fakeKms.js'
import { testContext } from '../helpers/testContext.js'
import { journalOf, line, run } from '../helpers/run.js'
import type { KeyInfo } from '../../src/kms/port.js'


/** alias/app -> old, alias/keep -> old (so the old key keeps an alias), and a like-for-like new key. */
function world(options: Partial<FakeKmsOptions> & { target?: Partial<KeyInfo>; current?: Partial<KeyInfo> } = {}) {
  const old = key(options.current)
  const next = key(options.target)
  const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/keep': old.keyId }, ...options })
  return { old, next, kms }
}


describe('update, script view (stdout not a TTY)', () => {
  it('repoints, confirms and prints one tab-separated line', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('updated', 'alias/app', old.keyId, next.keyId, 'true', 'true'))
    expect(r.stderr).toBe('')
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
    expect(kms.calls).toEqual([
      'DescribeKey alias/app',
      // --to names the key by ID: its aliases and the access reads its ID allows go out at once.
      `DescribeKey ${next.keyId}`,
      `ListAliases ${next.keyId}`,
      ...['GetKeyPolicy', 'ListGrants', 'ListResourceTags'].map((op) => `${op} ${next.keyId}`),
      // Once the alias's key is known: its aliases; once both keys are: the rest of the access
      // preflight (rotation needs the key spec).
      `ListAliases ${old.keyId}`,
      ...['GetKeyPolicy', 'ListGrants', 'ListResourceTags', 'GetKeyRotationStatus'].map((op) => `${op} ${old.keyId}`),
      `GetKeyRotationStatus ${next.keyId}`,
      // The use probes before the change, beside the access reads once both keys are known: the
      // alias as it is, and the new key by its ID.
      'Encrypt alias/app',
      `Encrypt ${next.keyId}`,
      'Decrypt alias/app',
      `Decrypt ${next.keyId}`,
      // The guard's re-read, sent beside those as soon as the lock is taken (no prompt stands
      // between it and the write); the lock file comes after them here, against an instant KMS.
      'DescribeKey alias/app',
      `UpdateAlias alias/app ${next.keyId}`,
      `ListAliases ${next.keyId}`,
      // The use probe after the confirmation: the new key answered at the first try.
      'Encrypt alias/app',
      'Decrypt alias/app',
    ])
    expect(r.ctx.prompts).toEqual([])
    expect(r.ctx.spinners).toEqual([])
  })

  it('prints one JSON document with --json', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json', '--region', 'us-east-1'], { kms })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const view = (k: KeyInfo) => ({ keyId: k.keyId, arn: k.arn, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', keyState: 'Enabled', keyManager: 'CUSTOMER', origin: 'AWS_KMS', multiRegion: false })
    expect(JSON.parse(r.stdout)).toEqual({
      action: 'update',
      alias: 'alias/app',
      region: REGION,
      outcome: 'updated',
      dryRun: false,
      changed: true,
      verified: true,
      previous: view(old),
      target: view(next),
      findings: [],
      undo: `kms-alias update alias/app --to ${old.keyId} --expect-current ${next.keyId} --region us-east-1`,
      journalId: expect.stringMatching(/^[0-9a-f]{16}$/),
      probe: {
        operation: 'Encrypt/Decrypt',
        before: 'ok',
        after: 'ok',
        attempts: 1,
        keyIdSeen: next.keyId,
        rolledBack: null,
        rollback: null,
        callers: [
          {
            caller: 'operator',
            before: { alias: { ok: true, keyIdSeen: old.keyId, error: null }, target: { ok: true, keyIdSeen: next.keyId, error: null } },
            after: { status: 'ok', attempts: 1, keyIdSeen: next.keyId, error: null },
          },
        ],
      },
      error: null,
      exitCode: 0,
    })
    expect(r.ctx.kmsConfigs[0]).toMatchObject({ region: 'us-east-1' })
    expect(await journalOf(r.ctx)).toEqual([
      {
        id: JSON.parse(r.stdout).journalId,
        time: '2026-11-29T00:00:00.000Z',
        account: '111122223333',
        region: 'us-east-1',
        alias: 'alias/app',
        action: 'update',
        previousKeyId: old.keyId,
        newKeyId: next.keyId,
        changed: true,
        verified: true,
        certain: true,
        command: 'update',
        reverts: null,
        runId: null,
        toolVersion: version,
      },
    ])
  })

  it('resolves --to given as an alias and sends UpdateAlias the key ID', async () => {
    const { next, kms } = world()
    kms.aliases.set('alias/next', next.keyId)
    const r = await run(['update', 'alias/app', '--to', 'alias/next', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).target.keyId).toBe(next.keyId)
    expect(kms.mutations()).toEqual([`UpdateAlias alias/app ${next.keyId}`])
  })

  it('makes no call with --dry-run and exits 0 when the change would be made', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--dry-run'], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('would-update', 'alias/app', old.keyId, next.keyId, 'false', 'false'))
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  it('refuses a Disabled target with exit 3 and leaves the alias alone', async () => {
    const { old, next, kms } = world({ target: { keyState: 'Disabled' } })
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe(line('refused', 'alias/app', old.keyId, next.keyId, 'false', 'false'))
    expect(r.stderr).toBe(
      '✗ block TARGET_NOT_ENABLED the new key is Disabled; callers fail until it is enabled (pass --allow-disabled to point to it anyway)\n' +
        'error: refused by the preflight: TARGET_NOT_ENABLED\n' +
        'hint: see the findings; nothing was changed\n',
    )
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  it('--dry-run exits 3 when the change would be refused', async () => {
    const { next, kms } = world({ target: { keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['RSAES_OAEP_SHA_256'] } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--dry-run', '--json'], { kms })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.map((f: { code: string }) => f.code)).toEqual(['KEY_CLASS_MISMATCH'])
    expect(doc).toMatchObject({ outcome: 'refused', dryRun: true, changed: false, exitCode: 3, error: { code: 'REFUSED', message: 'refused by the preflight: KEY_CLASS_MISMATCH' } })
  })

  it('--allow-disabled turns the refusal into a warning, and the undo needs nothing extra', async () => {
    const { old, next, kms } = world({ target: { keyState: 'Disabled' } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--allow-disabled', '--json'], { kms })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    // The user's flag wins over the use probe: a disabled key would only answer DisabledException.
    expect(doc.findings).toEqual([
      { code: 'TARGET_NOT_ENABLED', severity: 'warn', message: 'the new key is Disabled; callers fail until it is enabled' },
      {
        code: 'PROBE_SKIPPED',
        severity: 'info',
        message: `the new key ${next.keyId} was not probed (it is Disabled and --allow-disabled allows that), and no use probe runs after the change`,
      },
    ])
    expect(doc.probe).toMatchObject({ before: 'skipped', after: 'not-run', attempts: 0 })
    expect(kms.calls.filter((c) => c.startsWith('Encrypt'))).toEqual(['Encrypt alias/app'])
    expect(doc.undo).toBe(`kms-alias update alias/app --to ${old.keyId} --expect-current ${next.keyId} --region us-east-1`)
  })

  it('the undo of a spec change carries --allow-spec-change, and --allow-disabled when the old key is not enabled', async () => {
    const spec = (s: string) => ({ keySpec: s, keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: [] })
    const { old, next, kms } = world({ current: { ...spec('RSA_4096'), keyState: 'Disabled' }, target: spec('RSA_2048') })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--allow-spec-change', '--json', '--profile', 'ops', '--endpoint-url', 'http://[::1]:4566'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).undo).toBe(
      `kms-alias update alias/app --to ${old.keyId} --expect-current ${next.keyId} --region us-east-1 --profile ops --endpoint-url 'http://[::1]:4566' --allow-spec-change --allow-disabled`,
    )
  })

  it('exits 0 without UpdateAlias when the alias already points there', async () => {
    const { old, kms } = world()
    const r = await run(['update', 'alias/app', '--to', old.keyId], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('already-in-place', 'alias/app', old.keyId, old.keyId, 'false', 'true'))
    expect(r.stderr).toBe(`i info  ALREADY_TARGET alias/app already points to ${old.keyId}\n`)
    expect(kms.mutations()).toEqual([])
  })

  it('--expect-current: a different current target is a conflict (exit 5), nothing changes', async () => {
    const { old, next, kms } = world()
    const other = key()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--expect-current', other.keyId], { kms })
    expect(r.code).toBe(5)
    expect(r.stdout).toBe(line('conflict', 'alias/app', old.keyId, next.keyId, 'false', 'false'))
    expect(r.stderr).toBe(
      `error: alias/app points to ${old.keyId}, not ${other.keyId} (--expect-current); nothing was changed\n` +
        'hint: someone else may have changed it; check before retrying\n',
    )
    expect(kms.mutations()).toEqual([])
  })

  it('--expect-current: the current key, by ID or ARN, lets the change through', async () => {
    for (const form of ['id', 'arn'] as const) {
      const { old, next, kms } = world()
      const expected = form === 'id' ? old.keyId : old.arn
      const r = await run(['update', 'alias/app', '--to', next.keyId, '--expect-current', expected], { kms })
      expect(r.code).toBe(0)
      expect(kms.aliases.get('alias/app')).toBe(next.keyId)
    }
  })

  it('exits 4 when the alias does not exist', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/nope', '--to', next.keyId], { kms })
    expect(r.code).toBe(4)
    expect(r.stdout).toBe(line('failed', 'alias/nope', '-', '-', 'false', 'false'))
    expect(r.stderr).toBe('error: alias alias/nope not found in us-east-1\n')
  })

  it('exits 4 when the new key does not exist', async () => {
    const { kms } = world()
    const missing = key()
    const r = await run(['update', 'alias/app', '--to', missing.keyId, '--json'], { kms })
    expect(r.code).toBe(4)
    expect(JSON.parse(r.stdout).error).toEqual({ code: 'NOT_FOUND', message: `--to ${missing.keyId} not found in us-east-1` })
  })

  it('exits 7 when no Region is configured, before any KMS call', async () => {
    const kms = new FakeKms({ region: new AccessError('no AWS Region is configured (Region is missing)', 'set AWS_REGION or pass --region') })
    const r = await run(['update', 'alias/app', '--to', key().keyId], { kms })
    expect(r.code).toBe(7)
    expect(r.stderr).toBe('error: no AWS Region is configured (Region is missing)\nhint: set AWS_REGION or pass --region\n')
    expect(kms.calls).toEqual([])
  })

  it.each([
    ['a reserved alias', ['update', 'alias/aws/s3', '--to', '1234abcd-12ab-34cd-56ef-1234567890ab'], 'RESERVED_ALIAS'],
    ['an alias ARN in another Region', ['update', `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/app`, '--to', '1234abcd-12ab-34cd-56ef-1234567890ab'], 'ALIAS_OTHER_REGION'],
    ['a key ARN in another Region', ['update', 'alias/app', '--to', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`], 'TARGET_OTHER_REGION'],
    ['an AWS managed alias as target', ['update', 'alias/app', '--to', 'alias/aws/ebs'], 'TARGET_AWS_MANAGED'],
  ])('refuses %s with exit 3 before calling KMS', async (_name, args, code) => {
    const { kms } = world()
    const r = await run([...args, '--json'], { kms })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.map((f: { code: string }) => f.code)).toEqual([code])
    expect(doc.previous).toBeNull()
    expect(kms.calls).toEqual([])
  })

  it('--no-verify skips the confirmation and says verified: false', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--no-verify'], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('updated', 'alias/app', old.keyId, next.keyId, 'true', 'false'))
    expect(kms.calls.at(-1)).toBe(`UpdateAlias alias/app ${next.keyId}`)
  })

  it('waits through stale ListAliases reads (eventual consistency; fake port)', async () => {
    const { next, kms } = world({ staleReads: 2 })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, changed: true })
    expect(kms.calls.filter((c) => c === `ListAliases ${next.keyId}`)).toHaveLength(4)
  })

  it('exits 6 when the change is never seen within --verify-timeout (fake port)', async () => {
    const { old, next, kms } = world({ staleReads: 10_000 })
    kms.describeKey = async (ref) => {
      kms.calls.push(`DescribeKey ${ref}`)
      return ref === 'alias/app' ? old : next
    }
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--verify-timeout', '2'], { kms })
    expect(r.code).toBe(6)
    expect(r.stdout).toBe(line('not-confirmed', 'alias/app', old.keyId, next.keyId, 'true', 'false'))
    expect(r.stderr).toBe(
      `error: UpdateAlias was sent, but ListAliases did not show alias/app on ${next.keyId} within 2 s (5 reads; last seen: ${old.keyId})\n` +
        'hint: KMS is eventually consistent: check again shortly, or raise --verify-timeout\n',
    )
  })

  it('exits 6 when another writer moved the alias to a third key (fake port)', async () => {
    const third = key()
    const { next, kms } = world()
    kms.keys.set(third.keyId, third)
    const original = kms.updateAlias.bind(kms)
    kms.updateAlias = async (name, target) => {
      await original(name, target)
      kms.aliases.set(name, third.keyId)
    }
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(6)
    expect(JSON.parse(r.stdout)).toMatchObject({
      outcome: 'not-confirmed',
      changed: true,
      verified: false,
      error: { code: 'NOT_CONFIRMED', message: `after UpdateAlias alias/app points to ${third.keyId}, not to the key this run chose: another writer changed it` },
    })
  })

  it('exits 8 and says the alias did not change when UpdateAlias fails after retries (fake port)', async () => {
    const { old, next, kms } = world({ failures: { UpdateAlias: { error: throttled(), applied: false } } })
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms })
    expect(r.code).toBe(8)
    expect(r.stdout).toBe(line('failed', 'alias/app', old.keyId, next.keyId, 'false', 'false'))
    expect(r.stderr).toBe(`error: UpdateAlias failed (3 attempts): ThrottlingException: Rate exceeded; alias/app points to ${old.keyId} (unchanged)\n`)
  })

  it('a lost UpdateAlias response is checked, not assumed: applied means success (fake port)', async () => {
    const { next, kms } = world({ failures: { UpdateAlias: { error: throttled(), applied: true } } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'updated', changed: true, verified: true })
  })

  it('says "unknown" when even the re-read after a failed UpdateAlias fails (fake port)', async () => {
    const { old, next, kms } = world({ failures: { UpdateAlias: { error: throttled(), applied: false } } })
    const describe = kms.describeKey.bind(kms)
    kms.describeKey = async (ref) => {
      if (kms.mutations().length > 0) throw throttled()
      return describe(ref)
    }
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms })
    expect(r.code).toBe(8)
    expect(r.stdout).toBe(line('failed', 'alias/app', old.keyId, next.keyId, 'unknown', 'false'))
    expect(r.stderr).toBe('error: UpdateAlias failed (3 attempts): ThrottlingException: Rate exceeded; re-reading the alias failed too\n')
  })

  it('exits 130 when interrupted while UpdateAlias is in flight, and says the change is unknown', async () => {
    const { old, next, kms } = world({ failures: { UpdateAlias: { error: new InterruptedError(), applied: false } } })
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms })
    expect(r.code).toBe(130)
    expect(r.stdout).toBe(line('failed', 'alias/app', old.keyId, next.keyId, 'unknown', 'false'))
    expect((await journalOf(r.ctx)).map((e) => e.certain)).toEqual([false])
  })

  it('exits 130 when interrupted while confirming, and says the alias changed', async () => {
    const { next, kms } = world({ staleReads: 10 })
    const ctx = testContext({ kms })
    ctx.sleep = async () => {
      ctx.abort()
      throw new DOMException('aborted', 'AbortError')
    }
    // The real sleep rejects with the abort reason; the run must report, not crash.
    const code = await main(['update', 'alias/app', '--to', next.keyId, '--json'], ctx)
    expect(code).toBe(130)
    expect(JSON.parse(ctx.stdout())).toMatchObject({ outcome: 'not-confirmed', changed: true, verified: false, exitCode: 130 })
  })
})

describe('update: the access reads go out beside ListAliases', () => {
  it('all eight start while both preflight ListAliases calls are still waiting', async () => {
    const { next, kms } = world()
    // The target's reads that its ID allows go out beside its own ListAliases, before the current
    // key is known: so while one ListAliases is held for them, two for the rest.
    const held = holdListAliases(kms, 1, ACCESS_READS.flatMap((op) => [op, op]))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--dry-run'], { kms })
    held.done()
    // Tried once: with the reads started after describeWithAliases (as before describeThen) this is 0.
    expect(held.readsWhileListing()).toBe(8)
    expect(r.code).toBe(0)
  })
})

describe('update, human view (TTY)', () => {
  const env = { NO_COLOR: '1' }
  const table = (old: KeyInfo, next: KeyInfo, verdicts: Record<string, string> = {}) => {
    const width = Math.max('verdict'.length, ...Object.values(verdicts).map((v) => v.length), '✓ ok'.length)
    const v = (row: string) => (verdicts[row] ?? '✓ ok').padEnd(width)
    const rule = (l: string, m: string, r: string) => `${l}${['─'.repeat(14), '─'.repeat(38), '─'.repeat(38), '─'.repeat(width + 2)].join(m)}${r}`
    const row = (cells: string[]) => `│ ${cells[0]?.padEnd(12)} │ ${cells[1]?.padEnd(36)} │ ${cells[2]?.padEnd(36)} │ ${cells[3]} │`
    return [
      rule('┌', '┬', '┐'),
      row(['field', 'current target', 'new target', 'verdict'.padEnd(width)]),
      row(['key ID', old.keyId, next.keyId, v('key ID')]),
      row(['key spec', 'SYMMETRIC_DEFAULT', 'SYMMETRIC_DEFAULT', v('key spec')]),
      row(['key usage', 'ENCRYPT_DECRYPT', 'ENCRYPT_DECRYPT', v('key usage')]),
      row(['key state', 'Enabled', next.keyState ?? '', v('key state')]),
      row(['key manager', 'CUSTOMER', 'CUSTOMER', v('key manager')]),
      row(['origin', 'AWS_KMS', 'AWS_KMS', v('origin')]),
      row(['multi-Region', 'no', 'no', v('multi-Region')]),
      row(['account', ACCOUNT, ACCOUNT, v('account')]),
      row(['Region', 'us-east-1', 'us-east-1', v('Region')]),
      row(['access', 'see findings', 'see findings', v('access')]),
      rule('└', '┴', '┘'),
    ].join('\n')
  }

  it('shows the plan, asks, updates and prints the undo command', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms, tty: true, env, answers: ['y'] })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      'update alias/app in us-east-1\n' +
        `${table(old, next)}\n` +
        'No findings: the new key is a like-for-like replacement.\n' +
        `✓ Updated alias/app: ${old.keyId} → ${next.keyId} (confirmed with ListAliases).\n` +
        `Undo: kms-alias update alias/app --to ${old.keyId} --expect-current ${next.keyId} --region us-east-1\n` +
        `✓ Use probe: Encrypt/Decrypt through the alias answered by ${next.keyId}, 1 attempt.\n`,
    )
    expect(r.stderr).toBe('')
    expect(r.ctx.prompts).toEqual([`Point alias/app from ${old.keyId} to ${next.keyId}?`])
    expect(r.ctx.spinners).toEqual([
      `Preflight: describing alias/app and ${next.keyId}`,
      'Preflight: reading key policies, grants and tags',
      'Updating alias/app',
      'Confirming alias/app with ListAliases',
      'Probing alias/app: using it until the new key answers',
    ])
  })

  it('changes nothing and exits 130 when the answer is no', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId], { kms, tty: true, env, answers: ['n'] })
    expect(r.code).toBe(130)
    expect(r.stderr).toBe(`error: cancelled at the prompt\nalias/app was not changed; it still points to ${old.keyId}.\n`)
    expect(kms.mutations()).toEqual([])
  })

  it('does not ask with --yes, with --json, or when stdin is not a TTY', async () => {
    for (const [extra, opts] of [
      [['--yes'], { tty: true }],
      [['--json'], { tty: true }],
      [[], { stdoutTTY: true, stderrTTY: true, stdinTTY: false }],
    ] as const) {
      const { next, kms } = world()
      const r = await run(['update', 'alias/app', '--to', next.keyId, ...extra], { kms, env, ...opts })
      expect(r.code).toBe(0)
      expect(r.ctx.prompts).toEqual([])
    }
  })

  it('shows blocking findings and where the alias stands', async () => {
    const { old, next, kms } = world({ target: { keyState: 'Disabled' } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--quiet'], { kms, tty: true, env })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe(
      'update alias/app in us-east-1\n' +
        `${table(old, next, { 'key state': '✗ blocked' })}\n` +
        '✗ block TARGET_NOT_ENABLED the new key is Disabled; callers fail until it is enabled (pass --allow-disabled to point to it anyway)\n',
    )
    // --quiet drops the state note and the spinner; the error stays.
    expect(r.stderr).toBe('error: refused by the preflight: TARGET_NOT_ENABLED\nhint: see the findings; nothing was changed\n')
    expect(r.ctx.spinners).toEqual([])
  })

  it('colours only when the stream is a TTY and colour is not turned off', async () => {
    const colourRuns = [
      [{ tty: true, env: {} }, [], true],
      [{ tty: true, env: { NO_COLOR: '1' } }, [], false],
      [{ tty: true, env: { TERM: 'dumb' } }, [], false],
      [{ tty: true, env: {} }, ['--no-color'], false],
      [{ tty: false, env: { FORCE_COLOR: '1' } }, ['-o', 'table'], true],
      [{ tty: false, env: {} }, ['-o', 'table'], false],
    ] as const
    for (const [opts, extra, coloured] of colourRuns) {
      const { next, kms } = world()
      const r = await run(['update', 'alias/app', '--to', next.keyId, '--yes', ...extra], { kms, ...opts })
      expect(r.code).toBe(0)
      // eslint-disable-next-line no-control-regex
      expect(/\u001b\[/.test(r.stdout), JSON.stringify(opts) + extra.join(' ')).toBe(coloured)
    }
  })

  it('never puts ANSI codes in JSON, even on a colour terminal', async () => {
    const { next, kms } = world({ target: { keyState: 'Disabled' } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms, tty: true, env: { FORCE_COLOR: '3' } })
    expect(r.code).toBe(3)
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/\u001b\[/)
    expect(JSON.parse(r.stdout).findings[0].code).toBe('TARGET_NOT_ENABLED')
  })
})

describe('endpoint warnings', () => {
  it.each([
    ['http://10.1.2.3:4566', true],
    ['http://kms.internal.example', true],
    ['https://kms.internal.example', false],
    ['http://127.0.0.1:4566', false],
    ['http://localhost:4566', false],
    ['http://[::1]:4566', false],
  ])('%s warns: %s', async (endpoint, warns) => {
    const old = key()
    const next = key()
    const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/keep': old.keyId } })
    for (const how of ['flag', 'env'] as const) {
      const r = await run(['update', 'alias/app', '--to', next.keyId, '--dry-run', ...(how === 'flag' ? ['--endpoint-url', endpoint] : [])], { kms, env: how === 'env' ? { AWS_ENDPOINT_URL_KMS: endpoint } : {} })
      expect(r.code).toBe(0)
      expect(r.stderr).toBe(warns ? `warning: ${endpoint} is plain http:// and not on this machine: requests and responses cross the network unencrypted\n` : '')
    }
  })
})

describe('--quiet keeps what warns or blocks (text view)', () => {
  // Before findings went through ui.important, --quiet dropped both lines (they were notes).
  it('prints warning findings with --quiet', async () => {
    const algorithms = { encryptionAlgorithms: [], signingAlgorithms: ['RSASSA_PSS_SHA_256'] }
    const old = key({ keySpec: 'RSA_4096', keyUsage: 'SIGN_VERIFY', ...algorithms })
    const next = key({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', ...algorithms })
    const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--allow-spec-change', '--quiet'], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('updated', 'alias/app', old.keyId, next.keyId, 'true', 'true'))
    expect(r.stderr).toBe(
      '! warn  KEY_SPEC_MISMATCH the key spec changes from RSA_4096 to RSA_2048; KMS allows this but callers may fail\n' +
        `! warn  PREVIOUS_KEY_ORPHANED after this change no alias points to ${old.keyId}; keep that key enabled to decrypt or verify what was made with it (kms-alias usage shows who still uses it; kms-alias retire disables, then deletes it, in stages)\n` +
        `! warn  OLD_ARTIFACTS_NEED_OLD_KEY Verify through the alias fails for signatures made under ${old.keyId}: callers must keep using that key ID for them\n`,
    )
  })

  it('prints blocking findings with --quiet, and a refusal never warns about "after this change"', async () => {
    const old = key()
    const next = key({ keyState: 'Disabled' })
    // alias/app is the last alias on the old key: a change would orphan it, but none is made.
    const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId } })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--quiet'], { kms })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe(line('refused', 'alias/app', old.keyId, next.keyId, 'false', 'false'))
    expect(r.stderr).toBe(
      '✗ block TARGET_NOT_ENABLED the new key is Disabled; callers fail until it is enabled (pass --allow-disabled to point to it anyway)\n' +
        'error: refused by the preflight: TARGET_NOT_ENABLED\nhint: see the findings; nothing was changed\n',
    )
    const json = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(JSON.parse(json.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['TARGET_NOT_ENABLED'])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })
})

describe('the "No findings" line fits the command', () => {
  it.each([
    ['update', 'No findings: the new key is a like-for-like replacement.'],
    ['create', 'No findings: the key can be the target of the alias.'],
    ['delete', 'No findings: other aliases still point to the key.'],
  ])('%s', async (command, expected) => {
    const { next, kms } = world()
    const args = command === 'update' ? ['update', 'alias/app', '--to', next.keyId] : command === 'create' ? ['create', 'alias/new', '--to', next.keyId] : ['delete', 'alias/app']
    const r = await run([...args, '--dry-run'], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('No findings'))
    expect(lines).toEqual([expected])
  })
})
