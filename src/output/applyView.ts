import type { ChalkInstance } from 'chalk'
import type { Finding } from '../preflight/rules.js'
import { severityMark } from './changeView.js'
import { renderTable, type Fit } from './table.js'
import type { Trace } from '../engine/run.js'
import type { WriteOutcome } from '../engine/writePath.js'
import { errorSummary, type ErrorSummary } from './ui.js'
import { rollbackState, withAfter, type ProbeReport } from './probeView.js'
import { afterFindings } from '../preflight/probe.js'

export type PlannedAction = 'create' | 'update' | 'no-op' | 'unknown'
/** `conflict`: the guard found the alias moved by another writer, so this run left it alone (its own change, or its rollback). */
export type ApplyStatus = 'applied' | 'no-op' | 'rolled-back' | 'failed' | 'conflict' | 'not-attempted'

/** One line of the apply file, from plan to final state; field names are part of the JSON contract. */
export interface ApplyChange {
  alias: string
  /** The partition the entry is applied in: its Region, and its account (null: not asked for, the credentials'). */
  region: string
  account: string | null
  line: number
  /** `unknown`: refused before any lookup (e.g. a reserved name). */
  action: PlannedAction
  previousKeyId: string | null
  targetKeyId: string | null
  findings: Finding[]
  status: ApplyStatus
  /** Where the alias points at the end (null: it does not exist, or `stateKnown` is false). */
  nowKeyId: string | null
  stateKnown: boolean
  verified: boolean
  journalId: string | null
  /** The use probe of an update entry (probeView.ts); null: --no-probe, a create, or nothing to probe. */
  probe: ProbeReport | null
  error: ErrorSummary | null
  /** Set when the rollback left this entry alone because another writer had changed it since. */
  rollbackSkipped?: true
}

export interface ApplyReport {
  /** Shared by every journal line of this run; `kms-alias history --run` and `undo --run` take it. */
  runId: string
  /** The Region, when the run has one partition; null with several (each change names its own). */
  region: string | null
  /** Every (account, Region) the run works in, in the order the file first names them. */
  partitions: Array<{ account: string | null; region: string }>
  dryRun: boolean
  changes: ApplyChange[]
  error: ErrorSummary | null
  exitCode: number
}

export function summarize(changes: readonly ApplyChange[]) {
  const count = (test: (c: ApplyChange) => boolean) => changes.filter(test).length
  return {
    total: changes.length,
    create: count((c) => c.action === 'create'),
    update: count((c) => c.action === 'update'),
    noOp: count((c) => c.action === 'no-op'),
    blocked: count((c) => c.findings.some((f) => f.severity === 'block')),
    applied: count((c) => c.status === 'applied'),
    rolledBack: count((c) => c.status === 'rolled-back'),
    failed: count((c) => c.status === 'failed'),
    conflict: count((c) => c.status === 'conflict'),
    notAttempted: count((c) => c.status === 'not-attempted'),
    unverified: count((c) => (c.status === 'applied' || c.status === 'rolled-back') && !c.verified),
  }
}

export function renderApplyJson(report: ApplyReport): string {
  const { runId, region, partitions, dryRun, changes, error, exitCode } = report
  return `${JSON.stringify({ runId, region, partitions, dryRun, changes, summary: summarize(changes), error, exitCode }, null, 2)}\n`
}

/**
 * The text view's notes for stderr: each blocking or warning finding with its entry, then where a
 * failed run left entries (unknown state, failed or skipped rollback).
 */
export function renderApplyNotes(report: ApplyReport, style: ChalkInstance): string[] {
  const notes: string[] = []
  for (const c of report.changes) {
    for (const f of c.findings)
      if (f.severity !== 'info') notes.push(`${c.alias} (line ${c.line}): ${severityMark(style, f.severity).trim()} ${f.code} ${f.message}`)
  }
  for (const c of report.changes) {
    if (c.status === 'failed' && !c.stateKnown)
      notes.push(`${c.alias} (line ${c.line}): state unknown: the call may or may not have been made; check it before retrying`)
    if (c.error && c.status !== 'failed') notes.push(`${c.alias} (line ${c.line}): ${c.error.message}`)
  }
  return notes
}

/**
 * Whether the views show each entry's partition: only when the run has several. A run in one
 * partition keeps the narrower table and the six text fields scripts already parse.
 */
const several = (report: ApplyReport) => report.partitions.length > 1

/**
 * One tab-separated line per entry: status, alias, action, previous key, target key, verified;
 * with several partitions, then the Region and the account (- when not asked for).
 */
export function renderApplyText(report: ApplyReport): string {
  const place = (c: ApplyChange) => (several(report) ? [c.region, c.account ?? '-'] : [])
  return report.changes
    .map((c) => `${[c.status, c.alias, c.action, c.previousKeyId ?? '-', c.targetKeyId ?? '-', String(c.verified), ...place(c)].join('\t')}\n`)
    .join('')
}

/** The account and Region cells of an entry, when the run has several partitions. */
function placeCells(report: ApplyReport, c: ApplyChange): string[] {
  return several(report) ? [c.account ?? '-', c.region] : []
}

const placeHeads = (report: ApplyReport) => (several(report) ? ['account', 'Region'] : [])
const placeFit = (report: ApplyReport): Fit[] => (several(report) ? ['keep', 'keep'] : [])

/** The plan table fits `width` (the terminal's) as renderTable fits any: identifiers are never shortened. */
export function renderApplyPlan(report: ApplyReport, style: ChalkInstance, width?: number): string {
  const rows = report.changes.map((c) => {
    const findings = c.findings.map((f) => `${severityMark(style, f.severity).trim()} ${f.code}`).join('\n')
    return [c.alias, ...placeCells(report, c), c.action, c.previousKeyId ?? '-', c.targetKeyId ?? '-', findings || style.green('✓')]
  })
  const head = ['alias', ...placeHeads(report), 'action', 'current', 'new', 'findings']
  const table = renderTable(style, { head, rows, fit: ['id', ...placeFit(report), 'keep', 'id', 'id', 'keep'] }, width)
  const where = (c: ApplyChange) => (several(report) ? ` (${[c.account, c.region].filter(Boolean).join(' ')})` : '')
  const details = report.changes.flatMap((c) =>
    c.findings.filter((f) => f.severity === 'block').map((f) => `${c.alias}${where(c)}: ${severityMark(style, f.severity)} ${f.code} ${f.message}`),
  )
  const s = summarize(report.changes)
  const scope = several(report) ? `${report.partitions.length} partitions` : (report.region ?? '?')
  const heading = style.bold(`${report.dryRun ? 'Dry run: ' : ''}apply in ${scope}: ${s.create} to create, ${s.update} to update, ${s.noOp} already in place`)
  return `${[heading, table, ...details].join('\n')}\n`
}

/** The human view's closing part: every entry's final status, or what a dry run or no-op run means. */
export function renderApplyOutcome(report: ApplyReport, style: ChalkInstance, width?: number): string {
  const s = summarize(report.changes)
  if (s.applied + s.rolledBack + s.failed + s.conflict > 0) return renderApplyResult(report, style, width)
  if (report.error) return ''
  const pending = s.create + s.update
  if (pending === 0) return `${style.green('✓')} Nothing to change: ${s.noOp} ${s.noOp === 1 ? 'alias is' : 'aliases are'} already in place.\n`
  return `Dry run: ${pending} change${pending === 1 ? '' : 's'} would be made. Nothing was changed.\n`
}

function renderApplyResult(report: ApplyReport, style: ChalkInstance, width?: number): string {
  const colour = (status: ApplyStatus) =>
    status === 'applied' || status === 'no-op' ? style.green(status) : status === 'failed' ? style.red(status) : style.yellow(status)
  const rows = report.changes.map((c) => {
    const status =
      c.stateKnown || c.status === 'not-attempted' || c.action === 'no-op' ? colour(c.status) : `${colour(c.status)} ${style.red('(state unknown)')}`
    return [
      c.alias,
      ...placeCells(report, c),
      c.action,
      status,
      c.status === 'applied' || c.status === 'rolled-back' ? (c.verified ? 'yes' : style.yellow('no')) : '-',
    ]
  })
  const head = ['alias', ...placeHeads(report), 'action', 'status', 'verified']
  const table = renderTable(style, { head, rows, fit: ['id', ...placeFit(report), 'keep', 'keep', 'keep'] }, width)
  const s = summarize(report.changes)
  const probes = probeSummary(report.changes)
  const line = `${s.applied} applied, ${s.noOp} already in place, ${s.rolledBack} rolled back, ${s.failed} failed, ${s.conflict > 0 ? `${s.conflict} left alone (another writer), ` : ''}${s.notAttempted} not attempted.`
  return `${table}\n${report.error ? line : `${style.green('✓')} ${line}`}\n${probes ? `${probes}\n` : ''}`
}

/** One line on the use probes after the changes, when any ran. */
function probeSummary(changes: readonly ApplyChange[]): string | null {
  const after = changes.map((c) => c.probe?.after).filter((a) => a === 'ok' || a === 'stale' || a === 'failed')
  if (after.length === 0) return null
  const count = (a: string) => after.filter((x) => x === a).length
  return `Use probe: ${count('ok')} answered by the new key, ${count('stale')} still by the old key (PROBE_STALE), ${count('failed')} failed.`
}

/**
 * An entry as the run left it, from its plan and its steps. An entry the stopped run never reached
 * was last read at plan time, before this run's writes and whatever made it stop (another writer,
 * often): where it points now is not known.
 */
export function changeAfter(planned: ApplyChange, trace: Trace | undefined, stopped: boolean): ApplyChange {
  const change: ApplyChange = { ...planned }
  const write = trace?.write
  if (write === undefined) {
    if (stopped && change.status === 'not-attempted') {
      change.stateKnown = false
      change.nowKeyId = null
    }
    return change
  }
  change.journalId = write.journalId
  if (write.status === 'written') {
    change.status = 'applied'
    change.nowKeyId = change.targetKeyId
    if (change.probe) {
      // The run confirms its rolled-back entries again at the end, into the same check.
      const rollback = trace?.probe?.status === 'failed' ? rollbackState(trace.rollback, trace.check?.confirmation?.status === 'confirmed') : null
      change.probe = withAfter(change.probe, trace?.probe, rollback)
      change.findings = [...change.findings, ...afterFindings(trace?.probe, change.targetKeyId ?? '')]
    }
  } else {
    change.error = errorSummary(write.error)
    change.status = write.status
    leftAt(change, write)
  }
  const back = trace?.rollback
  if (back?.status === 'written') {
    change.status = 'rolled-back'
    change.nowKeyId = change.previousKeyId
  } else if (back) {
    if (back.status === 'conflict') {
      change.status = 'conflict'
      change.rollbackSkipped = true
    }
    change.error = { ...errorSummary(back.error), message: `${back.status === 'conflict' ? 'not rolled back' : 'rollback failed'}: ${back.error.message}` }
    leftAt(change, back)
  }
  const check = trace?.check
  if (check) {
    change.verified = check.confirmation?.status === 'confirmed'
    if (check.confirmation?.status === 'other-target') change.nowKeyId = check.confirmation.keyId
  }
  return change
}

/** Where an entry is after a write that did not go through: what the guard saw, or unknown. */
function leftAt(change: ApplyChange, outcome: Exclude<WriteOutcome, { status: 'written' }>): void {
  if (outcome.status === 'conflict') {
    change.stateKnown = outcome.seen !== null
    change.nowKeyId = outcome.seen ?? null
    return
  }
  change.stateKnown = outcome.changed !== null
  if (!change.stateKnown) change.nowKeyId = null
}
