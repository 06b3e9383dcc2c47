import type { ChalkInstance } from 'chalk'
import { renderTable, type Fit } from './table.js'

/** One row of `list`; field names are part of the JSON contract. */
export interface AliasRow {
  alias: string
  arn: string | null
  targetKeyId: string | null
  keySpec: string | null
  keyUsage: string | null
  keyState: string | null
  keyManager: string | null
  lastUpdated: string | null
}

export const renderListJson = (rows: readonly AliasRow[]): string => `${JSON.stringify(rows, null, 2)}\n`

/** Tab-separated, no header: alias, target key, spec, usage, state, manager. */
export function renderListText(rows: readonly AliasRow[]): string {
  return rows.map((r) => `${[r.alias, r.targetKeyId, r.keySpec, r.keyUsage, r.keyState, r.keyManager].map((v) => v ?? '-').join('\t')}\n`).join('')
}

const stateCell = (style: ChalkInstance, state: string | null) => (state === 'Enabled' ? style.green(state) : state ? style.yellow(state) : '')

/**
 * On a narrow terminal the columns that say least go first: the date, the manager (CUSTOMER for
 * every alias but alias/aws/*), the usage (its spec mostly implies it), the spec. Names, key IDs and
 * states stay, whole.
 */
export function renderListTable(rows: readonly AliasRow[], style: ChalkInstance, width?: number): string {
  const withDates = rows.some((r) => r.lastUpdated)
  const body = rows.map((r) => [r.alias, r.targetKeyId ?? '', r.keySpec ?? '', r.keyUsage ?? '', stateCell(style, r.keyState), r.keyManager ?? '', ...(withDates ? [r.lastUpdated ?? ''] : [])])
  const head = ['alias', 'target key', 'spec', 'usage', 'state', 'manager', ...(withDates ? ['last updated'] : [])]
  const fit: Fit[] = ['id', 'id', 'keep', 'keep', 'keep', 'keep', ...(withDates ? (['keep'] as const) : [])]
  return `${renderTable(style, { head, rows: body, fit, optional: [...(withDates ? [6] : []), 5, 3, 2] }, width)}\n`
}

/** One row of `list --regions`: an alias in one Region; `skew` when its Regions disagree on the key. */
export interface RegionalAliasRow extends AliasRow {
  region: string
  skew: boolean
}

export const renderRegionalListJson = (rows: readonly RegionalAliasRow[]): string => `${JSON.stringify(rows, null, 2)}\n`

/** Tab-separated, no header: alias, Region, target key, spec, usage, state, manager, skew (true/false). */
export function renderRegionalListText(rows: readonly RegionalAliasRow[]): string {
  return rows
    .map((r) => `${[r.alias, r.region, r.targetKeyId, r.keySpec, r.keyUsage, r.keyState, r.keyManager].map((v) => v ?? '-').join('\t')}\t${r.skew}\n`)
    .join('')
}

/** Fits a narrow terminal as the one-Region table does; the Region and the skew mark stay. */
export function renderRegionalListTable(rows: readonly RegionalAliasRow[], style: ChalkInstance, width?: number): string {
  const withDates = rows.some((r) => r.lastUpdated)
  const body = rows.map((r) => [
    r.alias,
    r.region,
    r.targetKeyId ?? '',
    r.keySpec ?? '',
    r.keyUsage ?? '',
    stateCell(style, r.keyState),
    r.keyManager ?? '',
    ...(withDates ? [r.lastUpdated ?? ''] : []),
    r.skew ? style.yellow('skew') : '',
  ])
  const head = ['alias', 'region', 'target key', 'spec', 'usage', 'state', 'manager', ...(withDates ? ['last updated'] : []), 'skew']
  const fit: Fit[] = ['id', 'keep', 'id', 'keep', 'keep', 'keep', 'keep', ...(withDates ? (['keep'] as const) : []), 'keep']
  return `${renderTable(style, { head, rows: body, fit, optional: [...(withDates ? [7] : []), 6, 4, 3] }, width)}\n`
}
