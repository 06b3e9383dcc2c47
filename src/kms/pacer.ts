/** Spaces calls at most `perSecond` a second: each call to the returned function waits its turn. */
export function createPacer(
  perSecond: number,
  now: () => Date,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): () => Promise<void> {
  const interval = 1000 / perSecond
  let next = 0
  return async () => {
    const at = now().getTime()
    const slot = Math.max(at, next)
    next = slot + interval
    if (slot > at) await sleep(slot - at, signal)
  }
}
