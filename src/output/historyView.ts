import type { ChalkInstance } from 'chalk'
import type { JournalEntry } from '../engine/journal.js'
import { renderTable } from './table.js'

/**
 * The history as JSON (the text of `JSON.stringify(entries, null, 2)`), written an entry at a time, so that a journal of any
 * length is printed without holding its entries: `entry` for each, then `end`.
 */
export function historyJsonStream(write: (text: string) => void): { entry(e: JournalEntry): void; end(): void } {
  let first = true
  return {
    entry(e) {
      write(`${first ? '[\n' : ',\n'}${JSON.stringify(e, null, 2).replace(/^/gm, '  ')}`)
      first = false
    },
    end: () => write(first ? '[]\n' : '\n]\n'),
  }
}

/** Who made an entry: its command, and for undo and rollback the entry it reverts ("undo of 3f9c01ab…"). */
const madeBy = (e: JournalEntry): string => (e.reverts ? `${e.command} of ${e.reverts}` : e.command)

// A key-state entry (retire, issue 21) names a key, not an alias, and states, not key IDs.
const subject = (e: JournalEntry): string => e.alias || (e.keyId ? `key ${e.keyId}` : '-')
const before = (e: JournalEntry): string => e.previousKeyId ?? e.previousState ?? '-'
const after = (e: JournalEntry): string => e.newKeyId ?? e.newState ?? '-'

/**
 * Who made an entry, for the table: the caller's IAM name (the ARN's resource without its type:
 * `alice`, `ci-deployer/run-42`) and the host. A team journal writes it; a local one does not.
 */
export const whoMade = (e: JournalEntry): string => {
  if (!e.by) return ''
  const resource = e.by.identity?.split(':').slice(5).join(':') ?? ''
  const name = resource.includes('/') ? resource.slice(resource.indexOf('/') + 1) : resource
  // No identity: STS did not answer the writer.
  return `${name === '' ? 'unknown' : name} on ${e.by.host}`
}

/**
 * Tab-separated, no header: id, time, action, alias, previous key, new key, verified, region, by,
 * and for an entry that says who made it, the identity (ARN, `-` when STS did not say) and the host
 * (after the rest, so that older scripts' columns hold).
 */
export function renderHistoryText(entries: readonly JournalEntry[]): string {
  return entries
    .map((e) => {
      const author = e.by ? [e.by.identity ?? '-', e.by.host] : []
      return `${[e.id, e.time, e.action, subject(e), before(e), after(e), String(e.verified), e.region, madeBy(e), ...author].join('\t')}\n`
    })
    .join('')
}

export function renderHistoryTable(entries: readonly JournalEntry[], style: ChalkInstance, width?: number): string {
  const rows = entries.map((e) => {
    const verified = e.certain ? (e.verified ? style.green('yes') : style.yellow('no')) : style.red('unknown')
    const by = madeBy(e)
    return [e.id, e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.action, subject(e), before(e), after(e), verified, by, whoMade(e) === '' ? '' : `by ${whoMade(e)}`]
  })
  // Only a journal that says who made its entries (a team one) gets the column. Where it does not
  // fit, what it says goes under the alias: who changed an alias is what a team reads history for.
  const who = entries.some((e) => e.by)
  const head = ['id', 'time', 'action', 'alias', 'previous key', 'new key', 'verified', 'by', ...(who ? ['who'] : [])]
  const fit = ['keep', 'wrap', 'keep', 'id', 'id', 'id', 'keep', 'wrap', 'wrap'] as const
  return `${renderTable(style, { head, rows: who ? rows : rows.map((row) => row.slice(0, 8)), fit: fit.slice(0, head.length), min: [undefined, 10], optional: who ? [7, 8] : [7], foldInto: { 8: 3 } }, width)}\n`
}
