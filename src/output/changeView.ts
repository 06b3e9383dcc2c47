import type { RotationReport } from './rotateView.js'
import type { ChalkInstance } from 'chalk'
import type { Finding, FindingCode, Severity } from '../preflight/rules.js'
import type { ErrorSummary } from './ui.js'
import type { KeyView } from './keyView.js'
import { renderTable } from './table.js'
import { renderProbeLine, type ProbeReport } from './probeView.js'

export type ChangeAction = 'update' | 'create' | 'delete' | 'rotate'

export type ChangeOutcome =
  | 'updated'
  | 'created'
  | 'deleted'
  | 'rotated'
  | 'already-in-place'
  | 'would-update'
  | 'would-create'
  | 'would-delete'
  | 'would-rotate'
  | 'refused'
  | 'conflict'
  | 'declined'
  | 'not-confirmed'
  /** Made and confirmed, then put back by itself because using the alias failed (exit 9). */
  | 'rolled-back'
  | 'failed'

/**
 * Everything update, create or delete knows at the end of a run; rendered as JSON, text or the
 * human view. `previous` is null for create, `target` for delete.
 */
export interface AliasChangeReport {
  action: ChangeAction
  alias: string
  region: string | null
  outcome: ChangeOutcome
  dryRun: boolean
  /** null: unknown (a failure left no way to tell). */
  changed: boolean | null
  verified: boolean
  previous: KeyView | null
  target: KeyView | null
  findings: Finding[]
  undo: string | null
  /** The journal entry of this change, for `kms-alias undo <id>`; null when nothing was journaled. */
  journalId: string | null
  /** The use probe before and after the change (probeView.ts); null: --no-probe, or nothing to probe (create, delete). */
  probe: ProbeReport | null
  error: ErrorSummary | null
  exitCode: number
  /** rotate only: the key it plans, made or left unused (rendered by rotateView.ts). */
  rotation?: RotationReport
}

/** How a change report is shown; rotate has its own (rotateView.ts). */
export interface ChangeView {
  /** The human plan, printed before any prompt; `width` is the terminal's, for tables that fit it. */
  plan(report: AliasChangeReport, style: ChalkInstance, width?: number): string
  json(report: AliasChangeReport): string
  text(report: AliasChangeReport): string
  /** The closing line(s) of the human view for a run that did what was asked. */
  success(report: AliasChangeReport, style: ChalkInstance): string
  /** Where things stand after a failed run, in words. */
  state(report: AliasChangeReport): string
}

export function renderChangeJson(report: AliasChangeReport): string {
  const { action, alias, region, outcome, dryRun, changed, verified, previous, target, findings, undo, journalId, probe, error, exitCode } = report
  return `${JSON.stringify({ action, alias, region, outcome, dryRun, changed, verified, previous, target, findings, undo, journalId, probe, error, exitCode }, null, 2)}\n`
}

/** One tab-separated line: outcome, alias, previous key, new key, changed, verified (the probe speaks through its findings and the error). */
export function renderChangeText(report: AliasChangeReport): string {
  const changed = report.changed === null ? 'unknown' : String(report.changed)
  const fields = [report.outcome, report.alias, report.previous?.keyId ?? '-', report.target?.keyId ?? '-', changed, String(report.verified)]
  return `${fields.join('\t')}\n`
}

export const ROWS: ReadonlyArray<{ label: string; value: (k: KeyView) => string; codes: readonly FindingCode[] }> = [
  { label: 'key ID', value: (k) => k.keyId, codes: ['ALREADY_TARGET', 'PREVIOUS_KEY_ORPHANED', 'ALIAS_QUOTA_NEAR'] },
  { label: 'key spec', value: (k) => k.keySpec ?? '-', codes: ['KEY_CLASS_MISMATCH', 'KEY_SPEC_MISMATCH', 'ALGORITHMS_DROPPED'] },
  { label: 'key usage', value: (k) => k.keyUsage ?? '(not reported)', codes: ['KEY_USAGE_MISMATCH', 'KEY_USAGE_UNKNOWN'] },
  { label: 'key state', value: (k) => k.keyState ?? '-', codes: ['TARGET_PENDING_DELETION', 'TARGET_NOT_ENABLED'] },
  { label: 'key manager', value: (k) => k.keyManager ?? '-', codes: ['TARGET_AWS_MANAGED'] },
  { label: 'origin', value: (k) => k.origin ?? '-', codes: ['ORIGIN_DIFFERS', 'KEY_MATERIAL_EXPIRES'] },
  { label: 'multi-Region', value: (k) => (k.multiRegion ? 'yes' : 'no'), codes: ['MULTI_REGION_DIFFERS'] },
  { label: 'account', value: (k) => arnPart(k.arn, 4), codes: ['TARGET_OTHER_ACCOUNT', 'ALIAS_OTHER_ACCOUNT'] },
  { label: 'Region', value: (k) => arnPart(k.arn, 3), codes: ['TARGET_OTHER_REGION', 'ALIAS_OTHER_REGION'] },
  // The access preflight reads more than KeyView holds: its row carries the verdict, the findings say why.
  {
    label: 'access',
    value: () => 'see findings',
    codes: [
      'ACCESS_NARROWED',
      'ACCESS_CONDITIONS_DIFFER',
      'GRANTS_MISSING',
      'ALIAS_IN_POLICY',
      'TAGS_DIFFER',
      'ROTATION_DIFFERS',
      'OLD_ARTIFACTS_NEED_OLD_KEY',
      'ACCESS_UNCHECKED',
      'KEY_ARN_PINNED',
    ],
  },
]

const arnPart = (arn: string, index: number) => arn.split(':')[index] || '-'

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, block: 2 }

export function worst(findings: readonly Finding[]): Severity | undefined {
  return findings.reduce<Severity | undefined>((acc, f) => (acc === undefined || SEVERITY_RANK[f.severity] > SEVERITY_RANK[acc] ? f.severity : acc), undefined)
}

export function verdict(style: ChalkInstance, severity: Severity | undefined): string {
  if (severity === 'block') return style.red('✗ blocked')
  if (severity === 'warn') return style.yellow('! warning')
  return style.green('✓ ok')
}

export function severityMark(style: ChalkInstance, severity: Severity): string {
  if (severity === 'block') return style.red('✗ block')
  if (severity === 'warn') return style.yellow('! warn ')
  return style.cyan('i info ')
}

/** The human plan: the keys side by side with a verdict per row, then the findings. */
export function renderChangePlan(report: AliasChangeReport, style: ChalkInstance, width?: number): string {
  const lines: string[] = []
  const where = report.region ? ` in ${report.region}` : ''
  lines.push(style.bold(`${report.dryRun ? 'Dry run: ' : ''}${report.action} ${report.alias}${where}`))
  const columns = [
    ...(report.previous ? [{ head: 'current target', key: report.previous }] : []),
    ...(report.target ? [{ head: report.action === 'create' ? 'target' : 'new target', key: report.target }] : []),
  ]
  if (columns.length > 0) {
    const rows = ROWS.filter((r) => r.label !== 'access' || report.action === 'update').map((row) => {
      const findings = report.findings.filter((f) => row.codes.includes(f.code))
      return [row.label, ...columns.map((c) => row.value(c.key)), verdict(style, worst(findings))]
    })
    const head = ['field', ...columns.map((c) => c.head), 'verdict']
    lines.push(renderTable(style, { head, rows, fit: ['keep', ...columns.map(() => 'id' as const), 'keep'] }, width))
  }
  lines.push(...renderFindings(report.findings, style, report.action))
  return `${lines.join('\n')}\n`
}

// What an empty list of findings means depends on the change: only an update has a "new key" that
// replaces another.
const NO_FINDINGS: Record<ChangeAction, string> = {
  update: 'No findings: the new key is a like-for-like replacement.',
  create: 'No findings: the key can be the target of the alias.',
  delete: 'No findings: other aliases still point to the key.',
  rotate: 'No findings: the new key is a like-for-like replacement.',
}

export function renderFindings(findings: readonly Finding[], style: ChalkInstance, action: ChangeAction): string[] {
  if (findings.length === 0) return [style.green(NO_FINDINGS[action])]
  return findings.map((f) => renderFinding(f, style))
}

export function renderFinding(f: Finding, style: ChalkInstance): string {
  return `${severityMark(style, f.severity)} ${style.bold(f.code)} ${f.message}`
}

/** The closing line(s) of the human view for a run that did what was asked. */
export function renderChangeSuccess(report: AliasChangeReport, style: ChalkInstance): string {
  const probe = renderProbeLine(report.probe, style)
  const line = changeSuccessLine(report, style)
  return probe && report.probe?.after !== null ? `${line}${probe}\n` : line
}

function changeSuccessLine(report: AliasChangeReport, style: ChalkInstance): string {
  const { alias } = report
  const from = report.previous?.keyId ?? '?'
  const to = report.target?.keyId ?? '?'
  const ok = style.green('✓')
  const how = report.verified ? 'confirmed with ListAliases' : 'not verified (--no-verify)'
  switch (report.outcome) {
    case 'already-in-place':
      return `${ok} ${alias} already points to ${to}; nothing to change.\n`
    case 'would-update':
      return `Would update ${alias}: ${from} → ${to}. Nothing was changed (dry run).\n`
    case 'would-create':
      return `Would create ${alias} → ${to}. Nothing was changed (dry run).\n`
    case 'would-delete':
      return `Would delete ${alias} (now → ${from}). Nothing was changed (dry run).\n`
    case 'created':
      return `${ok} Created ${alias} → ${to} (${how}).\nUndo: ${report.undo}\n`
    case 'deleted':
      return `${ok} Deleted ${alias} (was → ${from}; ${how}).\nRecreate it with: ${report.undo}\n`
    default:
      return `${ok} Updated ${alias}: ${from} → ${to} (${how}).\nUndo: ${report.undo}\n`
  }
}

/** Where the alias stands after a failed run, in words. */
export function describeAliasState(report: AliasChangeReport): string {
  const { alias } = report
  const used = `${alias} was changed to ${report.target?.keyId ?? '?'} and confirmed, but using it failed`
  if (report.outcome === 'rolled-back')
    return report.probe?.rollback === 'not-confirmed'
      ? `${used}: it was rolled back to ${report.previous?.keyId ?? '?'}, not confirmed by ListAliases; check it with kms-alias describe.`
      : `${used}: it was rolled back and points to ${report.previous?.keyId ?? '?'} again.`
  // The rollback after a failed use did not go out: the alias is where the change put it.
  if (report.probe?.after === 'failed' && (report.probe.rollback === 'failed' || report.probe.rollback === 'unknown'))
    return `${used}; ${report.probe.rollback === 'failed' ? 'the rollback failed' : 'it could not be told whether the rollback went through'}: ${alias} ${report.probe.rollback === 'failed' ? 'points' : 'may still point'} to the new key ${report.target?.keyId ?? '?'}.${report.undo ? ` Undo: ${report.undo}` : ''}`
  if (report.changed && report.probe?.after === 'interrupted') {
    const error = report.probe.callers.find((c) => c.after?.error)?.after?.error
    const last = error ? ` (last: ${error.code}: ${error.message})` : ''
    return `${alias} was changed to ${report.target?.keyId ?? '?'} and confirmed; the use probe was interrupted${last}; ${alias} points to the new key, its use not verified.${report.undo ? ` Undo: ${report.undo}` : ''}`
  }
  if (report.changed === null) return `Whether ${alias} changed is unknown; check it before retrying.`
  if (report.changed) {
    const now = report.action === 'delete' ? `${alias} was deleted.` : `${alias} was changed to ${report.target?.keyId ?? '?'}.`
    return `${now}${report.undo ? ` Undo: ${report.undo}` : ''}`
  }
  if (report.previous) return `${alias} was not changed; it still points to ${report.previous.keyId}.`
  return report.action === 'create' ? `${alias} was not created.` : `${alias} was not changed.`
}

export const changeView: ChangeView = {
  plan: renderChangePlan,
  json: renderChangeJson,
  text: renderChangeText,
  success: renderChangeSuccess,
  state: describeAliasState,
}
