// The journal: JSON lines that make sure what an alias pointed to before is never lost (CloudTrail
// logs only the new key). It is a write-ahead log: an intent line is appended and flushed before a
// mutating call goes out, and outcome lines for the same id follow once the call returned and once
// it was confirmed. Readers fold the lines by id, so a run killed after the send still names the
// previous key (an intent with no outcome reads as "unknown"). Appends hold a lock file, so
// concurrent runs never interleave lines; a torn last line (a crash mid-write) is skipped on read
// and sealed off on write. The journal is read as a stream (history and undo <id> from the start,
// undo --last from the end), so its size bounds neither memory nor V8's string limit.
import { createHash, randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { appendFile, lstat, open, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { CliError, ConflictError, NotFoundError, UsageError, interruptedBy } from '../errors.js'
import { currentTarget } from '../kms/lookups.js'
import type { KmsPort } from '../kms/port.js'
import { acquireLock, ensureDirectory } from './lock.js'

export const ALIAS_ACTIONS = ['create', 'update', 'delete', 'rotate'] as const
/**
 * Issue 21: key-state writes (retire and their undo). Their entries name the key (`keyId`) and its
 * state before and after; `alias` is empty and the key IDs are null. Older tool versions skip them
 * as entries of an unknown action.
 */
export const KEY_STATE_ACTIONS = ['disable-key', 'enable-key', 'schedule-key-deletion', 'cancel-key-deletion'] as const
export const JOURNAL_ACTIONS = [...ALIAS_ACTIONS, ...KEY_STATE_ACTIONS] as const
export type AliasAction = (typeof ALIAS_ACTIONS)[number]
export type KeyStateAction = (typeof KEY_STATE_ACTIONS)[number]
export type JournalAction = AliasAction | KeyStateAction
export const isKeyStateAction = (action: JournalAction): action is KeyStateAction => (KEY_STATE_ACTIONS as readonly string[]).includes(action)

/** Written before the mutating call goes out. */
export interface JournalIntent {
  type: 'intent'
  /** Short id for `kms-alias undo <id>`. */
  id: string
  time: string
  account: string | null
  region: string
  alias: string
  action: JournalAction
  previousKeyId: string | null
  newKeyId: string | null
  /** The kms-alias command that made the change. */
  command: string
  /** For undo and rollback: the id of the entry this change reverts. */
  reverts: string | null
  /** Shared by every change of one apply run. */
  runId: string | null
  /** rotate: the key it created. */
  createdKeyId?: string
  toolVersion: string
  /** Key-state entries (issue 21): the key, its state when the plan saw it, the state the call leaves. */
  keyId?: string
  previousState?: string
  newState?: string
  /** schedule-key-deletion: the waiting period asked for. */
  pendingWindowInDays?: number
  /** Who made the change; written to a team journal, where the entries come from many people. */
  by?: JournalAuthor
}

/** Who made a change: the caller's identity (an IAM ARN, null when STS did not say) and the host. */
export interface JournalAuthor {
  identity: string | null
  host: string
}

/** Written after the call returned (changed) and after confirmation (verified). */
export interface JournalOutcome {
  type: 'outcome'
  id: string
  time: string
  /** null: it could not be told whether KMS made the change. */
  changed: boolean | null
  verified: boolean
}

export type JournalLine = JournalIntent | JournalOutcome

/** One change as history and undo see it: its intent folded with its latest outcome. */
export interface JournalEntry extends Omit<JournalIntent, 'type'> {
  /** null when no outcome was recorded (a kill after the send) or the outcome was unclear. */
  changed: boolean | null
  verified: boolean
  /** Whether it is known that the change was made. */
  certain: boolean
}

/** 64 random bits: with 32, one journal of 10,000 entries held two equal ids about once in a hundred. */
export const newJournalId = (): string => randomBytes(8).toString('hex')

/** The per-user state directory kms-alias keeps its journal and locks in. */
export function stateDirectory(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string | null {
  const base =
    platform === 'win32'
      ? env.LOCALAPPDATA
      : env.XDG_STATE_HOME || (env.HOME ? join(env.HOME, platform === 'darwin' ? 'Library/Application Support' : '.local/state') : undefined)
  return base ? join(base, 'kms-alias') : null
}

/** Where the journal lives: --journal, then KMS_ALIAS_JOURNAL, then the platform's state directory. */
export function journalPath(flag: string | false | undefined, env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string | null {
  if (flag === false) return null
  // An empty flag is a mistake (an unset shell variable), not a request for the default location.
  if (flag === '') throw new UsageError('--journal needs a path', 'pass --journal <path>, or --no-journal to record nothing')
  if (flag) return flag
  if (env.KMS_ALIAS_JOURNAL) return env.KMS_ALIAS_JOURNAL
  const state = stateDirectory(env, platform)
  return state ? join(state, 'journal.jsonl') : null
}

const LOCK_WAIT_MS = 5_000
const LOCK_STALE_MS = 30_000

/** Appends lines whole, under a lock, flushed to disk before it returns; throws on any failure (the Writer then refuses the change). */
export function appendJournal(path: string, lines: readonly JournalLine[]): Promise<void> {
  if (lines.length === 0) return Promise.resolve()
  // Group commit: lines appended while this process is writing to the journal wait for that write
  // and go out together in the next one, each caller answered once its own lines are flushed. Many
  // writes at once (apply's partitions, its confirmations) then cost a few flushes, not a lock each.
  let batch = waitingBatches.get(path)
  if (!batch) {
    const batchLines: JournalLine[] = []
    const previous = lastBatches.get(path) ?? Promise.resolve()
    const written = previous.then(() => {
      waitingBatches.delete(path)
      return writeBatch(path, batchLines)
    })
    batch = { lines: batchLines, written }
    waitingBatches.set(path, batch)
    // The next batch waits for this one whether it worked or not; each caller sees its own failure.
    const settled = written.then(
      () => undefined,
      () => undefined,
    )
    lastBatches.set(path, settled)
    void settled.then(() => {
      if (lastBatches.get(path) === settled) lastBatches.delete(path)
    })
  }
  batch.lines.push(...lines)
  return batch.written
}

/**
 * Opens the journal for appending as a write would (creating it, empty, when missing) and closes it:
 * what a write would refuse (no such directory allowed, read-only, not a regular file) throws here.
 */
export async function probeJournal(path: string): Promise<void> {
  await ensureDirectory(dirname(path))
  const handle = await openJournal(path, OPEN_APPEND)
  await handle.close()
}

const waitingBatches = new Map<string, { lines: JournalLine[]; written: Promise<void> }>()
const lastBatches = new Map<string, Promise<void>>()

async function writeBatch(path: string, lines: readonly JournalLine[]): Promise<void> {
  await ensureDirectory(dirname(path))
  const release = await acquireLock(`${path}.lock`, { waitMs: LOCK_WAIT_MS, staleMs: LOCK_STALE_MS })
  try {
    const handle = await openJournal(path, OPEN_APPEND)
    try {
      const sealed = await endsWithNewline(handle)
      const text = `${sealed ? '' : '\n'}${lines.map((e) => JSON.stringify(e)).join('\n')}\n`
      // One write call for the whole batch: a reader never sees half of it.
      await appendFile(handle, text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
  } finally {
    await release()
  }
}

// No final symbolic link is followed (appends would land in whatever it names), and O_NONBLOCK keeps
// the open of a FIFO from waiting for a writer that never comes; what was opened is then checked.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0
const NONBLOCK = constants.O_NONBLOCK ?? 0
const OPEN_READ = constants.O_RDONLY | NOFOLLOW | NONBLOCK
const OPEN_APPEND = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | NOFOLLOW | NONBLOCK

/** The journal path names something that is not a regular file: a FIFO, a directory, a device, a symbolic link. */
export class JournalFileError extends UsageError {
  constructor(
    readonly path: string,
    kind: string,
  ) {
    super(
      `the journal ${path} is ${kind}, not a regular file; kms-alias reads and appends only a regular file`,
      'pass --journal <path> naming a regular file, or a path that does not exist yet',
    )
  }
}

/**
 * Throws JournalFileError when the path names something other than a regular file (a missing one is
 * fine: the first write creates it): the refusal a read or an append would make, made before any call.
 */
export async function checkJournalFile(path: string): Promise<void> {
  // Only what is there is judged here; a path that cannot be looked at (ENOTDIR, EACCES) is the
  // write's to refuse, with its cause and the exit code of a journal that cannot be written.
  const stats = await lstat(path).catch(() => undefined)
  if (stats && !stats.isFile()) throw new JournalFileError(path, fileKind(stats))
}

/** Opens the journal (undefined when reading one that does not exist); throws JournalFileError for anything but a regular file. */
async function openJournal(path: string, flags: number): Promise<FileHandle>
async function openJournal(path: string, flags: number, missingOk: true): Promise<FileHandle | undefined>
async function openJournal(path: string, flags: number, missingOk = false): Promise<FileHandle | undefined> {
  let handle: FileHandle
  try {
    handle = await open(path, flags, 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && missingOk) return undefined
    // ELOOP: O_NOFOLLOW met a final symbolic link; ENXIO: a FIFO that nobody has open for reading.
    if (code === 'ELOOP' || code === 'ENXIO') throw new JournalFileError(path, fileKind(await lstat(path).catch(() => undefined)))
    throw error
  }
  const stats = await handle.stat().catch(async (error: unknown) => {
    await handle.close()
    throw error
  })
  if (!stats.isFile()) {
    await handle.close()
    throw new JournalFileError(path, fileKind(stats))
  }
  return handle
}

function fileKind(stats: Stats | undefined): string {
  if (stats?.isSymbolicLink()) return 'a symbolic link'
  if (stats?.isFIFO()) return 'a FIFO'
  if (stats?.isDirectory()) return 'a directory'
  if (stats?.isSocket()) return 'a socket'
  if (stats?.isCharacterDevice() || stats?.isBlockDevice()) return 'a device'
  return 'something else'
}

export interface InvalidEntry {
  id: string
  reason: string
  /** The id of the last readable intent before it (null: none), so undo --last can tell it was the newest. */
  after: string | null
}

export interface JournalRead {
  /** Changes that were made or may have been, oldest first (those known not to have happened are left out). */
  entries: JournalEntry[]
  /** Lines that are not journal lines (a torn write), skipped. */
  skipped: number
  /** Entries whose intent cannot be acted on (unknown action, no Region, no key ID, an id two entries share), skipped. */
  invalid: InvalidEntry[]
}

export interface ReadOptions {
  /** Stops the read between two chunks, with the InterruptedError the signal stands for. */
  signal?: AbortSignal
}

/**
 * A journal's lines from either end, a batch at a time: a local file (fileSource) or a team
 * journal's objects (src/engine/s3Store.ts). The readers below fold them the same way.
 */
export interface JournalLines {
  fromStart(signal: AbortSignal | undefined): AsyncGenerator<string[]>
  fromEnd(signal: AbortSignal | undefined): AsyncGenerator<string[]>
  close(): Promise<void>
}

/** Opens a journal for reading: undefined when there is none yet (an empty journal). */
export type JournalSource = () => Promise<JournalLines | undefined>

/** The local journal file as a source of lines. */
export function fileSource(path: string): JournalSource {
  return async () => {
    const handle = await openJournal(path, OPEN_READ, true)
    if (!handle) return undefined
    return {
      fromStart: (signal) => linesFromStart(handle, signal),
      fromEnd: (signal) => linesFromEnd(handle, signal),
      close: () => handle.close(),
    }
  }
}

const sourceOf = (from: string | JournalSource): JournalSource => (typeof from === 'string' ? fileSource(from) : from)

/** Reads and folds the journal in file order (oldest first); a missing file is an empty journal. */
export async function readJournal(from: string | JournalSource, options: ReadOptions = {}): Promise<JournalRead> {
  const source = await sourceOf(from)()
  if (!source) return { entries: [], skipped: 0, invalid: [] }
  try {
    const folder = new JournalFolder()
    for await (const lines of source.fromStart(options.signal)) {
      for (const line of lines) folder.add(line)
    }
    return folder.result()
  } finally {
    await source.close()
  }
}

const SHARED_ID = 'another journal entry has the same id, so neither can be told apart'

/** Folds lines in file order: each intent with its outcomes, an id two different intents share refused. */
class JournalFolder {
  private readonly folded = new Map<string, JournalEntry>()
  private readonly shared = new Set<string>()
  private readonly invalid: InvalidEntry[] = []
  private skipped = 0
  private lastIntent: string | null = null

  add(line: string): void {
    const record = parseLine(line)
    if (record === undefined) {
      if (line.trim() !== '') this.skipped += 1
      return
    }
    if (this.shared.has(record.id)) return // its outcomes cannot be told apart either
    if (record.type === 'outcome') {
      const entry = this.folded.get(record.id)
      if (entry) applyOutcome(entry, record) // else its intent was torn or invalid
      return
    }
    const reason = invalidReason(record)
    if (reason) {
      this.invalid.push({ id: clip(record.id), reason, after: this.lastIntent })
      return
    }
    const entry = fromIntent(record)
    const earlier = this.folded.get(record.id)
    if (earlier && !sameIntent(earlier, entry)) {
      this.folded.delete(record.id)
      this.shared.add(record.id)
      this.invalid.push({ id: clip(record.id), reason: SHARED_ID, after: this.lastIntent })
      return
    }
    // The same intent line twice (a batch written again) is one entry.
    if (!earlier) this.folded.set(record.id, entry)
    this.lastIntent = record.id
  }

  result(): JournalRead {
    const entries = [...this.folded.values()].filter((e) => e.changed !== false)
    return { entries, skipped: this.skipped, invalid: this.invalid }
  }
}

/** What a newest-first scan met besides entries: lines that are no journal lines, entries that cannot be used. */
export interface ScanNotes {
  skipped: number
  invalid: InvalidEntry[]
}

/**
 * Hands the journal's entries to `visit` newest first, as `readJournal` folds them (outcomes on
 * their intent, unchanged entries left out, two different intents that share an id both refused),
 * holding only an id and a fingerprint per entry instead of the entries: 200,000 entries stay a
 * few megabytes. `visit` returns false to stop (history --limit). Two passes: forward to find the
 * unusable and shared ids, then backward to fold and hand out each entry.
 */
export async function scanJournalNewestFirst(
  from: string | JournalSource,
  visit: (entry: JournalEntry) => boolean,
  options: ReadOptions = {},
): Promise<ScanNotes> {
  const source = await sourceOf(from)()
  if (!source) return { skipped: 0, invalid: [] }
  try {
    const index = new IdIndex()
    for await (const lines of source.fromStart(options.signal)) for (const line of lines) index.add(line)
    const outcomes = new Map<string, { changed?: boolean | null; verified: boolean }>()
    const given = new Set<string>()
    for await (const lines of source.fromEnd(options.signal)) {
      for (const line of lines) {
        const record = parseLine(line)
        if (record === undefined || index.unusable.has(record.id) || given.has(record.id)) continue
        if (record.type === 'outcome') {
          // Newest first: the first `changed` met is the latest, the one a forward fold keeps.
          const outcome = outcomes.get(record.id) ?? { verified: false }
          if (outcome.changed === undefined && isChanged(record.changed)) outcome.changed = record.changed
          if (record.verified === true) outcome.verified = true
          outcomes.set(record.id, outcome)
          continue
        }
        if (invalidReason(record)) continue
        // The same intent line written twice is one entry, placed (as the forward fold places it)
        // where it first appears: every copy after that one only passes.
        if (index.copiesLeft(record.id) > 0) continue
        const entry = fromIntent(record)
        const outcome = outcomes.get(entry.id)
        outcomes.delete(entry.id)
        if (outcome) {
          if (outcome.changed !== undefined) entry.changed = outcome.changed
          entry.verified ||= outcome.verified
          entry.certain = entry.changed === true
        }
        given.add(entry.id)
        if (entry.changed !== false && !visit(entry)) return index.notes()
      }
    }
    return index.notes()
  } finally {
    await source.close()
  }
}

/** The forward pass of scanJournalNewestFirst: which ids cannot be used, by a fingerprint per id. */
class IdIndex {
  readonly unusable = new Set<string>()
  private readonly fingerprints = new Map<string, { fingerprint: string; copies: number }>()
  private readonly invalid: InvalidEntry[] = []
  private skipped = 0
  private lastIntent: string | null = null

  add(line: string): void {
    const record = parseLine(line)
    if (record === undefined) {
      if (line.trim() !== '') this.skipped += 1
      return
    }
    if (record.type === 'outcome' || this.unusable.has(record.id)) return
    const reason = invalidReason(record)
    if (reason) {
      this.invalid.push({ id: clip(record.id), reason, after: this.lastIntent })
      return
    }
    const entry = fromIntent(record)
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(INTENT_FIELDS.map((field) => entry[field] ?? null)))
      .digest('base64')
    const earlier = this.fingerprints.get(record.id)
    if (earlier !== undefined && earlier.fingerprint !== fingerprint) {
      this.unusable.add(record.id)
      this.invalid.push({ id: clip(record.id), reason: SHARED_ID, after: this.lastIntent })
      return
    }
    if (earlier) earlier.copies += 1
    else this.fingerprints.set(record.id, { fingerprint, copies: 1 })
    this.lastIntent = record.id
  }

  /** Read backwards, one copy of an id's intent line is met: how many copies are still before it. */
  copiesLeft(id: string): number {
    const known = this.fingerprints.get(id)
    if (!known) return 0
    known.copies -= 1
    return known.copies
  }

  notes(): ScanNotes {
    return { skipped: this.skipped, invalid: this.invalid }
  }
}

export interface LastUndoable {
  /** The newest change that neither reverts another nor was reverted. */
  entry?: JournalEntry
  /** An entry newer than every change, unreadable: undo --last refuses it by name rather than step past it. */
  invalid?: InvalidEntry
}

/**
 * What `undo --last` reverts, read from the end of the journal: only the lines after the change it
 * finds are read, however long the journal is. An outcome line follows its intent, so outcomes are
 * held by id until their intent is reached.
 */
export async function readLastUndoable(from: string | JournalSource, options: ReadOptions = {}): Promise<LastUndoable> {
  const source = await sourceOf(from)()
  if (!source) return {}
  try {
    // Per id, what its outcome lines say; lines come newest first, so the first `changed` met is the
    // latest, which is the one a forward fold would keep.
    const outcomes = new Map<string, { changed?: boolean | null; verified: boolean }>()
    const reverted = new Set<string>()
    const seen = new Map<string, JournalEntry>()
    let newer: string | null = null
    for await (const lines of source.fromEnd(options.signal)) {
      for (const line of lines) {
        const record = parseLine(line)
        if (record === undefined) continue
        if (record.type === 'outcome') {
          const outcome = outcomes.get(record.id) ?? { verified: false }
          if (outcome.changed === undefined && isChanged(record.changed)) outcome.changed = record.changed
          if (record.verified === true) outcome.verified = true
          outcomes.set(record.id, outcome)
          continue
        }
        const reason = invalidReason(record)
        if (reason) {
          if (newer === null) return { invalid: { id: clip(record.id), reason, after: null } }
          continue
        }
        const entry = fromIntent(record)
        const later = seen.get(entry.id)
        if (later && !sameIntent(later, entry)) return { invalid: { id: clip(entry.id), reason: SHARED_ID, after: null } }
        seen.set(entry.id, entry)
        const outcome = outcomes.get(entry.id)
        if (outcome) {
          if (outcome.changed !== undefined) entry.changed = outcome.changed
          entry.verified ||= outcome.verified
          entry.certain = entry.changed === true
        }
        if (entry.changed === false) continue
        newer = entry.id
        if (entry.reverts) reverted.add(entry.reverts)
        else if (!reverted.has(entry.id)) return { entry }
      }
    }
    return {}
  } finally {
    await source.close()
  }
}

/**
 * The entry `ref` names in a read journal: its full id, or a prefix of at least 4 characters that
 * only one id has (as git takes abbreviated commit ids). Ambiguity is a usage error listing the ids.
 */
export function findJournalEntry(read: JournalRead, ref: string): { entry: JournalEntry } | { invalid: InvalidEntry } | undefined {
  const exactEntry = read.entries.find((e) => e.id === ref)
  if (exactEntry) return { entry: exactEntry }
  const exactInvalid = read.invalid.find((i) => i.id === ref)
  if (exactInvalid) return { invalid: exactInvalid }
  if (ref.length < MIN_PREFIX) return undefined
  const entries = read.entries.filter((e) => e.id.startsWith(ref))
  const invalid = read.invalid.filter((i) => i.id.startsWith(ref))
  const ids = [...new Set([...entries.map((e) => e.id), ...invalid.map((i) => i.id)])]
  if (ids.length > 1) {
    const shown = ids.slice(0, 5).join(', ')
    throw new UsageError(`journal id ${ref} is ambiguous: it starts ${ids.length} ids (${shown}${ids.length > 5 ? ', …' : ''})`, 'give more characters of the id')
  }
  if (entries[0]) return { entry: entries[0] }
  if (invalid[0]) return { invalid: invalid[0] }
  return undefined
}

const MIN_PREFIX = 4

/**
 * Checks a journal entry against KMS before undo plans anything: the journal is a file that anyone
 * who can write it can forge, so an entry is believed only where KMS agrees with it. The alias
 * must be where the entry left it, and the key undo would go back to must exist in the entry's
 * account and Region. Returns the refusal (exit 5 for a moved alias, 4 for a missing key, 2 for a
 * key elsewhere), or undefined when the entry holds. `kms` must act in the entry's Region.
 */
export async function recheckEntry(entry: JournalEntry, kms: KmsPort): Promise<CliError | undefined> {
  const left = entry.action === 'delete' ? undefined : (entry.newKeyId ?? undefined)
  const now = await currentTarget(kms, entry.alias)
  if (now !== left) {
    const seen = now === undefined ? 'does not exist' : `points to ${now}`
    const expected = left === undefined ? 'deleted it' : `left it on ${left}`
    return new ConflictError(
      `${entry.alias} ${seen}, but journal entry ${entry.id} ${expected}: it changed since (or the entry is not true); nothing was changed`,
      'kms-alias history shows later changes; kms-alias show tells where it points now',
    )
  }
  const back = entry.action === 'create' ? undefined : entry.previousKeyId
  if (!back) return undefined
  const key = await kms.describeKey(back).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined
    throw error
  })
  if (key === undefined) {
    return new NotFoundError(`journal entry ${entry.id} would put ${entry.alias} back on ${back}, which does not exist in ${entry.region}; nothing was changed`)
  }
  if (key.keyId !== back && key.arn !== back) {
    return new UsageError(`journal entry ${entry.id} names ${back} as the previous key, which is not a key ID or ARN; nothing was changed`, 'revert it by hand if you must')
  }
  if (key.region !== entry.region || (entry.account !== null && key.accountId !== entry.account)) {
    return new UsageError(
      `journal entry ${entry.id} would put ${entry.alias} (account ${entry.account ?? 'unknown'}, ${entry.region}) back on ${key.arn}, a key of another account or Region; nothing was changed`,
      'an alias can point only to a key of its own account and Region: the entry is not true; revert by hand if you must',
    )
  }
  return undefined
}

type JournalRecord = Record<string, unknown> & { id: string }

function parseLine(line: string): JournalRecord | undefined {
  if (line.trim() === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const record = parsed as Record<string, unknown>
  return typeof record.id === 'string' && record.id !== '' ? (record as JournalRecord) : undefined
}

const isChanged = (value: unknown): value is boolean | null => value === true || value === false || value === null

function applyOutcome(entry: JournalEntry, record: Record<string, unknown>): void {
  if (isChanged(record.changed)) entry.changed = record.changed
  if (record.verified === true) entry.verified = true
  entry.certain = entry.changed === true
}

const INTENT_FIELDS = [
  'time',
  'account',
  'region',
  'alias',
  'action',
  'previousKeyId',
  'newKeyId',
  'command',
  'reverts',
  'runId',
  'createdKeyId',
  'toolVersion',
  'keyId',
  'previousState',
  'newState',
  'pendingWindowInDays',
] as const

function sameIntent(a: JournalEntry, b: JournalEntry): boolean {
  return INTENT_FIELDS.every((field) => a[field] === b[field])
}

/** Journal text put into a message: a forged line can hold megabytes in one field. */
export function clip(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`
}

// Reading forward, big chunks (fewer reads); from the end, small ones (undo --last mostly needs
// only the last few lines).
const FORWARD_CHUNK_BYTES = 1 << 20
const CHUNK_BYTES = 1 << 16

/** The journal's lines, oldest first, a chunk's worth at a time; the signal is heeded between chunks. */
async function* linesFromStart(handle: FileHandle, signal: AbortSignal | undefined): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8')
  const buffer = Buffer.allocUnsafe(FORWARD_CHUNK_BYTES)
  // The pieces of a line that has not ended yet: joined once it ends, so a line of many chunks is
  // not re-scanned for each (a forged 50 MB line would take minutes).
  let pending: string[] = []
  for (;;) {
    if (signal?.aborted) throw interruptedBy(signal)
    const { bytesRead } = await handle.read(buffer, 0, FORWARD_CHUNK_BYTES, null)
    if (bytesRead === 0) break
    const text = decoder.write(buffer.subarray(0, bytesRead))
    if (!text.includes('\n')) {
      pending.push(text)
      continue
    }
    const lines = text.split('\n')
    lines[0] = pending.join('') + (lines[0] ?? '')
    pending = [lines.pop() ?? '']
    yield lines
  }
  const rest = pending.join('') + decoder.end()
  if (rest !== '') yield [rest]
}

/** The journal's lines, newest first, read backwards a chunk at a time. */
async function* linesFromEnd(handle: FileHandle, signal: AbortSignal | undefined): AsyncGenerator<string[]> {
  let position = (await handle.stat()).size
  // The parts, in file order, of the line that began before the chunks read so far.
  let tail: Buffer[] = []
  while (position > 0) {
    if (signal?.aborted) throw interruptedBy(signal)
    const length = Math.min(CHUNK_BYTES, position)
    position -= length
    const chunk = Buffer.allocUnsafe(length)
    let filled = 0
    while (filled < length) {
      const { bytesRead } = await handle.read(chunk, filled, length - filled, position + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    const lines: string[] = []
    let end = filled
    for (let newline = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1; newline >= 0; newline = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1) {
      const piece = chunk.subarray(newline + 1, end)
      lines.push((tail.length > 0 ? Buffer.concat([piece, ...tail]) : piece).toString('utf8'))
      tail = []
      end = newline
    }
    if (end > 0) tail.unshift(chunk.subarray(0, end))
    yield lines
  }
  if (tail.length > 0) yield [Buffer.concat(tail).toString('utf8')]
}

/** Why an intent (or a whole entry written before the journal was a write-ahead log) cannot be used. */
function invalidReason(record: Record<string, unknown>): string | undefined {
  if (KEY_STATE_ACTIONS.includes(record.action as KeyStateAction)) {
    if (typeof record.region !== 'string' || record.region === '') return 'no Region'
    for (const field of ['keyId', 'previousState', 'newState'] as const) {
      if (typeof record[field] !== 'string' || record[field] === '') return `no ${field}`
    }
    return undefined
  }
  if (typeof record.alias !== 'string' || !record.alias.startsWith('alias/')) return 'no alias name'
  if (!ALIAS_ACTIONS.includes(record.action as AliasAction)) return `unknown action ${clip(JSON.stringify(record.action ?? null))}`
  if (typeof record.region !== 'string' || record.region === '') return 'no Region'
  const needs: Record<AliasAction, ReadonlyArray<'previousKeyId' | 'newKeyId'>> = {
    create: ['newKeyId'],
    update: ['previousKeyId', 'newKeyId'],
    rotate: ['previousKeyId', 'newKeyId'],
    delete: ['previousKeyId'],
  }
  for (const field of needs[record.action as AliasAction]) {
    if (typeof record[field] !== 'string' || record[field] === '') return `no ${field}`
  }
  return undefined
}

function fromIntent(record: Record<string, unknown>): JournalEntry {
  const intent = record as unknown as JournalIntent & Partial<JournalEntry>
  // A line without `type` is a whole entry from before the write-ahead journal: written only
  // after the change, with `certain` saying whether it was made.
  const legacy = record.type === undefined
  const changed = legacy ? (intent.certain === true ? true : null) : null
  // Built field by field (not spread): one object shape for every entry keeps a fold of 200,000
  // entries fast, and no field the journal does not define is carried into history's output.
  return {
    id: intent.id,
    time: intent.time,
    account: intent.account ?? null,
    region: intent.region,
    alias: typeof intent.alias === 'string' ? intent.alias : '',
    action: intent.action,
    previousKeyId: intent.previousKeyId ?? null,
    newKeyId: intent.newKeyId ?? null,
    command: intent.command,
    reverts: intent.reverts ?? null,
    runId: intent.runId ?? null,
    ...(typeof intent.createdKeyId === 'string' ? { createdKeyId: intent.createdKeyId } : {}),
    toolVersion: intent.toolVersion,
    ...(typeof intent.keyId === 'string' ? { keyId: intent.keyId } : {}),
    ...(typeof intent.previousState === 'string' ? { previousState: intent.previousState } : {}),
    ...(typeof intent.newState === 'string' ? { newState: intent.newState } : {}),
    ...(typeof intent.pendingWindowInDays === 'number' ? { pendingWindowInDays: intent.pendingWindowInDays } : {}),
    ...authorOf(record.by),
    changed,
    verified: legacy ? intent.verified === true : false,
    certain: changed === true,
  }
}

/** A `by` field as the journal defines it, else nothing: a forged one cannot carry other fields into history. */
function authorOf(value: unknown): { by?: JournalAuthor } {
  if (typeof value !== 'object' || value === null) return {}
  const { identity, host } = value as Record<string, unknown>
  if (typeof host !== 'string' || (identity !== null && typeof identity !== 'string')) return {}
  return { by: { identity, host } }
}

async function endsWithNewline(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat()
  if (size === 0) return true
  const last = Buffer.alloc(1)
  await handle.read(last, 0, 1, size - 1)
  return last[0] === 0x0a
}
