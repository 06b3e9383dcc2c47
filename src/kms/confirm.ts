import { NotFoundError } from '../errors.js'
import type { KmsPort } from './port.js'

export type Confirmation =
  | { status: 'confirmed'; reads: number }
  /** The alias points to a key that is neither the old nor the new one: another writer. */
  | { status: 'other-target'; keyId: string; reads: number }
  | { status: 'gone'; reads: number }
  /** Still not visible when time ran out; `lastSeenKeyId` is where DescribeKey last saw it. */
  | { status: 'timeout'; lastSeenKeyId?: string; reads: number }

export interface ConfirmOptions {
  aliasName: string
  expectedKeyId: string
  previousKeyId: string
  timeoutMs: number
  now: () => Date
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  signal?: AbortSignal
}

const FIRST_DELAY_MS = 250
const MAX_DELAY_MS = 5_000

/**
 * Polls ListAliases filtered by the expected key until it lists the alias. KMS is eventually
 * consistent, so the old mapping may still show for a while; any other mapping is reported at once.
 */
export async function confirmAliasTarget(kms: KmsPort, options: ConfirmOptions): Promise<Confirmation> {
  const { aliasName, expectedKeyId, previousKeyId } = options
  const deadline = options.now().getTime() + options.timeoutMs
  let delay = FIRST_DELAY_MS
  let lastSeenKeyId: string | undefined
  for (let reads = 1; ; reads++) {
    const onExpectedKey = await kms.listAliases({ keyId: expectedKeyId })
    if (onExpectedKey.some((a) => a.name === aliasName)) return { status: 'confirmed', reads }

    lastSeenKeyId = await currentTarget(kms, aliasName)
    if (lastSeenKeyId === undefined) return { status: 'gone', reads }
    if (lastSeenKeyId !== expectedKeyId && lastSeenKeyId !== previousKeyId) {
      return { status: 'other-target', keyId: lastSeenKeyId, reads }
    }
    const remaining = deadline - options.now().getTime()
    if (remaining <= 0) return { status: 'timeout', lastSeenKeyId, reads }
    await options.sleep(Math.min(delay, remaining), options.signal)
    delay = Math.min(delay * 2, MAX_DELAY_MS)
  }
}

/** The key the alias points to now, or undefined when the alias does not exist. */
export async function currentTarget(kms: KmsPort, aliasName: string): Promise<string | undefined> {
  try {
    return (await kms.describeKey(aliasName)).keyId
  } catch (error) {
    if (error instanceof NotFoundError) return undefined
    throw error
  }
}
