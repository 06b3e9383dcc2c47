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
