// The rules of `kms-alias audit` (issue 23): pure functions over what was read of each (account,
// Region), so that every code and every boundary is tested without KMS. The reading is in
// src/commands/audit.ts; what is kept of a partition is only what these rules need.
import { isReservedAlias } from '../kms/identifiers.js'
import type { KeyInfo } from '../kms/port.js'
import { keyRegions } from './multiRegion.js'

export type AuditLevel = 'error' | 'warn' | 'info'
/** --fail-on: the lowest level that fails the run (exit 3); info never does. */
export type FailOn = 'error' | 'warn' | 'never'

export type AuditCode =
  | 'ALIAS_ON_PENDING_DELETION'
  | 'ALIAS_ON_DISABLED_KEY'
  | 'ALIAS_ON_UNUSABLE_KEY'
  | 'ALIAS_MISSING_IN_REPLICA_REGION'
  | 'REPLICA_REGION_NOT_READ'
  | 'ALIAS_REGION_SKEW'
  | 'ALIAS_ACCOUNT_SKEW'
  | 'KEY_WITHOUT_ALIAS'
  | 'KEY_UNREADABLE'
  | 'PARTITION_UNREADABLE'

export interface AuditFinding {
  code: AuditCode
  level: AuditLevel
  account: string | null
  region: string
  alias: string | null
  keyId: string | null
  message: string
  /** ALIAS_ON_PENDING_DELETION: the deletion date (ISO) and whole days left, rounded up. */
  deletionDate?: string | null
  daysLeft?: number | null
  /** ALIAS_ON_UNUSABLE_KEY for imported material: when it expires (ISO). */
  validTo?: string
  /** ALIAS_MISSING_IN_REPLICA_REGION: where the alias is (the Regions it was found in). */
  presentIn?: string[]
  /** ALIAS_MISSING_IN_REPLICA_REGION and REPLICA_REGION_NOT_READ: replica Regions of the key that were not read. */
  notRead?: string[]
}

/** What the rules keep of a described key: no algorithm lists, no description. */
export interface AuditKey {
  keyId: string
  keySpec: string | null
  /** moto leaves KeyUsage out; KMS's default (ENCRYPT_DECRYPT) stands in. */
  keyUsage: string
  keyState: string | null
  keyManager: string | null
  validTo: Date | null
  deletionDate: Date | null
  multiRegion: boolean
  /** Every Region of the key's replica set (its own alone for a single-Region key). */
  regions: string[]
}

/** A key DescribeKey did not answer for (access denied, gone): its aliases cannot be judged. */
export interface UnreadableKey {
  keyId: string
  unreadable: string
}

/** One (account, Region) as read: alias name to key ID, and each distinct key once. */
export interface PartitionFacts {
  account: string | null
  region: string
  /** Why it could not be read; then it has no aliases and no keys. */
  unreadable?: string
  aliases: Map<string, string | undefined>
  keys: Map<string, AuditKey | UnreadableKey>
  /** --keys: every key ID ListKeys gave (described in `keys`). */
  allKeys?: string[]
}

export interface AuditRulesOptions {
  now: Date
  /** Imported material expiring within this many days is reported (default 30). */
  withinDays: number
}

const DAY_MS = 86_400_000
const UNUSABLE_STATES = new Set(['PendingImport', 'Unavailable', 'PendingReplicaDeletion', 'Updating'])
const LEVEL_ORDER: Record<AuditLevel, number> = { error: 0, warn: 1, info: 2 }

export const isReadableKey = (key: AuditKey | UnreadableKey | undefined): key is AuditKey => key !== undefined && !('unreadable' in key)

/** The facts the rules need of a described key. */
export function auditKeyOf(key: KeyInfo): AuditKey {
  return {
    keyId: key.keyId,
    keySpec: key.keySpec ?? null,
    keyUsage: key.keyUsage ?? 'ENCRYPT_DECRYPT',
    keyState: key.keyState ?? null,
    keyManager: key.keyManager ?? null,
    validTo: key.validTo ?? null,
    deletionDate: key.deletionDate ?? null,
    multiRegion: key.multiRegion,
    regions: keyRegions(key),
  }
}

/** Every finding of the run, errors first, then by code, account, Region and alias. */
export function auditFindings(partitions: readonly PartitionFacts[], options: AuditRulesOptions): AuditFinding[] {
  const findings = [
    ...partitions.flatMap((p) => partitionFindings(p, options)),
    ...replicaFindings(partitions),
    ...regionSkewFindings(partitions),
    ...accountSkewFindings(partitions),
  ]
  return findings.sort(
    (a, b) =>
      LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
      compare(a.code, b.code) ||
      compare(a.account ?? '', b.account ?? '') ||
      compare(a.region, b.region) ||
      compare(a.alias ?? '', b.alias ?? ''),
  )
}

/** What one partition tells alone: unreadable, key states, keys without aliases. */
export function partitionFindings(partition: PartitionFacts, options: AuditRulesOptions): AuditFinding[] {
  const { account, region } = partition
  const at = { account, region }
  if (partition.unreadable !== undefined) {
    return [{ code: 'PARTITION_UNREADABLE', level: 'error', ...at, alias: null, keyId: null, message: `${where(partition)} could not be read: ${partition.unreadable}` }]
  }
  const findings: AuditFinding[] = []
  // One pass over the aliases for every unreadable key's names, not one pass per such key.
  const namesOfUnreadable = new Map<string, string[]>()
  for (const [alias, keyId] of partition.aliases) {
    if (keyId === undefined) continue
    const key = partition.keys.get(keyId)
    if (key === undefined) continue
    if (!isReadableKey(key)) {
      const names = namesOfUnreadable.get(keyId)
      if (names) names.push(alias)
      else namesOfUnreadable.set(keyId, [alias])
      continue
    }
    findings.push(...keyStateFindings(alias, key, at, options))
  }
  for (const [keyId, names] of namesOfUnreadable) {
    const key = partition.keys.get(keyId) as UnreadableKey
    // An error: its aliases could be on a disabled or deleted key, and --fail-on error must not pass them.
    findings.push({
      code: 'KEY_UNREADABLE',
      level: 'error',
      ...at,
      alias: names[0] as string,
      keyId,
      message: `${keyId} (named by ${names.join(', ')}) could not be described: ${key.unreadable}; its aliases were not checked`,
    })
  }
  if (partition.allKeys) findings.push(...keyWithoutAliasFindings(partition))
  return findings
}

/** ALIAS_ON_PENDING_DELETION, ALIAS_ON_DISABLED_KEY, ALIAS_ON_UNUSABLE_KEY for one alias. */
export function keyStateFindings(alias: string, key: AuditKey, at: { account: string | null; region: string }, options: AuditRulesOptions): AuditFinding[] {
  const base = { ...at, alias, keyId: key.keyId }
  if (key.keyState === 'PendingDeletion') {
    const daysLeft = key.deletionDate ? Math.ceil((key.deletionDate.getTime() - options.now.getTime()) / DAY_MS) : null
    // KMS deletes the key within a day after its deletion date: past it, "0 days left" would be false comfort.
    const when = !key.deletionDate
      ? 'on a date DescribeKey did not give'
      : daysLeft !== null && daysLeft <= 0
        ? `on ${key.deletionDate.toISOString()}: the deletion date has passed, and KMS deletes it within a day`
        : `on ${key.deletionDate.toISOString()} (${daysLeft} day${daysLeft === 1 ? '' : 's'} left)`
    return [
      {
        code: 'ALIAS_ON_PENDING_DELETION',
        level: 'error',
        ...base,
        message: `${alias} points to ${key.keyId}, scheduled for deletion ${when}: every call through ${alias} fails from then on`,
        deletionDate: key.deletionDate?.toISOString() ?? null,
        daysLeft,
      },
    ]
  }
  if (key.keyState === 'Disabled') {
    return [{ code: 'ALIAS_ON_DISABLED_KEY', level: 'error', ...base, message: `${alias} points to ${key.keyId}, which is Disabled: every call through ${alias} fails` }]
  }
  if (key.keyState !== null && UNUSABLE_STATES.has(key.keyState)) {
    return [{ code: 'ALIAS_ON_UNUSABLE_KEY', level: 'error', ...base, message: `${alias} points to ${key.keyId}, which is ${key.keyState}: it cannot be used now` }]
  }
  if (key.validTo) {
    const left = key.validTo.getTime() - options.now.getTime()
    if (left <= options.withinDays * DAY_MS) {
      const message =
        left <= 0
          ? `${alias} points to ${key.keyId}, whose imported key material expired on ${key.validTo.toISOString()}`
          : `${alias} points to ${key.keyId}, whose imported key material expires on ${key.validTo.toISOString()} (within ${options.withinDays} days)`
      return [{ code: 'ALIAS_ON_UNUSABLE_KEY', level: 'error', ...base, message, validTo: key.validTo.toISOString() }]
    }
  }
  return []
}

/** KEY_WITHOUT_ALIAS: an enabled customer managed key that no alias of its partition names (--keys). */
export function keyWithoutAliasFindings(partition: PartitionFacts): AuditFinding[] {
  const named = new Set(partition.aliases.values())
  return (partition.allKeys ?? []).flatMap((keyId): AuditFinding[] => {
    const key = partition.keys.get(keyId)
    if (named.has(keyId) || !isReadableKey(key) || key.keyState !== 'Enabled' || key.keyManager !== 'CUSTOMER') return []
    return [
      { code: 'KEY_WITHOUT_ALIAS', level: 'info', account: partition.account, region: partition.region, alias: null, keyId, message: `${keyId} is enabled and no alias names it` },
    ]
  })
}

/**
 * ALIAS_MISSING_IN_REPLICA_REGION: an alias on a multi-Region key in one Region, and a Region of
 * that key's replica set, read in the same account, without an alias of that name. Replica Regions
 * that were not read (outside --regions, or unreadable) are named, never guessed; when they are
 * all that is left, REPLICA_REGION_NOT_READ says so once per alias and account.
 */
export function replicaFindings(partitions: readonly PartitionFacts[]): AuditFinding[] {
  const readable = new Map(partitions.filter((p) => p.unreadable === undefined).map((p) => [placeKey(p.account, p.region), p]))
  // (account, alias, key) -> the Regions it is in, and the replica Regions of its key.
  const groups = new Map<string, { account: string | null; alias: string; keyId: string; presentIn: string[]; regions: string[] }>()
  for (const p of readable.values()) {
    for (const [alias, keyId] of p.aliases) {
      const key = keyId === undefined ? undefined : p.keys.get(keyId)
      if (!isReadableKey(key) || !key.multiRegion) continue
      const id = JSON.stringify([p.account, alias, key.keyId])
      const group = groups.get(id) ?? { account: p.account, alias, keyId: key.keyId, presentIn: [], regions: [] }
      group.presentIn.push(p.region)
      group.regions = [...new Set([...group.regions, ...key.regions])]
      groups.set(id, group)
    }
  }
  const findings: AuditFinding[] = []
  for (const g of groups.values()) {
    const presentIn = [...g.presentIn].sort()
    const others = g.regions.filter((r) => !presentIn.includes(r)).sort()
    const notRead = others.filter((r) => !readable.has(placeKey(g.account, r)))
    const missing = others.filter((r) => {
      const there = readable.get(placeKey(g.account, r))
      return there !== undefined && !there.aliases.has(g.alias)
    })
    const notReadNote = notRead.length > 0 ? `; not read, so not checked: ${notRead.join(', ')}` : ''
    for (const region of missing) {
      findings.push({
        code: 'ALIAS_MISSING_IN_REPLICA_REGION',
        level: 'warn',
        account: g.account,
        region,
        alias: g.alias,
        keyId: g.keyId,
        message: `${g.alias} points to ${g.keyId} in ${presentIn.join(', ')}, but ${region} holds a replica of that key and has no ${g.alias}${notReadNote}`,
        presentIn,
        notRead,
      })
    }
    if (missing.length === 0 && notRead.length > 0) {
      findings.push({
        code: 'REPLICA_REGION_NOT_READ',
        level: 'info',
        account: g.account,
        region: presentIn[0] as string,
        alias: g.alias,
        keyId: g.keyId,
        message: `${g.alias} points to multi-Region key ${g.keyId}, which also has a replica in ${notRead.join(', ')}: not read, so whether ${g.alias} exists there is not known (add the Region to --regions)`,
        presentIn,
        notRead,
      })
    }
  }
  return findings
}

/**
 * ALIAS_REGION_SKEW: within one account, an alias name (not alias/aws/*) that resolves in its
 * Regions to different keys (replicas of one multi-Region key share their ID), or to keys of
 * different KeySpec or KeyUsage. One finding per Region the alias is in.
 */
export function regionSkewFindings(partitions: readonly PartitionFacts[]): AuditFinding[] {
  const byAccount = new Map<string | null, PartitionFacts[]>()
  for (const p of partitions) if (p.unreadable === undefined) byAccount.set(p.account, [...(byAccount.get(p.account) ?? []), p])
  return [...byAccount.values()].flatMap((ofAccount) =>
    skewFindings(ofAccount, { code: 'ALIAS_REGION_SKEW', what: 'different keys in different Regions' }, (places) => new Set(places.map((e) => e.keyId)).size > 1 || kinds(places).size > 1, (e) => e.region),
  )
}

/**
 * ALIAS_ACCOUNT_SKEW: with several accounts, an alias name whose keys are of one KeySpec and
 * KeyUsage in some accounts and of another in others. Accounts are compared, not places: an account
 * whose keys for the name are of several kinds is ALIAS_REGION_SKEW's, and is left out. The accounts
 * reported are those that differ from the kind most accounts share; with no such majority, all.
 */
export function accountSkewFindings(partitions: readonly PartitionFacts[]): AuditFinding[] {
  const readable = partitions.filter((p) => p.unreadable === undefined)
  if (new Set(readable.map((p) => p.account)).size < 2) return []
  const findings: AuditFinding[] = []
  for (const [alias, places] of placesByAlias(readable)) {
    // account -> the one kind of its keys for this name (null: several, so Region skew's).
    const kindOfAccount = new Map<string | null, string | null>()
    for (const place of places) {
      if (!place.key) continue
      const kind = kindOf(place.key)
      const seen = kindOfAccount.get(place.account)
      kindOfAccount.set(place.account, seen === undefined || seen === kind ? kind : null)
    }
    const accountsOfKind = new Map<string, (string | null)[]>()
    for (const [account, kind] of kindOfAccount) if (kind !== null) accountsOfKind.set(kind, [...(accountsOfKind.get(kind) ?? []), account])
    if (accountsOfKind.size < 2) continue
    const sizes = [...accountsOfKind.values()].map((a) => a.length).sort((a, b) => b - a)
    const majority = sizes[0] !== sizes[1] ? [...accountsOfKind].find(([, a]) => a.length === sizes[0])?.[0] : undefined
    const all = [...accountsOfKind].map(([kind, accounts]) => `${accounts.map((a) => a ?? '?').join(', ')} (${kind})`).join('; ')
    for (const place of places) {
      const kind = kindOfAccount.get(place.account)
      if (kind === null || kind === undefined || kind === majority) continue
      findings.push({
        code: 'ALIAS_ACCOUNT_SKEW',
        level: 'warn',
        account: place.account,
        region: place.region,
        alias,
        keyId: place.keyId,
        message: `${alias} resolves to keys of different KeySpec or KeyUsage in different accounts: ${all}`,
      })
    }
  }
  return findings
}

interface Place {
  account: string | null
  region: string
  keyId: string
  key: AuditKey | undefined
}

const kindOf = (key: AuditKey) => `${key.keySpec ?? '?'} ${key.keyUsage}`
const kinds = (places: readonly Place[]) => new Set(places.flatMap((e) => (e.key ? [kindOf(e.key)] : [])))

function skewFindings(
  partitions: readonly PartitionFacts[],
  { code, what }: { code: 'ALIAS_REGION_SKEW' | 'ALIAS_ACCOUNT_SKEW'; what: string },
  skewed: (places: Place[]) => boolean, label: (e: Place) => string): AuditFinding[] {
  return [...placesByAlias(partitions)].flatMap(([alias, places]) => {
    if (places.length < 2 || !skewed(places)) return []
    const all = places.map((e) => `${label(e)} ${e.keyId}${e.key ? ` (${kindOf(e.key)})` : ''}`).join(', ')
    return places.map(
      (e): AuditFinding => ({ code, level: 'warn', account: e.account, region: e.region, alias, keyId: e.keyId, message: `${alias} resolves to ${what}: ${all}` }),
    )
  })
}

/** Every place each alias name (not alias/aws/*) is found, with its key when it was described. */
function placesByAlias(partitions: readonly PartitionFacts[]): Map<string, Place[]> {
  const byAlias = new Map<string, Place[]>()
  for (const p of partitions) {
    for (const [alias, keyId] of p.aliases) {
      if (keyId === undefined || isReservedAlias(alias)) continue
      const key = p.keys.get(keyId)
      const place = { account: p.account, region: p.region, keyId, key: isReadableKey(key) ? key : undefined }
      const places = byAlias.get(alias)
      if (places) places.push(place)
      else byAlias.set(alias, [place])
    }
  }
  return byAlias
}

/** Whether a finding at `level` fails the run under --fail-on `failOn`. */
export function failsOn(level: AuditLevel, failOn: FailOn): boolean {
  if (failOn === 'never' || level === 'info') return false
  return LEVEL_ORDER[level] <= LEVEL_ORDER[failOn]
}

const placeKey = (account: string | null, region: string) => `${account ?? ''}/${region}`
const where = (p: { account: string | null; region: string }) => (p.account ? `${p.region} in account ${p.account}` : p.region)
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
