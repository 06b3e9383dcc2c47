import type { ChalkInstance } from 'chalk'
import CliTable3 from 'cli-table3'

// Only the command modules (each loaded on demand) import this file, so --help never loads
// cli-table3; a static import lets the bundler put it in their chunks.

/** A table in the house style: bold headers, no rule between body rows, colours only from our own chalk. */
export function newTable(style: ChalkInstance, head?: readonly string[], options: Partial<CliTable3.TableConstructorOptions> = {}): CliTable3.Table {
  return new CliTable3({
    ...(head ? { head: head.map((h) => style.bold(h)) } : {}),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    ...options,
  })
}

/**
 * How a column gives up width on a narrow terminal: `keep` never does (short values: states,
 * verdicts); `middle` shortens values in the middle (key IDs: both ends identify them); `wrap`
 * breaks values over lines (names, messages, ARNs), at spaces, then after `_ - / :`.
 */
export type Fit = 'keep' | 'middle' | 'wrap'

export interface TableSpec {
  /** Plain header texts (bolded here). */
  head?: readonly string[]
  rows: ReadonlyArray<readonly string[]>
  fit: readonly Fit[]
  /** Per column, the narrowest it may get (default: 9 for `middle`, 8 for `wrap`). */
  min?: ReadonlyArray<number | undefined>
}

// `1234…90ab` still tells keys apart by both ends; 8 columns hold a word of most messages.
const MIN_WIDTH: Record<Exclude<Fit, 'keep'>, number> = { middle: 9, wrap: 8 }
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

const visible = (text: string) => text.replace(ANSI, '')
const widthOf = (text: string) => Math.max(0, ...visible(text).split('\n').map((l) => l.length))

/**
 * Renders the table no wider than `width` columns when it can: first with its borders, shrinking
 * the widest column that may shrink; if even that does not fit, without borders (columns two
 * spaces apart). Without a width (not a terminal) the table is as wide as its content.
 */
export function renderTable(style: ChalkInstance, spec: TableSpec, width?: number): string {
  const cells = [...(spec.head ? [spec.head] : []), ...spec.rows]
  const natural = spec.fit.map((_, i) => Math.max(1, ...cells.map((row) => widthOf(row[i] ?? ''))))
  const mins = natural.map((n, i) => {
    const fit = spec.fit[i] ?? 'keep'
    return fit === 'keep' ? n : Math.min(n, spec.min?.[i] ?? MIN_WIDTH[fit])
  })
  const boxed = width === undefined ? natural : shrink(natural, mins, width, 2, spec.fit.length + 1)
  if (boxed) return draw(style, spec, boxed, width !== undefined && boxed.some((w, i) => w !== natural[i]), false)
  const compact = shrink(natural, mins, width ?? Infinity, 0, 2 * (spec.fit.length - 1))
  // Past the minimums nothing fits: the narrowest borderless layout, wider than the terminal.
  return draw(style, spec, compact ?? mins, true, true)
}

/** Column widths (content only) whose total fits, taking from the widest first; undefined if none. */
function shrink(natural: readonly number[], mins: readonly number[], width: number, padding: number, overhead: number): number[] | undefined {
  const widths = [...natural]
  let total = widths.reduce((sum, w) => sum + w + padding, overhead)
  while (total > width) {
    let pick = -1
    for (let i = 0; i < widths.length; i++) {
      if ((widths[i] ?? 0) > (mins[i] ?? 0) && (pick < 0 || (widths[i] ?? 0) > (widths[pick] ?? 0))) pick = i
    }
    if (pick < 0) return undefined
    widths[pick] = (widths[pick] ?? 0) - 1
    total -= 1
  }
  return widths
}

function draw(style: ChalkInstance, spec: TableSpec, widths: readonly number[], fitted: boolean, compact: boolean): string {
  const cell = (text: string, i: number) => (fitted ? fitCell(text, spec.fit[i] ?? 'keep', widths[i] ?? 1) : text)
  // A header is words: it wraps, even over a column whose values are shortened in the middle.
  const headCell = (text: string, i: number) => (fitted ? fitCell(text, spec.fit[i] === 'keep' ? 'keep' : 'wrap', widths[i] ?? 1) : text)
  const head = spec.head?.map((h, i) => headCell(h, i).split('\n').map((line) => style.bold(line)).join('\n'))
  const options: Partial<CliTable3.TableConstructorOptions> = {
    ...(head ? { head } : {}),
    ...(fitted ? { colWidths: widths.map((w) => w + (compact ? 0 : 2)) } : {}),
    ...(compact ? { chars: BORDERLESS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } } : {}),
  }
  const table = newTable(style, undefined, options)
  for (const row of spec.rows) table.push(row.map((text, i) => cell(text, i)))
  const text = table.toString()
  return compact ? text.split('\n').map((line) => line.trimEnd()).join('\n') : text
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
}

/** A cell no wider than `width`; coloured cells are short and left to cli-table3. */
function fitCell(text: string, fit: Fit, width: number): string {
  if (fit === 'keep' || text !== visible(text) || widthOf(text) <= width) return text
  if (fit === 'middle') return text.split('\n').map((line) => shortenMiddle(line, width)).join('\n')
  return text.split('\n').flatMap((line) => wrapLine(line, width)).join('\n')
}

/** `1234abcd-12ab-34cd-56ef-1234567890ab` in 9 columns: `1234…90ab`. */
export function shortenMiddle(text: string, width: number): string {
  if (text.length <= width) return text
  const head = Math.ceil((width - 1) / 2)
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`
}

/** Breaks a line at spaces; a word longer than the width after its last `_ - / :` that fits. */
export function wrapLine(line: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of line.split(' ')) {
    const joined = current === '' ? word : `${current} ${word}`
    if (joined.length <= width) {
      current = joined
      continue
    }
    if (current !== '') lines.push(current)
    let rest = word
    while (rest.length > width) {
      const cut = Math.max(...['_', '-', '/', ':'].map((c) => rest.lastIndexOf(c, width - 1)))
      const at = cut > 0 ? cut + 1 : width
      lines.push(rest.slice(0, at))
      rest = rest.slice(at)
    }
    current = rest
  }
  if (current !== '' || lines.length === 0) lines.push(current)
  return lines
}
