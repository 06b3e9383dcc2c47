// The Regions of one alias changed as one (update --regions / --all-regions): the replica set a
// multi-Region key names, and what only the whole set tells (REPLICA_REGIONS_DIFFER, REGION_NOT_COVERED).
import type { Session } from '../cli/session.js'
import { UsageError } from '../errors.js'
import { currentTarget, describeWithAliases, type DescribedKey } from '../kms/lookups.js'
import type { Log, Ui } from '../output/ui.js'
import { keyRegions, regionNotCoveredFindings, replicaRegionsFindings } from '../preflight/multiRegion.js'
import type { Finding } from '../preflight/rules.js'

/** --all-regions: the Regions of the multi-Region key the alias points to in the client's Region. */
export async function replicaSetOf(session: Session, ui: Ui, aliasName: string): Promise<string[]> {
  const kms = await session.kms()
  const home = await kms.region()
  const current = await ui.progress(`Describing ${aliasName} in ${home}`, () => describeWithAliases(kms, aliasName, `alias ${aliasName}`))
  if (!current.key.multiRegion) {
    throw new UsageError(
      `${aliasName} points to ${current.key.keyId}, a single-Region key in ${home}: --all-regions means every Region of a multi-Region key's replica set`,
      'name the Regions with --regions r1,r2,…',
    )
  }
  return keyRegions(current.key)
}

/**
 * REPLICA_REGIONS_DIFFER and REGION_NOT_COVERED, once for the whole change: from the first Region
 * whose current key is multi-Region, and the alias's presence in the replica Regions left out.
 */
export async function replicaSetFindings(
  session: Session,
  log: Log,
  aliasName: string,
  planned: readonly { current?: DescribedKey; target?: DescribedKey }[],
  regions: string[],
): Promise<Finding[]> {
  const multi = planned.find((r) => r.current?.key.multiRegion)
  if (!multi?.current || !multi.target) return []
  const left = keyRegions(multi.current.key).filter((r) => !regions.includes(r))
  const present = await Promise.all(
    left.map(async (region) => {
      try {
        const kms = await session.kms({ region })
        return (await currentTarget(kms, aliasName)) === undefined ? undefined : region
      } catch (error) {
        // A Region outside the change that cannot be read only loses its warning.
        log.debug(`${region}: cannot tell whether ${aliasName} exists there: ${(error as Error).message}`)
        return undefined
      }
    }),
  )
  const aliasRegions = [...regions, ...present.filter((r): r is string => r !== undefined)]
  return [
    ...replicaRegionsFindings({ current: multi.current.key, target: multi.target.key, aliasRegions }),
    ...regionNotCoveredFindings({ current: multi.current.key, requestedRegions: regions, aliasRegions }),
  ]
}
