import type { Command } from 'commander'
import type { Context } from '../context.js'
import { NotFoundError, UsageError } from '../errors.js'
import { resolveGlobalOptions, type GlobalOptions } from '../globalOptions.js'
import type { JournalEntry } from '../journal.js'
import { createUi } from '../output/ui.js'
import type { SetExitCode } from '../program.js'
import { runCreate } from './create.js'
import { runDelete } from './delete.js'
import { loadJournal } from './history.js'
import { addVerifyOptions } from './mutation.js'
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

export type RunUndo = (options: UndoOptions, ctx: Context, globals: GlobalOptions) => Promise<number>

const EXAMPLES = `
Examples:
  $ kms-alias undo --last --dry-run
  $ kms-alias undo 3f9c01ab --yes`

export function registerUndo(program: Command, ctx: Context, setExitCode: SetExitCode, run: RunUndo = runUndo): Command {
  const command = program
    .command('undo')
    .description('revert one journaled change, unless the alias has changed since (exit 5)')
    .argument('[id]', 'the journal entry to revert (see kms-alias history)')
    .option('--last', 'revert the newest journal entry')
    .option('--dry-run', 'run the preflight and show the plan; change nothing')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (needed to revert a create when not on one)')
    .option('--allow-disabled', 'allow going back to a key that is not Enabled (never one pending deletion)')
  return addVerifyOptions(command, 'the revert is visible')
    .addHelpText('after', EXAMPLES)
    .action(async (id: string | undefined, raw: Omit<UndoOptions, 'id'>, cmd: Command) => {
      const globals = resolveGlobalOptions(cmd.optsWithGlobals(), ctx)
      const flags = { ...raw, last: raw.last === true, dryRun: raw.dryRun === true, yes: raw.yes === true, allowDisabled: raw.allowDisabled === true }
      setExitCode(await run(id === undefined ? flags : { ...flags, id }, ctx, globals))
    })
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
