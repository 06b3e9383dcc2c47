// `undo --run <runId>`: every change of one apply run, reverted in reverse order. All are planned
// first (all or nothing: one alias that moved since, or one refusal, and nothing is changed), then
// each revert goes through the one write path, guarded on where the run left the alias.
import type { Context } from '../cli/context.js'
import { CliError, ConflictError, Exit, NotFoundError, UsageError, type ExitCode } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId, type JournalEntry } from '../engine/journal.js'
import { confirmAliasGone, confirmAliasTarget, type Confirmation } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import { newTable } from '../output/table.js'
import { createUi, errorSummary, type ErrorSummary, type Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { planMove } from '../engine/planner.js'
import { RunReads } from '../engine/reads.js'
import { hasBlock, type Finding } from '../preflight/rules.js'
import { interruption, Writer, type PlannedWrite } from '../engine/writePath.js'
import { moveCall, writeInOrder } from '../engine/steps.js'
import { canAsk, expectedFailure, pollTiming } from '../engine/mutation.js'
import { sessionOf } from '../cli/session.js'

export interface UndoRunOptions {
  runId: string
  dryRun: boolean
  yes: boolean
  allowDisabled: boolean
  allowAccessChange: boolean
  verify: boolean
  verifyTimeout: number
}

type RevertOutcome = 'would-revert' | 'reverted' | 'conflict' | 'refused' | 'failed' | 'not-attempted'

/** One entry of the run and its revert; field names are part of the JSON contract. */
interface Revert {
  id: string
  alias: string
  region: string
  /** What the revert does: update back, delete what the run created, or create what it deleted. */
  action: 'update' | 'delete' | 'create'
  /** Where the alias points now (as the run left it), and where the revert puts it (null: gone). */
  fromKeyId: string | null
  toKeyId: string | null
  findings: Finding[]
  outcome: RevertOutcome
  changed: boolean | null
  verified: boolean
  journalId: string | null
  error: ErrorSummary | null
}

interface UndoRunReport {
  runId: string
  /** Shared by the journal lines of these reverts. */
  undoRunId: string
  dryRun: boolean
  changes: Revert[]
  error: ErrorSummary | null
  exitCode: number
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
  try {
    report.exitCode = await execute(options, toRevert, report, ctx, ui, globals)
  } catch (error) {
    const failure = expectedFailure(ctx, error)
    report.error = errorSummary(failure)
    report.exitCode = failure.exitCode
  }
  if (ui.format === 'json') ui.write(`${JSON.stringify(report, null, 2)}\n`)
  // The human views read journal and KMS text: they get it escaped (output/escape.ts).
  const human = escapeDeep(report)
  if (ui.format === 'text')
    ui.write(
      human.changes
        .map(
          (c) =>
            `${[c.outcome, c.alias, c.region, c.fromKeyId ?? '-', c.toKeyId ?? '-', c.changed === null ? 'unknown' : String(c.changed), String(c.verified)].join('\t')}\n`,
        )
        .join(''),
    )
  else if (ui.format === 'table') ui.write(renderTable(human, ui))
  if (ui.format !== 'json') for (const c of human.changes) for (const f of c.findings) if (f.severity !== 'info') ui.warn(`${c.alias}: ${f.code} ${f.message}`)
  if (report.error) ui.error(report.error)
  return report.exitCode
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
    error: null,
  }
}

async function execute(
  options: UndoRunOptions,
  entries: readonly JournalEntry[],
  report: UndoRunReport,
  ctx: Context,
  ui: Ui,
  globals: GlobalOptions,
): Promise<ExitCode> {
  const session = sessionOf(ctx, globals, ui)
  const portFor = (region: string) => session.kms({ region })
  // Plan: every alias must still be where the run left it, and every revert pass the preflight.
  // The reads are shared per Region: each key is described, and its access read, once.
  const reads = new Map<string, Promise<RunReads>>()
  const readsIn = (region: string) => {
    let shared = reads.get(region)
    if (!shared) reads.set(region, (shared = portFor(region).then((kms) => new RunReads(kms))))
    return shared
  }
  await ui.progress(`Planning the undo of ${entries.length} changes`, () =>
    Promise.all(entries.map(async (entry, i) => plan(entry, report.changes[i] as Revert, await readsIn(entry.region), options))),
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
  const refused = report.changes.filter((c) => hasBlock(c.findings))
  if (refused.length > 0) {
    for (const c of refused) c.outcome = 'refused'
    throw new CliError(`refused by the preflight: ${refused.map((c) => c.alias).join(', ')}; nothing was undone`, Exit.Refused)
  }
  if (options.dryRun) {
    for (const c of report.changes) c.outcome = 'would-revert'
    return Exit.Ok
  }
  if (
    !options.yes &&
    canAsk(ctx, ui.format) &&
    !(await ctx.prompt.confirm(`Revert ${entries.length} change${entries.length === 1 ? '' : 's'} of ${options.runId}?`))
  ) {
    throw new CliError('cancelled at the prompt; nothing was undone', Exit.Interrupted)
  }

  const writers = new Map<string, Writer>()
  const writerFor = async (region: string) => {
    let writer = writers.get(region)
    if (!writer) writers.set(region, (writer = new Writer(ctx, ui, { ...globals, region }, await portFor(region))))
    return writer
  }
  const reverts = entries.map((entry, i) => ({ entry, revert: report.changes[i] as Revert }))
  type Item = (typeof reverts)[number]
  const { stop } = await writeInOrder(ctx.signal, reverts, {
    write: async ({ entry, revert }) => {
      const [kms, writer] = await Promise.all([portFor(entry.region), writerFor(entry.region)])
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
    record: ({ revert }, result) => {
      revert.changed = result.changed
      revert.journalId = result.journalId
      if (result.status === 'written') revert.outcome = 'reverted'
      else {
        revert.outcome = result.status === 'conflict' ? 'conflict' : 'failed'
        revert.error = errorSummary(result.error)
      }
    },
    ...(options.verify
      ? {
          confirm: async ({ entry, revert }: Item, result: { journalId: string | null }) => {
            const kms = await portFor(entry.region)
            const to = revert.toKeyId ?? undefined
            const timing = pollTiming(ctx, options.verifyTimeout)
            const confirmation: Confirmation =
              to === undefined
                ? await confirmAliasGone(kms, { aliasName: entry.alias, previousKeyId: revert.fromKeyId as string, ...timing })
                : await confirmAliasTarget(kms, { aliasName: entry.alias, expectedKeyId: to, previousKeyId: revert.fromKeyId ?? undefined, ...timing })
            revert.verified = confirmation.status === 'confirmed'
            if (revert.verified) await (await writerFor(entry.region)).verified(result.journalId)
            return revert.verified
          },
        }
      : {}),
    // An unconfirmed revert is reported at the end; the others still go back.
    stopWhenUnconfirmed: false,
  })
  // Stop at the first failure: what was reverted stays reverted, the rest is reported.
  if (stop?.reason === 'interrupted') throw interruption(ctx)
  if (stop?.reason === 'not-written') throw stop.outcome.error
  const unverified = options.verify ? report.changes.filter((c) => !c.verified) : []
  if (unverified.length > 0)
    throw new CliError(`the reverts were sent, but ListAliases did not confirm ${unverified.map((c) => c.alias).join(', ')}`, Exit.NotConfirmed)
  return Exit.Ok
}

/** One revert's plan: where the alias is now, and the same preflight as a single undo, access included. */
async function plan(entry: JournalEntry, revert: Revert, reads: RunReads, options: UndoRunOptions): Promise<void> {
  const wanted = revert.toKeyId ?? undefined
  const planned = await planMove(reads, {
    aliasRef: parseAliasRef(entry.alias, 'alias'),
    targetRef: wanted === undefined ? undefined : parseKeyRef(wanted, 'the previous key'),
    region: entry.region,
    expectAccount: entry.account ?? undefined,
    // Going back crosses the same spec difference the change did, which was accepted then.
    overrides: { allowSpecChange: true, allowDisabled: options.allowDisabled, allowAccessChange: options.allowAccessChange },
    targetNotFound: `key ${wanted} not found in ${entry.region}`,
    guard: (current) => current?.keyId === (revert.fromKeyId ?? undefined),
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
}

function renderTable(report: UndoRunReport, ui: Ui): string {
  const style = ui.out
  const table = newTable(style, ['alias', 'Region', 'now', 'back to', 'outcome', 'verified'])
  for (const c of report.changes) table.push([c.alias, c.region, c.fromKeyId ?? '-', c.toKeyId ?? '(deleted)', c.outcome, c.verified ? 'yes' : '-'])
  const heading = style.bold(
    `${report.dryRun ? 'Dry run: ' : ''}undo of ${report.runId}: ${report.changes.length} change${report.changes.length === 1 ? '' : 's'}, newest first`,
  )
  return `${heading}\n${table.toString()}\n`
}
