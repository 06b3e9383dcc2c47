// Several Regions in one command: parsing --regions, and marking aliases whose targets differ
// between Regions. Pure; the commands open one KMS port per Region.
import { UsageError } from '../errors.js'

// Region names as AWS spells them: us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1.
const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/

export function isRegionName(value: string): boolean {
  return REGION_NAME.test(value)
}

/** `r1,r2,…` in the order given; a repeated Region is read once. */
export function parseRegions(value: string, flag = '--regions'): string[] {
  const regions: string[] = []
  for (const part of value.split(',')) {
    const region = part.trim()
    if (region === '') throw new UsageError(`${flag} "${value}" has an empty entry`, `give Regions separated by commas, e.g. ${flag} us-east-1,eu-west-1`)
    if (!isRegionName(region)) throw new UsageError(`${flag}: "${region}" is not a Region name`, 'a Region looks like us-east-1 or eu-west-1')
    if (!regions.includes(region)) regions.push(region)
  }
  return regions
}

/**
 * The alias names that point to keys of different key IDs in different Regions. Replicas of one
 * multi-Region key share their `mrk-` key ID, so an alias on the same key everywhere is not skew;
 * an alias missing from some Regions is not skew either (nothing points elsewhere).
 */
export function skewedAliases(rows: readonly { alias: string; targetKeyId: string | null }[]): Set<string> {
  const targets = new Map<string, Set<string>>()
  for (const row of rows) {
    if (row.targetKeyId === null) continue
    const seen = targets.get(row.alias) ?? new Set<string>()
    seen.add(row.targetKeyId)
    targets.set(row.alias, seen)
  }
  return new Set([...targets].filter(([, keys]) => keys.size > 1).map(([alias]) => alias))
}
