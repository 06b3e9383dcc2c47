// `undo --run <runId>`: every change of one apply run, reverted in reverse order. All are planned
// first (all or nothing: one alias that moved since, or one refusal, and nothing is changed), then
// each revert goes through the one write path, guarded on where the run left the alias.
import type { Context } from '../cli/context.js'
import { CliError, ConflictError, Exit, NotFoundError, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId, recheckEntry, type JournalEntry } from '../engine/journal.js'
import { confirmAliasGone, confirmAliasTarget } from '../kms/confirm.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import { createUi, type Ui } from '../output/ui.js'
import { planMove } from '../engine/planner.js'
import { RunReads } from '../engine/reads.js'
import { hasBlock } from '../preflight/rules.js'
import { Writer, type PlannedWrite } from '../engine/writePath.js'
import { moveCall } from '../engine/steps.js'
import { canAsk, finish, runItems, settle, pollTiming } from '../engine/run.js'
import { revertAfter, undoRunView, type Revert, type UndoRunReport } from '../output/undoRunView.js'
import { sessionOf, type Session } from '../cli/session.js'
import { probeAfter, probeBefore, probeCallers, type ProbeAfter, type ProbeCaller, type ProbeSettings } from '../engine/probe.js'
import type { ProbeBefore } from '../preflight/probe.js'
import { probeReport } from '../output/probeView.js'

export interface UndoRunOptions {
  runId: string
  dryRun: boolean
  yes: boolean
  allowDisabled: boolean
  allowAccessChange: boolean
  verify: boolean
  verifyTimeout: number
  /** The use probe (--no-probe, --probe-timeout, --probe-as); absent: none. */
  probe?: ProbeSettings
}

export async function runUndoRun(options: UndoRunOptions, entries: readonly JournalEntry[], ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  const reverted = new Set(entries.flatMap((e) => (e.reverts ? [e.reverts] : [])))
  const ofRun = entries.filter((e) => e.runId === options.runId)
  if (ofRun.length === 0) throw new NotFoundError(`no journal entries of run ${options.runId}`, "kms-alias history --json shows each entry's runId")
  // Rolled-back entries and their rollbacks cancel out; entries undone already are skipped.
  const toRevert = ofRun.filter((e) => e.reverts === null && !reverted.has(e.id)).reverse()
  if (toRevert.length === 0) throw new NotFoundError(`run ${options.runId} has no change left to undo`, 'kms-alias history --run shows what it did')

  // Reverting a create deletes an alias: as undo <id> and delete, never without --yes off a terminal.
  const deletes = toRevert.filter((e) => e.action === 'create')
  if (deletes.length > 0 && !options.yes && !options.dryRun && !canAsk(ctx, globals.output)) {
    throw new UsageError(
      `--yes is required to revert this run when not running interactively: it deletes ${deletes.map((e) => e.alias).join(', ')} (the run created ${deletes.length === 1 ? 'it' : 'them'})`,
      'deleting an alias breaks every caller that uses it; pass --yes, or --dry-run to see the plan',
    )
  }
  const report: UndoRunReport = {
    runId: options.runId,
    undoRunId: `run-${newJournalId()}`,
    dryRun: options.dryRun,
    changes: toRevert.map(toRevertView),
    error: null,
    exitCode: Exit.Ok,
  }
  const outcome = await settle(ctx, () => execute(options, toRevert, report, ctx, ui, globals))
  return finish(ui, undoRunView, report, outcome.failure ?? outcome.value)
}

function toRevertView(entry: JournalEntry): Revert {
  const action = entry.action === 'create' ? 'delete' : entry.action === 'delete' ? 'create' : 'update'
  return {
    id: entry.id,
    alias: entry.alias,
    region: entry.region,
    action,
    fromKeyId: entry.newKeyId,
    toKeyId: entry.previousKeyId,
    findings: [],
    outcome: 'not-attempted',
    changed: false,
    verified: false,
    journalId: null,
    probe: null,
    error: null,
  }
}

/** One revert of the run, with the port and Writer of its Region. */
interface Item {
  entry: JournalEntry
  revert: Revert
  kms: KmsPort
  writer: Writer
  /** The use probes before the revert, who made them, and the key it goes back to. */
  probe?: { before: ProbeBefore; callers: ProbeCaller[]; target: KeyInfo }
}

async function execute(
  options: UndoRunOptions,
  entries: readonly JournalEntry[],
  report: UndoRunReport,
  ctx: Context,
  ui: Ui,
  globals: GlobalOptions,
): Promise<CliError | undefined> {
  const session = sessionOf(ctx, globals, ui)
  // One port, Writer and set of shared reads per Region: each key is described, and its access read, once.
  const regions = new Map<string, Promise<{ kms: KmsPort; writer: Writer; reads: RunReads }>>()
  const inRegion = (region: string) => {
    let shared = regions.get(region)
    if (!shared) {
      shared = session.kms({ region }).then((kms) => ({ kms, writer: new Writer(ctx, ui, { ...globals, region }, kms), reads: new RunReads(kms) }))
      regions.set(region, shared)
    }
    return shared
  }
  const items: Item[] = await Promise.all(
    entries.map(async (entry, i) => {
      const { kms, writer } = await inRegion(entry.region)
      return { entry, revert: report.changes[i] as Revert, kms, writer }
    }),
  )
  // The journal is a file anyone who can write it can forge: an entry is believed only where KMS
  // agrees with it. An alias moved since is left to the plan's guard, which names every one of them.
  const untrue = (await Promise.all(items.map(({ entry, kms }) => recheckEntry(entry, kms)))).find((e) => e !== undefined && !(e instanceof ConflictError))
  if (untrue) throw untrue
  // Plan: every alias must still be where the run left it, and every revert pass the preflight.
  await ui.progress(`Planning the undo of ${entries.length} changes`, () =>
    Promise.all(items.map(async (item) => plan(item, (await inRegion(item.entry.region)).reads, options, session))),
  )
  // A key another revert of this undo points an alias to is not left without one.
  const pointedTo = new Set(report.changes.map((c) => c.toKeyId))
  for (const c of report.changes)
    c.findings = c.findings.filter((f) => f.code !== 'PREVIOUS_KEY_ORPHANED' || c.fromKeyId === null || !pointedTo.has(c.fromKeyId))
  const moved = report.changes.filter((c) => c.outcome === 'conflict')
  if (moved.length > 0) {
    throw new ConflictError(
      `${moved.map((c) => c.alias).join(', ')} changed since run ${options.runId}; nothing was undone`,
      'check those aliases, then revert the others one by one with kms-alias undo <id>',
    )
  }

  const { stage, traces, failure } = await runItems<Item>(ctx, {
    items,
    blocked: ({ revert }) => hasBlock(revert.findings),
    pending: () => true,
    dryRun: options.dryRun,
    yes: options.yes,
    format: ui.format,
    refusal: (blocked) => new CliError(`refused by the preflight: ${blocked.map(({ revert }) => revert.alias).join(', ')}; nothing was undone`, Exit.Refused),
    question: (pending) => `Revert ${pending.length} change${pending.length === 1 ? '' : 's'} of ${options.runId}?`,
    declined: 'cancelled at the prompt; nothing was undone',
    writer: ({ writer }) => writer,
    write: ({ entry, revert, kms, writer }) => {
      const to = revert.toKeyId ?? undefined
      const write: PlannedWrite = {
        action: revert.action,
        alias: entry.alias,
        region: entry.region,
        account: entry.account,
        expected: revert.fromKeyId ?? undefined,
        wanted: to,
        origin: { command: 'undo', reverts: entry.id, runId: report.undoRunId },
        ...moveCall(kms, revert.action, entry.alias, to),
      }
      return ui.progress(`Reverting ${entry.alias}`, () => writer.write(write))
    },
    ...(options.verify
      ? {
          confirm: {
            when: 'each' as const,
            // An unconfirmed revert is reported at the end; the others still go back.
            stopWhenUnconfirmed: false,
            check: ({ entry, revert, kms }: Item) => {
              const to = revert.toKeyId ?? undefined
              const timing = pollTiming(ctx, options.verifyTimeout)
              return to === undefined
                ? confirmAliasGone(kms, { aliasName: entry.alias, previousKeyId: revert.fromKeyId as string, ...timing })
                : confirmAliasTarget(kms, { aliasName: entry.alias, expectedKeyId: to, previousKeyId: revert.fromKeyId ?? undefined, ...timing })
            },
            unconfirmed: (unverified: Item[]) =>
              new CliError(`the reverts were sent, but ListAliases did not confirm ${unverified.map(({ entry }) => entry.alias).join(', ')}`, Exit.NotConfirmed),
          },
        }
      : {}),
    ...(options.probe?.enabled ? { probe: (item: Item) => probeRevert(item, report.undoRunId, ctx, ui, options) } : {}),
    // No rollback: what was reverted stays reverted, the rest is reported.
    noRollbackHint: (written: Item[]) =>
      `${written.length} of ${items.length} reverted; undo --run never rolls back, so those stay reverted (the one whose use failed too) and the rest were not attempted; find out why its key cannot be used, then run undo --run again for the rest (reverted entries are skipped)`,
  })
  report.changes = items.map((item) => revertAfter(item.revert, stage, traces.get(item)))
  return failure
}

/** One revert's plan: where the alias is now, and the same preflight as a single undo, access included. */
async function plan(item: Item, reads: RunReads, options: UndoRunOptions, session: Session): Promise<void> {
  const { entry, revert } = item
  const wanted = revert.toKeyId ?? undefined
  const probing = options.probe?.enabled ? options.probe : undefined
  let callers: ProbeCaller[] = []
  const planned = await planMove(reads, {
    aliasRef: parseAliasRef(entry.alias, 'alias'),
    targetRef: wanted === undefined ? undefined : parseKeyRef(wanted, 'the previous key'),
    region: entry.region,
    expectAccount: entry.account ?? undefined,
    // Going back crosses the same spec difference the change did, which was accepted then.
    overrides: { allowSpecChange: true, allowDisabled: options.allowDisabled, allowAccessChange: options.allowAccessChange },
    targetNotFound: `key ${wanted} not found in ${entry.region}`,
    guard: (current) => current?.keyId === (revert.fromKeyId ?? undefined),
    ...(probing
      ? {
          probe: async (current: KeyInfo, target: KeyInfo, targetSkipped: string | null) => {
            callers = await probeCallers(session, item.kms, probing, { region: entry.region })
            return probeBefore(callers, { aliasName: entry.alias, current, target, runId: options.runId, targetSkipped })
          },
        }
      : {}),
  })
  if (planned.status === 'moved') {
    const now = planned.current?.keyId
    revert.outcome = 'conflict'
    revert.error = {
      code: 'CONFLICT',
      message: `${entry.alias} ${now === undefined ? 'does not exist' : `points to ${now}`}, not ${revert.fromKeyId ?? '(absent)'} where run ${options.runId} left it`,
    }
    return
  }
  revert.findings = planned.findings
  if (planned.status === 'planned' && planned.probe && planned.target) {
    item.probe = { before: planned.probe, callers, target: planned.target.key }
    revert.probe = probeReport(planned.probe)
  }
}

/** The use probe after one revert: through the alias until the key it went back to answers. */
function probeRevert(item: Item, runId: string, ctx: Context, ui: Ui, options: UndoRunOptions): Promise<ProbeAfter | null> {
  const { probe } = item
  if (!probe || !options.probe) return Promise.resolve(null)
  const timing = pollTiming(ctx, options.probe.timeoutSeconds)
  return ui.progress(`Probing ${item.entry.alias}: using it until ${probe.target.keyId} answers`, () => probeAfter(probe.callers, probe.before, probe.target, runId, timing))
}

