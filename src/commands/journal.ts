// `kms-alias journal export` and `journal import <file>`: move a local journal into a team one.
// Export prints the journal's lines as JSON lines (intents and outcomes, oldest first); import
// stores each line of such a file as an object of the team journal under a name fixed by its entry
// id, so that importing the same file again (or a longer one) adds only what is not there yet.
import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { createInterface } from 'node:readline'
import { Exit, interruptedBy, UsageError } from '../errors.js'
import { clip, fileSource, type JournalLine } from '../engine/journal.js'
import { stateStoreOf, type ImportedLine, type JournalStore } from '../engine/store.js'
import { escapeControl } from '../output/escape.js'
import { createUi } from '../output/ui.js'

export interface JournalImportOptions {
  file: string
}

/** Prints every journal line that is a journal record, oldest first, one JSON document a line. */
export async function runJournalExport(ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  const journal = await journalOf(ctx, globals, ui)
  const source = await journal.source()
  let skipped = 0
  if (source) {
    try {
      for await (const lines of source.fromStart(ctx.signal)) {
        const out: string[] = []
        for (const line of lines) {
          const record = recordOf(line)
          if (record) out.push(`${JSON.stringify(record)}\n`)
          else if (line.trim() !== '') skipped += 1
        }
        if (out.length > 0) ui.write(out.join(''))
      }
    } finally {
      await source.close()
    }
  }
  if (skipped > 0) ui.warn(`skipped ${skipped} line${skipped === 1 ? '' : 's'} of ${escapeControl(journal.location)} that ${skipped === 1 ? 'is not a journal line' : 'are not journal lines'}`)
  return Exit.Ok
}

/** Stores the lines of an exported (or local) journal file in the team journal; says how many were new. */
export async function runJournalImport(options: JournalImportOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  const journal = await journalOf(ctx, globals, ui)
  if (!journal.importLines) {
    throw new UsageError(
      `journal import writes into a team journal, and ${journal.location} is a local file`,
      'pass --journal s3://<bucket>/<prefix> (or set KMS_ALIAS_JOURNAL) naming the team journal to import into',
    )
  }
  const name = options.file === '-' ? 'stdin' : options.file
  const lines: ImportedLine[] = []
  const seen = new Map<string, number>()
  let skipped = 0
  for await (const batch of linesOf(options.file, ctx)) {
    for (const line of batch) {
      const record = recordOf(line)
      if (!record) {
        if (line.trim() !== '') skipped += 1
        continue
      }
      const ordinal = seen.get(record.id) ?? 0
      seen.set(record.id, ordinal + 1)
      lines.push({ record, ordinal })
    }
  }
  // A file without one journal line is the wrong file (a log, an apply file), not an empty import.
  if (lines.length === 0) throw new UsageError(`no journal line in ${escapeControl(name)}`, 'kms-alias journal export > journal.jsonl writes one')
  const { written, present } = await journal.importLines(lines, ctx.signal)
  if (skipped > 0) ui.warn(`skipped ${skipped} line${skipped === 1 ? '' : 's'} of ${escapeControl(clip(name))} that ${skipped === 1 ? 'is not a journal line' : 'are not journal lines'}`)
  const result = { into: journal.location, lines: lines.length, written, present, skipped }
  if (ui.format === 'json') ui.write(`${JSON.stringify(result, null, 2)}\n`)
  else if (ui.format === 'text') ui.write(`${[journal.location, lines.length, written, present, skipped].join('\t')}\n`)
  else ui.write(`${written} of ${lines.length} line${lines.length === 1 ? '' : 's'} imported into ${escapeControl(journal.location)}; ${present} ${present === 1 ? 'was' : 'were'} there already\n`)
  return Exit.Ok
}

/** The lines of the file to import, in batches; `-` is stdin, as for apply. */
async function* linesOf(file: string, ctx: Context): AsyncGenerator<readonly string[]> {
  if (file === '-') {
    // The signal ends a read from a pipe whose writer never closes it (Ctrl-C, SIGTERM).
    const reader = createInterface({ input: ctx.io.in, crlfDelay: Infinity, signal: ctx.signal })
    try {
      for await (const line of reader) yield [line]
    } catch (error) {
      if (ctx.signal.aborted) throw interruptedBy(ctx.signal)
      throw error
    } finally {
      reader.close()
    }
    return
  }
  const source = await fileSource(file)()
  if (!source) throw new UsageError(`${file} does not exist`, 'kms-alias journal export > journal.jsonl writes one')
  try {
    yield* source.fromStart(ctx.signal)
  } finally {
    await source.close()
  }
}

async function journalOf(ctx: Context, globals: GlobalOptions, ui: ReturnType<typeof createUi>): Promise<JournalStore> {
  const store = await stateStoreOf(ctx, globals, ui)
  if (store.journal === null) throw new UsageError('there is no journal', 'pass --journal <path> or --journal s3://<bucket>/<prefix>, or set KMS_ALIAS_JOURNAL')
  return store.journal
}

/** A line that is a journal record (an object with an id and a time); the readers judge the rest of it, as they do for a local journal. */
function recordOf(line: string): JournalLine | undefined {
  if (line.trim() === '') return undefined
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
    const { id, time } = parsed as Record<string, unknown>
    return typeof id === 'string' && id !== '' && typeof time === 'string' ? (parsed as JournalLine) : undefined
  } catch {
    return undefined
  }
}
