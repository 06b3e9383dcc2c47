import type { ChalkInstance } from 'chalk'
import type { KeyInfo } from '../kms/port.js'
import { toKeyView, type KeyView } from './keyView.js'
import { renderTable, type Cell } from './table.js'

/** What `show` prints; field names are part of the JSON contract. */
export interface AliasDetails {
  alias: string
  arn: string | null
  region: string
  targetKeyId: string | null
  lastUpdated: string | null
  key: KeyDetails | null
  /** Every other alias that points to the same key, sorted. */
  otherAliases: string[]
}

export interface KeyDetails extends KeyView {
  accountId: string
  description: string | null
  creationDate: string | null
  validTo: string | null
  encryptionAlgorithms: string[]
  signingAlgorithms: string[]
  macAlgorithms: string[]
  keyAgreementAlgorithms: string[]
}

export function toKeyDetails(key: KeyInfo): KeyDetails {
  return {
    ...toKeyView(key),
    accountId: key.accountId,
    description: key.description || null,
    creationDate: key.creationDate?.toISOString() ?? null,
    validTo: key.validTo?.toISOString() ?? null,
    encryptionAlgorithms: key.encryptionAlgorithms,
    signingAlgorithms: key.signingAlgorithms,
    macAlgorithms: key.macAlgorithms,
    keyAgreementAlgorithms: key.keyAgreementAlgorithms,
  }
}

export const renderShowJson = (details: AliasDetails): string => `${JSON.stringify(details, null, 2)}\n`

/** One tab-separated line: alias, target key, spec, usage, state, manager, other aliases (comma-separated). */
export function renderShowText(d: AliasDetails): string {
  const k = d.key
  return `${[d.alias, d.targetKeyId, k?.keySpec, k?.keyUsage, k?.keyState, k?.keyManager, d.otherAliases.join(',') || null].map((v) => v ?? '-').join('\t')}\n`
}

export function renderShowTable(d: AliasDetails, style: ChalkInstance, width?: number): string {
  const k = d.key
  const list = (values: string[]) => (values.length > 0 ? values.join('\n') : '-')
  const rows: Array<[string, Cell]> = [
    ['alias', d.alias],
    ['alias ARN', d.arn ?? '-'],
    ['last updated', d.lastUpdated ?? '-'],
    ['target key', d.targetKeyId ?? '(none)'],
  ]
  if (k) {
    rows.push(
      ['key ARN', k.arn],
      ['key spec', k.keySpec ?? '-'],
      ['key usage', k.keyUsage ?? '(not reported)'],
      ['key state', k.keyState === 'Enabled' ? style.green(k.keyState) : style.yellow(k.keyState ?? '-')],
      ['key manager', k.keyManager ?? '-'],
      ['origin', k.origin ?? '-'],
      ['multi-Region', k.multiRegion ? 'yes' : 'no'],
      ['created', k.creationDate ?? '-'],
      ['material expires', k.validTo ?? '-'],
      ['description', { text: k.description ?? '-', fit: 'wrap' }],
      ['algorithms', list([...k.encryptionAlgorithms, ...k.signingAlgorithms, ...k.macAlgorithms, ...k.keyAgreementAlgorithms])],
    )
  }
  rows.push(['other aliases', list(d.otherAliases)])
  return `${renderTable(style, { rows: rows.map(([field, value]) => [style.bold(field), value]), fit: ['keep', 'id'] }, width)}\n`
}
