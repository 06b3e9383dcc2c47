// The view of one alias changed over several Regions (update --regions / --all-regions): a pure
// report, rendered as the plan table, the result table, tab-separated text or JSON.
import type { ChalkInstance } from 'chalk'
import type { Stage, Trace } from '../engine/run.js'
import { Exit, type CliError } from '../errors.js'
import { inRegion } from '../kms/regional.js'
import { hasBlock, type Finding } from '../preflight/rules.js'
import type { ChangeOutcome } from './changeView.js'
import { renderFindings, severityMark } from './changeView.js'
import type { KeyView } from './keyView.js'
import { newTable } from './table.js'
import { errorSummary, type ErrorSummary } from './ui.js'
import { renderProbeLine, rollbackState, withAfter, type ProbeReport } from './probeView.js'
import { afterFindings } from '../preflight/probe.js'

/** Where one Region ended; `rolled-back`: changed by this run, then put back after a failure elsewhere. */
export type RegionOutcome =
  'updated' | 'already-in-place' | 'would-update' | 'refused' | 'conflict' | 'failed' | 'not-confirmed' | 'rolled-back' | 'not-attempted'

/** One Region's part of the change; field names are part of the JSON contract. */
export interface RegionReport {
  region: string
  previous: KeyView | null
  target: KeyView | null
  findings: Finding[]
  outcome: RegionOutcome
  /** Whether the alias in this Region is left elsewhere than it was (null: unknown). */
  changed: boolean | null
  verified: boolean
  /** The journal entry of this Region's change (its rollback, if any, reverts it). */
  journalId: string | null
  /** The use probe in this Region (probeView.ts); null: --no-probe, or nothing to probe. */
  probe: ProbeReport | null
  error: ErrorSummary | null
}

/** The update document, with the Regions' reports; `findings` holds what concerns all Regions (the replica set). */
export interface RegionsUpdateReport {
  action: 'update'
  alias: string
  runId: string
  outcome: ChangeOutcome
  dryRun: boolean
  changed: boolean | null
  verified: boolean
  findings: Finding[]
  regions: RegionReport[]
  undo: string | null
  error: ErrorSummary | null
  exitCode: number
}

/** Whether anything is left changed, over all Regions (null as soon as one Region cannot tell). */
export function overallChanged(regions: readonly RegionReport[]): boolean | null {
  if (regions.some((r) => r.changed === true)) return true
  return regions.some((r) => r.changed === null) ? null : false
}

export function renderRegionsJson(report: RegionsUpdateReport): string {
  const { action, alias, runId, outcome, dryRun, changed, verified, findings, regions, undo, error, exitCode } = report
  const region = null
  return `${JSON.stringify({ action, alias, region, runId, outcome, dryRun, changed, verified, findings, regions, undo, error, exitCode }, null, 2)}\n`
}

/** One tab-separated line per Region: outcome, alias, region, previous key, new key, changed, verified. */
export function renderRegionsText(report: RegionsUpdateReport): string {
  return report.regions
    .map(
      (r) =>
        `${[r.outcome, report.alias, r.region, r.previous?.keyId ?? '-', r.target?.keyId ?? '-', r.changed === null ? 'unknown' : String(r.changed), String(r.verified)].join('\t')}\n`,
    )
    .join('')
}

/** The human plan: one row per Region with both keys and its findings, then every finding in words. */
export function renderRegionsPlan(report: RegionsUpdateReport, style: ChalkInstance): string {
  const table = newTable(style, ['Region', 'current target', 'new target', 'key spec', 'findings'])
  for (const r of report.regions) {
    const spec =
      r.previous && r.target
        ? r.previous.keySpec === r.target.keySpec
          ? (r.target.keySpec ?? '-')
          : `${r.previous.keySpec ?? '-'} → ${r.target.keySpec ?? '-'}`
        : '-'
    const findings = r.findings.map((f) => `${severityMark(style, f.severity).trim()} ${f.code}`).join('\n')
    table.push([r.region, r.previous?.keyId ?? '-', r.target?.keyId ?? '-', spec, findings || style.green('✓')])
  }
  const heading = style.bold(`${report.dryRun ? 'Dry run: ' : ''}update ${report.alias} in ${report.regions.length} Regions`)
  const perRegion = report.regions.flatMap((r) =>
    r.findings.filter((f) => f.code !== 'ALREADY_TARGET').map((f) => `${r.region}: ${severityMark(style, f.severity)} ${style.bold(f.code)} ${f.message}`),
  )
  const all = [...report.findings.map((f) => `${severityMark(style, f.severity)} ${style.bold(f.code)} ${f.message}`), ...perRegion]
  return `${[heading, table.toString(), ...(all.length > 0 ? all : renderFindings([], style, 'update'))].join('\n')}\n`
}

/** The human view's closing part: each Region's outcome when anything was attempted, or what the run means. */
export function renderRegionsOutcome(report: RegionsUpdateReport, style: ChalkInstance): string {
  const attempted = report.regions.some((r) => ['updated', 'conflict', 'failed', 'not-confirmed', 'rolled-back'].includes(r.outcome))
  const n = report.regions.length
  if (!attempted) {
    if (report.error) return ''
    if (report.outcome === 'already-in-place')
      return `${style.green('✓')} ${report.alias} already points to the new key in all ${n} Regions; nothing to change.\n`
    if (report.outcome === 'would-update')
      return `Would update ${report.alias} in ${report.regions.filter((r) => r.outcome === 'would-update').length} of ${n} Regions. Nothing was changed (dry run).\n`
    return ''
  }
  const table = newTable(style, ['Region', 'from', 'to', 'outcome', 'verified'])
  const colour = (o: RegionOutcome) => (o === 'updated' || o === 'already-in-place' ? style.green(o) : o === 'failed' ? style.red(o) : style.yellow(o))
  for (const r of report.regions) {
    const outcome = r.changed === null ? `${colour(r.outcome)} ${style.red('(state unknown)')}` : colour(r.outcome)
    table.push([
      r.region,
      r.previous?.keyId ?? '-',
      r.target?.keyId ?? '-',
      outcome,
      r.outcome === 'updated' || r.outcome === 'rolled-back' ? (r.verified ? 'yes' : style.yellow('no')) : '-',
    ])
  }
  if (report.error) {
    const count = (o: RegionOutcome) => report.regions.filter((r) => r.outcome === o).length
    const left = count('conflict')
    return `${table.toString()}\n${count('updated')} updated, ${count('rolled-back')} rolled back, ${count('failed')} failed, ${left > 0 ? `${left} left alone (another writer), ` : ''}${count('not-attempted')} not attempted.\n${probeLines(report, style)}`
  }
  const how = report.verified ? 'confirmed with ListAliases' : 'not verified (--no-verify)'
  const changed = report.regions.filter((r) => r.outcome === 'updated').length
  const probes = probeLines(report, style)
  return `${table.toString()}\n${style.green('✓')} Updated ${report.alias} in ${changed} of ${n} Regions (${how}).\n${report.undo ? `Undo: ${report.undo}\n` : ''}${probes}`
}

/** The run's outcome, from how far the engine got and what it ended on. */
export function runOutcome(stage: Stage, failure: CliError | undefined): ChangeOutcome {
  switch (stage) {
    case 'refused':
      return 'refused'
    case 'nothing-to-do':
      return 'already-in-place'
    case 'dry-run':
      return 'would-update'
    case 'declined':
      return 'declined'
    case 'written':
      if (failure === undefined) return 'updated'
      if (failure.exitCode === Exit.UseFailed) return 'rolled-back'
      return failure.exitCode === Exit.NotConfirmed ? 'not-confirmed' : failure.exitCode === Exit.Conflict ? 'conflict' : 'failed'
  }
}

/** One Region as the run left it, from its plan and its steps. */
export function regionAfter(planned: RegionReport, stage: Stage, trace: Trace | undefined): RegionReport {
  const row: RegionReport = { ...planned }
  if (row.outcome === 'already-in-place') return row
  if (stage === 'refused') return { ...row, outcome: hasBlock(row.findings) ? 'refused' : 'not-attempted' }
  if (stage === 'dry-run') return { ...row, outcome: 'would-update' }
  row.outcome = 'not-attempted'
  const write = trace?.write
  if (write === undefined) return row
  row.journalId = write.journalId
  row.changed = write.changed
  if (write.status !== 'written') return { ...row, outcome: write.status, error: errorSummary(inRegion(row.region, write.error)) }
  row.outcome = 'updated'
  if (row.probe) {
    const rollback = trace?.probe?.status === 'failed' ? rollbackState(trace.rollback, trace.rollbackCheck?.confirmation?.status === 'confirmed') : null
    row.probe = withAfter(row.probe, trace?.probe, rollback)
    row.findings = [...row.findings, ...afterFindings(trace?.probe, row.target?.keyId ?? '')]
  }
  if (trace?.check) {
    row.verified = trace.check.confirmation?.status === 'confirmed'
    if (!row.verified) {
      row.outcome = 'not-confirmed'
      row.error = errorSummary(inRegion(row.region, trace.check.error))
    }
  }
  const back = trace?.rollback
  if (back === undefined) return row
  if (back.status === 'written') {
    row.outcome = 'rolled-back'
    row.changed = false
    row.verified = trace?.rollbackCheck?.confirmation?.status === 'confirmed'
    if (trace?.rollbackCheck?.error) row.error = errorSummary(inRegion(row.region, trace.rollbackCheck.error))
  } else if (back.status === 'conflict') {
    row.outcome = 'conflict'
    row.changed = back.seen === null ? null : true
    row.error = { ...errorSummary(back.error), message: `not rolled back: ${back.error.message}` }
  } else {
    row.changed = back.changed === null ? null : !back.changed
    row.error = { ...errorSummary(back.error), message: `rollback failed: ${back.error.message}` }
  }
  return row
}

/** Each Region's use probe after the change, one line each. */
function probeLines(report: RegionsUpdateReport, style: ChalkInstance): string {
  return report.regions
    .map((r) => (r.probe?.after ? renderProbeLine(r.probe, style) : null))
    .map((line, i) => (line ? `${report.regions[i]?.region}: ${line}\n` : ''))
    .join('')
}
