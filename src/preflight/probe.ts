// The use probe's preflight (issue 20): what the probes before a change say about it. Pure: the
// engine performs the probes (engine/probe.ts) and hands their results here.
import type { ProbeOperation, UseProbeResult } from '../kms/useProbe.js'
import type { Finding } from './rules.js'

/** The operator running kms-alias; a --probe-as caller is named by its role ARN. */
export const OPERATOR = 'operator'

/** One caller's probes before the change: the alias as it is, and the target by its key ID. */
export interface CallerBefore {
  caller: string
  alias: UseProbeResult
  /** null: the target was not probed (the user allowed its state, see `ProbeBefore.targetSkipped`). */
  target: UseProbeResult | null
}

export interface ProbeBefore {
  aliasName: string
  targetKeyId: string
  callers: CallerBefore[]
  /** Why the target was not probed: a state the user allowed with a flag (e.g. --allow-disabled). */
  targetSkipped: string | null
}

const who = (caller: string) => (caller === OPERATOR ? 'you' : caller)

function failure(r: UseProbeResult): string {
  const code = r.error?.code ?? 'an error'
  const message = r.error?.message ?? ''
  // Our translated messages mostly name KMS's error already.
  return message.includes(code) ? `${r.operation}: ${message}` : `${r.operation} answered ${code}: ${message}`
}

/** One caller's probes after the change. */
export interface CallerAfter {
  caller: string
  /**
   * ok: the new key answered; stale: the old key still answered when time ran out; failed: the use
   * failed; interrupted: a signal ended the wait (attempts and error: as far as it got).
   */
  status: 'ok' | 'stale' | 'failed' | 'interrupted'
  attempts: number
  keyIdSeen: string | null
  operation: UseProbeResult['operation']
  error: UseProbeResult['error']
}

export interface ProbeAfter {
  aliasName: string
  /** The worst of the callers': interrupted, then failed, then stale, then ok. */
  status: CallerAfter['status']
  /** The most any caller needed. */
  attempts: number
  /** --probe-timeout, for the words of PROBE_STALE. */
  timeoutSeconds: number
  /** What the first caller's (the operator's, unless unavailable) last probe saw. */
  keyIdSeen: string | null
  callers: CallerAfter[]
}

/** The findings of the probes before a change. */
export function probeFindings(before: ProbeBefore): Finding[] {
  const findings: Finding[] = []
  for (const c of before.callers) {
    if (!c.alias.ok) {
      findings.push({
        code: 'PROBE_UNAVAILABLE',
        severity: 'info',
        message: `${before.aliasName} does not work now for ${who(c.caller)} (${failure(c.alias)}): nothing to compare, so no use probe runs for ${who(c.caller)} after the change`,
      })
      continue
    }
    if (c.target === null || c.target.ok) continue
    findings.push(
      c.caller === OPERATOR
        ? {
            code: 'USE_WOULD_FAIL',
            severity: 'block',
            message: `${before.aliasName} works now, but the new key ${before.targetKeyId} does not: ${failure(c.target)}; only --no-probe skips this check`,
          }
        : {
            code: 'CALLER_WOULD_BE_DENIED',
            severity: 'block',
            message: `${c.caller} can use ${before.aliasName} now, but not the new key ${before.targetKeyId}: ${failure(c.target)}; only --no-probe skips this check`,
          },
    )
  }
  if (before.targetSkipped !== null) {
    findings.push({
      code: 'PROBE_SKIPPED',
      severity: 'info',
      message: `the new key ${before.targetKeyId} was not probed (${before.targetSkipped}), and no use probe runs after the change`,
    })
  }
  return findings
}

/** What the probe after a change found: PROBE_STALE when the old key still answered at the timeout. */
export function afterFindings(after: ProbeAfter | null | undefined, targetKeyId: string): Finding[] {
  if (after?.status !== 'stale') return []
  return [
    {
      code: 'PROBE_STALE',
      severity: 'warn',
      message: `ListAliases confirms ${after.aliasName} on ${targetKeyId}, but after ${after.timeoutSeconds} s (${after.attempts} probes) ${after.keyIdSeen ?? 'the old key'} still answered through it: callers may use the old key for a while (raise --probe-timeout to wait longer)`,
    },
  ]
}

/** The callers whose use of the alias is compared after the change: those it works for now, when the target was probed. */
export function callersToProbeAfter(before: ProbeBefore): string[] {
  if (before.targetSkipped !== null) return []
  return before.callers.filter((c) => c.alias.ok && c.target?.ok === true).map((c) => c.caller)
}

/**
 * Why the target is not probed: a state the user allowed with a flag wins over the probe, which would
 * only find what the flag accepted (a disabled key answers DisabledException). null: probe it;
 * refused: a state finding blocks the change, so nothing is probed.
 */
export function targetProbeSkip(targetState: string | undefined, allowDisabled: boolean): string | null | 'refused' {
  if (targetState === undefined || targetState === 'Enabled') return null
  // TARGET_NOT_ENABLED or TARGET_PENDING_DELETION already block: the probe would only repeat them.
  if (!allowDisabled || targetState === 'PendingDeletion' || targetState === 'PendingReplicaDeletion') return 'refused'
  return `it is ${targetState} and --allow-disabled allows that`
}

/** The probe's operation for the views: the one the new key's probe used, or the alias's. */
export function probeOperation(before: ProbeBefore): ProbeOperation | null {
  const first = before.callers[0]
  return first?.target?.operation ?? first?.alias.operation ?? null
}
