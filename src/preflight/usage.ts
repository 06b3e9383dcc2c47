// Pure rules of `usage` and `retire` (issue 21): GetKeyLastUsage's three answers, the callers
// CloudTrail shows, the verdict, and the refusals of each retire step. They take what the reads
// returned (or the error a read ended on) and decide nothing by reading.
import type { TrailEvent } from '../cloudtrail/port.js'
import type { KeyInfo, KeyLastUsage } from '../kms/port.js'
import { CRYPTO_OPERATIONS, USE_OPERATIONS } from '../kms/usageFacts.js'
import type { Finding } from './rules.js'

export const DAY_MS = 86_400_000

/** GetKeyLastUsage in words (kms-facts.md section 16). */
export type LastUse =
  /** `at` null: KMS reported a use without its time. */
  | { answer: 'used'; operation: string; at: Date | null; cloudTrailEventId: string | null; trackingStart: Date | null }
  /** No use since the key was created (tracking covers the key's whole life). */
  | { answer: 'never-used'; created: Date; trackingStart: Date }
  /** No use since tracking began, but the key is older than the tracking (or a date is missing). */
  | { answer: 'unknown'; created: Date | null; trackingStart: Date | null }

/** KeyLastUsage present: used. Empty: never used when the key was created on or after TrackingStartDate, else unknown. */
export function lastUseOf(usage: KeyLastUsage, keyCreated?: Date): LastUse {
  const trackingStart = usage.trackingStartDate ?? null
  if (usage.lastUsage) {
    const { operation, timestamp, cloudTrailEventId } = usage.lastUsage
    return { answer: 'used', operation, at: timestamp ?? null, cloudTrailEventId: cloudTrailEventId ?? null, trackingStart }
  }
  const created = usage.keyCreationDate ?? keyCreated ?? null
  if (created && trackingStart && created.getTime() >= trackingStart.getTime()) return { answer: 'never-used', created, trackingStart }
  return { answer: 'unknown', created, trackingStart }
}

const day = (d: Date) => d.toISOString().slice(0, 10)
const ago = (now: Date, then: Date): string => {
  const days = Math.floor((now.getTime() - then.getTime()) / DAY_MS)
  return days < 1 ? 'less than a day ago' : days === 1 ? '1 day ago' : `${days} days ago`
}

/** GetKeyLastUsage's answer as a sentence. */
export function describeLastUse(use: LastUse, now: Date): string {
  switch (use.answer) {
    case 'used':
      return use.at ? `last used by ${use.operation} on ${use.at.toISOString()} (${ago(now, use.at)})` : `last used by ${use.operation}, at a time KMS did not say`
    case 'never-used':
      return `never used since it was created on ${day(use.created)} (KMS tracks use since ${day(use.trackingStart)})`
    case 'unknown':
      return use.trackingStart
        ? `not used since KMS began tracking on ${day(use.trackingStart)}, but the key is older${use.created ? ` (created ${day(use.created)})` : ''}: earlier use is unknown`
        : 'KMS did not say since when it tracks use: unknown'
  }
}

/** How a caller named the key: by an alias (the alias name), or by its key ID or ARN. */
export type NamedBy = string

/** One caller of the key over the window, as CloudTrail shows it. */
export interface CallerSummary {
  /** IAM principal ARN, or the AWS service that called. */
  principal: string
  /** AWS services that called on the principal's behalf. */
  via: string[]
  /** Operations that succeeded, sorted. */
  operations: string[]
  /** Successful calls. */
  count: number
  firstSeen: string
  lastSeen: string
  /** How the caller named the key: alias names it used, "key ID" and/or "key ARN", sorted. */
  named: NamedBy[]
  /** Failed calls, counted by error code. */
  failures: Record<string, number>
  /** Whether any successful call was a cryptographic operation (what GetKeyLastUsage tracks). */
  cryptographic: boolean
}

/** How `requested` (requestParameters.keyId) names the key. */
export function namedBy(requested: string | undefined): NamedBy | undefined {
  if (!requested) return undefined
  if (requested.startsWith('alias/')) return requested
  const alias = /^arn:[^:]+:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(requested)
  if (alias?.[1]) return alias[1]
  if (requested.startsWith('arn:')) return 'key ARN'
  return 'key ID'
}

/** A row per caller (principal), the most active first; failed calls counted apart by error. */
export function summarizeCallers(events: readonly TrailEvent[]): CallerSummary[] {
  const rows = new Map<string, CallerSummary & { ops: Set<string>; names: Set<string>; services: Set<string> }>()
  for (const e of events) {
    const at = e.eventTime.toISOString()
    let row = rows.get(e.principal)
    if (!row) {
      const sets = { ops: new Set<string>(), names: new Set<string>(), services: new Set<string>() }
      row = { principal: e.principal, via: [], operations: [], count: 0, firstSeen: at, lastSeen: at, named: [], failures: {}, cryptographic: false, ...sets }
      rows.set(e.principal, row)
    }
    if (at < row.firstSeen) row.firstSeen = at
    if (at > row.lastSeen) row.lastSeen = at
    if (e.invokedBy) row.services.add(e.invokedBy)
    const named = namedBy(e.keyIdRequested)
    if (named) row.names.add(named)
    if (e.errorCode) {
      row.failures[e.errorCode] = (row.failures[e.errorCode] ?? 0) + 1
      continue
    }
    row.count += 1
    row.ops.add(e.eventName)
    if (CRYPTO_OPERATIONS.has(e.eventName)) row.cryptographic = true
  }
  return [...rows.values()]
    .map(({ ops, names, services, ...row }) => ({ ...row, operations: [...ops].sort(), named: [...names].sort(), via: [...services].sort() }))
    .sort((a, b) => b.count - a.count || (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0))
}

/** What a read gave: its value, or the message of the error it ended on. */
export type ReadResult<T> = { value: T; error?: undefined } | { value?: undefined; error: string }

export type Verdict = 'in-use' | 'idle' | 'unknown'

export interface VerdictInput {
  lastUse: ReadResult<LastUse>
  /** CloudTrail's events over the window (newest first), and whether --max-events cut them. */
  trail: ReadResult<{ events: readonly TrailEvent[]; truncated: boolean }>
  /** Aliases that point at the key now (every Region read). */
  aliases: readonly string[]
  /** Use at or after this counts as recent. */
  since: Date
  now: Date
}

/**
 * in-use: any evidence of recent use (GetKeyLastUsage, a successful cryptographic or GetPublicKey call in CloudTrail,
 * callers refused for a disabled key, an alias on it). idle: no such evidence and both reads
 * cover the window. unknown: no evidence, but a read failed or cannot see far enough back.
 */
export interface VerdictResult {
  verdict: Verdict
  reasons: string[]
  /** The evidence of use within the window (aliases aside). */
  used: string[]
  /** What could not be told (a read failed, or cannot see far enough back). */
  gaps: string[]
}

export function usageVerdict(input: VerdictInput): VerdictResult {
  const inUse: string[] = []
  const gaps: string[] = []
  const idle: string[] = []
  const { lastUse, trail } = input
  if (lastUse.error !== undefined) gaps.push(`GetKeyLastUsage could not be read: ${lastUse.error}`)
  else if (lastUse.value.answer === 'used') {
    const sentence = describeLastUse(lastUse.value, input.now)
    // A use of unknown time may be recent: counted as use, never as idleness.
    if (lastUse.value.at === null || lastUse.value.at.getTime() >= input.since.getTime()) inUse.push(`GetKeyLastUsage: ${sentence}`)
    else idle.push(`GetKeyLastUsage: ${sentence}, before the window`)
  } else if (lastUse.value.answer === 'never-used') idle.push(`GetKeyLastUsage: ${describeLastUse(lastUse.value, input.now)}`)
  else if (lastUse.value.trackingStart && lastUse.value.trackingStart.getTime() <= input.since.getTime()) {
    // Tracking began before the window: "no use since tracking" covers the window.
    idle.push(`GetKeyLastUsage: no use since KMS began tracking on ${day(lastUse.value.trackingStart)}`)
  } else gaps.push(`GetKeyLastUsage: ${describeLastUse(lastUse.value, input.now)}`)

  if (trail.error !== undefined) gaps.push(`CloudTrail could not be read: ${trail.error}`)
  else {
    const recent = trail.value.events.filter((e) => e.eventTime.getTime() >= input.since.getTime())
    const used = recent.filter((e) => !e.errorCode && USE_OPERATIONS.has(e.eventName))
    const crypto = used.filter((e) => CRYPTO_OPERATIONS.has(e.eventName))
    const publicKey = used.filter((e) => !CRYPTO_OPERATIONS.has(e.eventName))
    const refused = recent.filter((e) => e.errorCode === 'DisabledException' || e.errorCode === 'KMSInvalidStateException')
    const callers = (events: readonly TrailEvent[]) => plural(new Set(events.map((e) => e.principal)).size, 'caller')
    if (crypto.length > 0) inUse.push(`CloudTrail: ${plural(crypto.length, 'successful cryptographic call')} by ${callers(crypto)} since ${day(input.since)}`)
    if (publicKey.length > 0)
      inUse.push(`CloudTrail: ${plural(publicKey.length, 'successful GetPublicKey call')} by ${callers(publicKey)} since ${day(input.since)}: the public key may be in use outside KMS`)
    if (refused.length > 0) inUse.push(`CloudTrail: ${plural(refused.length, 'call')} refused because the key is not enabled (${[...new Set(refused.map((e) => e.principal))].sort().join(', ')}): something still needs it`)
    if (used.length === 0 && refused.length === 0) {
      if (trail.value.truncated) gaps.push('CloudTrail: --max-events was reached before the start of the window; older events were not read')
      else idle.push(`CloudTrail: no cryptographic or GetPublicKey call since ${day(input.since)}`)
    }
  }
  const used = [...inUse]
  for (const alias of input.aliases) inUse.push(`${alias} points to the key: callers that name the alias use it`)
  if (inUse.length > 0) return { verdict: 'in-use', reasons: inUse, used, gaps }
  if (gaps.length > 0) return { verdict: 'unknown', reasons: [...gaps, ...idle], used, gaps }
  return { verdict: 'idle', reasons: idle, used, gaps }
}

/** What the verdict needs of one Region's reads (the engine's RegionUsage has it). */
export interface RegionEvidence {
  region: string
  aliases: ReadResult<readonly string[]>
  lastUse: ReadResult<LastUse>
  trail: ReadResult<{ events: readonly TrailEvent[]; truncated: boolean }>
}

/** The verdict over every Region read: in-use anywhere is in-use; with several Regions each reason names its own. */
export function verdictOf(reads: { since: Date; regions: readonly RegionEvidence[] }, now: Date): VerdictResult {
  const several = reads.regions.length > 1
  const tag = (region: string) => (reasons: string[]) => (several ? reasons.map((r) => `${region}: ${r}`) : reasons)
  const perRegion = reads.regions.map((r) => {
    const v = usageVerdict({ lastUse: r.lastUse, trail: r.trail, aliases: r.aliases.value ?? [], since: reads.since, now })
    const unread = r.aliases.error === undefined ? [] : [`the aliases could not be read: ${r.aliases.error}`]
    const t = tag(r.region)
    return { verdict: v.verdict, reasons: t([...unread, ...v.reasons]), used: t(v.used), gaps: t([...unread, ...v.gaps]) }
  })
  const used = perRegion.flatMap((v) => v.used)
  const gaps = perRegion.flatMap((v) => v.gaps)
  const verdict = perRegion.some((v) => v.verdict === 'in-use') ? 'in-use' : gaps.length > 0 ? 'unknown' : 'idle'
  const reasons = perRegion.filter((v) => verdict !== 'in-use' || v.verdict === 'in-use').flatMap((v) => v.reasons)
  return { verdict, reasons, used, gaps }
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`

/** What the retire steps need to know of the key, besides the evidence of use. */
export interface RetireKeyFacts {
  key: KeyInfo
  /** Aliases on the key, as "<Region>: alias/name" or "alias/name"; every Region of a multi-Region key. */
  aliases: readonly string[]
  /** Why the aliases of a Region could not be read, one message per such Region. */
  aliasesUnread: readonly string[]
  grants: number
  /** Why ListGrants failed, when it did (`grants` is 0 then). */
  grantsUnread?: string
}

const awsManaged = (key: KeyInfo): Finding => ({ code: 'KEY_AWS_MANAGED', severity: 'block', message: `${key.keyId} is an AWS managed key: AWS disables and deletes it, not you` })

/** Refusals shared by every step that changes a key's state: AWS managed, a primary with replicas, aliases still on it. */
function keyFindings(facts: RetireKeyFacts): Finding[] {
  const findings: Finding[] = []
  const { key } = facts
  if (key.keyManager === 'AWS') findings.push(awsManaged(key))
  const replicas = key.multiRegionConfiguration?.keyType === 'PRIMARY' ? key.multiRegionConfiguration.replicas : []
  if (replicas.length > 0)
    findings.push({
      code: 'KEY_HAS_REPLICAS',
      severity: 'block',
      message: `${key.keyId} is a multi-Region primary key with replicas in ${replicas.map((r) => r.region).join(', ')}: retire the replicas first`,
    })
  if (facts.aliases.length > 0)
    findings.push({
      code: 'KEY_HAS_ALIASES',
      severity: 'block',
      message: `${facts.aliases.join(', ')} still point${facts.aliases.length === 1 ? 's' : ''} to ${key.keyId}: move or delete ${facts.aliases.length === 1 ? 'it' : 'them'} first (kms-alias update, delete)`,
    })
  // An alias read that failed may hide an alias on the key; no flag lifts this, since disabling or
  // deleting a key an alias points at breaks every caller of the alias.
  if (facts.aliasesUnread.length > 0)
    findings.push({
      code: 'ALIASES_UNKNOWN',
      severity: 'block',
      message: `whether an alias still points to ${key.keyId} cannot be told: ${facts.aliasesUnread.join('; ')}; try again when ListAliases answers`,
    })
  if (facts.grantsUnread !== undefined)
    findings.push({ code: 'GRANTS_UNKNOWN', severity: 'warn', message: `grants could not be read: ${facts.grantsUnread}; grantees, if any, lose use of the key too` })
  return findings
}

/** `retire --disable`: refused while anything shows the key in use within --idle-for, or when use cannot be told. */
export function disableFindings(facts: RetireKeyFacts, evidence: Pick<VerdictResult, 'used' | 'gaps'>, options: { idleForDays: number; allowUnknownUsage: boolean }): Finding[] {
  const findings = keyFindings(facts)
  if (facts.key.keyState === 'PendingDeletion' || facts.key.keyState === 'PendingReplicaDeletion')
    findings.push({ code: 'KEY_PENDING_DELETION', severity: 'block', message: `${facts.key.keyId} is already pending deletion` })
  if (evidence.used.length > 0) {
    findings.push({ code: 'KEY_RECENTLY_USED', severity: 'block', message: `used within --idle-for ${formatDays(options.idleForDays)}: ${evidence.used.join('; ')}` })
  } else if (evidence.gaps.length > 0) {
    findings.push({
      code: 'LAST_USE_UNKNOWN',
      severity: options.allowUnknownUsage ? 'warn' : 'block',
      message: `whether the key was used within --idle-for ${formatDays(options.idleForDays)} cannot be told: ${evidence.gaps.join('; ')}${options.allowUnknownUsage ? '' : ' (pass --allow-unknown-usage to disable it anyway; kms-alias undo enables it again)'}`,
    })
  }
  if (facts.grants > 0)
    findings.push({ code: 'KEY_HAS_GRANTS', severity: 'warn', message: `${facts.key.keyId} has ${plural(facts.grants, 'grant')}: their grantees lose use of it when it is disabled` })
  return findings
}

/** Who got DisabledException for the key since it was disabled (`retire --check`). */
export interface StillNeeded {
  principal: string
  count: number
  lastSeen: string
  operations: string[]
}

/** The callers refused because the key is disabled, at or after `since`. */
export function refusedCallers(events: readonly TrailEvent[], since: Date): StillNeeded[] {
  const rows = new Map<string, StillNeeded>()
  for (const e of events) {
    if (e.errorCode !== 'DisabledException' || e.eventTime.getTime() < since.getTime()) continue
    const at = e.eventTime.toISOString()
    const row = rows.get(e.principal) ?? { principal: e.principal, count: 0, lastSeen: at, operations: [] }
    row.count += 1
    if (at > row.lastSeen) row.lastSeen = at
    if (!row.operations.includes(e.eventName)) row.operations = [...row.operations, e.eventName].sort()
    rows.set(e.principal, row)
  }
  return [...rows.values()].sort((a, b) => b.count - a.count || (a.principal < b.principal ? -1 : 1))
}

/** `retire --check`: any caller refused since the key was disabled still needs it. */
export function checkFindings(key: KeyInfo, disabledAt: Date | null, refused: ReadResult<StillNeeded[]>): Finding[] {
  // An AWS managed key can never be disabled: "--disable comes first" would send the user nowhere.
  if (key.keyManager === 'AWS') return [awsManaged(key)]
  if (key.keyState !== 'Disabled')
    return [{ code: 'KEY_NOT_DISABLED', severity: 'block', message: `${key.keyId} is ${key.keyState ?? 'in an unknown state'}, not Disabled: retire --disable comes first` }]
  // A trail that was not read whole (failed, or cut by --max-events) may hold the DisableKey event.
  if (disabledAt === null && refused.error !== undefined)
    return [{ code: 'SOAK_UNCHECKED', severity: 'block', message: `the soak cannot be checked: when ${key.keyId} was disabled cannot be told: ${refused.error}` }]
  if (disabledAt === null)
    return [{ code: 'SOAK_UNKNOWN', severity: 'block', message: `when ${key.keyId} was disabled is known neither from the journal nor from CloudTrail (90 days)` }]
  if (refused.error !== undefined) return [{ code: 'SOAK_UNCHECKED', severity: 'block', message: `the soak cannot be checked: CloudTrail could not be read: ${refused.error}` }]
  return refused.value.map((r) => ({
    code: 'KEY_STILL_NEEDED' as const,
    severity: 'block' as const,
    message: `${r.principal} was refused ${plural(r.count, 'time')} (${r.operations.join(', ')}; last ${r.lastSeen}) since the key was disabled: it still needs the key`,
  }))
}

/** `retire --schedule-deletion`: only a key disabled for the soak, with a clean check and no alias. */
export function scheduleFindings(
  facts: RetireKeyFacts,
  disabledAt: Date | null,
  refused: ReadResult<StillNeeded[]>,
  options: { soakDays: number; now: Date },
): Finding[] {
  const findings = keyFindings(facts)
  const check = checkFindings(facts.key, disabledAt, refused)
  findings.push(...check.filter((f) => !findings.some((seen) => seen.code === f.code)))
  if (facts.key.keyState === 'Disabled' && disabledAt !== null) {
    const soaked = (options.now.getTime() - disabledAt.getTime()) / DAY_MS
    if (soaked < options.soakDays)
      findings.push({
        code: 'SOAK_TOO_SHORT',
        severity: 'block',
        message: `${facts.key.keyId} was disabled on ${disabledAt.toISOString()}, ${formatDays(Math.floor(soaked * 24) / 24)} ago, less than the --soak ${formatDays(options.soakDays)}: wait, then kms-alias retire ${facts.key.keyId} --check`,
      })
  }
  return findings
}

/** A number of days as the duration flags take it: "7d" when whole days, else hours ("1h", "36h", "0.5h"). */
export function formatDays(days: number): string {
  if (Number.isInteger(days)) return `${days}d`
  // Hours rounded to a hundredth: a parsed "1h" is 1/24 of a day, not exactly representable.
  return `${Math.round(days * 24 * 100) / 100}h`
}

/** How long the soak has lasted, in words. */
export const soakFor = (disabledAt: Date, now: Date): string => ago(now, disabledAt).replace(' ago', '')
