import type { ChalkInstance } from 'chalk'
import { newTable, renderTable, type Fit } from './table.js'

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

export function renderListTable(rows: readonly AliasRow[], style: ChalkInstance, width?: number): string {
  const withDates = rows.some((r) => r.lastUpdated)
  const body = rows.map((r) => {
    const state = r.keyState === 'Enabled' ? style.green(r.keyState) : r.keyState ? style.yellow(r.keyState) : ''
    return [r.alias, r.targetKeyId ?? '', r.keySpec ?? '', r.keyUsage ?? '', state, r.keyManager ?? '', ...(withDates ? [r.lastUpdated ?? ''] : [])]
  })
  const head = ['alias', 'target key', 'spec', 'usage', 'state', 'manager', ...(withDates ? ['last updated'] : [])]
  const fit: Fit[] = ['wrap', 'middle', 'wrap', 'wrap', 'keep', 'keep', ...(withDates ? (['wrap'] as const) : [])]
  return `${renderTable(style, { head, rows: body, fit }, width)}\n`
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

export function renderRegionalListTable(rows: readonly RegionalAliasRow[], style: ChalkInstance): string {
  const withDates = rows.some((r) => r.lastUpdated)
  const table = newTable(style, ['alias', 'region', 'target key', 'spec', 'usage', 'state', 'manager', ...(withDates ? ['last updated'] : []), 'skew'])
  for (const r of rows) {
    const state = r.keyState === 'Enabled' ? style.green(r.keyState) : r.keyState ? style.yellow(r.keyState) : ''
    table.push([
      r.alias,
      r.region,
      r.targetKeyId ?? '',
      r.keySpec ?? '',
      r.keyUsage ?? '',
      state,
      r.keyManager ?? '',
      ...(withDates ? [r.lastUpdated ?? ''] : []),
      r.skew ? style.yellow('skew') : '',
    ])
  }
  return `${table.toString()}\n`
}
