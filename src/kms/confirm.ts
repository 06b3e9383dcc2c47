import { currentTarget } from './lookups.js'
import type { KmsPort } from './port.js'

export type Confirmation =
  | { status: 'confirmed'; reads: number }
  /** The alias points to a key that is neither the old nor the new one: another writer. */
  | { status: 'other-target'; keyId: string; reads: number }
  | { status: 'gone'; reads: number }
  /** Still not visible when time ran out; `lastSeenKeyId` is where the alias pointed at the last read. */
  | { status: 'timeout'; lastSeenKeyId?: string; reads: number }

export interface PollTiming {
  timeoutMs: number
  now: () => Date
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  signal?: AbortSignal
}

// Exported for the use probe after a change, which waits with the same backoff.
export const FIRST_DELAY_MS = 250
export const MAX_DELAY_MS = 5_000

type WithoutReads<T> = T extends unknown ? Omit<T, 'reads'> : never
/** One read either settles the outcome or is stale: `stale` is where the alias pointed then. */
export type Read = { settled: WithoutReads<Confirmation> } | { stale: string | undefined }

/**
 * Reads with a doubling backoff until a read settles or the time is up. KMS is eventually
 * consistent, so a read may show the state from before the change for a while.
 */
export async function poll(timing: PollTiming, read: () => Promise<Read>): Promise<Confirmation> {
  const deadline = timing.now().getTime() + timing.timeoutMs
  let delay = FIRST_DELAY_MS
  for (let reads = 1; ; reads++) {
    const result = await read()
    if ('settled' in result) return { ...result.settled, reads } as Confirmation
    const remaining = deadline - timing.now().getTime()
    if (remaining <= 0) return { status: 'timeout', reads, ...(result.stale ? { lastSeenKeyId: result.stale } : {}) }
    await timing.sleep(Math.min(delay, remaining), timing.signal)
    delay = Math.min(delay * 2, MAX_DELAY_MS)
  }
}

export interface ConfirmTargetOptions extends PollTiming {
  aliasName: string
  expectedKeyId: string
  /** Where the alias pointed before; undefined when it did not exist (create). */
  previousKeyId: string | undefined
}

/** Waits until ListAliases filtered by the expected key lists the alias; reports any other mapping at once. */
export function confirmAliasTarget(kms: KmsPort, options: ConfirmTargetOptions): Promise<Confirmation> {
  const { aliasName, expectedKeyId, previousKeyId } = options
  return poll(options, async () => {
    const onExpectedKey = await kms.listAliases({ keyId: expectedKeyId })
    if (onExpectedKey.some((a) => a.name === aliasName)) return { settled: { status: 'confirmed' } }
    const seen = await currentTarget(kms, aliasName)
    if (seen === undefined) return previousKeyId === undefined ? { stale: undefined } : { settled: { status: 'gone' } }
    if (seen !== expectedKeyId && seen !== previousKeyId) return { settled: { status: 'other-target', keyId: seen } }
    return { stale: seen }
  })
}

export interface ConfirmGoneOptions extends PollTiming {
  aliasName: string
  previousKeyId: string
}

/**
 * Waits until ListAliases filtered by the key the alias pointed to no longer lists it and the alias
 * does not exist at all: an alias that moved to a third key is another writer's, not gone.
 */
export function confirmAliasGone(kms: KmsPort, options: ConfirmGoneOptions): Promise<Confirmation> {
  const { aliasName, previousKeyId } = options
  return poll(options, async () => {
    const onPreviousKey = await kms.listAliases({ keyId: previousKeyId })
    if (onPreviousKey.some((a) => a.name === aliasName)) return { stale: previousKeyId }
    const seen = await currentTarget(kms, aliasName)
    if (seen === undefined) return { settled: { status: 'confirmed' } }
    return seen === previousKeyId ? { stale: seen } : { settled: { status: 'other-target', keyId: seen } }
  })
}
