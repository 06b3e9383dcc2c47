import type { ChalkInstance } from 'chalk'
import CliTable3 from 'cli-table3'

// Only the command modules (each loaded on demand) import this file, so --help never loads
// cli-table3; a static import lets the bundler put it in their chunks.

/** A table in the house style: bold headers, no rule between body rows, colours only from our own chalk. */
export function newTable(style: ChalkInstance, head?: readonly string[]): CliTable3.Table {
  return new CliTable3({
    ...(head ? { head: head.map((h) => style.bold(h)) } : {}),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  })
}
