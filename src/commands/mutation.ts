// What the commands that change aliases share: how a failure maps to the report and exit code in
// each phase, how an ambiguous failure of the mutating call is checked, how confirmation ends, and
// how changes reach the journal.
import type { Context } from '../context.js'
import { AwsError, CliError, Exit, InterruptedError, type ExitCode } from '../errors.js'
import type { GlobalOptions, OutputFormat } from '../globalOptions.js'
import { appendJournal, journalPath, newJournalId, type JournalEntry } from '../journal.js'
import type { Confirmation, PollTiming } from '../kms/confirm.js'
import { parseArn } from '../kms/identifiers.js'
import { currentTarget } from '../kms/lookups.js'
import type { KmsPort } from '../kms/port.js'
import {
  describeAliasState,
  renderChangeJson,
  renderChangePlan,
  renderChangeSuccess,
  renderChangeText,
  renderFinding,
  type AliasChangeReport,
  type ChangeAction,
  type ChangeOutcome,
} from '../output/changeView.js'
import { shellCommand } from '../output/shell.js'
import { createUi, errorSummary, type Ui } from '../output/ui.js'
import { refusedFindings, type Finding } from '../preflight/rules.js'
import { version } from '../version.js'

/** Where a run is: before the mutating call, while it is in flight, or confirming it. */
export interface Progress {
  phase: 'before' | 'changing' | 'confirming'
}

/**
 * The CliError a failure stands for; anything else is a bug and is thrown on. Ctrl-C surfaces as
 * whatever was waiting at the time (a sleep, a socket): all of those mean "interrupted".
 */
export function expectedFailure(ctx: Context, error: unknown): CliError {
  const failure = ctx.signal.aborted && !(error instanceof CliError) ? new InterruptedError() : error
  if (!(failure instanceof CliError)) throw failure
  return failure
}

/** Runs `steps`; an expected failure becomes the report's error and the exit code for its phase. */
async function runMutation(ctx: Context, report: AliasChangeReport, steps: (progress: Progress) => Promise<ExitCode>): Promise<ExitCode> {
  const progress: Progress = { phase: 'before' }
  try {
    return await steps(progress)
  } catch (error) {
    const failure = expectedFailure(ctx, error)
    report.error = errorSummary(failure)
    const interrupted = failure.exitCode === Exit.Interrupted
    if (progress.phase === 'confirming') {
      // The change went out; only its confirmation failed.
      report.outcome = 'not-confirmed'
      return interrupted ? Exit.Interrupted : Exit.NotConfirmed
    }
    return failure.exitCode
  }
}

export interface CheckedSend {
  aliasName: string
  /** The key the alias should point to afterwards; undefined when it should be gone. */
  wanted: string | undefined
  previous: string | undefined
  /** Errors besides AwsError that a retried call answers when its first try did the work. */
  retryAnswers?: (error: unknown) => boolean
}

/**
 * Sends the mutating call. A failure after retries may hide a success (the response was lost), so
 * the alias is read again: if it is as wanted, the call counts as applied.
 */
export async function sendChecked(kms: KmsPort, ui: Ui, report: { changed: boolean | null }, check: CheckedSend, send: () => Promise<void>): Promise<void> {
  try {
    await send()
  } catch (error) {
    // Interrupted in flight: the request may have reached KMS, and there is no time to look.
    if (error instanceof InterruptedError) report.changed = null
    if (!(error instanceof AwsError) && !check.retryAnswers?.(error)) throw error
    const seen = await currentTarget(kms, check.aliasName).catch(() => null)
    if (seen === check.wanted) {
      ui.debug(`${(error as Error).message}, but ${check.aliasName} ${seen === undefined ? 'is gone' : `points to ${seen}`}: the call was applied`)
      return
    }
    report.changed = seen === null ? null : false
    if (!(error instanceof AwsError)) throw error
    const observed =
      seen === null
        ? 're-reading the alias failed too'
        : seen === undefined
          ? `${check.aliasName} does not exist`
          : `${check.aliasName} points to ${seen}${seen === check.previous ? ' (unchanged)' : ''}`
    throw new AwsError(`${error.message}; ${observed}`, error.awsCode, error.hint)
  }
}

/** Turns a confirmation that did not succeed into the error that ends the run (exit 6). */
export function requireConfirmed(result: Confirmation, what: { operation: string; aliasName: string; expected: string; timeoutSeconds: number }): void {
  switch (result.status) {
    case 'confirmed':
      return
    case 'other-target':
      throw new CliError(`after ${what.operation} ${what.aliasName} points to ${result.keyId}, not to the key this run chose: another writer changed it`, Exit.NotConfirmed, 'find out who else is changing this alias before retrying')
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

/** Thrown when a guard (--expect-current) finds the alias somewhere else: exit 5, nothing changed. */
export function guardConflict(report: AliasChangeReport, aliasName: string, actual: string, expected: string): never {
  report.outcome = 'conflict'
  throw new CliError(`${aliasName} points to ${actual}, not ${expected} (--expect-current); nothing was changed`, Exit.Conflict, 'someone else may have changed it; check before retrying')
}

/** What a change's steps work with. */
export interface ChangeStep {
  kms: KmsPort
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
  const plan = new PlanPrinter(ui, report)
  report.exitCode = await runMutation(ctx, report, async (progress) => {
    const kms = await ui.openKms()
    const region = await kms.region()
    report.region = region
    return steps({ kms, region, ui, report, plan, progress })
  })
  const entry = journalEntryFor(report, { time: ctx.now(), command, reverts })
  if (entry && (await recordInJournal(ctx, ui, globals, [entry]))) report.journalId = entry.id
  finishChange(ui, report)
  return report.exitCode
}

/** The journal line for a change that was made (or may have been); undefined when nothing changed. */
export function journalEntryFor(report: AliasChangeReport, origin: { time: Date; command: string; reverts: string | null }): JournalEntry | undefined {
  if (report.changed === false || report.region === null) return undefined
  const key = report.target ?? report.previous
  return {
    id: newJournalId(),
    time: origin.time.toISOString(),
    account: key ? (parseArn(key.arn)?.account ?? null) : null,
    region: report.region,
    alias: report.alias,
    action: report.action,
    previousKeyId: report.previous?.keyId ?? null,
    newKeyId: report.target?.keyId ?? null,
    verified: report.verified,
    certain: report.changed === true,
    command: origin.command,
    reverts: origin.reverts,
    toolVersion: version,
  }
}

/** Appends to the journal; a failure is a warning, never a failed change. Returns whether it was written. */
export async function recordInJournal(ctx: Context, ui: Ui, globals: GlobalOptions, entries: readonly JournalEntry[]): Promise<boolean> {
  if (entries.length === 0 || globals.journal === false) return false
  const path = journalPath(globals.journal, ctx.env, ctx.platform)
  if (path === null) {
    ui.warn('the change was made, but there is no journal location: set KMS_ALIAS_JOURNAL, XDG_STATE_HOME or HOME, or pass --journal <path> or --no-journal')
    return false
  }
  try {
    await appendJournal(path, entries)
    return true
  } catch (error) {
    ui.warn(`the change was made, but the journal could not be written (${path}): ${(error as Error).message}`)
    return false
  }
}

export interface Application {
  /** Spinner text while the call is in flight, e.g. "Updating alias/x". */
  label: string
  check: CheckedSend
  send: () => Promise<void>
  undo: string
  outcome: ChangeOutcome
  verify: boolean
  confirmLabel: string
  confirm: () => Promise<Confirmation>
  expectation: Parameters<typeof requireConfirmed>[1]
}

/** Sends the mutating call (checked), records the undo, then confirms unless --no-verify. */
export async function applyChange(step: ChangeStep, application: Application): Promise<ExitCode> {
  const { ui, report, progress } = step
  progress.phase = 'changing'
  await ui.progress(application.label, () => sendChecked(step.kms, ui, report, application.check, application.send))
  report.changed = true
  report.undo = application.undo
  if (application.verify) {
    progress.phase = 'confirming'
    requireConfirmed(await ui.progress(application.confirmLabel, application.confirm), application.expectation)
    report.verified = true
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
  ) {}

  show(): void {
    if (this.ui.format !== 'table' || this.shown) return
    this.shown = true
    this.ui.write(renderChangePlan(this.report, this.ui.out, this.ui.width))
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
export function finishChange(ui: Ui, report: AliasChangeReport): void {
  if (ui.format === 'json') ui.write(renderChangeJson(report))
  if (ui.format === 'text') {
    ui.write(renderChangeText(report))
    for (const f of report.findings) (f.severity === 'info' ? ui.note : ui.important)(renderFinding(f, ui.err))
  }
  if (report.error) {
    ui.error(report.error)
    if (ui.format === 'table') ui.note(describeAliasState(report))
  } else if (ui.format === 'table') {
    ui.write(renderChangeSuccess(report, ui.out))
  }
}
