// The view of `undo --run`: every revert of one run, as a table, tab-separated text or JSON, and
// each revert's row as the run engine's steps left it.
import type { Stage, Trace, RunView } from '../engine/run.js'
import { withAfter, type ProbeReport } from './probeView.js'
import { afterFindings } from '../preflight/probe.js'
import { hasBlock, type Finding } from '../preflight/rules.js'
import { newTable } from './table.js'
import { errorSummary, type ErrorSummary, type Ui } from './ui.js'

export type RevertOutcome = 'would-revert' | 'reverted' | 'conflict' | 'refused' | 'failed' | 'not-attempted'

/** One entry of the run and its revert; field names are part of the JSON contract. */
export interface Revert {
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
  /** The use probe of a revert that moves the alias to another key (probeView.ts); null: --no-probe, or none. */
  probe: ProbeReport | null
  error: ErrorSummary | null
}

export interface UndoRunReport {
  runId: string
  /** Shared by the journal lines of these reverts. */
  undoRunId: string
  dryRun: boolean
  changes: Revert[]
  error: ErrorSummary | null
  exitCode: number
}

export const undoRunView: RunView<UndoRunReport> = {
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  text: (human) =>
    human.changes
      .map(
        (c) =>
          `${[c.outcome, c.alias, c.region, c.fromKeyId ?? '-', c.toKeyId ?? '-', c.changed === null ? 'unknown' : String(c.changed), String(c.verified)].join('\t')}\n`,
      )
      .join(''),
  table: renderTable,
  notes: (human, ui) => {
    for (const c of human.changes) for (const f of c.findings) if (f.severity !== 'info') ui.warn(`${c.alias}: ${f.code} ${f.message}`)
  },
}

/** One revert as the run left it, from its plan and its steps. */
export function revertAfter(revert: Revert, stage: Stage, trace: Trace | undefined): Revert {
  if (stage === 'refused') return hasBlock(revert.findings) ? { ...revert, outcome: 'refused' } : revert
  if (stage === 'dry-run') return { ...revert, outcome: 'would-revert' }
  const write = trace?.write
  if (write === undefined) return revert
  const after: Revert = { ...revert, changed: write.changed, journalId: write.journalId, verified: trace?.check?.confirmation?.status === 'confirmed' }
  if (write.status === 'written') {
    // An undo of a run never rolls back (by design: going back is the safe direction), so a revert
    // whose use failed stays reverted and says no rollback was tried (rolledBack null).
    const probe = after.probe && withAfter(after.probe, trace?.probe, null)
    return { ...after, outcome: 'reverted', probe, findings: [...after.findings, ...afterFindings(trace?.probe, after.toKeyId ?? '')] }
  }
  return { ...after, outcome: write.status, error: errorSummary(write.error) }
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
