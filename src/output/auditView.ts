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
  /** Keys DescribeKey did not answer for: their aliases were not checked. */
  unreadableKeys: number
}

export interface AuditSummary {
  partitions: number
  unreadable: number
  aliases: number
  keys: number
  unreadableKeys: number
  findings: Record<AuditLevel, number>
}

export interface AuditReport {
  partitions: AuditPartition[]
  findings: AuditFinding[]
  summary: AuditSummary
  failOn: FailOn
  /**
   * --fix-plan: where the apply file went, how many entries it holds, the apply --dry-run to review
   * it with, and the missing aliases left out of it because several keys claim them.
   */
  fixPlan: { file: string; entries: number; review: string; notFixable: NotFixable[] } | null
  exitCode: number
}

/** One entry of the apply file (src/engine/applyFile.ts reads this shape). */
export interface FixPlanEntry {
  alias: string
  to: string
  region: string
  account?: string
}

/** A missing replica alias that keys of several multi-Region keys claim: which one it should name is a person's call. */
export interface NotFixable {
  account: string | null
  region: string
  alias: string
  keyIds: string[]
}

export function summaryOf(partitions: readonly AuditPartition[], findings: readonly AuditFinding[]): AuditSummary {
  const count = (level: AuditLevel) => findings.filter((f) => f.level === level).length
  return {
    partitions: partitions.length,
    unreadable: partitions.filter((p) => !p.readable).length,
    aliases: partitions.reduce((n, p) => n + p.aliases, 0),
    keys: partitions.reduce((n, p) => n + p.keys, 0),
    unreadableKeys: partitions.reduce((n, p) => n + p.unreadableKeys, 0),
    findings: { error: count('error'), warn: count('warn'), info: count('info') },
  }
}

export const renderAuditJson = (report: AuditReport): string => `${JSON.stringify(report, null, 2)}\n`

/** Tab-separated, no header: level, code, account, Region, alias, key, message ('-' for none). */
export function renderAuditText(findings: readonly AuditFinding[]): string {
  return findings.map((f) => `${[f.level, f.code, f.account, f.region, f.alias, f.keyId, f.message].map((v) => v ?? '-').join('\t')}\n`).join('')
}

const HEADINGS: Record<AuditLevel, string> = { error: 'Errors', warn: 'Warnings', info: 'Info' }

/**
 * One table per level, errors first; the account column only when several accounts were read. On a
 * narrow terminal the key column goes first (the detail names the key where it matters) and the
 * detail wraps: it holds what the issue asks to see, such as the deletion date and days left.
 */
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
      { text: detailOf(f), fit: 'wrap' as const },
    ])
    const keyColumn = accounts ? 4 : 3
    blocks.push(`${style.bold(`${HEADINGS[level]} (${findings.length})`)}\n${renderTable(style, { head, rows, fit, min: [], optional: [keyColumn] }, width)}\n`)
  }
  return blocks.join('\n')
}

/** The message without the alias it starts with: the alias column already shows it. */
function detailOf(finding: AuditFinding): string {
  const lead = finding.alias === null ? '' : `${finding.alias} `
  return lead !== '' && finding.message.startsWith(`${lead}points to `) ? finding.message.slice(lead.length) : finding.message
}

/** "4 partitions (1 unreadable), 2000 aliases, 400 keys (2 unreadable): 1 error, 3 warnings, 0 info". */
export function renderAuditSummary(summary: AuditSummary): string {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
  const unreadable = summary.unreadable > 0 ? ` (${summary.unreadable} unreadable)` : ''
  const unreadableKeys = summary.unreadableKeys > 0 ? ` (${summary.unreadableKeys} unreadable)` : ''
  return (
    `Audited ${plural(summary.partitions, 'partition')}${unreadable}, ${plural(summary.aliases, 'alias', 'aliases')}, ${plural(summary.keys, 'key')}${unreadableKeys}: ` +
    `${plural(summary.findings.error, 'error')}, ${plural(summary.findings.warn, 'warning')}, ${summary.findings.info} info`
  )
}

/**
 * The apply file of what audit can fix mechanically: each missing replica alias, created on the
 * replica of the same multi-Region key (it has the same key ID in every Region). The account
 * column only when several accounts were read: apply then assumes --role-name there.
 */
export function fixPlanEntries(findings: readonly AuditFinding[], withAccounts: boolean): { entries: FixPlanEntry[]; notFixable: NotFixable[] } {
  // (account, Region, alias) -> the keys whose replicas there miss it. Two keys (each named by the
  // alias in its own Region) would give two entries for one alias, which apply refuses as a whole.
  const claims = new Map<string, NotFixable>()
  for (const f of findings) {
    if (f.code !== 'ALIAS_MISSING_IN_REPLICA_REGION' || f.alias === null || f.keyId === null) continue
    const place = JSON.stringify([f.account, f.region, f.alias])
    const claim = claims.get(place)
    if (claim) {
      if (!claim.keyIds.includes(f.keyId)) claim.keyIds.push(f.keyId)
    } else claims.set(place, { account: f.account, region: f.region, alias: f.alias, keyIds: [f.keyId] })
  }
  const entries: FixPlanEntry[] = []
  const notFixable: NotFixable[] = []
  for (const claim of claims.values()) {
    if (claim.keyIds.length > 1) notFixable.push({ ...claim, keyIds: [...claim.keyIds].sort() })
    else
      entries.push({
        alias: claim.alias,
        to: claim.keyIds[0] as string,
        region: claim.region,
        ...(withAccounts && claim.account !== null ? { account: claim.account } : {}),
      })
  }
  return { entries, notFixable }
}

export const renderFixPlan = (entries: readonly FixPlanEntry[]): string => `${JSON.stringify(entries, null, 2)}\n`
