import type { AliasEntry, KeyInfo } from '../kms/port.js'
import { isReservedAlias, RESERVED_ALIAS_PREFIX } from '../kms/identifiers.js'
import { ALIASES_PER_KEY_QUOTA, effectiveKeyUsage, keyClassOf } from '../kms/facts.js'
export { ALIASES_PER_KEY_QUOTA }

export type Severity = 'block' | 'warn' | 'info'

export type FindingCode =
  // rotate (src/preflight/rotate.ts)
  | 'ROTATE_UNSUPPORTED'
  | 'REPLICAS_NOT_CREATED'
  | 'ROTATES_IN_PLACE'
  | 'KEY_CLASS_MISMATCH'
  | 'KEY_USAGE_MISMATCH'
  | 'KEY_USAGE_UNKNOWN'
  | 'KEY_SPEC_MISMATCH'
  | 'ALGORITHMS_DROPPED'
  | 'TARGET_PENDING_DELETION'
  | 'TARGET_NOT_ENABLED'
  | 'TARGET_AWS_MANAGED'
  | 'TARGET_OTHER_REGION'
  | 'TARGET_OTHER_ACCOUNT'
  | 'ALIAS_OTHER_REGION'
  | 'ALIAS_OTHER_ACCOUNT'
  | 'RESERVED_ALIAS'
  | 'MULTI_REGION_DIFFERS'
  | 'REPLICA_REGIONS_DIFFER'
  | 'REGION_NOT_COVERED'
  | 'ORIGIN_DIFFERS'
  | 'KEY_MATERIAL_EXPIRES'
  | 'PREVIOUS_KEY_ORPHANED'
  | 'ALIAS_QUOTA_NEAR'
  | 'ALIAS_QUOTA_EXCEEDED'
  | 'ALREADY_TARGET'
  | 'TARGET_REPOINTED_IN_FILE'
  // The access preflight (access.ts)
  | 'ACCESS_NARROWED'
  | 'ACCESS_CONDITIONS_DIFFER'
  | 'GRANTS_MISSING'
  | 'ALIAS_IN_POLICY'
  | 'TAGS_DIFFER'
  | 'ROTATION_DIFFERS'
  | 'OLD_ARTIFACTS_NEED_OLD_KEY'
  | 'ACCESS_UNCHECKED'
  | 'KEY_ARN_PINNED'
  // The use probe (probe.ts)
  | 'USE_WOULD_FAIL'
  | 'PROBE_UNAVAILABLE'
  | 'CALLER_WOULD_BE_DENIED'
  | 'PROBE_SKIPPED'
  | 'PROBE_STALE'
  // usage, retire and --callers (issue 21: src/preflight/usage.ts, callers.ts)
  | 'KEY_AWS_MANAGED'
  | 'KEY_HAS_REPLICAS'
  | 'KEY_HAS_ALIASES'
  | 'ALIASES_UNKNOWN'
  | 'GRANTS_UNKNOWN'
  | 'KEY_PENDING_DELETION'
  | 'KEY_RECENTLY_USED'
  | 'LAST_USE_UNKNOWN'
  | 'KEY_HAS_GRANTS'
  | 'KEY_NOT_DISABLED'
  | 'SOAK_UNKNOWN'
  | 'SOAK_UNCHECKED'
  | 'SOAK_TOO_SHORT'
  | 'KEY_STILL_NEEDED'
  | 'RECENT_CALLER_NOT_ALLOWED'
  | 'CALLERS_UNCHECKED'

export interface Finding {
  code: FindingCode
  severity: Severity
  message: string
}

export const ALIAS_QUOTA_WARNING_AT = 45

const PENDING_DELETION_STATES = new Set(['PendingDeletion', 'PendingReplicaDeletion'])

export interface Overrides {
  allowSpecChange: boolean
  allowDisabled: boolean
}

/** Where the alias lives; a target must be in the same Region and account. */
export interface Home {
  region: string
  account?: string
}

/** Where a key is, as far as anything told us: its described ARN and the ARN the user typed. */
export interface TargetLocation {
  region: string
  account: string
  typedRegion?: string
  typedAccount?: string
}

export const hasBlock = (findings: readonly Finding[]): boolean => findings.some((f) => f.severity === 'block')

export function reservedAliasFindings(aliasName: string): Finding[] {
  if (!isReservedAlias(aliasName)) return []
  return [
    {
      code: 'RESERVED_ALIAS',
      severity: 'block',
      message: `${aliasName} is under ${RESERVED_ALIAS_PREFIX}, which is reserved for AWS managed keys`,
    },
  ]
}

const describeKey = (key: KeyInfo) => `${keyClassOf(key.keySpec) ?? 'unknown-class'} ${key.keySpec ?? 'unknown spec'}`

/** The alias must be in the account the user (or the journal) named; `actual` is where it is. */
export function aliasAccountFindings(expected: string | undefined, actual: string): Finding[] {
  if (expected === undefined || expected === actual) return []
  return [
    { code: 'ALIAS_OTHER_ACCOUNT', severity: 'block', message: `the alias is expected in account ${expected}, but these credentials act on account ${actual}` },
  ]
}

/** Will callers that use the current key keep working with the target? */
export function compatibilityFindings(current: KeyInfo, target: KeyInfo, overrides: Overrides): Finding[] {
  const findings: Finding[] = []
  const currentClass = keyClassOf(current.keySpec)
  const targetClass = keyClassOf(target.keySpec)
  if (currentClass && targetClass && currentClass !== targetClass) {
    findings.push({
      code: 'KEY_CLASS_MISMATCH',
      severity: 'block',
      message: `the alias points to a ${describeKey(current)} key; the new key is ${describeKey(target)}`,
    })
    return findings
  }

  const currentUsage = effectiveKeyUsage(current.keySpec, current.keyUsage)
  const targetUsage = effectiveKeyUsage(target.keySpec, target.keyUsage)
  const unknownUsage = [
    ['current', current, currentUsage],
    ['new', target, targetUsage],
  ] as const
  for (const [which, key, usage] of unknownUsage) {
    if (usage === undefined) {
      findings.push({
        code: 'KEY_USAGE_UNKNOWN',
        severity: 'block',
        message: `KMS did not report the KeyUsage of the ${which} key (${key.keyId}) and ${key.keySpec ?? 'its unknown spec'} allows more than one, so the keys cannot be compared`,
      })
    }
  }
  if (currentUsage && targetUsage && currentUsage !== targetUsage) {
    findings.push({
      code: 'KEY_USAGE_MISMATCH',
      severity: 'block',
      message: `the current key is for ${currentUsage}; the new key is for ${targetUsage}`,
    })
  }
  if (findings.length > 0) return findings

  const specSeverity: Severity = overrides.allowSpecChange ? 'warn' : 'block'
  const specHint = overrides.allowSpecChange ? '' : ' (pass --allow-spec-change once callers are ready)'
  if (current.keySpec !== target.keySpec) {
    findings.push({
      code: 'KEY_SPEC_MISMATCH',
      severity: specSeverity,
      message: `the key spec changes from ${current.keySpec ?? 'unknown'} to ${target.keySpec ?? 'unknown'}; KMS allows this but callers may fail${specHint}`,
    })
  }
  const dropped = droppedAlgorithms(current, target)
  if (dropped.length > 0) {
    findings.push({
      code: 'ALGORITHMS_DROPPED',
      severity: specSeverity,
      message: `the new key does not support ${dropped.join(', ')}, which the current key does${specHint}`,
    })
  }
  return findings
}

function droppedAlgorithms(current: KeyInfo, target: KeyInfo): string[] {
  const offered = new Set([...target.encryptionAlgorithms, ...target.signingAlgorithms, ...target.macAlgorithms])
  return [...current.encryptionAlgorithms, ...current.signingAlgorithms, ...current.macAlgorithms].filter((a) => !offered.has(a))
}

/** Can the target key be an alias target at all? Shared by update and create. */
export function targetFindings(target: KeyInfo, location: TargetLocation, home: Home, overrides: Pick<Overrides, 'allowDisabled'>): Finding[] {
  const findings: Finding[] = []
  const state = target.keyState ?? 'unknown'
  if (PENDING_DELETION_STATES.has(state)) {
    findings.push({
      code: 'TARGET_PENDING_DELETION',
      severity: 'block',
      message: `the new key is ${state}; an alias must not point to a key that is being deleted`,
    })
  } else if (state !== 'Enabled') {
    findings.push({
      code: 'TARGET_NOT_ENABLED',
      severity: overrides.allowDisabled ? 'warn' : 'block',
      message: `the new key is ${state}; callers fail until it is enabled${overrides.allowDisabled ? '' : ' (pass --allow-disabled to point to it anyway)'}`,
    })
  }
  if (target.keyManager === 'AWS') {
    findings.push({
      code: 'TARGET_AWS_MANAGED',
      severity: 'block',
      message: 'the new key is an AWS managed key; aliases can only point to customer managed keys',
    })
  }
  const otherRegion = [location.region, location.typedRegion].find((r) => r !== undefined && r !== home.region)
  if (otherRegion) {
    findings.push({
      code: 'TARGET_OTHER_REGION',
      severity: 'block',
      message: `the new key is in ${otherRegion} but the alias is in ${home.region}; an alias can only point to a key in its own Region`,
    })
  }
  const otherAccount = home.account === undefined ? undefined : [location.account, location.typedAccount].find((a) => a !== undefined && a !== home.account)
  if (otherAccount) {
    findings.push({
      code: 'TARGET_OTHER_ACCOUNT',
      severity: 'block',
      message: `the new key is in account ${otherAccount} but the alias is in ${home.account}; an alias can only point to a key in its own account`,
    })
  }
  return findings
}

/** Warnings about the wider picture: other properties that change, and the keys' other aliases. */
export function contextFindings(input: {
  aliasName: string
  current: KeyInfo
  target: KeyInfo
  aliasesOnCurrent: readonly AliasEntry[]
  aliasesOnTarget: readonly AliasEntry[]
}): Finding[] {
  const { aliasName, current, target } = input
  const findings: Finding[] = []
  if (current.multiRegion !== target.multiRegion) {
    const describe = (k: KeyInfo) => (k.multiRegion ? 'multi-Region' : 'single-Region')
    findings.push({ code: 'MULTI_REGION_DIFFERS', severity: 'warn', message: `the current key is ${describe(current)}; the new key is ${describe(target)}` })
  }
  if (current.origin !== target.origin) {
    findings.push({
      code: 'ORIGIN_DIFFERS',
      severity: 'warn',
      message: `the key material origin changes from ${current.origin ?? 'unknown'} to ${target.origin ?? 'unknown'}`,
    })
  }
  if (target.validTo) {
    findings.push({ code: 'KEY_MATERIAL_EXPIRES', severity: 'warn', message: `the new key's imported key material expires at ${target.validTo.toISOString()}` })
  }
  findings.push(...orphanFindings(aliasName, current.keyId, input.aliasesOnCurrent))
  findings.push(...quotaFindings(input.aliasesOnTarget))
  return findings
}

/** Warns when `aliasName` is the last alias on `keyId`. */
export function orphanFindings(aliasName: string, keyId: string, aliasesOnKey: readonly AliasEntry[]): Finding[] {
  if (aliasesOnKey.some((a) => a.name !== aliasName)) return []
  return [
    {
      code: 'PREVIOUS_KEY_ORPHANED',
      severity: 'warn',
      message: `after this change no alias points to ${keyId}; keep that key enabled to decrypt or verify what was made with it (kms-alias usage shows who still uses it; kms-alias retire disables, then deletes it, in stages)`,
    },
  ]
}

/**
 * The alias already points to the requested key: nothing to do, for update and for create alike
 * (a create run twice, as infrastructure code does, succeeds with `changed: false`).
 */
export function alreadyTargetFindings(aliasName: string, currentKeyId: string | undefined, targetKeyId: string): Finding[] {
  if (currentKeyId !== targetKeyId) return []
  return [{ code: 'ALREADY_TARGET', severity: 'info', message: `${aliasName} already points to ${targetKeyId}` }]
}

/**
 * The findings a refused change reports: without those that describe the state after the change
 * ("after this change no alias points to …"), since that change is not made.
 */
export function refusedFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.code !== 'PREVIOUS_KEY_ORPHANED')
}

export function quotaFindings(aliasesOnTarget: readonly AliasEntry[]): Finding[] {
  if (aliasesOnTarget.length < ALIAS_QUOTA_WARNING_AT) return []
  return [
    {
      code: 'ALIAS_QUOTA_NEAR',
      severity: 'warn',
      message: `the new key already has ${aliasesOnTarget.length} of its ${ALIASES_PER_KEY_QUOTA} aliases (the default quota)`,
    },
  ]
}

/**
 * The aliases-per-key quota over a whole run: the key's aliases now, plus those the run points to
 * it, minus those it moves away. Past the quota KMS refuses the write that crosses it (mid-run, and
 * the run rolls back), so it is refused at plan time.
 */
export function runQuotaFindings(keyId: string, aliasesNow: number, arriving: number, leaving: number): Finding[] {
  const after = aliasesNow + arriving - leaving
  if (after > ALIASES_PER_KEY_QUOTA) {
    return [
      {
        code: 'ALIAS_QUOTA_EXCEEDED',
        severity: 'block',
        message: `${keyId} has ${aliasesNow} aliases and this run points ${arriving} more to it${leaving > 0 ? ` (and moves ${leaving} away)` : ''}: ${after}, past the ${ALIASES_PER_KEY_QUOTA} aliases a key may have (the default quota); KMS would refuse the write that crosses it`,
      },
    ]
  }
  if (after < ALIAS_QUOTA_WARNING_AT || arriving === 0) return []
  return [{ code: 'ALIAS_QUOTA_NEAR', severity: 'warn', message: `after this run ${keyId} has ${after} of its ${ALIASES_PER_KEY_QUOTA} aliases (the default quota)` }]
}

export interface UpdatePreflightInput {
  aliasName: string
  /** The account the alias must be in (from a typed alias ARN, or undo's journal entry). */
  expectedAccount?: string | undefined
  current: KeyInfo
  target: KeyInfo
  targetLocation: TargetLocation
  aliasesOnCurrent: readonly AliasEntry[]
  aliasesOnTarget: readonly AliasEntry[]
  overrides: Overrides
}

/** Every finding for repointing `aliasName` from `current` to `target`. */
export function updatePreflight(input: UpdatePreflightInput): Finding[] {
  const { aliasName, current, target } = input
  const reserved = reservedAliasFindings(aliasName)
  if (reserved.length > 0) return reserved
  const already = alreadyTargetFindings(aliasName, current.keyId, target.keyId)
  if (already.length > 0) return already
  const home: Home = { region: current.region, account: current.accountId }
  const findings: Finding[] = []
  findings.push(...aliasAccountFindings(input.expectedAccount, current.accountId))
  findings.push(...targetFindings(target, input.targetLocation, home, input.overrides))
  findings.push(...compatibilityFindings(current, target, input.overrides))
  findings.push(...contextFindings(input))
  return findings
}
