// The use probe in every view (issue 20): one shape, `probe: {operation, before, after, attempts,
// keyIdSeen, rolledBack, callers}`, in every command's JSON, a line in the table and text views.
import type { ChalkInstance } from 'chalk'
import type { ProbeOperation, UseProbeResult } from '../kms/useProbe.js'
import type { WriteOutcome } from '../engine/writePath.js'
import { callersToProbeAfter, OPERATOR, probeFindings, probeOperation, type CallerAfter, type ProbeAfter, type ProbeBefore } from '../preflight/probe.js'

export interface ProbeResultView {
  ok: boolean
  keyIdSeen: string | null
  error: { code: string; message: string } | null
}

export interface ProbeCallerView {
  /** "operator" (the credentials of the run), or a --probe-as role ARN. */
  caller: string
  before: { alias: ProbeResultView; target: ProbeResultView | null }
  after: Omit<CallerAfter, 'caller' | 'operation'> | null
}

export interface ProbeReport {
  operation: ProbeOperation | null
  /**
   * ok; would-fail (USE_WOULD_FAIL, CALLER_WOULD_BE_DENIED); unavailable (PROBE_UNAVAILABLE for the
   * operator: a --probe-as role's shows in its `callers` entry); skipped (PROBE_SKIPPED).
   */
  before: 'ok' | 'would-fail' | 'unavailable' | 'skipped'
  /**
   * ok: the new key answered through the alias; stale: the old key still did at --probe-timeout
   * (PROBE_STALE); failed: using it failed (exit 9); interrupted: Ctrl-C cut the wait short (exit
   * 130, no rollback; attempts and the callers' last error as far as it got); not-run: no caller to compare, or --no-verify;
   * null: no change was made (dry run, refused, failed before).
   */
  after: 'ok' | 'stale' | 'failed' | 'interrupted' | 'not-run' | null
  /** Probes through the alias after the change (the caller that needed most). */
  attempts: number
  keyIdSeen: string | null
  /** After a failed probe: true only when the rollback was written and ListAliases confirmed it (null: no rollback was needed or possible). */
  rolledBack: boolean | null
  /** What the rollback after a failed probe came to (null: none was tried). */
  rollback: RollbackState | null
  callers: ProbeCallerView[]
}

/**
 * confirmed: written and confirmed by ListAliases; not-confirmed: written, ListAliases did not
 * confirm it; failed: its UpdateAlias failed and the alias stayed on the new key; unknown: it could
 * not be told whether it went through; left-alone: another writer had moved the alias since.
 */
export type RollbackState = 'confirmed' | 'not-confirmed' | 'failed' | 'unknown' | 'left-alone'

/** What a rollback's write and its confirmation came to (null: no rollback was tried). */
export function rollbackState(back: WriteOutcome | undefined, confirmed: boolean): RollbackState | null {
  if (back === undefined) return null
  if (back.status === 'conflict') return 'left-alone'
  // A failed call that KMS carried out anyway is a rollback like any other.
  if (back.status === 'failed' && back.changed !== true) return back.changed === null ? 'unknown' : 'failed'
  return confirmed ? 'confirmed' : 'not-confirmed'
}

const resultView = (r: UseProbeResult): ProbeResultView => ({ ok: r.ok, keyIdSeen: r.keyIdSeen, error: r.error })

/** The probe before a change, as every view shows it; `withAfter` adds what happened after. */
export function probeReport(before: ProbeBefore): ProbeReport {
  const findings = probeFindings(before)
  const verdict: ProbeReport['before'] = findings.some((f) => f.severity === 'block')
    ? 'would-fail'
    : before.targetSkipped !== null
      ? 'skipped'
      : before.callers[0]?.alias.ok === false
        ? 'unavailable'
        : 'ok'
  return {
    operation: probeOperation(before),
    before: verdict,
    after: null,
    attempts: 0,
    keyIdSeen: null,
    rolledBack: null,
    rollback: null,
    callers: before.callers.map((c) => ({ caller: c.caller, before: { alias: resultView(c.alias), target: c.target && resultView(c.target) }, after: null })),
  }
}

/** The report of a change that was made: what the probe after it saw (null: it had no caller, or did not run). */
export function withAfter(report: ProbeReport, after: ProbeAfter | null | undefined, rollback: RollbackState | null): ProbeReport {
  const rolledBack = rollback === null ? null : rollback === 'confirmed'
  if (!after) return { ...report, after: 'not-run', rolledBack, rollback }
  const byCaller = new Map(after.callers.map((c) => [c.caller, c]))
  return {
    ...report,
    after: after.status,
    attempts: after.attempts,
    keyIdSeen: after.keyIdSeen,
    rolledBack,
    rollback,
    callers: report.callers.map((c) => {
      const a = byCaller.get(c.caller)
      return { ...c, after: a ? { status: a.status, attempts: a.attempts, keyIdSeen: a.keyIdSeen, error: a.error } : null }
    }),
  }
}

/** Whether a probe after the change is to run at all (some caller can compare). */
export const probesAfter = (before: ProbeBefore): boolean => callersToProbeAfter(before).length > 0

const ROLLBACK_SAYS: Record<RollbackState | 'none', string> = {
  confirmed: 'it was rolled back',
  'not-confirmed': 'it was rolled back, not confirmed by ListAliases',
  failed: 'the rollback failed; the alias points to the new key',
  unknown: 'it could not be told whether the rollback went through',
  'left-alone': 'it was not rolled back: another writer changed the alias since',
  none: 'nothing was rolled back',
}

/** One line for the human views: what the probe showed, or why it did not run. */
export function renderProbeLine(probe: ProbeReport | null, style: ChalkInstance): string | null {
  if (probe === null) return null
  const op = probe.operation ?? 'the use probe'
  const times = `${probe.attempts} attempt${probe.attempts === 1 ? '' : 's'}`
  const roles = probe.callers.filter((c) => c.caller !== OPERATOR).length
  const as = roles > 0 ? ` (as you and ${roles} role${roles === 1 ? '' : 's'})` : ''
  switch (probe.after) {
    case 'ok':
      return `${style.green('✓')} Use probe: ${op} through the alias answered by ${probe.keyIdSeen ?? 'the new key'}${as}, ${times}.`
    case 'stale':
      return `${style.yellow('!')} Use probe: the old key ${probe.keyIdSeen ?? ''} still answered ${op} after ${times}; the control plane is confirmed (PROBE_STALE).`
    case 'failed':
      return `${style.red('✗')} Use probe: ${op} through the alias failed after the change${as}; ${ROLLBACK_SAYS[probe.rollback ?? 'none']}.`
    case 'interrupted': {
      const last = probe.callers.find((c) => c.after?.error)?.after?.error
      return `${style.yellow('!')} Use probe: interrupted after ${times}${last ? ` (last: ${last.code}: ${last.message})` : ''}; the alias points to the new key, its use not verified.`
    }
    case 'not-run':
      return `Use probe: not run after the change (${probe.before === 'ok' ? 'not confirmed with ListAliases' : `before: ${probe.before}`}).`
    default:
      return `Use probe before: ${probe.before} (${op}${as}).`
  }
}
