import type { Context } from '../cli/context.js'
import { AccessError, CliError, Exit, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import {
  clip,
  readJournal,
  readLastUndoable,
  scanJournalNewestFirst,
  type JournalEntry,
  type JournalRead,
  type LastUndoable,
  type ScanNotes,
} from '../engine/journal.js'
import { parseAliasRef } from '../kms/identifiers.js'
import { historyJsonStream, renderHistoryTable, renderHistoryText } from '../output/historyView.js'
import { createUi } from '../output/ui.js'
import { escapeControl, escapeDeep } from '../output/escape.js'
import { stateStoreOf, type JournalStore } from '../engine/store.js'
import type { Log } from '../output/ui.js'

export interface HistoryOptions {
  alias?: string
  /** Only the changes of one apply run. */
  run?: string
  /** At most this many entries, the newest. */
  limit?: string
  /** Only entries from this long ago (30m, 12h, 7d, 2w) or since this date or time. */
  since?: string
}

/** Reads the journal (no KMS call) and prints it newest first. */
export async function runHistory(options: HistoryOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const aliasName = options.alias === undefined ? undefined : parseAliasRef(options.alias, 'alias').name
  const limit = options.limit === undefined ? undefined : parseLimit(options.limit)
  const since = options.since === undefined ? undefined : parseSince(options.since, ctx.now())
  const ui = createUi(ctx, globals)
  const chosen = (e: JournalEntry) =>
    (aliasName === undefined || e.alias === aliasName) &&
    (options.run === undefined || e.runId === options.run) &&
    (since === undefined || Date.parse(e.time) >= since)
  // Newest first from the end of the file; the text and JSON views print each entry as it comes
  // (in writes of about 64 kB), so only the table, which sizes its columns, holds what it shows.
  const out = batched((text) => ui.write(text))
  const json = ui.format === 'json' ? historyJsonStream(out.write) : undefined
  const table: JournalEntry[] = []
  let shown = 0
  const journal = await journalToRead(ctx, globals, ui)
  const path = journal.location
  const notes = await scanJournalNewestFirst(
    journal.source,
    (entry) => {
      if (!chosen(entry)) return true
      if (json) json.entry(entry)
      else if (ui.format === 'text') out.write(renderHistoryText(escapeDeep([entry])))
      else table.push(entry)
      shown += 1
      return limit === undefined || shown < limit
    },
    { signal: ctx.signal },
  ).catch(readFailure(path))
  json?.end()
  out.flush()
  warnUnread(notes, path, ui.warn)
  if (ui.format !== 'table') return Exit.Ok
  if (table.length === 0) ui.note(`No changes in the journal${aliasName ? ` for ${aliasName}` : ''}.`)
  else ui.write(renderHistoryTable(escapeDeep(table), ui.out, ui.width))
  return Exit.Ok
}

function parseLimit(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--limit ${clip(raw)} is not a whole number of entries of at least 1`, 'for example --limit 20')
  return Number(raw)
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

/** The earliest time (epoch ms) --since lets through: a duration back from now, or a date or time. */
export function parseSince(raw: string, now: Date): number {
  const duration = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(raw.trim())
  if (duration) return now.getTime() - Number(duration[1]) * (UNIT_MS[duration[2] ?? ''] ?? 0)
  // Only ISO 8601 forms: Date.parse guesses at anything else ("3" is the year 2001).
  const time = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/.test(raw.trim()) ? Date.parse(raw.trim()) : Number.NaN
  if (Number.isNaN(time)) {
    throw new UsageError(`--since ${clip(raw)} is neither a duration nor a date`, 'for example --since 12h, --since 7d, --since 2026-11-29 or --since 2026-11-29T08:00:00Z')
  }
  return time
}

/** The journal (a file, or a team journal in S3), or a usage error when there is none. */
async function journalToRead(ctx: Context, globals: GlobalOptions, log: Log): Promise<JournalStore> {
  const store = await stateStoreOf(ctx, globals, log)
  if (store.journal === null) throw new UsageError('there is no journal to read', 'pass --journal <path>, or set KMS_ALIAS_JOURNAL, XDG_STATE_HOME or HOME')
  return store.journal
}

function readFailure(path: string) {
  return (error: unknown): never => {
    // Refusals (a FIFO, a symbolic link) and an interruption keep their own exit codes.
    if (error instanceof CliError) throw error
    throw new AccessError(`cannot read the journal ${path}: ${(error as Error).message}`)
  }
}

/** The journal, oldest first, read as a stream, with a warning for what could not be read; shared with undo. */
export async function loadJournal(ctx: Context, globals: GlobalOptions, warn: (line: string) => void): Promise<JournalRead> {
  const journal = await journalToRead(ctx, globals, createUi(ctx, globals))
  const read = await readJournal(journal.source, { signal: ctx.signal }).catch(readFailure(journal.location))
  warnUnread(read, journal.location, warn)
  return read
}

function warnUnread({ skipped, invalid }: ScanNotes, path: string, warn: (line: string) => void): void {
  if (skipped > 0) warn(`skipped ${skipped} line${skipped === 1 ? '' : 's'} of ${path} that ${skipped === 1 ? 'is' : 'are'} not journal entries`)
  // An id and a reason come from the journal's text: an SGR sequence in them would pass the last
  // guard (it keeps colours), so they are escaped whole here.
  for (const entry of invalid) warn(`skipped journal entry ${escapeControl(entry.id)} of ${path}: ${escapeControl(entry.reason)}`)
}

/** What `undo --last` reverts, read from the end of the journal (only as far back as it must). */
export async function loadLastUndoable(ctx: Context, globals: GlobalOptions): Promise<LastUndoable> {
  const journal = await journalToRead(ctx, globals, createUi(ctx, globals))
  return readLastUndoable(journal.source, { signal: ctx.signal }).catch(readFailure(journal.location))
}

const BATCH_CHARS = 64 * 1024

/** Gathers small writes into fewer large ones (one per line would be 200,000 writes for a long journal). */
function batched(write: (text: string) => void): { write(text: string): void; flush(): void } {
  let pending: string[] = []
  let size = 0
  const flush = () => {
    if (pending.length > 0) write(pending.join(''))
    pending = []
    size = 0
  }
  return {
    write(text) {
      pending.push(text)
      size += text.length
      if (size >= BATCH_CHARS) flush()
    },
    flush,
  }
}
