// The use probe's engine step (issue 20): the probes before a change (part of the plan's reads) and
// the wait after it, through the alias, until the new key answers. The round trip itself is
// kms/useProbe.ts; what the probes before mean is preflight/probe.ts.
import type { Place, Session } from '../cli/session.js'
import { CliError, InterruptedError, UseFailedError } from '../errors.js'
import { FIRST_DELAY_MS, MAX_DELAY_MS, type PollTiming } from '../kms/confirm.js'
import type { AssumeRoleConfig, KeyInfo, KmsPort } from '../kms/port.js'
import { OPERATION_BY_USAGE, probeUse, type UseProbeResult } from '../kms/useProbe.js'
import { callersToProbeAfter, OPERATOR, type CallerAfter, type ProbeAfter, type ProbeBefore } from '../preflight/probe.js'

export type { CallerAfter, ProbeAfter }

/** --no-probe, --probe-timeout and --probe-as. */
export interface ProbeSettings {
  enabled: boolean
  timeoutSeconds: number
  roles: AssumeRoleConfig[]
}

/** Who a probe runs as: the operator (the run's own credentials) or a --probe-as role. */
export interface ProbeCaller {
  caller: string
  kms: KmsPort
}

/** The probe round trip; a parameter so that the engine's tests can stand in for KMS's answers. */
export type Prober = (kms: KmsPort, keyRef: string, key: KeyInfo, runId: string) => Promise<UseProbeResult>

/** The ports the probes run through: the run's own, then one per --probe-as role at the same place. */
export async function probeCallers(session: Session, kms: KmsPort, settings: ProbeSettings, place: Place = {}): Promise<ProbeCaller[]> {
  const roles = await Promise.all(settings.roles.map(async (role) => ({ caller: role.arn, kms: await session.kms({ ...place, role }) })))
  return [{ caller: OPERATOR, kms }, ...roles]
}

/** Every caller's probes before the change, all at once: the alias as it is, and the target by key ID. */
export async function probeBefore(
  callers: ProbeCaller[],
  what: { aliasName: string; current: KeyInfo; target: KeyInfo; runId: string; targetSkipped: string | null },
  prober: Prober = probeUse,
  /** The target's probes of earlier items of the run, by caller and key: a key many aliases move to is probed once. */
  targetProbes?: Map<string, Promise<UseProbeResult>>,
): Promise<ProbeBefore> {
  const { aliasName, current, target, runId, targetSkipped } = what
  const probeTarget = (caller: ProbeCaller) => {
    const key = `${caller.caller}\0${target.keyId}`
    let probed = targetProbes?.get(key)
    if (!probed) {
      probed = prober(caller.kms, target.keyId, target, runId)
      targetProbes?.set(key, probed)
    }
    return probed
  }
  const results = await Promise.all(
    callers.map(async (c) => {
      const { caller, kms } = c
      const probes = Promise.all([prober(kms, aliasName, current, runId), targetSkipped === null ? probeTarget(c) : Promise.resolve(null)])
      const [alias, probed] = await probes.catch((error: unknown) => {
        throw unassumable(error)
      })
      return { caller, alias, target: probed }
    }),
  )
  return { aliasName, targetKeyId: target.keyId, callers: results, targetSkipped }
}

/**
 * A --probe-as role that cannot be assumed ends the run before any write, with AssumeRole's own exit
 * code and hint: the user asked for that probe, and "the alias does not work for the role" would be
 * a guess about a caller nobody could speak for.
 */
function unassumable(error: unknown): unknown {
  if (!(error instanceof CliError) || error.assumingRole === undefined) return error
  const named = new CliError(`--probe-as ${error.assumingRole}: ${error.message}`, error.exitCode, error.hint)
  named.awsCode = error.awsCode
  named.assumingRole = error.assumingRole
  return named
}

/**
 * Probes through the alias as every caller the alias worked for before, until the new key answers,
 * with the confirmation's backoff for up to the timeout. A failure is tried again while the time
 * lasts (authorization can lag an alias change by minutes), except one time does not change.
 * null: no caller could compare (PROBE_UNAVAILABLE, or the target was not probed).
 */
export async function probeAfter(
  callers: ProbeCaller[],
  before: ProbeBefore,
  target: KeyInfo,
  runId: string,
  timing: PollTiming,
  prober: Prober = probeUse,
): Promise<ProbeAfter | null> {
  const names = new Set(callersToProbeAfter(before))
  const probing = callers.filter((c) => names.has(c.caller))
  if (probing.length === 0) return null
  const results = await Promise.all(probing.map((c) => untilNewKey(c, before.aliasName, target, runId, timing, prober)))
  const worst = (['interrupted', 'failed', 'stale'] as const).find((s) => results.some((r) => r.status === s))
  const status = worst ?? 'ok'
  return {
    aliasName: before.aliasName,
    status,
    attempts: Math.max(...results.map((r) => r.attempts)),
    timeoutSeconds: timing.timeoutMs / 1000,
    keyIdSeen: results[0]?.keyIdSeen ?? null,
    callers: results,
  }
}

async function untilNewKey(caller: ProbeCaller, aliasName: string, target: KeyInfo, runId: string, timing: PollTiming, prober: Prober): Promise<CallerAfter> {
  const deadline = timing.now().getTime() + timing.timeoutMs
  let delay = FIRST_DELAY_MS
  let last: UseProbeResult | undefined
  // Ctrl-C mid-wait: the views say how far the probe got, since the alias stays on the new key unverified.
  const cut = (attempts: number, error: unknown): CallerAfter => {
    if (!(error instanceof InterruptedError || timing.signal?.aborted)) throw error
    return { caller: caller.caller, status: 'interrupted', attempts, keyIdSeen: last?.keyIdSeen ?? null, operation: last?.operation ?? OPERATION_BY_USAGE[target.keyUsage ?? 'ENCRYPT_DECRYPT'] ?? 'Encrypt/Decrypt', error: last?.error ?? null }
  }
  for (let attempts = 1; ; attempts++) {
    let r: UseProbeResult
    try {
      r = await probeAfterChange(prober, caller.kms, aliasName, target, runId)
    } catch (error) {
      return cut(attempts, error)
    }
    last = r
    const after = (status: CallerAfter['status']): CallerAfter => ({
      caller: caller.caller,
      status,
      attempts,
      keyIdSeen: r.keyIdSeen,
      operation: r.operation,
      error: r.error,
    })
    // An answer without a key ID (none of KMS's does) cannot be told stale: it worked.
    if (r.ok && (r.keyIdSeen === null || r.keyIdSeen === target.keyId)) return after('ok')
    if (!r.ok && r.lasting) return after('failed')
    // A prober answers a cut request as a failed result; the signal says it was Ctrl-C, not KMS.
    if (timing.signal?.aborted) return cut(attempts, new InterruptedError())
    const remaining = deadline - timing.now().getTime()
    if (remaining <= 0) return after(r.ok ? 'stale' : 'failed')
    try {
      await timing.sleep(Math.min(delay, remaining), timing.signal)
    } catch (error) {
      return cut(attempts, error)
    }
    delay = Math.min(delay * 2, MAX_DELAY_MS)
  }
}

/**
 * After the change a role's credentials failing to refresh is a use that fails (and time may heal
 * it): the change is already made, so the run goes on to the probe's verdict and its rollback.
 */
async function probeAfterChange(prober: Prober, kms: KmsPort, aliasName: string, target: KeyInfo, runId: string): Promise<UseProbeResult> {
  try {
    return await prober(kms, aliasName, target, runId)
  } catch (error) {
    if (!(error instanceof CliError) || error.assumingRole === undefined) throw error
    const usage = target.keyUsage ?? 'ENCRYPT_DECRYPT'
    const operation = OPERATION_BY_USAGE[usage] ?? 'Encrypt/Decrypt'
    return { operation, ok: false, keyIdSeen: null, error: { code: error.awsCode ?? error.name, message: error.message }, lasting: false }
  }
}

/** The error a failed probe after the change stops the run with; the engine adds what its rollback did. */
export function useFailure(after: ProbeAfter): UseFailedError {
  const failed = after.callers.find((c) => c.status === 'failed')
  const as = failed && failed.caller !== OPERATOR ? ` as ${failed.caller}` : ''
  const why = failed ? `${failed.operation}${as} answered ${failed.error?.code ?? 'an error'} (${failed.error?.message ?? ''}) after ${failed.attempts} attempt${failed.attempts === 1 ? '' : 's'}` : 'the probe failed'
  return new UseFailedError(`the change was made and confirmed, but using ${after.aliasName} failed: ${why}`)
}
