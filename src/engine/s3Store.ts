// The team store (--journal s3://bucket/prefix): the journal and the alias locks as S3 objects, so
// that runs on different machines exclude each other and share one history.
//
// Journal: every line is an object of its own under <prefix>journal/, created with If-None-Match: *
// (never overwritten), named <ms>-<random>.json so that a listing (S3 lists in key order) returns
// them in time order. Two machines writing in the same millisecond get two names (the random part);
// a machine whose clock is behind would name its line before lines already written, so an append
// first lists what is named after its candidate and, if anything is, names its lines after that.
// Lines of one append are named in order: an outcome always lists after its intent.
//
// Locks: one object per (account, Region, alias) under <prefix>locks/, created with
// If-None-Match: *, naming its holder and its lease. The holder renews it (If-Match its ETag) while
// it holds it and deletes it with If-Match when done. A waiter takes over a lock whose lease ran
// out with a write conditional on that lock's ETag: of several waiters, exactly one succeeds.
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { lockLeaseSeconds } from '../cli/globalOptions.js'
import { interruptedBy } from '../errors.js'
import type { S3Location, S3Port } from '../s3/port.js'
import type { JournalAuthor, JournalLine, JournalLines } from './journal.js'
import { abortableSleep, currentPid, LockTimeoutError, type Release } from './lock.js'
import { lockName, type ImportedLine, type LockOptions, type LockPlace, type StateStore } from './store.js'

export interface TeamClock {
  now: () => Date
  /** Pauses between tries for a lock; ends early (rejecting with the signal's reason) when aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  env: Readonly<Record<string, string | undefined>>
}

/** What a lock object holds. */
export interface TeamLockHolder {
  alias: string
  region: string
  account: string | null
  host: string
  pid: number
  identity: string | null
  token: string
  leaseSeconds: number
  /** When the holder last wrote it, on its own clock. */
  renewed: string
  /** renewed + the lease, epoch ms: past this, on a waiter's clock, the holder is taken for dead. */
  expires: number
}

// A lock that names no lease (unreadable) is judged by this one.
const DEFAULT_LEASE_SECONDS = 30
// How many objects are read at once (a journal line each).
const READ_CONCURRENCY = 16
const STAMP_DIGITS = 15

export function s3StateStore(port: S3Port, location: S3Location, clock: TeamClock): StateStore {
  const where = `s3://${location.bucket}/${location.prefix}`
  const journalDir = `${location.prefix}journal/`
  const lockDir = `${location.prefix}locks/`
  const lease = lockLeaseSeconds(clock.env)
  const host = hostname()
  let lastStamp = 0
  const author = async (): Promise<JournalAuthor> => ({ identity: await port.identity(), host })

  async function append(lines: readonly JournalLine[]): Promise<void> {
    if (lines.length === 0) return
    const first = lines[0]
    let stamp = Math.max(Date.parse(first?.time ?? '') || clock.now().getTime(), lastStamp + 1)
    // Lines another machine (its clock ahead of ours) already named after our candidate: a change
    // goes after them. Outcome lines only need to follow their own intent, which lastStamp ensures.
    if (lines.some((line) => line.type === 'intent')) {
      let newest: string | undefined
      for await (const keys of port.list(journalDir, `${journalDir}${stampText(stamp)}`)) newest = keys.at(-1) ?? newest
      if (newest !== undefined) stamp = Math.max(stamp, stampOf(newest.slice(journalDir.length)) + 1)
    }
    const named = lines.map((line, i) => ({ line, stamp: stamp + i }))
    lastStamp = stamp + lines.length - 1
    await Promise.all(
      named.map(async ({ line, stamp: at }) => {
        // A name taken already (the same millisecond and the same 64 random bits) is drawn again.
        for (;;) {
          const created = await port.create(`${journalDir}${stampText(at)}-${randomBytes(8).toString('hex')}.json`, `${JSON.stringify(line)}\n`)
          if (created !== null) return
        }
      }),
    )
  }

  const source = async (): Promise<JournalLines> => ({
    async *fromStart(signal) {
      for await (const keys of port.list(journalDir)) {
        if (signal?.aborted) throw interruptedBy(signal)
        yield await readLines(keys, signal)
      }
    },
    async *fromEnd(signal) {
      // S3 lists forward only: the names are listed first (a few bytes each), then read from the end.
      const all: string[] = []
      for await (const keys of port.list(journalDir)) {
        if (signal?.aborted) throw interruptedBy(signal)
        all.push(...keys)
      }
      for (let end = all.length; end > 0; end -= READ_CONCURRENCY) {
        const lines = await readLines(all.slice(Math.max(0, end - READ_CONCURRENCY), end), signal)
        yield lines.reverse()
      }
    },
    close: () => Promise.resolve(),
  })

  async function readLines(keys: readonly string[], signal: AbortSignal | undefined): Promise<string[]> {
    const bodies: string[] = new Array<string>(keys.length).fill('')
    for (let start = 0; start < keys.length; start += READ_CONCURRENCY) {
      if (signal?.aborted) throw interruptedBy(signal)
      const batch = keys.slice(start, start + READ_CONCURRENCY)
      const got = await Promise.all(batch.map((key) => port.get(key)))
      got.forEach((object, i) => (bodies[start + i] = object?.body ?? ''))
    }
    // One line per object; anything else in it (a forged object) is read as the lines it holds.
    return bodies.flatMap((body) => body.split('\n').filter((line) => line.trim() !== ''))
  }

  async function lock(place: LockPlace, options: LockOptions): Promise<Release> {
    const key = `${lockDir}${lockName(place)}.json`
    const token = randomBytes(16).toString('hex')
    const identity = await port.identity()
    const body = (): string => {
      const now = clock.now().getTime()
      const holder: TeamLockHolder = {
        ...place,
        host,
        pid: currentPid(),
        identity,
        token,
        leaseSeconds: lease,
        renewed: new Date(now).toISOString(),
        expires: now + lease * 1000,
      }
      return JSON.stringify(holder)
    }
    const deadline = clock.now().getTime() + options.waitMs
    // When this waiter first saw the lock's current version, on its own clock: a holder whose clock
    // runs ahead writes a far expiry, but a live holder renews (a new ETag) every third of its lease.
    let seen = { etag: '', since: 0 }
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      options.signal?.throwIfAborted()
      let etag = await port.create(key, body())
      if (etag === null) {
        const current = await port.get(key)
        if (current === null) continue // released between our create and our read
        const now = clock.now().getTime()
        if (current.etag !== seen.etag) seen = { etag: current.etag, since: now }
        const holder = parseHolder(current.body)
        if (isStale(holder, seen.since, now)) {
          // Conditional on the stale version: of several waiters that saw it, one replaces it and
          // the others' writes fail (412), so they go on waiting, now for the winner.
          etag = await port.replace(key, body(), current.etag)
          if (etag === null) continue
        } else {
          if (now >= deadline) throw new LockTimeoutError(`${where}${key.slice(location.prefix.length)}`, undefined, describeHolder(holder))
          await clock.sleep(Math.min(delay, Math.max(1, deadline - now)), options.signal)
          continue
        }
      }
      return held(key, etag, body)
    }
  }

  /** A lock now ours: renewed every third of its lease until released. */
  function held(key: string, etag: string, body: () => string): Release {
    const stop = new AbortController()
    let current = etag
    let lost = false
    const renewing = (async () => {
      for (;;) {
        // Real time, not the run's clock: renewal is for other machines, which live in real time.
        const paused = await abortableSleep((lease * 1000) / 3, stop.signal).then(
          () => true,
          () => false,
        )
        if (!paused || stop.signal.aborted) return
        const next = await port.replace(key, body(), current).catch(() => undefined) // a failed renewal is tried again next time
        if (next === null) {
          lost = true // taken over: our lease had run out on someone's clock
          return
        }
        if (next !== undefined) current = next
      }
    })()
    return async () => {
      stop.abort()
      await renewing
      if (!lost) await port.deleteIfMatch(key, current).catch(() => false)
    }
  }

  return {
    journal: {
      location: where,
      append,
      async probe() {
        // Reading is the part that can be checked without writing: the bucket, the credentials, ListBucket.
        for await (const keys of port.list(journalDir)) if (keys.length > 0) break
      },
      source,
      author,
      async importLines(lines: readonly ImportedLine[], signal?: AbortSignal) {
        let written = 0
        let present = 0
        for (let start = 0; start < lines.length; start += READ_CONCURRENCY) {
          if (signal?.aborted) throw interruptedBy(signal)
          const created = await Promise.all(
            lines.slice(start, start + READ_CONCURRENCY).map(({ record, ordinal }) => port.create(`${journalDir}${importedName(record, ordinal)}`, `${JSON.stringify(record)}\n`)),
          )
          for (const etag of created) etag === null ? (present += 1) : (written += 1)
        }
        return { written, present }
      },
    },
    journalOff: false,
    team: true,
    lock,
  }
}

const stampText = (ms: number): string => String(ms).padStart(STAMP_DIGITS, '0')
const stampOf = (name: string): number => {
  const n = Number(name.slice(0, STAMP_DIGITS))
  return Number.isFinite(n) ? n : 0
}

/** The journal object name an imported line gets: the same for the same line, so a second import finds it taken. */
export function importedName(line: JournalLine, ordinal: number): string {
  const ms = Date.parse(line.time)
  return `${stampText(Number.isFinite(ms) ? ms : 0)}-${line.id.replace(/[^A-Za-z0-9]/g, '_').slice(0, 64)}-${ordinal}.json`
}

function parseHolder(text: string): TeamLockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<TeamLockHolder>
    if (typeof parsed.expires === 'number' && typeof parsed.leaseSeconds === 'number' && typeof parsed.token === 'string') return parsed as TeamLockHolder
  } catch {
    // judged by age alone below
  }
  return undefined
}

function isStale(holder: TeamLockHolder | undefined, seenSince: number, now: number): boolean {
  const leaseMs = (holder?.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000
  if (now - seenSince > leaseMs) return true
  return holder !== undefined && now > holder.expires
}

function describeHolder(holder: TeamLockHolder | undefined): string {
  if (!holder) return 'another kms-alias run'
  const who = holder.identity ?? 'an unknown caller'
  return `${who} on ${holder.host}, process ${holder.pid}`
}
