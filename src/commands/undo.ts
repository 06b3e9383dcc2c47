import type { Context } from '../cli/context.js'
import { ConflictError, NotFoundError, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { clip, findJournalEntry, isKeyStateAction, recheckEntry, type JournalEntry } from '../engine/journal.js'
import { escapeControl } from '../output/escape.js'
import { checkEntryAccount } from '../engine/account.js'
import { createUi, errorSummary } from '../output/ui.js'
import { failureOf } from '../engine/run.js'
import { runCreate } from './create.js'
import { runDelete } from './delete.js'
import { loadJournal, loadLastUndoable } from './history.js'
import { runUpdate } from './update.js'
import type { ProbeSettings } from '../engine/probe.js'
import { sessionOf } from '../cli/session.js'

export interface UndoOptions {
  id?: string
  last: boolean
  /** Every change of one apply run (its runId). */
  run?: string
  dryRun: boolean
  yes: boolean
  /** Going back crosses the same spec difference the change did, which was accepted then: allowed whatever this says. */
  allowSpecChange: boolean
  allowDisabled: boolean
  allowAccessChange: boolean
  verify: boolean
  verifyTimeout: number
  /** The use probe (--no-probe, --probe-timeout, --probe-as); absent: none. */
  probe?: ProbeSettings
}

/**
 * Reverts a journal entry through the same command and preflight as a change of its own, guarded so
 * that a later change is never clobbered: update back with --expect-current, delete a created alias
 * only if it still points to the key it was created on, recreate a deleted one only if it is absent.
 */
export async function runUndo(options: UndoOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  try {
    return await undoEntry(options, ctx, globals)
  } catch (error) {
    // A failure before the revert's own report (no such entry, another Region or account) is still
    // one JSON document under --json, as every change command prints.
    if (globals.output !== 'json') throw error
    const failure = failureOf(ctx, error)
    const ui = createUi(ctx, globals)
    ui.write(`${JSON.stringify({ error: errorSummary(failure), exitCode: failure.exitCode }, null, 2)}\n`)
    ui.error(failure)
    return failure.exitCode
  }
}

async function undoEntry(options: UndoOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const chosen = [options.id !== undefined, options.last, options.run !== undefined].filter(Boolean).length
  if (chosen !== 1) throw new UsageError('give one of a journal id, --last or --run <runId>', 'kms-alias history lists the ids')
  if (options.run !== undefined) {
    const { entries } = await loadJournal(ctx, globals, createUi(ctx, globals).warn)
    const { runUndoRun } = await import('./undoRun.js')
    return runUndoRun({ ...options, runId: options.run }, entries, ctx, globals)
  }
  // --last reads the journal from its end; an id (or a unique prefix of one) is looked up in a streamed read.
  const read = options.last ? undefined : await loadJournal(ctx, globals, createUi(ctx, globals).warn)
  const found = read === undefined ? await loadLastUndoable(ctx, globals) : findJournalEntry(read, options.id ?? '')
  const entry = found && 'entry' in found ? found.entry : undefined
  // An entry that cannot be read whole is never guessed at: undo refuses it by name.
  const unreadable = found && 'invalid' in found ? found.invalid : undefined
  if (unreadable)
    throw new UsageError(`journal entry ${unreadable.id} cannot be undone: ${unreadable.reason}`, 'revert it by hand with kms-alias update, create or delete')
  if (!entry)
    throw new NotFoundError(options.last ? 'the journal has no change left to undo' : `no journal entry ${options.id}`, 'kms-alias history lists the ids')
  // The last command is undone as a whole: an update --regions or an apply made several entries
  // under one runId, and reverting one of them would leave the alias skewed across Regions.
  if (options.last && entry.runId !== null) {
    const { entries } = await loadJournal(ctx, globals, createUi(ctx, globals).warn)
    const { runUndoRun } = await import('./undoRun.js')
    return runUndoRun({ ...options, runId: entry.runId }, entries, ctx, globals)
  }
  // Issue 21: an entry of retire's (a key's state, not an alias) is reverted by the inverse call.
  if (isKeyStateAction(entry.action)) {
    const { runKeyStateUndo } = await import('./undoKeyState.js')
    if (globals.region && globals.region !== entry.region) {
      throw new UsageError(`entry ${entry.id} changed a key in ${entry.region}, not ${globals.region}`, 'undo acts where the change was made; drop --region')
    }
    return runKeyStateUndo(entry, { dryRun: options.dryRun, yes: options.yes }, ctx, globals)
  }
  if (globals.region && globals.region !== entry.region) {
    throw new UsageError(
      `entry ${entry.id} changed ${entry.alias} in ${entry.region}, not ${globals.region}`,
      'undo acts where the change was made; drop --region',
    )
  }
  const where: GlobalOptions = { ...globals, region: entry.region }
  const session = sessionOf(ctx, where, createUi(ctx, where))
  const kms = () => session.kms()
  await checkEntryAccount(entry, ctx.env, where, kms)
  // The journal is a file anyone who can write it can forge: an entry is believed only where KMS
  // agrees with it. An alias moved since is left to the guard, whose message names a revert of it.
  const untrue = await recheckEntry(entry, await kms())
  if (untrue && !(untrue instanceof ConflictError)) throw untrue
  // A team journal holds everyone's changes: say whose this one is before asking to revert it.
  if (entry.by) {
    const who = escapeControl(clip(entry.by.identity ?? 'an unknown caller', 200))
    createUi(ctx, globals).note(`${entry.id} was made by ${who} on ${escapeControl(clip(entry.by.host))} at ${escapeControl(clip(entry.time))} (${escapeControl(clip(entry.command))})`)
  }
  const origin = { command: 'undo', reverts: entry.id }
  // Only an entry looked up by id can have been reverted already (--last picks one that was not).
  const revertedBy = read?.entries.find((e) => e.reverts === entry.id)
  const common = {
    ...(revertedBy ? { revertedBy: { id: revertedBy.id, command: revertedBy.command, time: revertedBy.time } } : {}),
    alias: entry.alias,
    dryRun: options.dryRun,
    verify: options.verify,
    verifyTimeout: options.verifyTimeout,
    ...(entry.account ? { expectAccount: entry.account } : {}),
  }
  switch (entry.action) {
    case 'update':
    case 'rotate': {
      const code = await runUpdate(
        // Going back crosses the same spec difference the change did, which was accepted then.
        {
          ...common,
          to: required(entry, 'previousKeyId'),
          expectCurrent: required(entry, 'newKeyId'),
          yes: options.yes,
          allowSpecChange: true,
          allowDisabled: options.allowDisabled,
          allowAccessChange: options.allowAccessChange,
          ...(options.probe ? { probe: options.probe } : {}),
        },
        ctx,
        where,
        origin,
      )
      // Undo moves the alias only: the key rotate made may hold data or signatures by now.
      if (entry.action === 'rotate') {
        // From the journal: escaped whole, as the last guard keeps newlines and colours.
        const created = escapeControl(clip(entry.createdKeyId ?? entry.newKeyId ?? ''))
        const note = `undo leaves the key that rotate created (${created}) as it is; disable it or schedule its deletion yourself once nothing needs it`
        createUi(ctx, globals).note(note)
      }
      return code
    }
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
