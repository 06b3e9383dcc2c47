// `undo --run <runId>`: every change of one apply run, reverted in reverse order. All are planned
// first (all or nothing: one alias that moved since, or one refusal, and nothing is changed), then
// each revert goes through the one write path, guarded on where the run left the alias.
import type { Context } from '../cli/context.js'
import { CliError, ConflictError, Exit, NotFoundError, type ExitCode } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId, type JournalEntry } from '../engine/journal.js'
import { confirmAliasGone, confirmAliasTarget, type Confirmation } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import { describeWithAliases, type DescribedKey } from '../kms/lookups.js'
import type { KmsPort } from '../kms/port.js'
import { newTable } from '../output/table.js'
import { createUi, errorSummary, type ErrorSummary, type Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { createFindings, updateFindings } from '../preflight/plan.js'
import { hasBlock, orphanFindings, type Finding } from '../preflight/rules.js'
import { Writer, type PlannedWrite } from '../engine/writePath.js'
import { canAsk, expectedFailure, pollTiming } from '../engine/mutation.js'
import { sessionOf } from '../cli/session.js'

export interface UndoRunOptions {
  runId: string
  dryRun: boolean
  yes: boolean
  allowDisabled: boolean
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
  await ui.progress(`Planning the undo of ${entries.length} changes`, () =>
    Promise.all(entries.map(async (entry, i) => plan(entry, report.changes[i] as Revert, await portFor(entry.region), options))),
  )
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
  for (const [i, entry] of entries.entries()) {
    const revert = report.changes[i] as Revert
    const kms = await portFor(entry.region)
    let writer = writers.get(entry.region)
    if (!writer) writers.set(entry.region, (writer = new Writer(ctx, ui, { ...globals, region: entry.region }, kms)))
    const to = revert.toKeyId ?? undefined
    const write: PlannedWrite = {
      action: revert.action,
      alias: entry.alias,
      region: entry.region,
      account: entry.account,
      expected: revert.fromKeyId ?? undefined,
      wanted: to,
      origin: { command: 'undo', reverts: entry.id, runId: report.undoRunId },
      send: () =>
        revert.action === 'delete'
          ? kms.deleteAlias(entry.alias)
          : revert.action === 'create'
            ? kms.createAlias(entry.alias, to as string)
            : kms.updateAlias(entry.alias, to as string),
      retryAnswers: (e) => (revert.action === 'delete' ? e instanceof NotFoundError : revert.action === 'create' ? e instanceof ConflictError : false),
    }
    const result = await ui.progress(`Reverting ${entry.alias}`, () => writer.write(write))
    revert.changed = result.changed
    revert.journalId = result.journalId
    if (result.status !== 'written') {
      revert.outcome = result.status === 'conflict' ? 'conflict' : 'failed'
      revert.error = errorSummary(result.error)
      // Stop at the first failure: what was reverted stays reverted, the rest is reported.
      throw result.error
    }
    revert.outcome = 'reverted'
    if (options.verify) {
      const timing = pollTiming(ctx, options.verifyTimeout)
      const confirmation: Confirmation =
        to === undefined
          ? await confirmAliasGone(kms, { aliasName: entry.alias, previousKeyId: revert.fromKeyId as string, ...timing })
          : await confirmAliasTarget(kms, { aliasName: entry.alias, expectedKeyId: to, previousKeyId: revert.fromKeyId ?? undefined, ...timing })
      revert.verified = confirmation.status === 'confirmed'
      if (revert.verified) await writer.verified(result.journalId)
    }
  }
  const unverified = options.verify ? report.changes.filter((c) => !c.verified) : []
  if (unverified.length > 0)
    throw new CliError(`the reverts were sent, but ListAliases did not confirm ${unverified.map((c) => c.alias).join(', ')}`, Exit.NotConfirmed)
  return Exit.Ok
}

/** One revert's plan: where the alias is now, and the same preflight as a single undo. */
async function plan(entry: JournalEntry, revert: Revert, kms: KmsPort, options: UndoRunOptions): Promise<void> {
  // Where the alias is now and the key it points to (with that key's aliases), in one read.
  const current = await describeWithAliases(kms, entry.alias, `alias ${entry.alias}`).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined
    throw error
  })
  const now = current?.key.keyId
  if (now !== (revert.fromKeyId ?? undefined)) {
    revert.outcome = 'conflict'
    revert.error = {
      code: 'CONFLICT',
      message: `${entry.alias} ${now === undefined ? 'does not exist' : `points to ${now}`}, not ${revert.fromKeyId ?? '(absent)'} where run ${options.runId} left it`,
    }
    return
  }
  const aliasRef = parseAliasRef(entry.alias, 'alias')
  const region = entry.region
  if (revert.action === 'delete') {
    revert.findings = orphanFindings(entry.alias, now as string, current?.aliases ?? [])
    return
  }
  const targetRef = parseKeyRef(revert.toKeyId as string, 'the previous key')
  const target = await describeWithAliases(kms, targetRef.input, `key ${targetRef.input}`)
  const expectAccount = entry.account ?? undefined
  if (revert.action === 'create') {
    revert.findings = createFindings({ aliasRef, targetRef, target, region, expectAccount, overrides: { allowDisabled: options.allowDisabled } })
    return
  }
  // Going back crosses the same spec difference the change did, which was accepted then.
  revert.findings = updateFindings({
    aliasRef,
    targetRef,
    current: current as DescribedKey,
    target,
    expectAccount,
    overrides: { allowSpecChange: true, allowDisabled: options.allowDisabled },
  })
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
