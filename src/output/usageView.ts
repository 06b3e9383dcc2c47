import type { ChalkInstance } from 'chalk'
import type { KeyInfo } from '../kms/port.js'
import type { ErrorSummary } from './ui.js'
import { renderTable } from './table.js'

/** GetKeyLastUsage in one Region, in words and as data. */
export interface LastUseView {
  region: string
  answer: 'used' | 'never-used' | 'unknown' | null
  operation: string | null
  at: string | null
  cloudTrailEventId: string | null
  trackingStart: string | null
  text: string
  /** The read failed (then answer is null). */
  error: string | null
}

export interface CallerView {
  principal: string
  via: string[]
  operations: string[]
  count: number
  firstSeen: string
  lastSeen: string
  named: string[]
  failures: Record<string, number>
}

/** What `usage` prints; field names are part of the JSON contract. */
export interface UsageReport {
  key: { keyId: string; arn: string; region: string; keyState: string | null; keyManager: string | null; creationDate: string | null } | null
  window: { since: string; until: string; days: number } | null
  lastUse: LastUseView[]
  callers: CallerView[]
  events: { region: string; read: number; pages: number; truncated: boolean; maxEvents: number; error: string | null }[]
  aliases: { region: string; name: string }[]
  grants: { grantId: string; granteePrincipal: string | null; operations: string[] }[] | null
  verdict: 'in-use' | 'idle' | 'unknown' | null
  reasons: string[]
  error: ErrorSummary | null
  exitCode: number
}

export const renderUsageJson = (report: UsageReport): string => `${JSON.stringify(report, null, 2)}\n`

const failures = (c: CallerView) =>
  Object.entries(c.failures)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')

/**
 * Tab-separated, no header: a `verdict` line, then a `caller` line per caller (principal, operations,
 * count, first seen, last seen, named as, failures), an `alias` line per alias, a `last-use` line per Region.
 */
export function renderUsageText(r: UsageReport): string {
  const lines: string[][] = [['verdict', r.verdict ?? '-', r.reasons.join('; ') || '-']]
  for (const u of r.lastUse) lines.push(['last-use', u.region, u.answer ?? 'error', u.at ?? '-', u.operation ?? '-'])
  for (const c of r.callers) lines.push(['caller', c.principal, c.operations.join(',') || '-', String(c.count), c.firstSeen, c.lastSeen, c.named.join(',') || '-', failures(c) || '-'])
  for (const a of r.aliases) lines.push(['alias', a.region, a.name])
  return lines.map((l) => `${l.join('\t')}\n`).join('')
}

export function renderUsageTable(r: UsageReport, style: ChalkInstance, width?: number): string {
  const verdictColour = r.verdict === 'in-use' ? style.yellow : r.verdict === 'idle' ? style.green : style.red
  const out: string[] = []
  const key = r.key
  if (key) out.push(`${style.bold(key.keyId)} (${key.region}, ${key.keyState ?? 'state unknown'}${key.keyManager === 'AWS' ? ', AWS managed' : ''})`)
  if (r.window) out.push(`CloudTrail window: ${r.window.since} to ${r.window.until} (${r.window.days} days)`)
  out.push('')
  out.push(style.bold('Last use (GetKeyLastUsage)'))
  for (const u of r.lastUse) out.push(`  ${u.region}: ${u.error ? style.red(`could not be read: ${u.error}`) : u.text}`)
  out.push('')
  const unread = r.events.filter((e) => e.error !== null)
  const where = (e: UsageReport['events'][number]) => (r.events.length > 1 ? `${e.region}: ${e.error}` : `${e.error}`)
  // "none" would contradict the read that failed: no caller was seen because none could be.
  if (r.callers.length === 0 && unread.length > 0 && unread.length === r.events.length)
    out.push(`${style.bold('Callers (CloudTrail)')}: ${style.red(`not read: ${unread.map(where).join('; ')}`)}`)
  else if (r.callers.length === 0) out.push(style.bold(`Callers (CloudTrail): none in the window${unread.length > 0 ? ' where CloudTrail was read' : ''}`))
  else {
    out.push(style.bold('Callers (CloudTrail)'))
    const rows = r.callers.map((c) => [
      c.via.length > 0 ? `${c.principal}\nvia ${c.via.join(', ')}` : c.principal,
      c.operations.join(', ') || '-',
      String(c.count),
      c.firstSeen.replace(/\.\d+Z$/, 'Z'),
      c.lastSeen.replace(/\.\d+Z$/, 'Z'),
      c.named.join(', ') || '-',
      failures(c) || '-',
    ])
    const head = ['caller', 'operations', 'calls', 'first seen', 'last seen', 'named as', 'failed']
    out.push(renderTable(style, { head, rows, fit: ['id', 'wrap', 'keep', 'keep', 'keep', 'wrap', 'wrap'], optional: [3, 6] }, width))
  }
  for (const e of r.events) {
    if (e.error && unread.length === r.events.length && r.callers.length === 0) continue
    if (e.error) out.push(style.red(`  CloudTrail in ${e.region} could not be read: ${e.error}`))
    else if (e.truncated) out.push(style.yellow(`  ${e.region}: stopped at --max-events ${e.maxEvents}; older events were not read`))
  }
  out.push('')
  out.push(`${style.bold('Aliases')}: ${r.aliases.length === 0 ? 'none' : r.aliases.map((a) => (r.lastUse.length > 1 ? `${a.name} (${a.region})` : a.name)).join(', ')}`)
  if (r.grants !== null) {
    out.push(`${style.bold('Grants')}: ${r.grants.length === 0 ? 'none' : ''}`)
    for (const g of r.grants) out.push(`  ${g.grantId}: ${g.granteePrincipal ?? '(no grantee)'} may ${g.operations.join(', ')}`)
  }
  out.push('')
  out.push(`${style.bold('Verdict')}: ${verdictColour(r.verdict ?? 'unknown')}`)
  for (const reason of r.reasons) out.push(`  - ${reason}`)
  return `${out.join('\n')}\n`
}

/** The key as usage, retire and undo of a key state report it. */
export const usageKeyView = (key: KeyInfo): NonNullable<UsageReport['key']> => ({
  keyId: key.keyId,
  arn: key.arn,
  region: key.region,
  keyState: key.keyState ?? null,
  keyManager: key.keyManager ?? null,
  creationDate: key.creationDate?.toISOString() ?? null,
})
