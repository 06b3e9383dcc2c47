import type { Context } from '../context.js'
import { NotFoundError, UsageError } from '../errors.js'
import type { GlobalOptions } from '../globalOptions.js'
import type { JournalEntry } from '../journal.js'
import { createUi } from '../output/ui.js'
import { runCreate } from './create.js'
import { runDelete } from './delete.js'
import { loadJournal } from './history.js'
import { runUpdate } from './update.js'

export interface UndoOptions {
  id?: string
  last: boolean
  dryRun: boolean
  yes: boolean
  allowDisabled: boolean
  verify: boolean
  verifyTimeout: number
}

/**
 * Reverts a journal entry through the same command and preflight as a change of its own, guarded so
 * that a later change is never clobbered: update back with --expect-current, delete a created alias
 * only if it still points to the key it was created on, recreate a deleted one only if it is absent.
 */
export async function runUndo(options: UndoOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  if ((options.id === undefined) === !options.last) throw new UsageError('give either a journal id or --last', 'kms-alias history lists the ids')
  const entries = await loadJournal(ctx, globals, createUi(ctx, globals).warn)
  const entry = options.last ? entries.at(-1) : entries.find((e) => e.id === options.id)
  if (!entry) throw new NotFoundError(options.last ? 'the journal is empty' : `no journal entry ${options.id}`, 'kms-alias history lists the ids')
  if (globals.region && globals.region !== entry.region) {
    throw new UsageError(`entry ${entry.id} changed ${entry.alias} in ${entry.region}, not ${globals.region}`, 'undo acts where the change was made; drop --region')
  }
  const where: GlobalOptions = { ...globals, region: entry.region }
  const origin = { command: 'undo', reverts: entry.id }
  const common = { alias: entry.alias, dryRun: options.dryRun, verify: options.verify, verifyTimeout: options.verifyTimeout, ...(entry.account ? { expectAccount: entry.account } : {}) }
  switch (entry.action) {
    case 'update':
      return runUpdate(
        // Going back crosses the same spec difference the change did, which was accepted then.
        { ...common, to: required(entry, 'previousKeyId'), expectCurrent: required(entry, 'newKeyId'), yes: options.yes, allowSpecChange: true, allowDisabled: options.allowDisabled },
        ctx,
        where,
        origin,
      )
    case 'create':
      return runDelete({ ...common, yes: options.yes, expectCurrent: required(entry, 'newKeyId') }, ctx, where, origin)
    case 'delete':
      return runCreate({ ...common, to: required(entry, 'previousKeyId'), allowDisabled: options.allowDisabled }, ctx, where, origin)
  }
}

function required(entry: JournalEntry, field: 'previousKeyId' | 'newKeyId'): string {
  const value = entry[field]
  if (!value) throw new UsageError(`journal entry ${entry.id} has no ${field}; it cannot be reverted`)
  return value
}
