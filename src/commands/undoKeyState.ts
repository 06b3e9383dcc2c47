// `undo` of a key-state entry (issue 21: retire's writes): the inverse call through the same run
// engine and Writer, guarded by the state the entry left the key in. A disable is undone by
// EnableKey; a scheduled deletion by CancelKeyDeletion, which leaves the key Disabled (as KMS does);
// an enable (an undo of a disable) by DisableKey. A cancelled deletion is not undone: undo never
// schedules a deletion.
import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { sessionOf } from '../cli/session.js'
import { ConflictError, NotFoundError, UsageError } from '../errors.js'
import { checkEntryAccount } from '../engine/account.js'
import { clip, journalPath, scanJournalNewestFirst, type JournalEntry, type KeyStateAction } from '../engine/journal.js'
import { finish, runItems, settle } from '../engine/run.js'
import { Writer } from '../engine/writePath.js'
import type { KmsPort } from '../kms/port.js'
import { escapeControl } from '../output/escape.js'
import { newRetireReport, retireView } from '../output/retireView.js'
import { createUi } from '../output/ui.js'
import { usageKeyView } from '../output/usageView.js'

export interface KeyStateUndoOptions {
  dryRun: boolean
  yes: boolean
}

/** The call that reverts each action, and the state it leaves; none for a cancelled deletion. */
const INVERSE: Record<KeyStateAction, { action: KeyStateAction; state: string; send: (kms: KmsPort, keyId: string) => Promise<void> } | undefined> = {
  'disable-key': { action: 'enable-key', state: 'Enabled', send: (kms, keyId) => kms.enableKey(keyId) },
  'schedule-key-deletion': { action: 'cancel-key-deletion', state: 'Disabled', send: (kms, keyId) => kms.cancelKeyDeletion(keyId) },
  'enable-key': { action: 'disable-key', state: 'Disabled', send: (kms, keyId) => kms.disableKey(keyId) },
  'cancel-key-deletion': undefined,
}

export async function runKeyStateUndo(entry: JournalEntry, options: KeyStateUndoOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const where: GlobalOptions = { ...globals, region: entry.region }
  const ui = createUi(ctx, where)
  // From the journal: escaped whole before it reaches a message.
  const keyId = escapeControl(clip(entry.keyId ?? ''))
  const report = newRetireReport('undo', options.dryRun)
  const inverse = INVERSE[entry.action as KeyStateAction]
  const outcome = await settle(ctx, async () => {
    if (!inverse) {
      throw new UsageError(
        `journal entry ${entry.id} cancelled the deletion of ${keyId}; undo never schedules a deletion`,
        `run kms-alias retire ${keyId} --schedule-deletion, which checks the soak first`,
      )
    }
    const session = sessionOf(ctx, where, ui)
    await checkEntryAccount({ ...entry, alias: `key ${keyId}` }, ctx.env, where, () => session.kms())
    const kms = await session.kms()
    const key = await kms.describeKey(entry.keyId ?? '').catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError(`journal entry ${entry.id} names ${keyId}, which does not exist in ${entry.region}; nothing was changed`)
      throw error
    })
    // The journal is a file anyone who can write it can forge: the key must be the one it names, where it says.
    if (key.keyId !== entry.keyId || (entry.account !== null && key.accountId !== entry.account)) {
      throw new UsageError(`journal entry ${entry.id} names ${keyId}, which is not a key ID of account ${entry.account ?? '?'} in ${entry.region}; nothing was changed`)
    }
    report.key = usageKeyView(key)
    if (key.keyState !== entry.newState) {
      report.outcome = 'conflict'
      throw new ConflictError(
        `${key.keyId} is ${key.keyState ?? 'in an unknown state'}, but journal entry ${entry.id} left it ${escapeControl(clip(entry.newState ?? '?'))}: it changed since; nothing was changed`,
        'kms-alias history shows later changes; kms-alias usage tells its state',
      )
    }
    const writer = new Writer(ctx, ui, where, kms)
    const item = { key }
    const { stage, traces, failure } = await runItems(ctx, {
      items: [item],
      blocked: () => false,
      pending: () => true,
      dryRun: options.dryRun,
      yes: options.yes,
      format: ui.format,
      refusal: () => new UsageError('nothing refuses an undo of a key state'),
      question: () => `${INVERSE_VERB[inverse.action]} ${key.keyId} (undo of ${entry.id})?`,
      declined: 'cancelled at the prompt',
      writer: () => writer,
      write: () =>
        ui.progress(`${INVERSE_VERB[inverse.action]} ${key.keyId}`, () =>
          writer.writeKeyState({
            action: inverse.action,
            keyId: key.keyId,
            region: entry.region,
            account: entry.account,
            expectedState: entry.newState ?? '',
            wantedState: inverse.state,
            origin: { command: 'undo', reverts: entry.id, runId: null },
            send: () => inverse.send(kms, key.keyId),
          }),
        ),
    })
    const write = traces.get(item)?.write
    report.outcome = stage === 'dry-run' ? 'would-revert' : stage === 'declined' ? 'declined' : write?.status === 'written' ? 'reverted' : write?.status === 'conflict' ? 'conflict' : 'failed'
    report.changed = write?.changed ?? false
    report.journalId = write?.journalId ?? null
    if (failure) throw failure
    if (write?.status === 'written' && inverse.action === 'cancel-key-deletion') {
      const disable = await undoneDisableOf(ctx, globals, key.keyId, entry.region)
      const enable = disable
        ? `kms-alias undo ${disable} enables it (it reverts the disable)`
        : `no disable of it by kms-alias is left to undo in the journal: aws kms enable-key --key-id ${key.keyId} --region ${entry.region} enables it`
      ui.note(`${key.keyId} is no longer pending deletion and stays Disabled, as KMS leaves a key whose deletion is cancelled; ${enable}`)
    }
  })
  return finish(ui, retireView, report, outcome.failure)
}

/** The id of the newest journaled disable of the key that no later entry reverts, or null (disabled outside kms-alias, or already undone). */
async function undoneDisableOf(ctx: Context, globals: GlobalOptions, keyId: string, region: string): Promise<string | null> {
  const path = journalPath(globals.journal, ctx.env, ctx.platform)
  if (path === null) return null
  const reverted = new Set<string>()
  let found: string | null = null
  // Newest first: an undo is newer than the entry it reverts, so it is met first.
  await scanJournalNewestFirst(
    path,
    (e) => {
      if (e.reverts) reverted.add(e.reverts)
      if (e.action !== 'disable-key' || e.keyId !== keyId || e.region !== region || reverted.has(e.id)) return true
      found = e.id
      return false
    },
    { signal: ctx.signal },
  ).catch(() => undefined)
  return found
}

const INVERSE_VERB: Record<KeyStateAction, string> = {
  'enable-key': 'Enable',
  'disable-key': 'Disable',
  'cancel-key-deletion': 'Cancel the deletion of',
  'schedule-key-deletion': 'Schedule the deletion of',
}
