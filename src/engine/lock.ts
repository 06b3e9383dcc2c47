// Lock files shared by the journal (whole-line appends) and the alias write lock (one writer per
// alias on this machine). A lock is a file created with O_EXCL that names its holder; a holder that
// died (its process is gone, or the lock is older than any run could hold it) is taken over, and
// takeovers are themselves serialised so that two waiters can never both remove a lock and then
// both believe they hold it.
import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, open, readFile, rm, stat } from 'node:fs/promises'
import { AccessError } from '../errors.js'
import { dirname } from 'node:path'

export interface LockOptions {
  /** How long to wait for a live holder before giving up. */
  waitMs: number
  /** A lock older than this is taken over even if its process seems alive (pid reuse, another machine's NFS). */
  staleMs: number
  /** Stops waiting for a live holder when aborted (Ctrl-C, or the lock is no longer wanted); throws its reason. */
  signal?: AbortSignal
  /** The pause between two tries; it must end early, with the signal's reason, when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** The lock is held by a live run and did not come free in time. */
export class LockTimeoutError extends Error {
  /** @param description who holds it, in words, where more is known than a process id (a team lock). */
  constructor(
    readonly path: string,
    readonly holder: LockHolder | undefined,
    readonly description?: string,
  ) {
    super(`${path} is held by ${description ?? (holder ? `process ${holder.pid}` : 'another run')}`)
  }
}

export interface LockHolder {
  pid: number
  token: string
  created: number
}

export type Release = () => Promise<void>

const TAKEOVER_STALE_MS = 5_000

/** Waits for the lock (doubling pauses up to 200 ms) and returns its release. */
export async function acquireLock(path: string, options: LockOptions): Promise<Release> {
  const deadline = Date.now() + options.waitMs
  const token = randomBytes(8).toString('hex')
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if (await tryCreate(path, token)) return () => releaseIfOurs(path, token)
    const holder = await readHolder(path)
    if (holder === null) continue // released between our create and our read
    if (isStale(holder, options.staleMs)) {
      await takeOver(path, holder)
      continue
    }
    if (Date.now() >= deadline) throw new LockTimeoutError(path, holder)
    options.signal?.throwIfAborted()
    // The pause itself heeds the signal: Ctrl-C during a 30-second wait for another run's lock
    // used to wait out the whole deadline before the run could exit 130.
    await (options.sleep ?? abortableSleep)(delay, options.signal)
  }
}

/** A real-time pause that ends early, with the signal's reason, when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

async function tryCreate(path: string, token: string): Promise<boolean> {
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    const holder: LockHolder = { pid: process.pid, token, created: Date.now() }
    await handle.writeFile(JSON.stringify(holder))
    await handle.close()
  } catch (error) {
    // A full disk (ENOSPC) leaves an empty lock that would block others until judged stale: take it back.
    await handle.close().catch(() => undefined)
    await rm(path, { force: true }).catch(() => undefined)
    throw error
  }
  return true
}

/** The holder named in the lock; null when there is no lock, undefined fields when it is still being written. */
async function readHolder(path: string): Promise<LockHolder | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    const parsed = JSON.parse(text) as LockHolder
    if (typeof parsed.pid === 'number' && typeof parsed.token === 'string' && typeof parsed.created === 'number') return parsed
  } catch {
    // A holder that is between creating the file and writing it, or died there.
  }
  // Judge an unreadable lock by the file's age alone.
  const created = await stat(path).then(
    (s) => s.mtimeMs,
    () => Date.now(),
  )
  return { pid: 0, token: `unreadable@${created}`, created }
}

function isStale(holder: LockHolder, staleMs: number): boolean {
  if (olderThan(holder.created, staleMs)) return true
  if (holder.pid === 0) return olderThan(holder.created, TAKEOVER_STALE_MS)
  return !processAlive(holder.pid)
}

/**
 * Whether a lock made at `created` is past `ms`. One made "in the future" was not made by a run on
 * this machine's clock (a planted lock): never old by age, it would block the alias for good.
 */
function olderThan(created: number, ms: number): boolean {
  const now = Date.now()
  return created > now || now - created > ms
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes a stale lock, but only while holding the takeover lock and only if the lock still names
 * the stale holder: without this, a waiter that saw the stale lock could remove the fresh lock
 * another waiter had just created in its place.
 */
export async function takeOver(path: string, stale: LockHolder): Promise<void> {
  const takeoverPath = `${path}.takeover`
  const token = randomBytes(8).toString('hex')
  if (!(await tryCreate(takeoverPath, token))) {
    // A takeover that died half-way must not block every later run.
    const other = await readHolder(takeoverPath)
    if (other && olderThan(other.created, TAKEOVER_STALE_MS)) await releaseIfOurs(takeoverPath, other.token)
    await new Promise((resolve) => setTimeout(resolve, 10))
    return
  }
  try {
    const now = await readHolder(path)
    if (now && now.token === stale.token) await rm(path, { force: true })
  } finally {
    await releaseIfOurs(takeoverPath, token)
  }
}

async function releaseIfOurs(path: string, token: string): Promise<void> {
  const holder = await readHolder(path).catch(() => null)
  if (holder && holder.token === token) await rm(path, { force: true })
}

/** This process's id, which a lock names its holder by. */
export const currentPid = (): number => process.pid

/** This process's user id; undefined where there is none (Windows). */
export const currentUid = (): number | undefined => process.getuid?.()

/**
 * Makes a directory that kms-alias names itself (its state directory, the lock directory) and
 * checks it is the user's own: one that another local user created first could hold planted locks
 * or read the journal. A directory of the user's own that others may read is made private.
 */
export async function ensurePrivateDirectory(dir: string, uid: number | undefined = currentUid()): Promise<void> {
  await ensureDirectory(dir)
  if (uid === undefined) return // Windows: no POSIX owner to compare
  const [link, target] = await Promise.all([lstat(dir), stat(dir)])
  const owner = [link.uid, target.uid].find((u) => u !== uid)
  if (owner !== undefined) {
    throw new AccessError(
      `${dir} belongs to another user (uid ${owner}), not to you (uid ${uid}): kms-alias keeps its journal and locks only in a directory of your own`,
      'remove it if nobody else should have it, or set XDG_STATE_HOME to a directory of yours (KMS_ALIAS_JOURNAL moves only the journal)',
    )
  }
  if (!target.isDirectory()) throw new AccessError(`${dir} is not a directory`, 'remove it, or set XDG_STATE_HOME to a directory of yours')
  if ((target.mode & 0o077) !== 0) await chmod(dir, 0o700)
}

/**
 * mkdir -p that gives up: Node's own recursive mkdir never settles under /proc, where a child that
 * cannot exist answers ENOENT although its parent exists. What it creates is private (0700).
 */
export async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, 0o700)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    const parent = dirname(dir)
    if (code !== 'ENOENT' || parent === dir) throw error
    await ensureDirectory(parent)
    // A second ENOENT, now that the parent exists, is final.
    await mkdir(dir, 0o700).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again
    })
  }
}
