// The journal: one JSON line per alias change, so that what an alias pointed to before is never
// lost (CloudTrail logs only the new key). Appends hold a lock file, so concurrent runs never
// interleave lines; a torn last line (a crash mid-write) is skipped on read and sealed off on write.
import { randomBytes } from 'node:crypto'
import { appendFile, mkdir, open, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export interface JournalEntry {
  /** Short id for `kms-alias undo <id>`. */
  id: string
  time: string
  account: string | null
  region: string
  alias: string
  action: 'create' | 'update' | 'delete'
  previousKeyId: string | null
  newKeyId: string | null
  verified: boolean
  /** false only when a failure left it unknown whether the change was made. */
  certain: boolean
  /** The kms-alias command that made the change. */
  command: string
  /** For undo and rollback: the id of the entry this change reverts. */
  reverts: string | null
  toolVersion: string
}

export const newJournalId = (): string => randomBytes(4).toString('hex')

/** Where the journal lives: --journal, then KMS_ALIAS_JOURNAL, then the platform's state directory. */
export function journalPath(flag: string | false | undefined, env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string | null {
  if (flag === false) return null
  if (flag) return flag
  if (env.KMS_ALIAS_JOURNAL) return env.KMS_ALIAS_JOURNAL
  const base =
    platform === 'win32'
      ? env.LOCALAPPDATA
      : env.XDG_STATE_HOME || (env.HOME ? join(env.HOME, platform === 'darwin' ? 'Library/Application Support' : '.local/state') : undefined)
  return base ? join(base, 'kms-alias', 'journal.jsonl') : null
}

const LOCK_WAIT_MS = 5_000
const LOCK_STALE_MS = 30_000

/** Appends entries as whole lines, under a lock; throws on any failure (the caller warns). */
export async function appendJournal(path: string, entries: readonly JournalEntry[]): Promise<void> {
  if (entries.length === 0) return
  await ensureDirectory(dirname(path))
  const release = await lock(`${path}.lock`)
  try {
    const sealed = await endsWithNewline(path)
    const text = `${sealed ? '' : '\n'}${entries.map((e) => JSON.stringify(e)).join('\n')}\n`
    // One write call for the whole batch: a reader never sees half of it.
    await appendFile(path, text, { encoding: 'utf8', flush: true })
  } finally {
    await release()
  }
}

export interface JournalRead {
  entries: JournalEntry[]
  /** Lines that are not entries (a torn write), skipped. */
  skipped: number
}

/** Reads the journal in file order (oldest first); a missing file is an empty journal. */
export async function readJournal(path: string): Promise<JournalRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 }
    throw error
  }
  const entries: JournalEntry[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const entry = JSON.parse(line) as JournalEntry
      if (typeof entry.id === 'string' && typeof entry.alias === 'string') entries.push(entry)
      else skipped += 1
    } catch {
      skipped += 1
    }
  }
  return { entries, skipped }
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

async function lock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.close()
      return () => rm(lockPath, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A run that died holding the lock must not block every later run.
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (age > LOCK_STALE_MS) await rm(lockPath, { force: true })
      else if (Date.now() > deadline) throw new Error(`the journal is locked by another run (${lockPath})`)
      else await new Promise((r) => setTimeout(r, delay))
    }
  }
}
