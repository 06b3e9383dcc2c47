// The pure parts of a change over several Regions: how --to and --expect-current name a key in
// each Region, and what a multi-Region key's replica set says about the plan. The executing
// command reads the keys (DescribeKey per Region) and the alias's presence, then calls these.
import { UsageError } from '../errors.js'
import type { KeyRef } from '../kms/identifiers.js'
import type { KeyInfo } from '../kms/port.js'
import type { Finding } from './rules.js'

/** What to describe in one Region to find the key a --to or --expect-current names there. */
export interface RegionalKeyRef {
  region: string
  /** The identifier for DescribeKey in that Region. */
  keyRef: string
}

const MULTI_REGION_KEY_ID = /^mrk-/

/**
 * Resolves a typed key reference for each Region. An `alias/…` name or an `mrk-` key ID names a
 * key in every Region (the alias's target there, or that Region's replica). A key ARN, an alias
 * ARN or a single-Region key ID names one Region, so with more than one Region it is a usage error.
 */
export function resolvePerRegion(ref: KeyRef, regions: readonly string[], flag: string): RegionalKeyRef[] {
  if (regions.length === 0) throw new UsageError(`${flag} needs at least one Region`)
  if (regions.length === 1) return [{ region: regions[0] as string, keyRef: ref.input }]
  if (ref.kind === 'alias') {
    if (ref.alias.arn) {
      throw new UsageError(
        `${flag} ${ref.input} is an alias ARN, which names one Region (${ref.alias.arn.region}); with several Regions give the alias name`,
        `use ${flag} ${ref.alias.name}`,
      )
    }
    return regions.map((region) => ({ region, keyRef: ref.alias.name }))
  }
  if (ref.arn) {
    const hint = MULTI_REGION_KEY_ID.test(ref.keyId)
      ? `use the multi-Region key ID: ${flag} ${ref.keyId}`
      : 'give an mrk- multi-Region key ID or an alias/<name> that exists in every Region'
    throw new UsageError(
      `${flag} ${ref.input} is a key ARN, which names one Region (${ref.arn.region}); it cannot name a key in ${regions.length} Regions`,
      hint,
    )
  }
  if (!MULTI_REGION_KEY_ID.test(ref.keyId)) {
    throw new UsageError(
      `${flag} ${ref.input} is a single-Region key, which exists in one Region only; it cannot name a key in ${regions.length} Regions`,
      'give an mrk- multi-Region key ID or an alias/<name> that exists in every Region',
    )
  }
  return regions.map((region) => ({ region, keyRef: ref.keyId }))
}

/** The Regions a key exists in: its primary and replicas when multi-Region, else its own. */
export function keyRegions(key: KeyInfo): string[] {
  const configuration = key.multiRegionConfiguration
  if (!key.multiRegion || !configuration) return [key.region]
  const regions = [configuration.primary?.region, ...configuration.replicas.map((r) => r.region), key.region]
  return [...new Set(regions.filter((r): r is string => r !== undefined && r !== ''))].sort()
}

/**
 * REPLICA_REGIONS_DIFFER: the current key is multi-Region and the alias exists in Regions where
 * it has a replica but the new key has none; there the alias cannot follow the change to the same key.
 */
export function replicaRegionsFindings(input: { current: KeyInfo; target: KeyInfo; aliasRegions: readonly string[] }): Finding[] {
  const { current, target } = input
  if (!current.multiRegion) return []
  const targetRegions = new Set(keyRegions(target))
  const uncovered = keyRegions(current).filter((r) => input.aliasRegions.includes(r) && !targetRegions.has(r))
  if (uncovered.length === 0) return []
  return [
    {
      code: 'REPLICA_REGIONS_DIFFER',
      severity: 'warn',
      message: `the current key ${current.keyId} has replicas where the alias exists in ${uncovered.join(', ')}, but the new key ${target.keyId} is not replicated there; the alias cannot point to the same key in every Region`,
    },
  ]
}

/**
 * REGION_NOT_COVERED: a Region of the current key's replica set where the alias exists but that the
 * change leaves out, so the alias would point to different keys across Regions afterwards.
 */
export function regionNotCoveredFindings(input: { current: KeyInfo; requestedRegions: readonly string[]; aliasRegions: readonly string[] }): Finding[] {
  if (!input.current.multiRegion) return []
  const left = keyRegions(input.current).filter((r) => input.aliasRegions.includes(r) && !input.requestedRegions.includes(r))
  if (left.length === 0) return []
  return [
    {
      code: 'REGION_NOT_COVERED',
      severity: 'warn',
      message: `the alias also exists in ${left.join(', ')}, where the current key ${input.current.keyId} has replicas, but the change leaves ${left.length === 1 ? 'that Region' : 'those Regions'} out (add ${left.length === 1 ? 'it' : 'them'} to --regions, or use --all-regions)`,
    },
  ]
}
