// The one run engine. A command hands it a list of planned items and says what each needs (its
// write, its rollback, its confirmation); the engine decides how: gate (blocks, dry run, one
// prompt) -> paced, guarded writes -> guarded rollback of what this run changed -> confirmation.
// Every step leaves an outcome value in the item's trace; runItems mutates no command's report.
// The run ends as one value (how far it got, and the failure it ends on, if any), which `finish`
// turns into output and an exit code. Interruption is decided in one place: `failureOf` (writePath.ts).
import type { Context } from '../cli/context.js'
import type { GlobalOptions, OutputFormat } from '../cli/globalOptions.js'
import { sessionOf, type Session } from '../cli/session.js'
import { CliError, Exit, InterruptedError, UseFailedError, type ExitCode } from '../errors.js'
import { mapWithLimit } from '../kms/concurrency.js'
import { confirmAliasTarget, type Confirmation, type PollTiming } from '../kms/confirm.js'
import type { KmsPort } from '../kms/port.js'
import { changeView, renderFinding, type AliasChangeReport, type ChangeAction, type ChangeOutcome, type ChangeView } from '../output/changeView.js'
import { escapeDeep } from '../output/escape.js'
import { createUi, errorSummary, type ErrorSummary, type Ui } from '../output/ui.js'
import { hasBlock, refusedFindings, type Finding } from '../preflight/rules.js'
import { probeReport, rollbackState, withAfter } from '../output/probeView.js'
import { afterFindings, type ProbeBefore } from '../preflight/probe.js'
import { rollBack, type MadeMove, type MoveAction } from './steps.js'
import { failureOf, interruption, Writer, type PlannedWrite, type Reservation, type WriteOrigin, type WriteOutcome } from './writePath.js'
import { useFailure, type ProbeAfter } from './probe.js'

export { failureOf }

/** Runs `fn`; an expected failure is returned as a value, a bug is thrown on. */
export async function settle<T>(ctx: Context, fn: () => Promise<T>): Promise<{ value: T; failure?: undefined } | { failure: CliError }> {
  try {
    return { value: await fn() }
  } catch (error) {
    return { failure: failureOf(ctx, error) }
  }
}

/** Whether a prompt may be shown: never to scripts (no TTY) or in the JSON view. */
export function canAsk(ctx: Context, format: OutputFormat): boolean {
  return format !== 'json' && ctx.io.stdinTTY && ctx.io.stderrTTY
}

/** A confirmation as one step of an item: what ListAliases showed, or why it could not be read. */
export type Check = { confirmation: Confirmation; error?: undefined } | { confirmation?: undefined; error: CliError }

/** What happened to one item, step by step; absent steps were not reached. */
export interface Trace {
  write?: WriteOutcome
  check?: Check
  /** The use probe after the confirmed write; null: it had no caller to compare (PROBE_UNAVAILABLE). */
  probe?: ProbeAfter | null
  rollback?: WriteOutcome
  rollbackCheck?: Check
}

/** Whether a step's confirmation saw what it waited for. */
export const confirmed = (check: Check | undefined): boolean => check?.confirmation?.status === 'confirmed'

export type Stage =
  /** A block finding stopped the run before any write. */
  | 'refused'
  | 'dry-run'
  /** Every item was already in place. */
  | 'nothing-to-do'
  | 'declined'
  /** The writes ran (all of them, or up to the failure the run ends on). */
  | 'written'

export interface RunResult<T> {
  stage: Stage
  /** Each item's steps, for the command's view. */
  traces: ReadonlyMap<T, Trace>
  /** Whether the writes stopped before the last pending item. */
  stopped: boolean
  /** What the run ends on; undefined when it succeeded. */
  failure?: CliError
}

export interface RunSpec<T> {
  items: readonly T[]
  blocked: (item: T) => boolean
  /** Whether the item needs a write (false: already in place). */
  pending: (item: T) => boolean
  dryRun: boolean
  yes: boolean
  format: OutputFormat
  /** The human plan, shown once planning is done (before a refusal or the prompt). */
  showPlan?: () => void
  refusal: (blocked: T[]) => CliError
  question: (pending: T[]) => string
  /** How the question is put (default: yes or no); delete has the name typed. */
  ask?: (question: string) => Promise<boolean>
  /** The message of a declined prompt (exit 130). */
  declined: string
  /** Items written one after another in each lane, the lanes at the same time (apply's partitions); default one lane. */
  lanes?: (pending: T[]) => T[][]
  /** Waits for the item's slot at the run's rate; rejects only when a signal ends the wait. */
  pace?: (item: T) => Promise<void>
  writer: (item: T) => Writer
  write: (item: T) => Promise<WriteOutcome>
  /** Shown around a phase (a spinner); default: none. */
  phase?: <R>(phase: 'write' | 'rollback' | 'confirm' | 'probe', items: T[], run: () => Promise<R>) => Promise<R>
  onWritten?: (item: T) => void
  /** The error an item's failure is reported as (e.g. with its Region in front). */
  place?: (item: T, error: CliError) => CliError
  /** Absent: nothing is confirmed (--no-verify). */
  confirm?: {
    /** each: before the next item, rollbacks too (update --regions, undo --run); end: once after the run (apply). */
    when: 'each' | 'end'
    check: (item: T, trace: Trace, step: 'write' | 'rollback') => Promise<Confirmation>
    /** Whether an item not confirmed stops the run (each). */
    stopWhenUnconfirmed: boolean
    /** The error that ends a run whose writes all went out but some were not confirmed. */
    unconfirmed: (items: T[]) => CliError
    concurrency?: number
  }
  /**
   * The use probe after a confirmed write (absent: --no-probe, or nothing to probe): through the alias
   * until the new key answers. A failed one is a run failure like any other (exit 9): it stops the
   * run and rolls back what the run changed. Runs after each confirmation, or after the run's (end).
   */
  probe?: (item: T) => Promise<ProbeAfter | null>
  /** Absent: what was written stays (undo --run). */
  rollback?: {
    /** Which failures roll back (default: all); a single change rolls back only a failed use probe. */
    on?: (failure: CliError) => boolean
    write: (item: T, written: WriteOutcome) => Promise<WriteOutcome>
    /** The error when another writer kept some items from being rolled back. */
    leftAlone: (failure: CliError, items: T[]) => CliError
    /** The hint when some rollbacks failed (unknown: it could not be told whether they went through). */
    failedHint?: (items: T[], unknown: boolean) => string
  }
  /** The hint of a failed use in a run without a rollback; written: the items whose writes went out. */
  noRollbackHint?: (written: T[]) => string
}

/** Runs planned items through gate, writes, rollback and confirmation; returns what happened. */
export async function runItems<T>(ctx: Context, spec: RunSpec<T>): Promise<RunResult<T>> {
  const traces = new Map<T, Trace>(spec.items.map((item) => [item, {}]))
  const result = (stage: Stage, failure?: CliError, stopped = false): RunResult<T> => ({ stage, traces, stopped, ...(failure ? { failure } : {}) })
  spec.showPlan?.()
  const blocked = spec.items.filter(spec.blocked)
  if (blocked.length > 0) return result('refused', spec.refusal(blocked))
  const pending = spec.items.filter(spec.pending)
  if (pending.length === 0) return result('nothing-to-do')
  if (spec.dryRun) return result('dry-run')
  const ask = spec.ask ?? ((question: string) => ctx.prompt.confirm(question))
  if (!spec.yes && canAsk(ctx, spec.format) && !(await ask(spec.question(pending)))) return result('declined', new CliError(spec.declined, Exit.Interrupted))
  const phase = spec.phase ?? ((_p, _items, run) => run())
  const place = spec.place ?? ((_item, error) => error)
  const lanes = spec.lanes?.(pending) ?? [pending]

  // The first lane to stop stops the others before their next write.
  let stop: CliError | undefined
  const written: T[][] = lanes.map(() => [])
  await phase('write', pending, () =>
    Promise.all(
      lanes.map(async (lane, i) => {
        for (const item of lane) {
          if (stop) return
          if (ctx.signal.aborted) return void (stop ??= interruption(ctx))
          try {
            await spec.pace?.(item)
          } catch {
            // Only a signal ends a wait for the next slot; this item was never sent.
            return void (stop ??= interruption(ctx))
          }
          if (stop) return
          const trace = traces.get(item) as Trace
          trace.write = await spec.write(item)
          if (trace.write.status !== 'written') return void (stop ??= place(item, trace.write.error))
          written[i]?.push(item)
          spec.onWritten?.(item)
          if (spec.confirm?.when !== 'each') continue
          trace.check = await check(ctx, spec, item, trace, 'write')
          if (!confirmed(trace.check) && spec.confirm.stopWhenUnconfirmed) return void (stop ??= unconfirmedStop(ctx, place(item, checkError(trace.check))))
          if (spec.probe && confirmed(trace.check)) {
            const failed = await useStep(ctx, spec, item, trace)
            if (failed) return void (stop ??= failed instanceof InterruptedError ? failed : place(item, failed))
          }
        }
      }),
    ),
  )

  // With the probe, a run confirmed at the end (apply) is confirmed and probed before its rollback
  // would run, so that a failed use rolls back the whole run.
  let confirmedAtEnd = false
  if (!stop && spec.probe && spec.confirm?.when === 'end' && !ctx.signal.aborted) {
    const changed = await confirmAtEnd(ctx, spec, pending, traces, phase)
    confirmedAtEnd = true
    const probed = changed.filter((item) => confirmed(traces.get(item)?.check))
    await phase('probe', probed, () =>
      mapWithLimit(probed, spec.confirm?.concurrency ?? 1, async (item) => {
        const failed = await useStep(ctx, spec, item, traces.get(item) as Trace)
        if (failed) stop ??= failed instanceof InterruptedError ? failed : place(item, failed)
      }),
    )
  }

  const rollsBack = stop !== undefined && spec.rollback !== undefined && (spec.rollback.on?.(stop) ?? true)
  if (stop && spec.rollback && rollsBack && !ctx.signal.aborted) {
    const back = written.map((lane) => [...lane].reverse()).filter((lane) => lane.length > 0)
    if (back.length > 0) await phase('rollback', back.flat(), () => Promise.all(back.map((lane) => rollBackLane(ctx, spec, lane, traces))))
    // Confirmed before the probe, the rolled-back items are confirmed again where they now are.
    const rolled = pending.filter((item) => traces.get(item)?.rollback?.status === 'written')
    if (confirmedAtEnd && rolled.length > 0 && !ctx.signal.aborted) await confirmAtEnd(ctx, spec, rolled, traces, phase)
  }

  if (spec.confirm?.when === 'end' && !confirmedAtEnd && !ctx.signal.aborted) await confirmAtEnd(ctx, spec, pending, traces, phase)

  if (ctx.signal.aborted) return result('written', interruption(ctx), true)
  if (stop) {
    const leftAlone = pending.filter((item) => traces.get(item)?.rollback?.status === 'conflict')
    const failure = leftAlone.length > 0 && spec.rollback ? spec.rollback.leftAlone(stop, leftAlone) : stop
    // By exit code: a Region's or a partition's failure is rewritten with its place in front.
    if (stop.exitCode !== Exit.UseFailed) return result('written', failure, true)
    // Exit 9 whatever the rollback did; the message says what that was.
    const used = (message: string, hint: string | undefined) => new UseFailedError(message, hint)
    if (!rollsBack) {
      const hint = spec.noRollbackHint?.(written.flat()) ?? 'the alias points to the new key; undo the change once you know why it cannot be used'
      return result('written', used(`${stop.message}; nothing was rolled back`, hint), true)
    }
    if (leftAlone.length > 0) return result('written', used(failure.message, failure.hint), true)
    // A rollback whose own UpdateAlias failed left the new key in place: saying "rolled back" would hide it.
    const unsent = (item: T) => rollbackState(traces.get(item)?.rollback, false)
    const unrolled = pending.filter((item) => unsent(item) === 'failed' || unsent(item) === 'unknown')
    const firstBack = unrolled.length > 0 ? traces.get(unrolled[0] as T)?.rollback : undefined
    if (firstBack?.status === 'failed') {
      const unknown = unrolled.some((item) => unsent(item) === 'unknown')
      const how = unknown ? 'it could not be told whether the rollback went through' : 'the rollback failed'
      const hint = spec.rollback?.failedHint?.(unrolled, unknown) ?? 'the alias may still point to the new key; check it, and undo the change by hand (kms-alias history shows what this run did)'
      return result('written', used(`${stop.message}; ${how}: ${firstBack.error.message}`, hint), true)
    }
    return result('written', used(`${stop.message}; it was rolled back`, 'find out why the new key cannot be used (key policy, grants, key state) before retrying'), true)
  }
  const unconfirmed = spec.confirm ? pending.filter((item) => !confirmed(traces.get(item)?.check)) : []
  if (spec.confirm && unconfirmed.length > 0) return result('written', spec.confirm.unconfirmed(unconfirmed))
  return result('written')
}

/**
 * The use probe after an item's confirmed write, into its trace: the failure it stops the run with
 * (a failed use, exit 9; or what ended the probe, such as an interruption), or undefined.
 */
async function useStep<T>(ctx: Context, spec: RunSpec<T>, item: T, trace: Trace): Promise<CliError | undefined> {
  const probe = spec.probe as NonNullable<RunSpec<T>['probe']>
  try {
    trace.probe = await probe(item)
  } catch (error) {
    return failureOf(ctx, error)
  }
  if (trace.probe?.status === 'interrupted') return interruption(ctx)
  return trace.probe?.status === 'failed' ? useFailure(trace.probe) : undefined
}

/** Confirms at the end of the run every change that still stands; returns them. */
async function confirmAtEnd<T>(ctx: Context, spec: RunSpec<T>, pending: T[], traces: Map<T, Trace>, phase: NonNullable<RunSpec<T>['phase']>): Promise<T[]> {
  const confirm = spec.confirm as NonNullable<RunSpec<T>['confirm']>
  const changed = pending.filter((item) => {
    const trace = traces.get(item) as Trace
    return trace.write?.status === 'written' && trace.rollback?.status !== 'conflict'
  })
  await phase('confirm', changed, () =>
    mapWithLimit(changed, confirm.concurrency ?? 1, async (item) => {
      const trace = traces.get(item) as Trace
      trace.check = await check(ctx, spec, item, trace, 'write')
    }),
  )
  return changed
}

async function rollBackLane<T>(ctx: Context, spec: RunSpec<T>, lane: T[], traces: Map<T, Trace>): Promise<void> {
  const rollback = spec.rollback as NonNullable<RunSpec<T>['rollback']>
  for (const item of lane) {
    try {
      await spec.pace?.(item)
    } catch {
      return
    }
    const trace = traces.get(item) as Trace
    trace.rollback = await rollback.write(item, trace.write as WriteOutcome)
    if (trace.rollback.status === 'written' && spec.confirm?.when === 'each') trace.rollbackCheck = await check(ctx, spec, item, trace, 'rollback')
  }
}

/** One confirmation; a read that fails leaves the item unconfirmed, and a confirmed write is journaled verified. */
async function check<T>(ctx: Context, spec: RunSpec<T>, item: T, trace: Trace, step: 'write' | 'rollback'): Promise<Check> {
  const confirm = spec.confirm as NonNullable<RunSpec<T>['confirm']>
  let result: Check
  try {
    result = { confirmation: await confirm.check(item, trace, step) }
  } catch (error) {
    result = { error: failureOf(ctx, error) }
  }
  if (confirmed(result)) {
    // Only the alias's last write describes its final state.
    const last = step === 'rollback' || trace.rollback?.status === 'written' ? trace.rollback : trace.write
    await spec.writer(item).verified(last?.journalId ?? null)
  }
  return result
}

function checkError(check: Check | undefined): CliError {
  return check?.error ?? new CliError('the change was not confirmed', Exit.NotConfirmed)
}

/** An unconfirmed write the run stops on: exit 6, unless a signal ended the confirmation. */
function unconfirmedStop(ctx: Context, error: CliError): CliError {
  if (error instanceof InterruptedError || ctx.signal.aborted) return interruption(ctx)
  return new CliError(error.message, Exit.NotConfirmed, error.hint)
}

/** How a command's report looks in each format; the human views get AWS and journal text escaped. */
export interface RunView<R> {
  json: (report: R) => string
  text: (human: R) => string
  table: (human: R, ui: Ui) => string
  /** Lines for stderr beside the text or table view (findings, where an item was left). */
  notes?: (human: R, ui: Ui) => void
  /** Lines for stderr after the error (where a failed change left things). */
  afterError?: (human: R, ui: Ui) => void
}

/** The one finisher: writes the report in the chosen format, then the error; returns the exit code. */
export function finish<R extends { error: ErrorSummary | null; exitCode: number }>(
  ui: Ui,
  view: RunView<R>,
  report: R,
  failure: CliError | undefined,
  /** The exit code when it is not the failure's own (a change sent but not confirmed: 6). */
  exitCode: number = failure ? failure.exitCode : Exit.Ok,
): number {
  report.error = failure ? errorSummary(failure) : null
  report.exitCode = exitCode
  const human = escapeDeep(report)
  if (ui.format === 'json') ui.write(view.json(report))
  else {
    const out = ui.format === 'text' ? view.text(human) : view.table(human, ui)
    if (out) ui.write(out)
    view.notes?.(human, ui)
  }
  if (failure) {
    ui.error(report.error as ErrorSummary)
    if (ui.format !== 'json') view.afterError?.(human, ui)
  }
  return report.exitCode
}

// The list of one: a single alias's change (update, create, delete, rotate's move, undo) on the
// same engine. Its report is still filled in by the command's steps and by applyChange (from the
// engine's trace), and a refusal or guard conflict found while planning is still thrown.

/** Where a single change is: before the mutating call, while it is in flight, or confirming it. */
export interface Progress {
  phase: 'before' | 'changing' | 'confirming'
}

export function pollTiming(ctx: Context, timeoutSeconds: number): PollTiming {
  return { timeoutMs: timeoutSeconds * 1000, now: ctx.now, sleep: ctx.sleep, signal: ctx.signal }
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
  ctx: Context
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
    probe: null,
    error: null,
    exitCode: Exit.Ok,
  }
  const plan = new PlanPrinter(ui, report, view)
  const progress: Progress = { phase: 'before' }
  const outcome = await settle(ctx, async () => {
    const session = sessionOf(ctx, globals, ui)
    const kms = await session.kms()
    const region = await kms.region()
    report.region = region
    const writer = new Writer(ctx, ui, globals, kms)
    return steps({ ctx, kms, session, writer, origin: { command, reverts, runId: null }, region, ui, report, plan, progress })
  })
  const { failure } = outcome
  if (failure && progress.phase === 'confirming') {
    // The change went out; only its confirmation failed.
    report.outcome = 'not-confirmed'
    return finish(ui, oneView(view), report, failure, failure instanceof InterruptedError ? failure.exitCode : Exit.NotConfirmed)
  }
  return finish(ui, oneView(view), report, failure)
}

/** A single alias's views as the finisher takes them: the table shows the success line, or the state left after the error. */
function oneView(view: ChangeView): RunView<AliasChangeReport> {
  return {
    json: view.json,
    text: view.text,
    table: (human, ui) => (human.error ? '' : view.success(human, ui.out)),
    notes: (human, ui) => {
      if (ui.format === 'text') for (const f of human.findings) (f.severity === 'info' ? ui.note : ui.important)(renderFinding(f, ui.err))
    },
    afterError: (human, ui) => {
      if (ui.format === 'table') ui.note(view.state(human))
    },
  }
}

/** One alias's change as the engine runs it: the plan's findings, the gate's question, the move, its confirmation. */
export interface Application {
  findings: Finding[]
  /** The alias already points where asked: nothing to write. */
  already?: { verified: boolean }
  dryRun: boolean
  yes: boolean
  /** The outcome a dry run reports, e.g. would-update. */
  dryOutcome: ChangeOutcome
  question: string
  /** How the question is put (default yes or no); and what a declined prompt says. */
  ask?: (question: string) => Promise<boolean>
  declined?: string
  verify: boolean
  /** The move, or how to make it once the gate is passed (rotate creates the key it moves to then). */
  move: Move | (() => Promise<Move>)
  /**
   * The use probes before the change (their findings are in `findings`; rotate's `move` probes its
   * new key and sets report.probe itself) and the probe after it; absent: --no-probe.
   */
  probe?: { before?: ProbeBefore; after: () => Promise<ProbeAfter | null> }
}

export interface Move {
  /** Spinner text while the call is in flight, e.g. "Updating alias/x". */
  label: string
  write: Pick<PlannedWrite, 'action' | 'expected' | 'wanted' | 'send' | 'retryAnswers' | 'createdKeyId'>
  /** The account the alias is in, as far as the plan knows. */
  account: string | null
  /** The alias's lock and guard read, taken beside the plan's last reads (Writer.reserve). */
  reservation?: Reservation
  undo: string
  outcome: ChangeOutcome
  confirmLabel: string
  confirm: () => Promise<Confirmation>
  expectation: Parameters<typeof requireConfirmed>[1]
}

/** Runs one alias's change through the run engine (the list of one) and records its steps in the report. */
export async function applyChange(step: ChangeStep, application: Application): Promise<ExitCode> {
  const { ctx, ui, report, progress, writer } = step
  const blocked = application.already === undefined && hasBlock(application.findings)
  report.findings = blocked ? refusedFindings(application.findings) : application.findings
  const { probe } = application
  if (probe?.before && application.already === undefined) report.probe = probeReport(probe.before)
  let made: Move | undefined
  const { stage, traces, failure } = await runItems(ctx, {
    items: [application],
    blocked: () => blocked,
    pending: () => application.already === undefined,
    dryRun: application.dryRun,
    yes: application.yes,
    format: ui.format,
    showPlan: () => step.plan.show(),
    refusal: () => refusal(application.findings, application.dryRun),
    question: () => application.question,
    ...(application.ask ? { ask: application.ask } : {}),
    declined: application.declined ?? 'cancelled at the prompt',
    writer: () => writer,
    write: async () => {
      progress.phase = 'changing'
      const move = typeof application.move === 'function' ? await application.move() : application.move
      made = move
      const planned: PlannedWrite = { ...move.write, alias: report.alias, region: step.region, account: move.account, origin: step.origin }
      return ui.progress(move.label, () => writer.write(planned, move.reservation))
    },
    ...(application.verify
      ? {
          confirm: {
            when: 'each' as const,
            stopWhenUnconfirmed: true,
            check: async (_item: Application, _trace: Trace, which: 'write' | 'rollback') => {
              const move = made as Move
              if (which === 'rollback') return confirmRollback(step, move)
              const confirmation = await ui.progress(move.confirmLabel, move.confirm)
              requireConfirmed(confirmation, move.expectation)
              return confirmation
            },
            unconfirmed: () => new CliError('the change was not confirmed', Exit.NotConfirmed),
          },
        }
      : {}),
    ...(probe ? { probe: () => ui.progress(`Probing ${report.alias}: using it until the new key answers`, probe.after) } : {}),
    rollback: {
      // A single change has nothing else to roll back: only a failed use of a change it confirmed.
      on: (failure) => failure.exitCode === Exit.UseFailed,
      write: (_item, written) => {
        const move = made as Move
        const rolled: MadeMove = {
          action: move.write.action === 'rotate' ? 'update' : (move.write.action as MoveAction),
          alias: report.alias,
          region: step.region,
          account: move.account,
          before: move.write.expected,
          after: move.write.wanted,
        }
        const origin: WriteOrigin = { command: `${step.origin.command} (rollback)`, reverts: written.journalId, runId: step.origin.runId }
        return ui.progress(`Rolling back ${report.alias} to ${move.write.expected ?? '(nothing)'}`, () => rollBack(writer, step.kms, rolled, origin))
      },
      leftAlone: (failure) =>
        new UseFailedError(`${failure.message}; it was not rolled back: another writer changed ${report.alias} since`, 'check the alias by hand; kms-alias history shows what this run did'),
      failedHint: (_items, unknown) => {
        const where = unknown ? `${report.alias} may still point to the new key ${(made as Move).write.wanted}` : `${report.alias} points to the new key ${(made as Move).write.wanted}`
        return `${where}; once you know why it cannot be used, undo the change: ${made?.undo ?? 'kms-alias undo'}`
      },
    },
  })
  const trace = traces.get(application)
  if (probe && report.probe && trace?.write?.status === 'written') {
    const rollback = trace.probe?.status === 'failed' ? rollbackState(trace.rollback, confirmed(trace.rollbackCheck)) : null
    report.probe = withAfter(report.probe, trace.probe, rollback)
    report.findings = [...report.findings, ...afterFindings(trace.probe, made?.write.wanted ?? '')]
  }
  switch (stage) {
    case 'refused':
      report.outcome = 'refused'
      break
    case 'nothing-to-do':
      report.outcome = 'already-in-place'
      report.verified = application.already?.verified ?? false
      break
    case 'dry-run':
      report.outcome = application.dryOutcome
      break
    case 'declined':
      report.outcome = 'declined'
      break
    case 'written': {
      const write = trace?.write
      if (write === undefined) break
      report.changed = write.changed
      report.journalId = write.journalId
      if (write.status !== 'written') {
        if (write.status === 'conflict') report.outcome = 'conflict'
        throw write.error
      }
      report.undo = made?.undo ?? null
      if (trace?.check?.error) {
        // The change went out; only its confirmation failed (runMutation makes that exit 6).
        progress.phase = 'confirming'
        throw trace.check.error
      }
      report.verified = trace?.check !== undefined
      report.outcome = made?.outcome ?? report.outcome
      if (trace?.rollback?.status === 'written') {
        report.outcome = 'rolled-back'
        report.changed = false
        report.undo = null
      }
    }
  }
  if (failure) throw failure
  return Exit.Ok
}

/** Confirms with ListAliases that a rolled-back update is on its old key again. */
async function confirmRollback(step: ChangeStep, move: Move): Promise<Confirmation> {
  const { alias } = step.report
  const { expected, wanted } = move.write
  const timeoutSeconds = move.expectation.timeoutSeconds
  const confirmation = await step.ui.progress(`Confirming the rollback of ${alias} with ListAliases`, () =>
    confirmAliasTarget(step.kms, { aliasName: alias, expectedKeyId: expected as string, previousKeyId: wanted, ...pollTiming(step.ctx, timeoutSeconds) }),
  )
  requireConfirmed(confirmation, { operation: 'UpdateAlias (rollback)', aliasName: alias, expected: `${alias} on ${expected ?? '(nothing)'}`, timeoutSeconds })
  return confirmation
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

/** Records the preflight's refusal of what the typed names alone tell, and ends the run with exit 3. */
export function refuse(report: AliasChangeReport, findings: Finding[], plan: PlanPrinter): never {
  report.findings = refusedFindings(findings)
  report.outcome = 'refused'
  plan.show()
  throw refusal(findings, report.dryRun)
}

function refusal(findings: Finding[], dryRun: boolean): CliError {
  const blocking = findings.filter((f) => f.severity === 'block').map((f) => f.code)
  return new CliError(`refused by the preflight: ${blocking.join(', ')}`, Exit.Refused, dryRun ? undefined : 'see the findings; nothing was changed')
}
