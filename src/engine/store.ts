// Where a run keeps its state: the journal and the alias locks, behind one interface with two
// implementations. The local one is the journal file and the lock files of this user's state
// directory (journal.ts, lock.ts); the team one keeps both in S3 (s3Store.ts), so that every machine
// pointing at the same s3://bucket/prefix shares them. Commands and the Writer ask `stateStoreOf`
// and never look at which one they got.
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { sessionOf } from '../cli/session.js'
import { UsageError } from '../errors.js'
import type { Log } from '../output/ui.js'
import type { S3Location } from '../s3/port.js'
import { appendJournal, checkJournalFile, fileSource, journalPath, probeJournal, stateDirectory, type JournalAuthor, type JournalLine, type JournalSource } from './journal.js'
import { acquireLock, currentUid, ensurePrivateDirectory, type Release } from './lock.js'

/** Where a write goes: the lock is per (account, Region, alias). */
export interface LockPlace {
  alias: string
  region: string
  account: string | null
}

/** The journal of a store: appended to by the Writer, read by history and undo. */
export interface JournalStore {
  /** For messages: a file path, or s3://bucket/prefix. */
  readonly location: string
  /** Stores the lines (each durably, before it returns); throws when they could not be. */
  append(lines: readonly JournalLine[]): Promise<void>
  /** Throws what an append would meet (a journal that cannot be written, a bucket that is not there). */
  probe(): Promise<void>
  /** The lines, for the readers of journal.ts. */
  readonly source: JournalSource
  /** Who is making changes, written into each intent; undefined where the journal is one user's own. */
  author(): Promise<JournalAuthor | undefined>
  /**
   * Stores lines taken from another journal (journal import), each under a name fixed by its
   * entry id and its place among that id's lines: a line stored already is found, not written
   * again. Only a team journal takes lines this way.
   */
  importLines?(lines: readonly ImportedLine[], signal?: AbortSignal): Promise<{ written: number; present: number }>
}

/** A line of another journal: its record, and which of its id's lines it is (0 for the first). */
export interface ImportedLine {
  record: JournalLine
  ordinal: number
}

export interface LockOptions {
  waitMs: number
  /** Ends a wait for another run's lock (Ctrl-C, or a reservation given up). */
  signal?: AbortSignal
}

/** The journal and the locks of a run. */
export interface StateStore {
  /** null: nothing is journaled (--no-journal), or there is nowhere to (`journalOff` says which). */
  readonly journal: JournalStore | null
  readonly journalOff: boolean
  /** Whether it is shared by several machines (s3://). */
  readonly team: boolean
  /** Takes the lock of one alias (waiting up to waitMs for another run) and returns its release. */
  lock(place: LockPlace, options: LockOptions): Promise<Release>
}

/** `s3://bucket/prefix` split, or undefined for anything that is not an s3: location (a local path). */
export function parseS3Location(raw: string): S3Location | undefined {
  if (!/^s3:/i.test(raw)) return undefined
  // s3:/bucket or s3:bucket is a team journal with a slash missing: taken as a local path it would
  // quietly keep the team's changes in a file of this machine.
  if (!/^s3:\/\//i.test(raw)) {
    throw new UsageError(`${raw} is not an s3:// location`, `a team journal is s3://<bucket>/<prefix>; a local journal path that starts with "s3:" can be written ./${raw}`)
  }
  const rest = raw.slice('s3://'.length)
  const slash = rest.indexOf('/')
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+/, '')
  if (!isBucketName(bucket)) {
    throw new UsageError(`${raw} does not name an S3 bucket`, 'a team journal is s3://<bucket>/<prefix>, the bucket 3 to 63 lowercase letters, digits, dots and hyphens')
  }
  return { bucket, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` }
}

// S3's general purpose bucket naming rules: a name S3 would refuse is a typo, told before any call.
function isBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !/\.\.|\.-|-\./.test(name) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)
  )
}

/**
 * Refuses (exit 2) a journal location that no read or write could use: a local path naming a
 * directory, FIFO, device or symbolic link, or a malformed s3:// location. Run before each command,
 * so that a typo is told before the preflight's calls rather than at the first write.
 */
export async function checkJournalLocation(ctx: Pick<Context, 'env' | 'platform'>, globals: Pick<GlobalOptions, 'journal'>): Promise<void> {
  const path = journalPath(globals.journal, ctx.env, ctx.platform)
  if (globals.journal === false) {
    // --no-journal still takes the team's lock (stateStoreOf), so the team location must be sound.
    if (ctx.env.KMS_ALIAS_JOURNAL) parseS3Location(ctx.env.KMS_ALIAS_JOURNAL)
    return
  }
  if (path === null || parseS3Location(path)) return
  await checkJournalFile(path)
}

const stores = new WeakMap<Context, Map<string, Promise<StateStore>>>()

/**
 * The state store of the run `globals` were resolved for: one per run and location, so that every
 * part of it (undo --run's Regions, apply's partitions) shares one S3 client and one author.
 */
export function stateStoreOf(ctx: Context, globals: GlobalOptions, log: Log): Promise<StateStore> {
  const off = globals.journal === false
  const path = journalPath(globals.journal, ctx.env, ctx.platform)
  // --no-journal in a team's shell (KMS_ALIAS_JOURNAL=s3://…) records nothing, but still takes the
  // team's lock: a run without a record must not race the team's runs.
  const team = path !== null ? parseS3Location(path) : off && ctx.env.KMS_ALIAS_JOURNAL ? parseS3Location(ctx.env.KMS_ALIAS_JOURNAL) : undefined
  const key = `${off ? 'off:' : ''}${team ? `s3://${team.bucket}/${team.prefix}` : `local:${path ?? ''}`}`
  let ofContext = stores.get(ctx)
  if (!ofContext) stores.set(ctx, (ofContext = new Map()))
  let store = ofContext.get(key)
  if (!store) {
    store = team ? openTeamStore(ctx, globals, log, team, off) : Promise.resolve(localStore(ctx, off ? null : path, off))
    ofContext.set(key, store)
    // A bucket that could not be opened is tried again by the next write, not remembered.
    store.catch(() => ofContext.delete(key))
  }
  return store
}

async function openTeamStore(ctx: Context, globals: GlobalOptions, log: Log, location: S3Location, journalOff: boolean): Promise<StateStore> {
  const [{ s3StateStore }, port] = await Promise.all([import('./s3Store.js'), sessionOf(ctx, globals, log).s3(location.bucket)])
  const store = s3StateStore(port, location, { now: ctx.now, sleep: ctx.sleep, env: ctx.env })
  return journalOff ? { ...store, journal: null, journalOff: true, lock: store.lock } : store
}

/** The journal file (null: --no-journal, or no location) and the lock files of this user. */
export function localStore(ctx: Pick<Context, 'env' | 'platform'>, path: string | null, off: boolean): StateStore {
  let stateChecked = false
  // The state directory is made private before the journal is written into it.
  const prepare = async () => {
    if (stateChecked || path === null) return
    const state = stateDirectory(ctx.env, ctx.platform)
    if (state !== null && dirname(path) === state) await ensurePrivateDirectory(state)
    stateChecked = true
  }
  const journal: JournalStore | null =
    path === null
      ? null
      : {
          location: path,
          async append(lines) {
            await prepare()
            await appendJournal(path, lines)
          },
          async probe() {
            await prepare()
            await probeJournal(path)
          },
          source: fileSource(path),
          author: () => Promise.resolve(undefined),
        }
  return {
    journal,
    journalOff: off,
    team: false,
    async lock(place, options) {
      const directory = lockDirectory(ctx.env, ctx.platform)
      // Both levels are the user's own: a lock directory another user made could hold planted locks.
      await ensurePrivateDirectory(dirname(directory))
      await ensurePrivateDirectory(directory)
      return acquireLock(join(directory, `${lockName(place)}.lock`), { waitMs: options.waitMs, staleMs: LOCK_STALE_MS, ...(options.signal ? { signal: options.signal } : {}) })
    },
  }
}

// No run holds an alias lock this long (a call and its retries take well under a minute); a dead
// holder is noticed at once by its process id.
const LOCK_STALE_MS = 10 * 60_000

/** The lock's name for one (account, Region, alias): the same on every machine. */
export const lockName = (place: LockPlace): string =>
  createHash('sha256')
    .update(`${place.account ?? ''}\n${place.region}\n${place.alias}`)
    .digest('hex')
    .slice(0, 32)

/**
 * Where the alias locks live: the state directory, else a directory of this user's in the temporary
 * directory (named by uid, so that two users without a HOME do not share, or fight over, one).
 */
export function lockDirectory(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
  uid: number | undefined = currentUid(),
): string {
  const state = stateDirectory(env, platform)
  const temporary = join(env.TMPDIR ?? env.TEMP ?? '/tmp', uid === undefined ? 'kms-alias' : `kms-alias-${uid}`)
  return join(state ?? temporary, 'locks')
}
