// The journal: JSON lines that make sure what an alias pointed to before is never lost (CloudTrail
// logs only the new key). It is a write-ahead log: an intent line is appended and flushed before a
// mutating call goes out, and outcome lines for the same id follow once the call returned and once
// it was confirmed. Readers fold the lines by id, so a run killed after the send still names the
// previous key (an intent with no outcome reads as "unknown"). Appends hold a lock file, so
// concurrent runs never interleave lines; a torn last line (a crash mid-write) is skipped on read
// and sealed off on write.
import { randomBytes } from 'node:crypto'
import { appendFile, mkdir, open, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { acquireLock } from './lock.js'

export const JOURNAL_ACTIONS = ['create', 'update', 'delete', 'rotate'] as const
export type JournalAction = (typeof JOURNAL_ACTIONS)[number]

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

export const newJournalId = (): string => randomBytes(4).toString('hex')

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
  if (flag) return flag
  if (env.KMS_ALIAS_JOURNAL) return env.KMS_ALIAS_JOURNAL
  const state = stateDirectory(env, platform)
  return state ? join(state, 'journal.jsonl') : null
}

const LOCK_WAIT_MS = 5_000
const LOCK_STALE_MS = 30_000

/** Appends lines whole, under a lock, flushed to disk before it returns; throws on any failure (the caller warns). */
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

const waitingBatches = new Map<string, { lines: JournalLine[]; written: Promise<void> }>()
const lastBatches = new Map<string, Promise<void>>()

async function writeBatch(path: string, lines: readonly JournalLine[]): Promise<void> {
  await ensureDirectory(dirname(path))
  const release = await acquireLock(`${path}.lock`, { waitMs: LOCK_WAIT_MS, staleMs: LOCK_STALE_MS })
  try {
    const sealed = await endsWithNewline(path)
    const text = `${sealed ? '' : '\n'}${lines.map((e) => JSON.stringify(e)).join('\n')}\n`
    // One write call for the whole batch: a reader never sees half of it.
    await appendFile(path, text, { encoding: 'utf8', flush: true })
  } finally {
    await release()
  }
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
  /** Entries whose intent cannot be acted on (unknown action, no Region, no key ID), skipped. */
  invalid: InvalidEntry[]
}

/** Reads and folds the journal in file order (oldest first); a missing file is an empty journal. */
export async function readJournal(path: string): Promise<JournalRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0, invalid: [] }
    throw error
  }
  const folded = new Map<string, JournalEntry>()
  const invalid: InvalidEntry[] = []
  let skipped = 0
  let lastIntent: string | null = null
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      skipped += 1
      continue
    }
    const record = parsed as Record<string, unknown>
    if (typeof record !== 'object' || record === null || typeof record.id !== 'string') {
      skipped += 1
    } else if (record.type === 'outcome') {
      const entry = folded.get(record.id)
      if (!entry) continue // the intent was torn or invalid
      if (record.changed === true || record.changed === false || record.changed === null) entry.changed = record.changed
      if (record.verified === true) entry.verified = true
      entry.certain = entry.changed === true
    } else {
      const reason = invalidReason(record)
      if (reason) {
        invalid.push({ id: record.id, reason, after: lastIntent })
        continue
      }
      folded.set(record.id, fromIntent(record))
      lastIntent = record.id
    }
  }
  const entries = [...folded.values()].filter((e) => e.changed !== false)
  return { entries, skipped, invalid }
}

/** Why an intent (or a whole entry written before the journal was a write-ahead log) cannot be used. */
function invalidReason(record: Record<string, unknown>): string | undefined {
  if (typeof record.alias !== 'string' || !record.alias.startsWith('alias/')) return 'no alias name'
  if (!JOURNAL_ACTIONS.includes(record.action as JournalAction)) return `unknown action ${JSON.stringify(record.action ?? null)}`
  if (typeof record.region !== 'string' || record.region === '') return 'no Region'
  const needs: Record<JournalAction, ReadonlyArray<'previousKeyId' | 'newKeyId'>> = {
    create: ['newKeyId'],
    update: ['previousKeyId', 'newKeyId'],
    rotate: ['previousKeyId', 'newKeyId'],
    delete: ['previousKeyId'],
  }
  for (const field of needs[record.action as JournalAction]) {
    if (typeof record[field] !== 'string' || record[field] === '') return `no ${field}`
  }
  return undefined
}

function fromIntent(record: Record<string, unknown>): JournalEntry {
  const { type: _type, ...intent } = record as unknown as JournalIntent & Partial<JournalEntry>
  // A line without `type` is a whole entry from before the write-ahead journal: written only
  // after the change, with `certain` saying whether it was made.
  const legacy = record.type === undefined
  const changed = legacy ? (intent.certain === true ? true : null) : null
  return {
    ...intent,
    account: intent.account ?? null,
    previousKeyId: intent.previousKeyId ?? null,
    newKeyId: intent.newKeyId ?? null,
    reverts: intent.reverts ?? null,
    runId: intent.runId ?? null,
    changed,
    verified: legacy ? intent.verified === true : false,
    certain: changed === true,
  }
}

/**
 * mkdir -p that gives up: Node's own recursive mkdir never settles under /proc, where a child that
 * cannot exist answers ENOENT although its parent exists.
 */
async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    const parent = dirname(dir)
    if (code !== 'ENOENT' || parent === dir) throw error
    await ensureDirectory(parent)
    // A second ENOENT, now that the parent exists, is final.
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again
    })
  }
}

async function endsWithNewline(path: string): Promise<boolean> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw error
  }
  try {
    const { size } = await handle.stat()
    if (size === 0) return true
    const last = Buffer.alloc(1)
    await handle.read(last, 0, 1, size - 1)
    return last[0] === 0x0a
  } finally {
    await handle.close()
  }
}
