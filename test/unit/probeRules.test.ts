// The use probe's preflight rules (src/preflight/probe.ts), table-driven: every combination of the
// alias's and the target's probe for the operator and for a --probe-as role.
import { describe, expect, it } from 'vitest'
import type { UseProbeResult } from '../../src/kms/useProbe.js'
import { afterFindings, callersToProbeAfter, probeFindings, targetProbeSkip, type ProbeBefore } from '../../src/preflight/probe.js'

const ok: UseProbeResult = { operation: 'Sign/Verify', ok: true, keyIdSeen: 'k', error: null, lasting: false }
const denied: UseProbeResult = {
  operation: 'Sign/Verify',
  ok: false,
  keyIdSeen: null,
  error: { code: 'AccessDeniedException', message: 'Sign was denied: AccessDeniedException' },
  lasting: false,
}
const ROLE = 'arn:aws:iam::111122223333:role/app'

const before = (caller: string, alias: UseProbeResult, target: UseProbeResult | null, targetSkipped: string | null = null): ProbeBefore => ({
  aliasName: 'alias/sign',
  targetKeyId: 'new',
  callers: [{ caller, alias, target }],
  targetSkipped,
})

describe('probeFindings', () => {
  it.each([
    ['operator', ok, ok, null, [], ['operator']],
    ['operator', ok, denied, null, [['USE_WOULD_FAIL', 'block']], []],
    ['operator', denied, ok, null, [['PROBE_UNAVAILABLE', 'info']], []],
    ['operator', denied, denied, null, [['PROBE_UNAVAILABLE', 'info']], []],
    ['operator', ok, null, 'it is Disabled and --allow-disabled allows that', [['PROBE_SKIPPED', 'info']], []],
    [ROLE, ok, ok, null, [], [ROLE]],
    [ROLE, ok, denied, null, [['CALLER_WOULD_BE_DENIED', 'block']], []],
    [ROLE, denied, ok, null, [['PROBE_UNAVAILABLE', 'info']], []],
    [ROLE, denied, denied, null, [['PROBE_UNAVAILABLE', 'info']], []],
  ] as const)('%s: alias %o, target %o, skipped %s', (caller, alias, target, skipped, codes, after) => {
    const b = before(caller, alias, target, skipped)
    expect(probeFindings(b).map((f) => [f.code, f.severity])).toEqual(codes)
    expect(callersToProbeAfter(b)).toEqual(after)
  })

  it('names the operation and KMS error, and the only way past it', () => {
    expect(probeFindings(before(ROLE, ok, denied))[0]?.message).toBe(
      `${ROLE} can use alias/sign now, but not the new key new: Sign/Verify: Sign was denied: AccessDeniedException; only --no-probe skips this check`,
    )
  })
})

describe('targetProbeSkip', () => {
  it.each([
    ['Enabled', false, null],
    ['Enabled', true, null],
    [undefined, false, null],
    ['Disabled', false, 'refused'],
    ['Disabled', true, 'it is Disabled and --allow-disabled allows that'],
    ['PendingImport', true, 'it is PendingImport and --allow-disabled allows that'],
    // Pending deletion blocks whatever the flags: nothing to probe.
    ['PendingDeletion', true, 'refused'],
    ['PendingReplicaDeletion', true, 'refused'],
  ] as const)('%s with --allow-disabled %s: %s', (state, allow, expected) => {
    expect(targetProbeSkip(state, allow)).toBe(expected)
  })
})

describe('afterFindings', () => {
  const after = (status: 'ok' | 'stale' | 'failed') => ({
    aliasName: 'alias/sign',
    status,
    attempts: 3,
    timeoutSeconds: 60,
    keyIdSeen: 'old',
    callers: [],
  })
  it.each([
    ['ok', []],
    ['failed', []],
    ['stale', [['PROBE_STALE', 'warn']]],
  ] as const)('%s', (status, codes) => {
    expect(afterFindings(after(status), 'new').map((f) => [f.code, f.severity])).toEqual(codes)
  })
  it('none without a probe after', () => expect(afterFindings(null, 'new')).toEqual([]))
})
