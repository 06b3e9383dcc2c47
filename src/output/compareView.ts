import type { ChalkInstance } from 'chalk'
import type { GrantInfo, KeyInfo } from '../kms/port.js'
import type { KeyAccess } from '../preflight/access.js'
import { isServiceGrant } from '../preflight/access.js'
import { normalizePolicy, principalsOf, summarizeActions } from '../preflight/policy.js'
import type { Finding } from '../preflight/rules.js'
import { effectiveKeyUsage } from '../kms/facts.js'
import { parseArn } from '../kms/identifiers.js'
import { renderFindings } from './changeView.js'
import { toKeyDetails, type KeyDetails } from './showView.js'
import { renderTable, type Cell, type Fit } from './table.js'

/** One key as compare shows it; null fields could not be read (or, for rotation, do not apply). */
export interface CompareSide extends KeyDetails {
  aliases: string[]
  rotation: boolean | null
  tags: Record<string, string> | null
  /** Principals the key policy allows, with their actions. */
  policy: Array<{ principal: string; actions: string[]; conditional: boolean }> | null
  grants: Array<GrantInfo & { awsService: boolean }> | null
}

/** What `compare` prints; field names are part of the JSON contract. */
export interface CompareReport {
  region: string
  /** The alias given as <current>, or null when it was a key. */
  alias: string | null
  current: CompareSide
  new: CompareSide
  findings: Finding[]
  /** Whether `update` would make this change (no blocking finding). */
  allowed: boolean
  exitCode: number
}

export function toCompareSide(key: KeyInfo, aliases: string[], access: KeyAccess): CompareSide {
  let policy: CompareSide['policy'] = null
  if (access.policy.ok) {
    try {
      policy = principalsOf(normalizePolicy(access.policy.value, parseArn(key.arn)?.partition))
    } catch {
      policy = null
    }
  }
  return {
    ...toKeyDetails(key),
    aliases: [...aliases].sort(),
    rotation: access.rotation?.ok ? access.rotation.value : null,
    tags: access.tags.ok ? access.tags.value : null,
    policy,
    grants: access.grants.ok ? access.grants.value.map((g) => ({ ...g, awsService: isServiceGrant(g) })) : null,
  }
}

export const renderCompareJson = (report: CompareReport): string => `${JSON.stringify(report, null, 2)}\n`

interface Row {
  field: string
  current: string[]
  next: string[]
  /** null: always different (IDs), so not marked. */
  differs: boolean | null
}

const NOT_READ = ['(not read)']

function inferredUsage(s: CompareSide): string | undefined {
  const usage = effectiveKeyUsage(s.keySpec ?? undefined, undefined)
  // Short enough for a narrow terminal's column; the text and JSON views say the same.
  return usage === undefined ? undefined : `${usage} (inferred)`
}
const orDash = (values: string[]) => (values.length > 0 ? values : ['-'])

function rows(r: CompareReport): Row[] {
  const a = r.current
  const b = r.new
  /** `compared`: what decides "differs" when it is not the shown text (IDs are never compared). */
  const row = (field: string, value: (s: CompareSide) => string[], compared: ((s: CompareSide) => string) | false = (s) => value(s).join('\n')): Row => {
    const current = value(a)
    const next = value(b)
    return { field, current, next, differs: compared === false ? null : compared(a) !== compared(b) }
  }
  const one = (value: (s: CompareSide) => string | null | undefined) => (s: CompareSide) => [value(s) ?? '-']
  const out: Row[] = [
    row(
      'key ID',
      one((s) => s.keyId),
      false,
    ),
    row('aliases', (s) => orDash(s.aliases), false),
    row(
      'key spec',
      one((s) => s.keySpec),
    ),
    // A key that does not report its usage (moto, unless CreateKey passed one) has the only usage
    // its spec allows, when there is only one: that is the same usage, not a difference.
    row(
      'key usage',
      one((s) => s.keyUsage ?? inferredUsage(s) ?? '(not reported)'),
      (s) => effectiveKeyUsage(s.keySpec ?? undefined, s.keyUsage ?? undefined) ?? '(not reported)',
    ),
    row(
      'key state',
      one((s) => s.keyState),
    ),
    row(
      'key manager',
      one((s) => s.keyManager),
    ),
    row(
      'origin',
      one((s) => s.origin),
    ),
    row(
      'multi-Region',
      one((s) => (s.multiRegion ? 'yes' : 'no')),
    ),
    row(
      'account',
      one((s) => s.accountId),
    ),
    row(
      'Region',
      one((s) => parseArn(s.arn)?.region),
    ),
    row(
      'rotation',
      one((s) => (s.rotation === null ? (s.keySpec === 'SYMMETRIC_DEFAULT' ? '(not read)' : '(not applicable)') : s.rotation ? 'yearly' : 'off')),
    ),
    row('algorithms', (s) => orDash([...s.encryptionAlgorithms, ...s.signingAlgorithms, ...s.macAlgorithms, ...s.keyAgreementAlgorithms])),
    row('tags', (s) =>
      s.tags === null
        ? NOT_READ
        : orDash(
            Object.entries(s.tags)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, v]) => `${k}=${v}`),
          ),
    ),
  ]
  if (a.policy === null || b.policy === null) out.push(row('key policy', (s) => (s.policy === null ? NOT_READ : [`${s.policy.length} principals`])))
  const principals = [...new Set([...(a.policy ?? []), ...(b.policy ?? [])].map((p) => p.principal))].sort()
  for (const principal of principals) {
    out.push(
      row(`policy: ${principal}`, (s) => {
        if (s.policy === null) return NOT_READ
        const entry = s.policy.find((p) => p.principal === principal)
        if (!entry) return ['-']
        const actions = summarizeActions(entry.actions) === entry.actions.join(', ') ? entry.actions : ['kms:*']
        return entry.conditional ? [...actions, '(with conditions)'] : actions
      }),
    )
  }
  out.push(
    row('grants', (s) =>
      s.grants === null
        ? NOT_READ
        : orDash(s.grants.map((g) => `${g.granteePrincipal ?? '?'}: ${g.operations.join(',')}${g.awsService ? ' (AWS service)' : ''}`)),
    ),
  )
  return out
}

/** One tab-separated line per field: field, current, new, same|differs (lists comma-separated). */
export function renderCompareText(r: CompareReport): string {
  return rows(r)
    .map((row) => `${[row.field, row.current.join(','), row.next.join(','), row.differs === null ? '-' : row.differs ? 'differs' : 'same'].join('\t')}\n`)
    .join('')
}

// Fields that hold words, not identifiers: they wrap like text on a narrow terminal.
const TEXT_FIELDS = new Set(['tags', 'grants'])

/**
 * The keys side by side, differences marked (≠) and coloured, then the findings and the verdict.
 * On a narrow terminal key IDs and enum values stay whole; names and ARNs break after `/` and `:`.
 */
export function renderCompareTable(r: CompareReport, style: ChalkInstance, width?: number): string {
  const head = ['field', r.alias ? `current (${r.alias})` : 'current', 'new', '']
  const body = rows(r).map((row): Cell[] => {
    const paint = row.differs ? { paint: (line: string) => style.yellow(line) } : {}
    const fit: Fit = TEXT_FIELDS.has(row.field) ? 'wrap' : 'id'
    const value = (values: string[]): Cell => ({ text: values.join('\n'), fit, ...paint })
    return [{ text: row.field, ...paint }, value(row.current), value(row.next), row.differs ? style.yellow('≠') : '']
  })
  const table = renderTable(style, { head, rows: body, fit: ['id', 'id', 'id', 'keep'] }, width)
  const blocking = r.findings.filter((f) => f.severity === 'block').map((f) => f.code)
  const verdict = r.allowed
    ? style.green(`✓ update would point ${r.alias ?? 'an alias'} from ${r.current.keyId} to ${r.new.keyId}`)
    : style.red(`✗ update would refuse this change: ${blocking.join(', ')}`)
  return `${[table, ...renderFindings(r.findings, style, 'update'), verdict].join('\n')}\n`
}
