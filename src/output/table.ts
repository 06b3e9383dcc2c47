import { createRequire } from 'node:module'
import type { ChalkInstance } from 'chalk'
import type CliTable3 from 'cli-table3'

const require = createRequire(import.meta.url)

/**
 * A table in the house style: bold headers, no rule between body rows, colours only from our own
 * chalk. cli-table3 is CommonJS, so it is required on first use: --help never loads it.
 */
export function newTable(style: ChalkInstance, head?: readonly string[]): CliTable3.Table {
  const Table = require('cli-table3') as typeof CliTable3
  return new Table({
    ...(head ? { head: head.map((h) => style.bold(h)) } : {}),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  })
}
