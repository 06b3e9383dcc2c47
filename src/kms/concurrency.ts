import type { AliasEntry, KmsPort } from './port.js'

/** Maps `items` through `fn`, at most `limit` at a time, keeping the order of `items`. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/**
 * The same port, except that a ListAliases read asked for while the same read is on its way joins
 * it instead of sending another: many confirmations of aliases on one key then cost one read a
 * round. Only for callers to whom a read that began a moment before they asked is fresh enough.
 */
export function sharingListings(kms: KmsPort): KmsPort {
  const inFlight = new Map<string, Promise<AliasEntry[]>>()
  const listAliases = (filter?: { keyId?: string }): Promise<AliasEntry[]> => {
    const key = filter?.keyId ?? ''
    let read = inFlight.get(key)
    if (!read) {
      read = kms.listAliases(filter).finally(() => inFlight.delete(key))
      inFlight.set(key, read)
    }
    // Each caller gets its own array: one that sorts or filters in place leaves the others' alone.
    return read.then((aliases) => [...aliases])
  }
  return new Proxy(kms, {
    get(target, property) {
      if (property === 'listAliases') return listAliases
      const value: unknown = Reflect.get(target, property)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
