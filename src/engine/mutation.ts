// What the commands that change aliases share: how a failure maps to the report and exit code in
// each phase, how an ambiguous failure of the mutating call is checked, how confirmation ends, and
// how changes reach the journal.
import type { Context } from '../cli/context.js'
import { CliError, Exit, InterruptedError, type ExitCode } from '../errors.js'
import type { GlobalOptions, OutputFormat } from '../cli/globalOptions.js'
import type { Confirmation, PollTiming } from '../kms/confirm.js'
import type { KmsPort } from '../kms/port.js'
import { changeView, renderFinding, type AliasChangeReport, type ChangeAction, type ChangeOutcome, type ChangeView } from '../output/changeView.js'
import { shellCommand } from '../output/shell.js'
import { escapeDeep } from '../output/escape.js'
import { createUi, errorSummary, type Ui } from '../output/ui.js'
import { refusedFindings, type Finding } from '../preflight/rules.js'
import { interruption, Writer, type PlannedWrite, type Reservation, type WriteOrigin } from './writePath.js'
import { sessionOf, type Session } from '../cli/session.js'

/** Where a run is: before the mutating call, while it is in flight, or confirming it. */
export interface Progress {
  phase: 'before' | 'changing' | 'confirming'
}

/**
 * The CliError a failure stands for; anything else is a bug and is thrown on. Ctrl-C surfaces as
 * whatever was waiting at the time (a sleep, a socket): all of those mean "interrupted".
 */
export function expectedFailure(ctx: Context, error: unknown): CliError {
  if (ctx.signal.aborted && (!(error instanceof CliError) || error instanceof InterruptedError)) return interruption(ctx)
  if (!(error instanceof CliError)) throw error
  return error
}

/** Runs `steps`; an expected failure becomes the report's error and the exit code for its phase. */
async function runMutation(ctx: Context, report: AliasChangeReport, steps: (progress: Progress) => Promise<ExitCode>): Promise<ExitCode> {
  const progress: Progress = { phase: 'before' }
  try {
    return await steps(progress)
  } catch (error) {
    const failure = expectedFailure(ctx, error)
    report.error = errorSummary(failure)
    if (progress.phase === 'confirming') {
      // The change went out; only its confirmation failed.
      report.outcome = 'not-confirmed'
      return failure instanceof InterruptedError ? failure.exitCode : Exit.NotConfirmed
    }
    return failure.exitCode
  }
}

/** Turns a confirmation that did not succeed into the error that ends the run (exit 6). */
export function requireConfirmed(result: Confirmation, what: { operation: string; aliasName: string; expected: string; timeoutSeconds: number }): void {
  switch (result.status) {
    case 'confirmed':
      return
    case 'other-target':
      throw new CliError(
        `after ${what.operation} ${what.aliasName} points to ${result.keyId}, not to the key this run chose: another writer changed it`,
        Exit.NotConfirmed,
        'find out who else is changing this alias before retrying',
      )
    case 'gone':
      throw new CliError(`after ${what.operation} ${what.aliasName} no longer exists: another writer deleted it`, Exit.NotConfirmed)
    case 'timeout':
      throw new CliError(
        `${what.operation} was sent, but ListAliases did not show ${what.expected} within ${what.timeoutSeconds} s (${result.reads} reads; last seen: ${result.lastSeenKeyId ?? 'no target'})`,
        Exit.NotConfirmed,
        'KMS is eventually consistent: check again shortly, or raise --verify-timeout',
      )
  }
}

export function pollTiming(ctx: Context, timeoutSeconds: number): PollTiming {
  return { timeoutMs: timeoutSeconds * 1000, now: ctx.now, sleep: ctx.sleep, signal: ctx.signal }
}

/** A kms-alias command line that acts where this run acted (same Region, profile and endpoint). */
export function kmsAliasCommand(words: readonly string[], region: string | null, globals: GlobalOptions): string {
  const all = ['kms-alias', ...words]
  if (region) all.push('--region', region)
  if (globals.profile) all.push('--profile', globals.profile)
  if (globals.endpointUrl) all.push('--endpoint-url', globals.endpointUrl)
  return shellCommand(all)
}

/** Whether a prompt may be shown: never to scripts (no TTY) or in the JSON view. */
export function canAsk(ctx: Context, format: OutputFormat): boolean {
  return format !== 'json' && ctx.io.stdinTTY && ctx.io.stderrTTY
}

/** Who asked for a change, for the journal: a command of its own, or undo/rollback of an entry. */
export interface ChangeOrigin {
  command: string
  reverts: string
}

/**
 * Thrown when the alias is not where the caller said it must be (`--expect-current`, or the entry
 * undo reverts): exit 5, nothing changed. `flag` names the option when the user typed it.
 */
export function guardConflict(report: AliasChangeReport, aliasName: string, actual: string, expected: string, flag?: string, revertedBy?: RevertedBy): never {
  report.outcome = 'conflict'
  throw new CliError(
    `${aliasName} points to ${actual}, not ${expected}${flag ? ` (${flag})` : ''}; nothing was changed`,
    Exit.Conflict,
    revertedBy
      ? `journal entry ${revertedBy.id} (${revertedBy.command}, ${revertedBy.time}) already reverted this change; kms-alias history shows what happened since`
      : 'someone else may have changed it; check before retrying',
  )
}

/** The journal entry that already reverted the change an undo was asked to revert. */
export interface RevertedBy {
  id: string
  command: string
  time: string
}

/** What a change's steps work with. */
export interface ChangeStep {
  kms: KmsPort
  /** The run's AWS session, for the ports besides `kms` (IAM with --iam). */
  session: Session
  writer: Writer
  origin: WriteOrigin
  region: string
  ui: Ui
  report: AliasChangeReport
  plan: PlanPrinter
  progress: Progress
}

/** Runs one alias change: sets up the report and the KMS port, runs `steps`, prints the result. */
export async function runChange(
  ctx: Context,
  globals: GlobalOptions,
  start: { action: ChangeAction; alias: string; dryRun: boolean; command?: string; reverts?: string },
  steps: (step: ChangeStep) => Promise<ExitCode>,
  view: ChangeView = changeView,
): Promise<number> {
  const ui = createUi(ctx, globals)
  const { command = start.action, reverts = null, ...fields } = start
  const report: AliasChangeReport = {
    ...fields,
    region: null,
    outcome: 'failed',
    changed: false,
    verified: false,
    previous: null,
    target: null,
    findings: [],
    undo: null,
    journalId: null,
    error: null,
    exitCode: Exit.Ok,
  }
  const plan = new PlanPrinter(ui, report, view)
  report.exitCode = await runMutation(ctx, report, async (progress) => {
    const session = sessionOf(ctx, globals, ui)
    const kms = await session.kms()
    const region = await kms.region()
    report.region = region
    const writer = new Writer(ctx, ui, globals, kms)
    return steps({ kms, session, writer, origin: { command, reverts, runId: null }, region, ui, report, plan, progress })
  })
  finishChange(ui, report, view)
  return report.exitCode
}

export interface Application {
  /** Spinner text while the call is in flight, e.g. "Updating alias/x". */
  label: string
  write: Pick<PlannedWrite, 'action' | 'expected' | 'wanted' | 'send' | 'retryAnswers' | 'createdKeyId'>
  /** The account the alias is in, as far as the plan knows. */
  account: string | null
  /** The alias's lock and guard read, taken beside the plan's last reads (Writer.reserve). */
  reservation?: Reservation
  undo: string
  outcome: ChangeOutcome
  verify: boolean
  confirmLabel: string
  confirm: () => Promise<Confirmation>
  expectation: Parameters<typeof requireConfirmed>[1]
}

/** Makes the change through the one write path, records the undo, then confirms unless --no-verify. */
export async function applyChange(step: ChangeStep, application: Application): Promise<ExitCode> {
  const { ui, report, progress } = step
  progress.phase = 'changing'
  const planned: PlannedWrite = { ...application.write, alias: report.alias, region: step.region, account: application.account, origin: step.origin }
  const result = await ui.progress(application.label, () => step.writer.write(planned, application.reservation))
  report.changed = result.changed
  report.journalId = result.journalId
  if (result.status === 'conflict') report.outcome = 'conflict'
  if (result.status !== 'written') throw result.error
  report.undo = application.undo
  if (application.verify) {
    progress.phase = 'confirming'
    requireConfirmed(await ui.progress(application.confirmLabel, application.confirm), application.expectation)
    report.verified = true
    await step.writer.verified(result.journalId)
  }
  report.outcome = application.outcome
  return Exit.Ok
}

/** Prints the human plan once, as soon as it is known (before any prompt). */
export class PlanPrinter {
  private shown = false
  constructor(
    private readonly ui: Ui,
    private readonly report: AliasChangeReport,
    private readonly view: ChangeView = changeView,
  ) {}

  show(): void {
    if (this.ui.format !== 'table' || this.shown) return
    this.shown = true
    this.ui.write(this.view.plan(escapeDeep(this.report), this.ui.out, this.ui.width))
  }
}

/** Records the preflight's refusal and ends the run with exit 3. */
export function refuse(report: AliasChangeReport, findings: Finding[], plan: PlanPrinter): never {
  report.findings = refusedFindings(findings)
  report.outcome = 'refused'
  plan.show()
  const blocking = findings.filter((f) => f.severity === 'block').map((f) => f.code)
  throw new CliError(`refused by the preflight: ${blocking.join(', ')}`, Exit.Refused, report.dryRun ? undefined : 'see the findings; nothing was changed')
}

/** Writes the final output of a change for the chosen format. */
export function finishChange(ui: Ui, report: AliasChangeReport, view: ChangeView = changeView): void {
  if (ui.format === 'json') ui.write(view.json(report))
  // The human views read KMS and journal text: they get it escaped (output/escape.ts).
  const human = escapeDeep(report)
  if (ui.format === 'text') {
    ui.write(view.text(human))
    for (const f of human.findings) (f.severity === 'info' ? ui.note : ui.important)(renderFinding(f, ui.err))
  }
  if (report.error) {
    ui.error(report.error)
    if (ui.format === 'table') ui.note(view.state(human))
  } else if (ui.format === 'table') {
    ui.write(view.success(human, ui.out))
  }
}
