import { AwsError, CliError, InterruptedError } from '../errors.js'
import type { AssumeRoleConfig, KmsPort } from './port.js'

/** Where one port works: a Region, and the role to act through (another account) if any. */
export interface Partition {
  region: string
  role?: AssumeRoleConfig
}

/**
 * Opens one port per partition and runs `work` in all of them at the same time (KMS quotas are
 * per account and Region, so partitions do not slow each other). Results keep the order of
 * `partitions`; the first failure fails the whole, with its Region named.
 */
export async function inEveryRegion<T>(
  partitions: readonly Partition[],
  open: (partition: Partition) => Promise<KmsPort>,
  work: (kms: KmsPort, partition: Partition) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    partitions.map(async (partition) => {
      try {
        return await work(await open(partition), partition)
      } catch (error) {
        throw inRegion(partition.region, error)
      }
    }),
  )
}

/** The same failure, saying which Region it came from (the adapter's messages do not always). */
export function inRegion(region: string, error: unknown): unknown {
  // An interruption is the run's, not the Region's.
  if (!(error instanceof CliError) || error instanceof InterruptedError || error.message.includes(region)) return error
  // KMS's own error code stays with the failure (the JSON view's awsCode).
  if (error instanceof AwsError) return new AwsError(`${region}: ${error.message}`, error.awsCode, error.hint)
  return new CliError(`${region}: ${error.message}`, error.exitCode, error.hint)
}
