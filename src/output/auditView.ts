// The views of `kms-alias audit`: JSON (every finding with its partition), tab-separated text, a
// table grouped by level, the summary line, and the apply file --fix-plan writes.
import type { ChalkInstance } from 'chalk'
import type { AuditFinding, AuditLevel, FailOn } from '../preflight/audit.js'
import { renderTable, type Fit } from './table.js'

export interface AuditPartition {
  account: string | null
  region: string
  readable: boolean
  aliases: number
  keys: number
}

export interface AuditSummary {
  partitions: number
  unreadable: number
  aliases: number
  keys: number
  findings: Record<AuditLevel, number>
}

export interface AuditReport {
  partitions: AuditPartition[]
  findings: AuditFinding[]
  summary: AuditSummary
  failOn: FailOn
  /** --fix-plan: where the apply file went, how many entries it holds, and the apply --dry-run to review it with. */
  fixPlan: { file: string; entries: number; review: string } | null
  exitCode: number
}

/** One entry of the apply file (src/engine/applyFile.ts reads this shape). */
export interface FixPlanEntry {
  alias: string
  to: string
  region: string
  account?: string
}

export function summaryOf(partitions: readonly AuditPartition[], findings: readonly AuditFinding[]): AuditSummary {
  const count = (level: AuditLevel) => findings.filter((f) => f.level === level).length
  return {
    partitions: partitions.length,
    unreadable: partitions.filter((p) => !p.readable).length,
    aliases: partitions.reduce((n, p) => n + p.aliases, 0),
    keys: partitions.reduce((n, p) => n + p.keys, 0),
    findings: { error: count('error'), warn: count('warn'), info: count('info') },
  }
}

export const renderAuditJson = (report: AuditReport): string => `${JSON.stringify(report, null, 2)}\n`

/** Tab-separated, no header: level, code, account, Region, alias, key, message ('-' for none). */
export function renderAuditText(findings: readonly AuditFinding[]): string {
  return findings.map((f) => `${[f.level, f.code, f.account, f.region, f.alias, f.keyId, f.message].map((v) => v ?? '-').join('\t')}\n`).join('')
}

const HEADINGS: Record<AuditLevel, string> = { error: 'Errors', warn: 'Warnings', info: 'Info' }

/** One table per level, errors first; the account column only when several accounts were read. */
export function renderAuditTable(report: AuditReport, style: ChalkInstance, width?: number): string {
  const accounts = new Set(report.partitions.map((p) => p.account)).size > 1
  const paint: Record<AuditLevel, (t: string) => string> = { error: (t) => style.red(t), warn: (t) => style.yellow(t), info: (t) => style.dim(t) }
  const blocks: string[] = []
  for (const level of ['error', 'warn', 'info'] as const) {
    const findings = report.findings.filter((f) => f.level === level)
    if (findings.length === 0) continue
    const head = ['code', 'alias', ...(accounts ? ['account'] : []), 'region', 'key', 'detail']
    const fit: Fit[] = ['keep', 'id', ...(accounts ? (['keep'] as const) : []), 'keep', 'id', 'wrap']
    const rows = findings.map((f) => [
      { text: f.code, paint: paint[level] },
      f.alias ?? '',
      ...(accounts ? [f.account ?? ''] : []),
      f.region,
      f.keyId ?? '',
      { text: f.message, fit: 'wrap' as const },
    ])
    blocks.push(`${style.bold(`${HEADINGS[level]} (${findings.length})`)}\n${renderTable(style, { head, rows, fit, min: [], optional: [accounts ? 5 : 4] }, width)}\n`)
  }
  return blocks.join('\n')
}

/** "4 partitions (1 unreadable), 2000 aliases, 400 keys: 1 error, 3 warnings, 0 info". */
export function renderAuditSummary(summary: AuditSummary): string {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
  const unreadable = summary.unreadable > 0 ? ` (${summary.unreadable} unreadable)` : ''
  return (
    `Audited ${plural(summary.partitions, 'partition')}${unreadable}, ${plural(summary.aliases, 'alias', 'aliases')}, ${plural(summary.keys, 'key')}: ` +
    `${plural(summary.findings.error, 'error')}, ${plural(summary.findings.warn, 'warning')}, ${summary.findings.info} info`
  )
}

/**
 * The apply file of what audit can fix mechanically: each missing replica alias, created on the
 * replica of the same multi-Region key (it has the same key ID in every Region). The account
 * column only when several accounts were read: apply then assumes --role-name there.
 */
export function fixPlanEntries(findings: readonly AuditFinding[], withAccounts: boolean): FixPlanEntry[] {
  return findings
    .filter((f) => f.code === 'ALIAS_MISSING_IN_REPLICA_REGION' && f.alias !== null && f.keyId !== null)
    .map((f) => ({
      alias: f.alias as string,
      to: f.keyId as string,
      region: f.region,
      ...(withAccounts && f.account !== null ? { account: f.account } : {}),
    }))
}

export const renderFixPlan = (entries: readonly FixPlanEntry[]): string => `${JSON.stringify(entries, null, 2)}\n`
