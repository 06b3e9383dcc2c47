import type { Context } from '../cli/context.js'
import { AccessError, Exit, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { journalPath, readJournal, type JournalRead } from '../engine/journal.js'
import { parseAliasRef } from '../kms/identifiers.js'
import { renderHistoryJson, renderHistoryTable, renderHistoryText } from '../output/historyView.js'
import { createUi } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'

export interface HistoryOptions {
  alias?: string
  /** Only the changes of one apply run. */
  run?: string
}

/** Reads the journal (no KMS call) and prints it newest first. */
export async function runHistory(options: HistoryOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const aliasName = options.alias === undefined ? undefined : parseAliasRef(options.alias, 'alias').name
  const ui = createUi(ctx, globals)
  const entries = (await loadJournal(ctx, globals, ui.warn)).entries
    .filter((e) => (aliasName === undefined || e.alias === aliasName) && (options.run === undefined || e.runId === options.run))
    .reverse()
  if (ui.format === 'json') ui.write(renderHistoryJson(entries))
  else if (ui.format === 'text') ui.write(renderHistoryText(escapeDeep(entries)))
  else if (entries.length === 0) ui.note(`No changes in the journal${aliasName ? ` for ${aliasName}` : ''}.`)
  else ui.write(renderHistoryTable(escapeDeep(entries), ui.out, ui.width))
  return Exit.Ok
}

/** The journal, oldest first, with a warning for what could not be read; shared with undo. */
export async function loadJournal(ctx: Context, globals: GlobalOptions, warn: (line: string) => void): Promise<JournalRead> {
  const path = journalPath(globals.journal, ctx.env, ctx.platform)
  if (path === null) throw new UsageError('there is no journal to read', 'pass --journal <path>, or set KMS_ALIAS_JOURNAL, XDG_STATE_HOME or HOME')
  const read = await readJournal(path).catch((error: unknown) => {
    throw new AccessError(`cannot read the journal ${path}: ${(error as Error).message}`)
  })
  const { skipped, invalid } = read
  if (skipped > 0) warn(`skipped ${skipped} line${skipped === 1 ? '' : 's'} of ${path} that ${skipped === 1 ? 'is' : 'are'} not journal entries`)
  for (const entry of invalid) warn(`skipped journal entry ${entry.id} of ${path}: ${entry.reason}`)
  return read
}
