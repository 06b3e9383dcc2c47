// The team store's mechanisms against moto's S3 (which honours If-None-Match and If-Match on
// PutObject and If-Match on DeleteObject, checked by hand with moto 5.2.1), in-process with an
// injected clock: the lease takeover, the renewal, and journal names under clocks that differ.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { readJournal, readLastUndoable, type JournalIntent, type JournalLine } from '../../src/engine/journal.js'
import { LockTimeoutError } from '../../src/engine/lock.js'
import { s3StateStore, type TeamLockHolder } from '../../src/engine/s3Store.js'
import { lockName, type StateStore } from '../../src/engine/store.js'
import { createS3Port } from '../../src/s3/client.js'
import type { S3Port } from '../../src/s3/port.js'
import { motoUrl, REGION } from '../e2e/harness.js'

const bucket = `kms-alias-store-${randomUUID().slice(0, 8)}`
const raw = () => new S3Client({ region: REGION, endpoint: motoUrl(), forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
// STS too (the holder's identity): never the real endpoint.
const openPort = () => createS3Port({ region: REGION, endpointUrl: motoUrl(), bucket, env: { AWS_ENDPOINT_URL_STS: motoUrl() } })

beforeAll(async () => {
  await raw().send(new CreateBucketCommand({ Bucket: bucket }))
})

/** A clock of its own per machine: `sleep` moves it on (and ends on abort), so no wait is real. */
function fakeClock(start: number, env: Record<string, string> = {}) {
  let now = start
  return {
    now: () => new Date(now),
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted()
      now += ms
      await new Promise((resolve) => setImmediate(resolve))
    },
    env,
  }
}

const place = { alias: 'alias/team', region: REGION, account: '123456789012' }
const prefixOf = (label: string) => ({ bucket, prefix: `${label}-${randomUUID().slice(0, 8)}/` })

async function lockObject(prefix: string): Promise<{ holder: TeamLockHolder; etag: string } | undefined> {
  try {
    const out = await raw().send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}locks/${lockName(place)}.json` }))
    return { holder: JSON.parse((await out.Body?.transformToString()) ?? '') as TeamLockHolder, etag: out.ETag ?? '' }
  } catch {
    return undefined
  }
}

describe('the team lock (moto S3, injected clock)', () => {
  // Mechanism: with the takeover written without If-Match (tried once), both waiters replaced the
  // stale lock and both held it: two fulfilled, no LockTimeoutError.
  it("a killed holder's stale lease is taken over by exactly one of two waiting runs; the other waits for the winner and gives up", async () => {
    const location = prefixOf('takeover')
    const start = Date.parse('2026-12-01T10:00:00Z')
    const port = await openPort()
    // What a holder killed a minute ago left: its lease ran out 30 seconds ago.
    const dead: TeamLockHolder = { ...place, host: 'laptop-7', pid: 4242, identity: 'arn:aws:iam::123456789012:user/gone', token: 'dead', leaseSeconds: 30, renewed: new Date(start - 60_000).toISOString(), expires: start - 30_000 }
    expect(await port.create(`${location.prefix}locks/${lockName(place)}.json`, JSON.stringify(dead))).not.toBeNull()
    // Both waiters have read the stale lock before either writes over it: a barrier on replace.
    let arrived = 0
    let open!: () => void
    const bothThere = new Promise<void>((resolve) => (open = resolve))
    const barrier = (inner: S3Port): S3Port => ({
      ...inner,
      list: (prefix, after) => inner.list(prefix, after),
      async replace(key, body, etag) {
        arrived += 1
        if (arrived === 2) open()
        await bothThere
        return inner.replace(key, body, etag)
      },
    })
    const waiters: StateStore[] = [0, 1].map(() => s3StateStore(barrier(port), location, fakeClock(start)))
    const results = await Promise.allSettled(waiters.map((w) => w.lock(place, { waitMs: 5_000 })))
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]!.reason).toBeInstanceOf(LockTimeoutError)
    expect((lost[0]!.reason as LockTimeoutError).description).toBe(`arn:aws:sts::123456789012:user/moto on ${hostname()}, process ${process.pid}`)
    const now = await lockObject(location.prefix)
    expect(now?.holder).toMatchObject({ ...place, host: hostname(), identity: 'arn:aws:sts::123456789012:user/moto', leaseSeconds: 30, expires: start + 30_000 })
    await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value()
    expect(await lockObject(location.prefix)).toBeUndefined()
  })

  it('a live lock is waited for until KMS_ALIAS_LOCK_WAIT runs out (LockTimeoutError naming the holder), and the run\'s signal ends the wait at once', async () => {
    const location = prefixOf('wait')
    const start = Date.parse('2026-12-01T10:00:00Z')
    const port = await openPort()
    const holder = s3StateStore(port, location, fakeClock(start))
    const release = await holder.lock(place, { waitMs: 0 })
    const waiter = s3StateStore(port, location, fakeClock(start))
    await expect(waiter.lock(place, { waitMs: 2_000 })).rejects.toBeInstanceOf(LockTimeoutError)
    const stop = new AbortController()
    stop.abort(new Error('interrupted'))
    await expect(waiter.lock(place, { waitMs: 60_000, signal: stop.signal })).rejects.toThrow('interrupted')
    await release()
    // Free again: the next run takes it at once.
    await (await waiter.lock(place, { waitMs: 0 }))()
  })

  // Mechanism: with the renewal loop removed (tried once), the lock object kept its first ETag and expiry.
  it('a holder renews its lease (a new ETag and expiry) every third of KMS_ALIAS_LOCK_LEASE while it holds the lock', async () => {
    const location = prefixOf('renew')
    const port = await openPort()
    // The real clock here: renewal runs on real time, as the other machines do.
    const store = s3StateStore(port, location, { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), env: { KMS_ALIAS_LOCK_LEASE: '0.3' } })
    const release = await store.lock(place, { waitMs: 0 })
    const first = await lockObject(location.prefix)
    expect(first?.holder.leaseSeconds).toBe(0.3)
    let later = first
    const deadline = Date.now() + 10_000
    while (later?.etag === first?.etag && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
      later = await lockObject(location.prefix)
    }
    expect(later?.etag).not.toBe(first?.etag)
    expect(later?.holder.token).toBe(first?.holder.token)
    expect(later!.holder.expires).toBeGreaterThan(first!.holder.expires)
    await release()
    expect(await lockObject(location.prefix)).toBeUndefined()
  })
})

const intent = (id: string, time: string, alias = 'alias/team'): JournalIntent => ({
  type: 'intent',
  id,
  time,
  account: '123456789012',
  region: REGION,
  alias,
  action: 'update',
  previousKeyId: `old-${id}`,
  newKeyId: `new-${id}`,
  command: 'update',
  reverts: null,
  runId: null,
  toolVersion: '0.1.0',
})
const outcome = (id: string, time: string): JournalLine => ({ type: 'outcome', id, time, changed: true, verified: true })

describe('the team journal: one object per line, listed in time order (moto S3)', () => {
  // Mechanism: with the listing of names after the candidate removed (tried once), the later
  // change of the machine whose clock is an hour behind was named before the earlier one, and
  // undo --last picked the earlier change.
  it("a machine whose clock is an hour behind names its lines after those already written: undo --last finds the newest change", async () => {
    const location = prefixOf('skew')
    const port = await openPort()
    const ahead = s3StateStore(port, location, fakeClock(Date.parse('2026-12-01T11:00:00Z')))
    const behind = s3StateStore(port, location, fakeClock(Date.parse('2026-12-01T10:00:00Z')))
    await ahead.journal!.append([intent('first', '2026-12-01T11:00:00.000Z')])
    await ahead.journal!.append([outcome('first', '2026-12-01T11:00:00.100Z')])
    await behind.journal!.append([intent('second', '2026-12-01T10:00:05.000Z')])
    await behind.journal!.append([outcome('second', '2026-12-01T10:00:05.100Z')])
    const read = await readJournal(behind.journal!.source)
    expect(read.entries.map((e) => [e.id, e.changed, e.verified])).toEqual([
      ['first', true, true],
      ['second', true, true],
    ])
    expect((await readLastUndoable(ahead.journal!.source)).entry?.id).toBe('second')
  })

  it('two machines writing in the same millisecond keep both lines, each an object of its own, never overwritten', async () => {
    const location = prefixOf('same-ms')
    const port = await openPort()
    const time = '2026-12-01T10:00:00.000Z'
    const machines = [0, 1].map(() => s3StateStore(port, location, fakeClock(Date.parse(time))))
    await Promise.all(machines.map((m, i) => m.journal!.append([intent(`m${i}`, time, `alias/m${i}`), outcome(`m${i}`, time)])))
    const read = await readJournal(machines[0]!.journal!.source)
    expect(read.entries.map((e) => e.id).sort()).toEqual(['m0', 'm1'])
    expect(read.entries.every((e) => e.changed === true && e.verified)).toBe(true)
    const names: string[] = []
    for await (const keys of port.list(`${location.prefix}journal/`)) names.push(...keys)
    expect(names).toHaveLength(4)
  })
})
