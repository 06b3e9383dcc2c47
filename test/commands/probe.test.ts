// The use probe (issue 20) in update, on the in-memory KMS behind FakeKms: what AWS can answer and
// the in-memory KMS does not do by itself (a denied Encrypt, the old key still answering, one
// role's credentials failing) comes from UseFaultKms; a disabled key's DisabledException is the
// in-memory KMS's own. The clock is the test context's: the 60 s timeout is never waited for.
import { describe, expect, it } from 'vitest'
import { key } from '../helpers/fakeKms.js'
import { journalOf, run } from '../helpers/run.js'
import { kmsAnswer, UseFaultKms, type UseAnswer } from '../helpers/useFaults.js'
import type { KmsConfig, KmsPort } from '../../src/kms/port.js'
import { AccessError, AwsError, InterruptedError } from '../../src/errors.js'

function world(answer: (keyRef: string, afterUpdate: boolean, nth: number) => UseAnswer = () => 'normal') {
  const old = key()
  const next = key()
  const kms = new UseFaultKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/keep': old.keyId }, answer })
  return { old, next, kms }
}

const denied = (keyRef: string) => kmsAnswer('AccessDeniedException', 'Encrypt', keyRef, 'not authorized by the key policy')

describe('update: the use probe before the change', () => {
  it('blocks with USE_WOULD_FAIL (exit 3) when the alias works and the new key is denied, and sends no UpdateAlias', async () => {
    const { old, next, kms } = world((ref) => (ref === next.keyId ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings).toEqual([
      {
        code: 'USE_WOULD_FAIL',
        severity: 'block',
        message: `alias/app works now, but the new key ${next.keyId} does not: Encrypt/Decrypt: Encrypt was denied: AccessDeniedException: not authorized by the key policy; only --no-probe skips this check`,
      },
    ])
    expect(doc.probe).toMatchObject({ operation: 'Encrypt/Decrypt', before: 'would-fail', after: null, attempts: 0 })
    expect(doc.error).toMatchObject({ code: 'REFUSED', message: 'refused by the preflight: USE_WOULD_FAIL' })
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  // Found by the demo after the merge of issue 21: the refused step 3 probed its target, which then
  // counted as used (GetKeyLastUsage) and could not be retired; this failed before.
  it('a change the keys alone refuse (KEY_SPEC_MISMATCH) is not probed: a probe is a use CloudTrail records', async () => {
    const old = key({ keySpec: 'RSA_4096', keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: ['RSASSA_PSS_SHA_256'] })
    const next = key({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: ['RSASSA_PSS_SHA_256'] })
    const kms = new UseFaultKms({ keys: [old, next], aliases: { 'alias/app': old.keyId }, answer: () => 'normal' })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'refused', probe: null })
    expect(kms.calls.filter((c) => /^(Sign|Verify|Encrypt|Decrypt) /.test(c))).toEqual([])
  })

  it('--dry-run probes too and exits 3 on USE_WOULD_FAIL', async () => {
    const { next, kms } = world((ref) => (ref === next.keyId ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--dry-run', '--json'], { kms })
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['USE_WOULD_FAIL'])
  })

  it('--no-probe sends no cryptographic call and lets the change through (probe: null)', async () => {
    const { next, kms } = world((ref) => (ref === next.keyId ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--no-probe', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'updated', findings: [], probe: null })
    expect(kms.calls.filter((c) => /^(Encrypt|Decrypt)/.test(c))).toEqual([])
  })

  it('says PROBE_UNAVAILABLE (info) when the alias does not work now for the operator, and probes nothing after', async () => {
    const { next, kms } = world((ref, after) => (ref === 'alias/app' && !after ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings).toEqual([
      {
        code: 'PROBE_UNAVAILABLE',
        severity: 'info',
        message:
          'alias/app does not work now for you (Encrypt/Decrypt: Encrypt was denied: AccessDeniedException: not authorized by the key policy): nothing to compare, so no use probe runs for you after the change',
      },
    ])
    expect(doc.probe).toMatchObject({ before: 'unavailable', after: 'not-run', attempts: 0 })
    // Two probes before (the alias, the target by ID), none after the change.
    expect(kms.calls.filter((c) => c.startsWith('Encrypt'))).toEqual(['Encrypt alias/app', `Encrypt ${next.keyId}`])
  })
})

describe('update: the use probe after the change', () => {
  // Tried once: with the backoff's sleep taken out of the probe's wait, this fails (no time passes).
  it('waits with the backoff while the old key still answers, then reports the new key (fake clock)', async () => {
    const { old, next, kms } = world((ref, after, nth) => (ref === 'alias/app' && after && nth < 3 ? 'old-key' : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ before: 'ok', after: 'ok', attempts: 4, keyIdSeen: next.keyId, rolledBack: null })
    expect(doc.findings).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
    // 250 + 500 + 1000 ms of the confirmation's backoff, on the test's clock.
    expect(r.ctx.now().getTime() - new Date('2026-11-29T00:00:00Z').getTime()).toBe(1750)
    expect(old.keyId).not.toBe(next.keyId)
  })

  it('PROBE_STALE (warn, exit 0) when the old key still answers at --probe-timeout; the control plane is confirmed', async () => {
    const { old, next, kms } = world((ref, after) => (ref === 'alias/app' && after ? 'old-key' : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '10', '--json'], { kms })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'updated', changed: true, verified: true })
    expect(doc.probe).toMatchObject({ after: 'stale', keyIdSeen: old.keyId, attempts: 7 })
    expect(doc.findings).toEqual([
      {
        code: 'PROBE_STALE',
        severity: 'warn',
        message: `ListAliases confirms alias/app on ${next.keyId}, but after 10 s (7 probes) ${old.keyId} still answered through it: callers may use the old key for a while (raise --probe-timeout to wait longer)`,
      },
    ])
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
  })

  it('the stale view in the table says the control plane is confirmed', async () => {
    const { old, next, kms } = world((ref, after) => (ref === 'alias/app' && after ? 'old-key' : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '10', '--yes'], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n').at(-2)).toBe(
      `! Use probe: the old key ${old.keyId} still answered Encrypt/Decrypt after 7 attempts; the control plane is confirmed (PROBE_STALE).`,
    )
  })

  it('a failure that time may mend (AccessDenied: authorization lags the alias) is tried again until it works', async () => {
    const { next, kms } = world((ref, after, nth) => (ref === 'alias/app' && after && nth < 2 ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).probe).toMatchObject({ after: 'ok', attempts: 3, keyIdSeen: next.keyId })
  })

  // The rollback: checked to fail with the engine's rollback of a single change removed (exit 9
  // then said "nothing was rolled back" and the alias stayed on the new key).
  it('rolls back by itself and exits 9 when the use still fails at --probe-timeout; the journal holds the change and its rollback', async () => {
    const { old, next, kms } = world((ref, after) => (ref === 'alias/app' && after ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'rolled-back', changed: false, verified: true, undo: null, exitCode: 9 })
    expect(doc.probe).toMatchObject({ before: 'ok', after: 'failed', rolledBack: true, attempts: 17 })
    expect(doc.error).toEqual({
      code: 'USE_FAILED',
      message:
        'the change was made and confirmed, but using alias/app failed: Encrypt/Decrypt answered AccessDeniedException (Encrypt was denied: AccessDeniedException: not authorized by the key policy) after 17 attempts; it was rolled back',
      hint: 'find out why the new key cannot be used (key policy, grants, key state) before retrying',
    })
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.command, e.previousKeyId, e.newKeyId, e.reverts, e.changed])).toEqual([
      ['update', old.keyId, next.keyId, null, true],
      ['update (rollback)', next.keyId, old.keyId, journal[0]?.id, true],
    ])
    // The 60 s default was spent on the test's clock, not waited for.
    expect(r.ctx.now().getTime() - new Date('2026-11-29T00:00:00Z').getTime()).toBeGreaterThanOrEqual(60_000)
  })

  it('a lasting failure (the in-memory KMS answers DisabledException) ends the wait at once and rolls back', async () => {
    const { old, next, kms } = world()
    // Another writer disables the new key right after the alias moved.
    const update = kms.updateAlias.bind(kms)
    kms.updateAlias = async (alias, target) => {
      await update(alias, target)
      await kms.disableKey(target)
    }
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ after: 'failed', attempts: 1, rolledBack: true })
    expect(doc.probe.callers[0].after.error.code).toBe('DisabledException')
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  it('the table and the error say the change was rolled back', async () => {
    const { old, next, kms } = world((ref, after) => (ref === 'alias/app' && after ? denied(ref) : 'normal'))
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--yes', '--probe-timeout', '1'], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(9)
    expect(r.stderr).toContain('error: the change was made and confirmed, but using alias/app failed')
    expect(r.stderr).toContain(`alias/app was changed to ${next.keyId} and confirmed, but using it failed: it was rolled back and points to ${old.keyId} again.`)
  })

  // Issue 20 review, item 1: failed before (exit 9 said "it was rolled back" and the table "was
  // changed to <new>" alone). The rollback's UpdateAlias is answered AccessDenied by the FakeKms.
  function rollbackDenied() {
    const w = world((ref, after) => (ref === 'alias/app' && after ? denied(ref) : 'normal'))
    const update = w.kms.updateAlias.bind(w.kms)
    let updates = 0
    w.kms.updateAlias = async (alias, target) => {
      if (++updates === 2) throw kmsAnswer('AccessDeniedException', 'UpdateAlias', alias, 'not authorized to update the alias')
      await update(alias, target)
    }
    return w
  }

  it('a rollback whose UpdateAlias is denied: exit 9 says the rollback failed and the alias points to the new key (FakeKms fault)', async () => {
    const { old, next, kms } = rollbackDenied()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '1', '--json'], { kms })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ after: 'failed', rolledBack: false, rollback: 'failed' })
    expect(doc.error.message).toMatch(/; the rollback failed: .*not authorized to update the alias/)
    expect(doc.error.message).not.toMatch(/it was rolled back/)
    expect(doc.error.hint).toBe(`alias/app points to the new key ${next.keyId}; once you know why it cannot be used, undo the change: ${doc.undo}`)
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
    expect(old.keyId).not.toBe(next.keyId)
  })

  it('a rollback whose UpdateAlias is denied: the table says the rollback failed (FakeKms fault)', async () => {
    const { next, kms } = rollbackDenied()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '1', '--yes'], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(9)
    expect(r.stderr).toContain('; the rollback failed: UpdateAlias was denied: AccessDeniedException: not authorized to update the alias\n')
    expect(r.stderr).toContain(`alias/app was changed to ${next.keyId} and confirmed, but using it failed; the rollback failed: alias/app points to the new key ${next.keyId}.`)
    expect(r.stderr).not.toContain('it was rolled back')
  })

  // Issue 20 review, item 2: failed before (rolledBack true and "points to <old> again" with the
  // rollback never confirmed). ListAliases after the rollback is answered AccessDenied by the FakeKms.
  function rollbackUnconfirmed() {
    const w = world((ref, after) => (ref === 'alias/app' && after ? denied(ref) : 'normal'))
    const update = w.kms.updateAlias.bind(w.kms)
    const list = w.kms.listAliases.bind(w.kms)
    let updates = 0
    w.kms.updateAlias = async (alias, target) => {
      updates += 1
      await update(alias, target)
    }
    w.kms.listAliases = async (filter) => {
      if (updates >= 2) throw kmsAnswer('AccessDeniedException', 'ListAliases', 'alias/app', 'not authorized to list aliases')
      return list(filter)
    }
    return w
  }

  it('a rollback ListAliases does not confirm: rolledBack false, rollback not-confirmed (FakeKms fault)', async () => {
    const { old, next, kms } = rollbackUnconfirmed()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '1', '--json'], { kms })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ after: 'failed', rolledBack: false, rollback: 'not-confirmed' })
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  it('a rollback ListAliases does not confirm: the table does not say the alias points to the old key again (FakeKms fault)', async () => {
    const { old, next, kms } = rollbackUnconfirmed()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '1', '--yes'], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.code).toBe(9)
    expect(r.stderr).toContain(`alias/app was changed to ${next.keyId} and confirmed, but using it failed: it was rolled back to ${old.keyId}, not confirmed by ListAliases; check it with kms-alias describe.`)
    expect(r.stderr).not.toContain('again.')
  })

  it('another writer moving the alias before the rollback: it is left alone, exit 9 says so, rolledBack false', async () => {
    const { next, kms } = world((ref, after, nth) => {
      if (ref === 'alias/app' && after) {
        // The last probe's moment: another writer repoints the alias to a third key.
        if (nth === 1) kms.aliases.set('alias/app', third.keyId)
        return denied(ref)
      }
      return 'normal'
    })
    const third = key()
    kms.keys.set(third.keyId, third)
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-timeout', '0.3', '--json'], { kms })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ after: 'failed', rolledBack: false })
    expect(doc.error.message).toMatch(/; it was not rolled back: another writer changed alias\/app since$/)
    expect(kms.aliases.get('alias/app')).toBe(third.keyId)
  })
})

describe('update --probe-as', () => {
  /** The operator's port, and for each role a view of the same KMS whose Encrypt answers as `roleAnswer` says. */
  function asRoles(kms: UseFaultKms, roleAnswer: (role: string, keyRef: string) => Error | undefined) {
    return (config: KmsConfig): KmsPort => {
      const role = config.role?.arn
      if (!role) return kms
      return new Proxy(kms, {
        get(target, prop, receiver) {
          if (prop === 'encrypt')
            return async (request: { keyRef: string }) => {
              const error = roleAnswer(role, request.keyRef)
              if (error) throw error
              return target.encrypt(request as Parameters<KmsPort['encrypt']>[0])
            }
          const value: unknown = Reflect.get(target, prop, receiver)
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
        },
      })
    }
  }
  const APP = 'arn:aws:iam::111122223333:role/app'
  const BATCH = 'arn:aws:iam::111122223333:role/batch'

  it('blocks with CALLER_WOULD_BE_DENIED when a role can use the alias now but not the new key', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-as', APP, '--probe-as', BATCH, '--json'], {
      kms: asRoles(kms, (role, ref) => (role === BATCH && ref === next.keyId ? denied(ref) : undefined)),
    })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings).toEqual([
      {
        code: 'CALLER_WOULD_BE_DENIED',
        severity: 'block',
        message: `${BATCH} can use alias/app now, but not the new key ${next.keyId}: Encrypt/Decrypt: Encrypt was denied: AccessDeniedException: not authorized by the key policy; only --no-probe skips this check`,
      },
    ])
    expect(doc.probe.callers.map((c: { caller: string }) => c.caller)).toEqual(['operator', APP, BATCH])
    // One port per role, assumed with a session name of the probe's own.
    expect(r.ctx.kmsConfigs.map((c) => c.role ?? null)).toEqual([null, { arn: APP, sessionName: 'kms-alias-probe' }, { arn: BATCH, sessionName: 'kms-alias-probe' }])
  })

  it("rolls back (exit 9) when only one role's use fails after the change", async () => {
    const { old, next, kms } = world()
    let updated = false
    const update = kms.updateAlias.bind(kms)
    kms.updateAlias = async (alias, target) => {
      await update(alias, target)
      updated = true
    }
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-as', APP, '--probe-timeout', '1', '--json'], {
      kms: asRoles(kms, (_role, ref) => (updated && ref === 'alias/app' ? denied(ref) : undefined)),
    })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.error.message).toContain(`Encrypt/Decrypt as ${APP} answered AccessDeniedException`)
    expect(doc.probe.callers.map((c: { caller: string; after: { status: string } }) => [c.caller, c.after.status])).toEqual([
      ['operator', 'ok'],
      [APP, 'failed'],
    ])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  it('a sixth --probe-as is a usage error before any call', async () => {
    const roles = [1, 2, 3, 4, 5, 6].flatMap((n) => ['--probe-as', `arn:aws:iam::111122223333:role/r${n}`])
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, ...roles], { kms })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('error: --probe-as was given 6 times; at most 5 roles are probed\n')
    expect(kms.calls).toEqual([])
  })

  // Failed before the fix: the error named --role-arn, a flag the user had not given.
  it('a --probe-as that is not a role ARN is a usage error naming --probe-as', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-as', 'app-role'], { kms })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('error: --probe-as "app-role" is not an IAM role ARN\nhint: a role ARN looks like arn:aws:iam::111122223333:role/kms-alias-operator\n')
  })

  // Failed before the fix: --no-probe silently dropped the roles the user asked to probe as.
  it('--no-probe with --probe-as is a usage error naming both, before any call', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--no-probe', '--probe-as', APP], { kms })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: --no-probe and --probe-as cannot be used together\nhint: --no-probe turns off every probe, the roles' too; drop one of them\n")
    expect(kms.calls).toEqual([])
  })

  // Failed before the fix: the role was assumed and probed twice (three callers).
  it('the same role given twice is probed once', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-as', APP, '--probe-as', APP, '--json'], { kms: asRoles(kms, () => undefined) })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).probe.callers.map((c: { caller: string }) => c.caller)).toEqual(['operator', APP])
    expect(r.ctx.kmsConfigs.map((c) => c.role ?? null)).toEqual([null, { arn: APP, sessionName: 'kms-alias-probe' }])
  })

  // Failed before the fix: the unassumable role became PROBE_UNAVAILABLE and the update went through, exit 0.
  it.each([
    ['denied by the trust policy (exit 7)', () => new AccessError(`cannot assume ${APP}: AccessDenied: not trusted`, "check that the role's trust policy lets these credentials assume it")],
    ['STS unreachable (exit 8)', () => new AwsError('cannot reach STS at http://127.0.0.1:9 (ECONNREFUSED) during AssumeRole', 'ECONNREFUSED', 'check the endpoint (AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL), the Region and the network')],
  ])('a --probe-as role whose AssumeRole fails, %s, ends the run before any write with its own exit code and hint', async (_, failure) => {
    const { old, next, kms } = world()
    const error = Object.assign(failure(), { assumingRole: APP })
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-as', APP], { kms: asRoles(kms, () => error) })
    expect(r.code).toBe(error.exitCode)
    expect(r.stderr).toBe(`error: --probe-as ${APP}: ${error.message}\nhint: ${error.hint}\n`)
    // The failed report (text view, piped): not changed, not confirmed.
    expect(r.stdout).toBe('failed\talias/app\t-\t-\tfalse\tfalse\n')
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  // Failed before the fix: apply planned the entries with PROBE_UNAVAILABLE and wrote them, exit 0.
  it('apply: a --probe-as role whose AssumeRole is denied ends the run while planning, exit 7, nothing written', async () => {
    const { old, next, kms } = world()
    const error = Object.assign(new AccessError(`cannot assume ${APP}: AccessDenied: not trusted`, "check the role's trust policy"), { assumingRole: APP })
    const stdin = ['alias/app', 'alias/keep'].map((a) => `${a} ${next.keyId}`).join('\n')
    const r = await run(['apply', '-', '--yes', '--probe-as', APP], { kms: asRoles(kms, () => error), stdin })
    expect(r.code).toBe(7)
    expect(r.stderr).toBe(`error: --probe-as ${APP}: cannot assume ${APP}: AccessDenied: not trusted\nhint: check the role's trust policy\n`)
    expect(kms.mutations()).toEqual([])
    expect([kms.aliases.get('alias/app'), kms.aliases.get('alias/keep')]).toEqual([old.keyId, old.keyId])
  })

  // Failed before the fix: probe.before was "unavailable" although the operator's own probe was ok.
  it("probe.before is the operator's verdict; a role the alias does not work for now shows in its callers entry", async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--probe-as', APP, '--json'], {
      kms: asRoles(kms, (_role, ref) => (ref === 'alias/app' ? denied(ref) : undefined)),
    })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.map((f: { code: string }) => f.code)).toEqual(['PROBE_UNAVAILABLE'])
    expect(doc.probe.before).toBe('ok')
    expect(doc.probe.callers.map((c: { caller: string; before: { alias: { ok: boolean } } }) => [c.caller, c.before.alias.ok])).toEqual([
      ['operator', true],
      [APP, false],
    ])
  })
})

describe('update --regions: a failed use in one Region rolls back the Regions already changed', () => {
  it('exit 9; us-east-1 and eu-west-1 back on their old keys, ap-southeast-2 never changed; the journal holds each change and its rollback', async () => {
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
    const places = Object.fromEntries(
      regions.map((region) => {
        const old = key({ region })
        const next = key({ region })
        const answer = (ref: string, after: boolean) => (region === 'eu-west-1' && ref === 'alias/app' && after ? denied(ref) : 'normal')
        const kms = new UseFaultKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/app-next': next.keyId }, region, answer })
        return [region, { old, next, kms }]
      }),
    )
    const port = (config: KmsConfig) => places[config.region ?? '']?.kms as KmsPort
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', regions.join(','), '--yes', '--probe-timeout', '2', '--json'], { kms: port })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.outcome).toBe('rolled-back')
    expect(doc.error.code).toBe('USE_FAILED')
    expect(doc.error.message).toMatch(/^eu-west-1: the change was made and confirmed, but using alias\/app failed: .*; it was rolled back$/)
    type Row = { region: string; outcome: string; probe: { after: string | null; rolledBack: boolean | null } }
    expect(doc.regions.map((g: Row) => [g.region, g.outcome, g.probe.after, g.probe.rolledBack])).toEqual([
      ['us-east-1', 'rolled-back', 'ok', null],
      ['eu-west-1', 'rolled-back', 'failed', true],
      ['ap-southeast-2', 'not-attempted', null, null],
    ])
    for (const region of regions) expect(places[region]?.kms.aliases.get('alias/app')).toBe(places[region]?.old.keyId)
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.region, e.command, e.newKeyId === places[e.region]?.old.keyId ? 'back' : 'forward'])).toEqual([
      ['us-east-1', 'update', 'forward'],
      ['eu-west-1', 'update', 'forward'],
      ['eu-west-1', 'update (rollback)', 'back'],
      ['us-east-1', 'update (rollback)', 'back'],
    ])
  })
})

describe('apply: a failed use of one entry rolls back the whole run', () => {
  // The rollback of the run: checked to fail with the end-of-run probe removed from the engine
  // (the run then exits 0 with all three entries applied).
  it('exit 9; every entry back where it was; the journal holds each change and its rollback', async () => {
    const old = key()
    const next = key()
    const kms = new UseFaultKms({
      keys: [old, next],
      aliases: { 'alias/a': old.keyId, 'alias/b': old.keyId, 'alias/c': old.keyId },
      answer: (ref, after) => (ref === 'alias/b' && after ? kmsAnswer('KMSInvalidStateException', 'Encrypt', ref, 'key is pending import') : 'normal'),
    })
    const stdin = ['alias/a', 'alias/b', 'alias/c'].map((a) => `${a} ${next.keyId}`).join('\n')
    const r = await run(['apply', '-', '--yes', '--json'], { kms, stdin })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.error.code).toBe('USE_FAILED')
    expect(doc.error.message).toMatch(/using alias\/b failed: Encrypt\/Decrypt answered KMSInvalidStateException .* after 1 attempt; it was rolled back$/)
    type Change = { alias: string; status: string; verified: boolean; probe: { after: string; rolledBack: boolean | null } }
    expect(doc.changes.map((c: Change) => [c.alias, c.status, c.verified, c.probe.after, c.probe.rolledBack])).toEqual([
      ['alias/a', 'rolled-back', true, 'ok', null],
      ['alias/b', 'rolled-back', true, 'failed', true],
      ['alias/c', 'rolled-back', true, 'ok', null],
    ])
    for (const a of ['alias/a', 'alias/b', 'alias/c']) expect(kms.aliases.get(a)).toBe(old.keyId)
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.alias, e.command, e.newKeyId === old.keyId ? 'back' : 'forward', e.verified])).toEqual([
      ['alias/a', 'apply', 'forward', true],
      ['alias/b', 'apply', 'forward', true],
      ['alias/c', 'apply', 'forward', true],
      ['alias/c', 'apply (rollback)', 'back', true],
      ['alias/b', 'apply (rollback)', 'back', true],
      ['alias/a', 'apply (rollback)', 'back', true],
    ])
  })

  // Issue 20 review, item 1, in apply: failed before (the message ended "it was rolled back" though
  // alias/b stayed on the new key). alias/b's rollback UpdateAlias is answered AccessDenied by the FakeKms.
  it('exit 9 says the rollback failed when one entry could not be rolled back (FakeKms fault)', async () => {
    const old = key()
    const next = key()
    const kms = new UseFaultKms({
      keys: [old, next],
      aliases: { 'alias/a': old.keyId, 'alias/b': old.keyId },
      answer: (ref, after) => (ref === 'alias/b' && after ? kmsAnswer('KMSInvalidStateException', 'Encrypt', ref, 'key is pending import') : 'normal'),
    })
    const update = kms.updateAlias.bind(kms)
    kms.updateAlias = async (alias, target) => {
      if (alias === 'alias/b' && target === old.keyId) throw kmsAnswer('AccessDeniedException', 'UpdateAlias', alias, 'not authorized to update the alias')
      await update(alias, target)
    }
    const r = await run(['apply', '-', '--yes', '--json'], { kms, stdin: `alias/a ${next.keyId}\nalias/b ${next.keyId}` })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.error.message).toMatch(/using alias\/b failed: .*; the rollback failed: .*not authorized to update the alias$/)
    type Change = { alias: string; probe: { after: string; rolledBack: boolean | null; rollback: string | null } }
    expect(doc.changes.map((c: Change) => [c.alias, c.probe.after, c.probe.rolledBack, c.probe.rollback])).toEqual([
      ['alias/a', 'ok', null, null],
      ['alias/b', 'failed', false, 'failed'],
    ])
    expect([kms.aliases.get('alias/a'), kms.aliases.get('alias/b')]).toEqual([old.keyId, next.keyId])
  })
})

describe('rotate: the new key probed by ID before the move, the alias after', () => {
  const rotating = (answer: (keyRef: string, afterUpdate: boolean, nth: number) => UseAnswer) => {
    const old = key()
    const kms = new UseFaultKms({ keys: [old], aliases: { 'alias/app': old.keyId }, answer })
    const created = () => [...kms.keys.values()].find((k) => k.keyId !== old.keyId)
    return { old, kms, created }
  }

  it('a new key the operator cannot use: exit 3, the alias stays, the created key is disabled', async () => {
    const { old, kms, created } = rotating((ref) => (ref !== 'alias/app' && ref !== old.keyId ? denied(ref) : 'normal'))
    const r = await run(['rotate', 'alias/app', '--yes', '--json'], { kms })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('USE_WOULD_FAIL')
    expect(doc.error.message).toBe('refused by the use probe: USE_WOULD_FAIL; alias/app was not moved to the new key')
    expect(kms.mutations()).not.toContain(`UpdateAlias alias/app ${created()?.keyId}`)
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
    expect(kms.keys.get(created()?.keyId ?? '')?.keyState).toBe('Disabled')
  })

  it('a failed use after the move: rolled back by itself (exit 9), the created key set aside; the journal holds the rotate and its rollback', async () => {
    const { old, kms, created } = rotating((ref, after) => (ref === 'alias/app' && after ? denied(ref) : 'normal'))
    const r = await run(['rotate', 'alias/app', '--yes', '--probe-timeout', '1', '--json'], { kms })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'rolled-back', changed: false, probe: { after: 'failed', rolledBack: true } })
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
    const newKey = created()?.keyId
    expect(kms.keys.get(newKey ?? '')?.keyState).toBe('Disabled')
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.action, e.command, e.previousKeyId, e.newKeyId])).toEqual([
      ['rotate', 'rotate', old.keyId, newKey],
      ['update', 'rotate (rollback)', newKey, old.keyId],
    ])
  })
})

describe('undo and undo --run probe the key they go back to', () => {
  /** Counts the UpdateAlias calls made on `kms`; returns the count so far. */
  function countUpdates(kms: UseFaultKms): () => number {
    let n = 0
    const update = kms.updateAlias.bind(kms)
    kms.updateAlias = async (alias, target) => {
      n += 1
      await update(alias, target)
    }
    return () => n
  }

  it('undo: a failed use after going back rolls the undo back (exit 9); the alias stays where the change left it', async () => {
    const { old, next, kms } = world((ref) => (updates() >= 2 && ref === 'alias/app' ? denied(ref) : 'normal'))
    const updates = countUpdates(kms)
    const first = await run(['update', 'alias/app', '--to', next.keyId, '--json'], { kms })
    expect(first.code).toBe(0)
    const env = { KMS_ALIAS_JOURNAL: first.ctx.env.KMS_ALIAS_JOURNAL, XDG_STATE_HOME: first.ctx.env.XDG_STATE_HOME }
    const r = await run(['undo', '--last', '--yes', '--probe-timeout', '1', '--json'], { kms, env })
    expect(r.code).toBe(9)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'rolled-back', probe: { after: 'failed', rolledBack: true } })
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
    expect((await journalOf(r.ctx)).map((e) => [e.command, e.newKeyId])).toEqual([
      ['update', next.keyId],
      ['undo', old.keyId],
      ['undo (rollback)', next.keyId],
    ])
  })

  it('undo --run: a revert whose use fails stops the undo (exit 9); what was reverted stays, nothing is rolled back', async () => {
    const old = key()
    const next = key()
    const kms = new UseFaultKms({
      keys: [old, next],
      aliases: { 'alias/a': old.keyId, 'alias/b': old.keyId },
      // The apply's two UpdateAlias calls, then the undo's revert of alias/b (the newest).
      answer: (ref) => (updates() >= 3 && ref === 'alias/b' ? denied(ref) : 'normal'),
    })
    const updates = countUpdates(kms)
    const applied = await run(['apply', '-', '--yes', '--json'], { kms, stdin: `alias/a ${next.keyId}\nalias/b ${next.keyId}` })
    expect(applied.code).toBe(0)
    const env = { KMS_ALIAS_JOURNAL: applied.ctx.env.KMS_ALIAS_JOURNAL, XDG_STATE_HOME: applied.ctx.env.XDG_STATE_HOME }
    const r = await run(['undo', '--run', JSON.parse(applied.stdout).runId, '--yes', '--probe-timeout', '1', '--json'], { kms, env })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.error.message).toMatch(/using alias\/b failed: .*; nothing was rolled back$/)
    // Issue 20 review, item 3: the hint said "the alias points to the new key" before (wrong for an undo).
    expect(doc.error.hint).toBe(
      '1 of 2 reverted; undo --run never rolls back, so those stay reverted (the one whose use failed too) and the rest were not attempted; find out why its key cannot be used, then run undo --run again for the rest (reverted entries are skipped)',
    )
    // Newest first: alias/b is reverted first, its use fails, alias/a is not attempted.
    type Revert = { alias: string; outcome: string; probe: { after: string | null; rolledBack: boolean | null } }
    expect(doc.changes.map((c: Revert) => [c.alias, c.outcome, c.probe.after, c.probe.rolledBack])).toEqual([
      // Issue 20 review, item 3: was false ("the rollback did not hold") though undo --run never rolls back.
      ['alias/b', 'reverted', 'failed', null],
      ['alias/a', 'not-attempted', null, null],
    ])
    expect([kms.aliases.get('alias/a'), kms.aliases.get('alias/b')]).toEqual([next.keyId, old.keyId])
  })
})

describe('interrupted while probing after the change', () => {
  // Failed before the fix: the interruption escaped the engine's probe step, and the report said changed: false.
  it('exit 130; the report says the alias changed (the probe never hides a change made)', async () => {
    const { main } = await import('../../src/cli/main.js')
    const { testContext } = await import('../helpers/testContext.js')
    let ctx: ReturnType<typeof testContext> | undefined
    const { next, kms } = world((ref, after) => {
      if (ref !== 'alias/app' || !after) return 'normal'
      // Ctrl-C while the probe's Encrypt is in flight: the port answers with the interruption.
      ctx?.abort()
      return new InterruptedError()
    })
    ctx = testContext({ kms })
    const code = await main(['update', 'alias/app', '--to', next.keyId, '--json'], ctx)
    expect(code).toBe(130)
    expect(JSON.parse(ctx.stdout())).toMatchObject({ changed: true, verified: true, error: { code: 'INTERRUPTED' } })
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
  })

  // Issue 20 review, item 4: failed before (after 'not-run', attempts 0, though two probes had failed).
  it("Ctrl-C in the wait between failing probes: after 'interrupted' with the attempts and the last error, no rollback", async () => {
    const { main } = await import('../../src/cli/main.js')
    const { testContext } = await import('../helpers/testContext.js')
    let ctx: ReturnType<typeof testContext> | undefined
    const { next, kms } = world((ref, after, nth) => {
      if (ref !== 'alias/app' || !after) return 'normal'
      // The second failed probe's moment: Ctrl-C, which the backoff's sleep then answers.
      if (nth === 1) ctx?.abort()
      return denied(ref)
    })
    ctx = testContext({ kms })
    const code = await main(['update', 'alias/app', '--to', next.keyId, '--json'], ctx)
    expect(code).toBe(130)
    const doc = JSON.parse(ctx.stdout())
    expect(doc.probe).toMatchObject({ after: 'interrupted', attempts: 2, rolledBack: null, rollback: null })
    expect(doc.probe.callers[0].after).toMatchObject({ status: 'interrupted', attempts: 2, error: { code: 'AccessDeniedException' } })
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
    expect(kms.mutations()).toHaveLength(1)
  })

  it('Ctrl-C in the wait: the table says the probe was interrupted and the alias points to the new key', async () => {
    const { main } = await import('../../src/cli/main.js')
    const { testContext } = await import('../helpers/testContext.js')
    let ctx: ReturnType<typeof testContext> | undefined
    const { next, kms } = world((ref, after, nth) => {
      if (ref !== 'alias/app' || !after) return 'normal'
      if (nth === 1) ctx?.abort()
      return denied(ref)
    })
    ctx = testContext({ kms, tty: true, env: { NO_COLOR: '1' } })
    const code = await main(['update', 'alias/app', '--to', next.keyId, '--yes'], ctx)
    expect(code).toBe(130)
    expect(ctx.stderr()).toContain(
      `alias/app was changed to ${next.keyId} and confirmed; the use probe was interrupted (last: AccessDeniedException: Encrypt was denied: AccessDeniedException: not authorized by the key policy); alias/app points to the new key, its use not verified. Undo: `,
    )
  })
})
