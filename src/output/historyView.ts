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

/** Tab-separated, no header: id, time, action, alias, previous key, new key, verified, region, by (last, so older scripts' columns hold). */
export function renderHistoryText(entries: readonly JournalEntry[]): string {
  return entries
    .map((e) => `${[e.id, e.time, e.action, subject(e), before(e), after(e), String(e.verified), e.region, madeBy(e)].join('\t')}\n`)
    .join('')
}

export function renderHistoryTable(entries: readonly JournalEntry[], style: ChalkInstance, width?: number): string {
  const rows = entries.map((e) => {
    const verified = e.certain ? (e.verified ? style.green('yes') : style.yellow('no')) : style.red('unknown')
    const by = madeBy(e)
    return [e.id, e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.action, subject(e), before(e), after(e), verified, by]
  })
  const head = ['id', 'time', 'action', 'alias', 'previous key', 'new key', 'verified', 'by']
  return `${renderTable(style, { head, rows, fit: ['keep', 'wrap', 'keep', 'id', 'id', 'id', 'keep', 'wrap'], min: [undefined, 10], optional: [7] }, width)}\n`
}
