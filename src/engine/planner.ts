// The one planner: "point alias X at key Y" (create when X is absent, delete when there is no Y),
// for update --regions, apply and undo --run (and through them every item of a run). Every read
// that waits on no other goes out at once: the alias's key beside the target, and with the target
// named by key ID or ARN, the target's aliases and the access reads its ID allows too; then the
// current key's aliases and access reads as soon as that key is known, and (when the caller
// reserves) the write's lock and guard read beside them.
import { NotFoundError } from '../errors.js'
import type { AliasRef, KeyRef } from '../kms/identifiers.js'
import { currentTarget, matchesKey, type DescribedKey } from '../kms/lookups.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import { accessPreflight, keyAccessOf, settleRead } from '../preflight/accessPreflight.js'
import { callerFindings } from '../preflight/callers.js'
import type { KeyEvents } from '../cloudtrail/port.js'
import { parseArn } from '../kms/identifiers.js'
import { localRefusals } from '../preflight/local.js'
import { createFindings, updateFindings } from '../preflight/plan.js'
import { aliasAccountFindings, hasBlock, orphanFindings, type Finding, type Overrides } from '../preflight/rules.js'
import { probeFindings, targetProbeSkip, type ProbeBefore } from '../preflight/probe.js'
import type { RunReads } from './reads.js'
import type { Reservation } from './writePath.js'

/** The preflight's overrides, the same on every command that moves an alias. */
export interface MoveOverrides extends Overrides {
  allowAccessChange: boolean
}

export interface MoveRequest {
  aliasRef: AliasRef
  /** Where the alias is to point; undefined deletes it. */
  targetRef: KeyRef | undefined
  region: string
  /** The account the alias must be in, when one is known (the journal's, --role-arn's). */
  expectAccount?: string | undefined
  overrides: MoveOverrides
  /** The error's message when KMS does not know the target ("--to x not found in us-east-1"). */
  targetNotFound: string
  /**
   * Whether the alias is where the caller requires (undo: where the change left it; --expect-current).
   * When it is not, nothing more is read and the plan says so.
   */
  guard?: (current: KeyInfo | undefined) => boolean | Promise<boolean>
  /** An alias that does not exist is created (apply, undo of a delete), or is an error (update). */
  mustExist?: boolean
  /** Called when the access reads go out (a spinner says so). */
  onAccessReads?: () => void
  /**
   * Called once the alias's key is known (and the guard holds), when the write is to follow the plan
   * with nothing waiting on a person in between: takes the alias's lock and starts the write's guard
   * read (Writer.reserve), beside the plan's last reads. A plan that is not 'planned' releases it.
   */
  reserve?: (current: KeyInfo | undefined) => Reservation | undefined
  /**
   * The use probes before an update (engine/probe.ts), sent beside the access reads once both keys
   * are described; `targetSkipped` says why the target is not probed (a state the user allowed).
   * Absent: --no-probe.
   */
  probe?: (current: KeyInfo, target: KeyInfo, targetSkipped: string | null) => Promise<ProbeBefore>
  /**
   * --callers (issue 21): CloudTrail's events for the current key (by its ARN) over the window,
   * whose callers are checked against the new key's policy and grants.
   */
  callers?: { windowDays: number; events: (keyArn: string) => Promise<KeyEvents> }
}

export type PlannedMove =
  /** The typed names alone refuse it; nothing was read. */
  | { status: 'refused'; findings: Finding[] }
  /** The guard did not hold: the alias is elsewhere (`current`: where); no access was read. */
  | { status: 'moved'; current: KeyInfo | undefined; target: KeyInfo | undefined }
  | {
      status: 'planned'
      /** no-op: the alias already points to the target. */
      action: 'create' | 'update' | 'delete' | 'no-op'
      current: DescribedKey | undefined
      target: DescribedKey | undefined
      findings: Finding[]
      /** The write's lock and guard read, when the request reserved them: write with it, or release it. */
      reservation?: Reservation
      /** The use probes before the change (update only, unless --no-probe). */
      probe?: ProbeBefore
    }

/** Plans one move; reads through `reads`, so items of one run share them. */
export async function planMove(reads: RunReads, request: MoveRequest): Promise<PlannedMove> {
  const local = localRefusals(request.aliasRef, request.region, request.targetRef)
  if (local.length > 0) return { status: 'refused', findings: local }
  const currentKey = reads.aliasKey(request.aliasRef.name)
  if (request.targetRef) reads.startKeyReads(request.targetRef)
  const guarded = currentKey.then((key) => (request.guard ? request.guard(key) : true))
  const { reserve } = request
  const reserved = reserve ? Promise.all([currentKey, guarded]).then(([key, holds]) => (holds ? reserve(key) : undefined)) : Promise.resolve(undefined)
  // A failed read is the plan's to report; this handler only keeps it from being unhandled here.
  reserved.catch(() => undefined)
  let planned: PlannedMove
  try {
    planned = await plan(reads, request, currentKey, guarded)
  } catch (error) {
    await (await reserved.catch(() => undefined))?.release()
    throw error
  }
  const reservation = await reserved.catch(() => undefined)
  if (planned.status !== 'planned') {
    await reservation?.release()
    return planned
  }
  return reservation ? { ...planned, reservation } : planned
}

async function plan(reads: RunReads, request: MoveRequest, currentKey: Promise<KeyInfo | undefined>, guarded: Promise<boolean>): Promise<PlannedMove> {
  const { aliasRef, targetRef, region, overrides } = request
  const targetKey = targetRef === undefined ? Promise.resolve(undefined) : describeTarget(reads, targetRef, request.targetNotFound)
  const aliasesOf = (key: Promise<KeyInfo | undefined>) => key.then((k) => (k === undefined ? [] : reads.aliasesOf(k.keyId)))
  const access = Promise.all([currentKey, targetKey, guarded]).then(([c, t, holds]) => {
    if (!holds || c === undefined || t === undefined) return []
    request.onAccessReads?.()
    // accessPreflight reads nothing for the same key on both sides (ALREADY_TARGET).
    return accessPreflight(reads.kms, c, t, { aliasName: aliasRef.name, allowAccessChange: overrides.allowAccessChange, iam: reads.iam, cache: reads.access })
  })
  const probed = Promise.all([currentKey, targetKey, guarded]).then(([c, t, holds]) => {
    if (!request.probe || !holds || c === undefined || t === undefined || targetRef === undefined || c.keyId === t.keyId) return undefined
    const skip = targetProbeSkip(t.keyState, overrides.allowDisabled)
    if (skip === 'refused') return undefined
    // A change the keys alone refuse (spec, usage, state, place) is not probed: a probe is a use of
    // the key that CloudTrail and GetKeyLastUsage record, and it would tell nothing more. The keys'
    // aliases only warn, so they are not waited for.
    const keysOnly = { current: { key: c, aliases: [] }, target: { key: t, aliases: [] } }
    const byKeys = updateFindings({ aliasRef, targetRef, ...keysOnly, expectAccount: request.expectAccount, overrides })
    return hasBlock(byKeys) ? undefined : request.probe(c, t, skip)
  })
  const callers = Promise.all([currentKey, targetKey, guarded]).then(async ([c, t, holds]) => {
    const check = request.callers
    if (!check || !holds || c === undefined || t === undefined || c.keyId === t.keyId) return []
    const [events, currentAccess, targetAccess] = await Promise.all([
      settleRead(() => check.events(c.arn)),
      keyAccessOf(reads.kms, c, reads.access),
      keyAccessOf(reads.kms, t, reads.access),
    ])
    return callerFindings({
      events,
      current: currentAccess,
      target: targetAccess,
      targetKeyId: t.keyId,
      partition: parseArn(t.arn)?.partition ?? 'aws',
      windowDays: check.windowDays,
      allowAccessChange: overrides.allowAccessChange,
    })
  })
  // Every read gets its handler now: one that fails while another is still awaited must not be an
  // unhandled rejection (Node ends the process on one).
  const settled = Promise.allSettled([currentKey, targetKey, guarded, aliasesOf(currentKey), aliasesOf(targetKey), access, callers, probed] as const)
  // A missing alias is what a user must hear first, before anything about the target.
  if (request.mustExist && (await currentKey.catch(() => null)) === undefined) {
    await settled
    throw new NotFoundError(`alias ${aliasRef.name} not found in ${region}`)
  }
  const [current, target, holds, currentAliases, targetAliases, accessFound, callersFound, probe] = inOrder(await settled)
  if (!holds) return { status: 'moved', current, target }

  const described = (key: KeyInfo | undefined, aliases: typeof currentAliases): DescribedKey | undefined => key && { key, aliases }
  const planned = { current: described(current, currentAliases), target: described(target, targetAliases) }
  const { expectAccount } = request
  if (targetRef === undefined || planned.target === undefined) {
    if (planned.current === undefined) throw new NotFoundError(`${aliasRef.name} not found in ${region}`)
    const findings = [
      ...aliasAccountFindings(aliasRef.arn?.account ?? expectAccount, planned.current.key.accountId),
      ...orphanFindings(aliasRef.name, planned.current.key.keyId, planned.current.aliases),
    ]
    return { status: 'planned', action: 'delete', ...planned, findings }
  }
  if (planned.current === undefined) {
    const findings = createFindings({ aliasRef, targetRef, target: planned.target, region, expectAccount, overrides })
    return { status: 'planned', action: 'create', ...planned, findings }
  }
  const findings = [
    ...updateFindings({ aliasRef, targetRef, current: planned.current, target: planned.target, expectAccount, overrides }),
    ...accessFound,
    ...callersFound,
    ...(probe ? probeFindings(probe) : []),
  ]
  return { status: 'planned', action: planned.current.key.keyId === planned.target.key.keyId ? 'no-op' : 'update', ...planned, findings, ...(probe ? { probe } : {}) }
}

function describeTarget(reads: RunReads, ref: KeyRef, notFound: string): Promise<KeyInfo> {
  return reads.describe(ref.input).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new NotFoundError(notFound, error.hint)
    throw error
  })
}

type Values<T extends readonly PromiseSettledResult<unknown>[]> = { -readonly [I in keyof T]: T[I] extends PromiseSettledResult<infer V> ? V : never }

/** The values of settled reads, or the first failure in the order given (not in time). */
function inOrder<const T extends readonly PromiseSettledResult<unknown>[]>(results: T): Values<T> {
  for (const r of results) if (r.status === 'rejected') throw r.reason
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as Values<T>
}

/**
 * What --expect-current (or an undo's guard) names, as a test of the alias's current key: a key ID
 * or its exact ARN, or an alias/<name>, resolved once in this Region as the run starts (so one
 * Region and --regions take the same forms).
 */
export function expectation(kms: KmsPort, ref: KeyRef): (key: KeyInfo) => Promise<boolean> {
  if (ref.kind === 'key') return (key) => Promise.resolve(matchesKey(ref, key))
  // An alias that does not exist names no key: that is a typo to report (exit 4), not a sign that
  // someone moved the alias being changed (which exit 5 would say).
  const resolved = currentTarget(kms, ref.alias.name).then((keyId) => {
    if (keyId === undefined) throw new NotFoundError(`--expect-current ${ref.alias.name} does not exist`, 'name the key the alias points to now, or an alias on that key')
    return keyId
  })
  resolved.catch(() => undefined)
  return async (key) => (await resolved) === key.keyId
}
