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
 * How a cell gives up width on a narrow terminal. `keep`: never (states, verdicts, enum values such
 * as SYMMETRIC_DEFAULT). `id`: an identifier (key ID, ARN, alias name) is never shortened; only
 * when nothing else fits does it break over lines, and then only after its own separators: first
 * `/` and `:` (alias names, ARNs), as a last resort `-` (key IDs). `wrap`: words (descriptions,
 * messages) break at spaces, then after `_ - / :`, then anywhere.
 */
export type Fit = 'keep' | 'id' | 'wrap'

/**
 * A cell that gives up width otherwise than its column (a description among identifiers), or that
 * is coloured: `paint` colours each line after the text is fitted, so a coloured value can wrap.
 */
export interface FitCell {
  text: string
  fit?: Fit
  paint?: (line: string) => string
}
export type Cell = string | FitCell

export interface TableSpec {
  /** Plain header texts (bolded here); on a narrow terminal they wrap at spaces, never inside a word. */
  head?: readonly string[]
  rows: ReadonlyArray<readonly Cell[]>
  fit: readonly Fit[]
  /** Per `wrap` column, the narrowest it may get (default 8). */
  min?: ReadonlyArray<number | undefined>
  /**
   * Columns (indexes) the table may leave out when it does not fit, the first to go first. A column
   * with nothing in its body goes before any of them.
   */
  optional?: readonly number[]
  /**
   * Per optional column, the column that takes its text (as lines below its own) when it is left
   * out: what it says stays on screen, only its header goes.
   */
  foldInto?: Readonly<Record<number, number>>
}

// 8 columns hold a word of most messages.
const WRAP_MIN = 8
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

const visible = (text: string) => text.replace(ANSI, '')
const widthOf = (text: string) => Math.max(0, ...visible(text).split('\n').map((l) => l.length))
const textOf = (cell: Cell | undefined) => (cell === undefined ? '' : typeof cell === 'string' ? cell : cell.text)

/**
 * How far identifiers may break: 0 whole, 1 at spaces (`policy: arn:…`) and after `/` and `:`, 2
 * after `-` too. Whole columns are left out, and borders dropped, before an identifier breaks at all.
 */
export type Level = 0 | 1 | 2
const ID_BREAKS: Record<Level, readonly string[]> = { 0: [], 1: [' ', '/', ':'], 2: [' ', '/', ':', '-'] }

interface Layout {
  columns: number[]
  widths: number[]
  boxed: boolean
  level: Level
}

/**
 * Renders the table no wider than `width` columns when it can, giving up in this order: text
 * wraps; borders go; whole columns go (empty ones, then `optional` in its order); identifiers
 * break at spaces and after `/` and `:`; finally after `-`. Nothing is ever cut out of a value.
 * Past all that, the narrowest borderless layout, wider than the terminal. Without a width (not a
 * terminal) the table is as wide as its content.
 */
export function renderTable(style: ChalkInstance, spec: TableSpec, width?: number): string {
  const all = spec.fit.map((_, i) => i)
  if (width === undefined) return draw(style, spec, { columns: all, widths: all.map((i) => naturalWidth(spec, i)), boxed: true, level: 0 }, false)
  const shapes = tableShapes(spec, all)
  const smallest = shapes[shapes.length - 1]?.columns ?? all
  // At the last level only the fewest columns: a key ID broken once reads better than in four lines.
  const attempts = [
    ...([0, 1] as const).flatMap((level) => shapes.map((shape) => ({ ...shape, level }))),
    ...shapes.filter((shape) => shape.columns === smallest).map((shape) => ({ ...shape, level: 2 as const })),
  ]
  for (const { columns, boxed, level } of attempts) {
    const shaped = folded(spec, columns)
    const widths = fitWidths(shaped, columns, width, boxed, level)
    if (widths) return draw(style, shaped, { columns, widths, boxed, level }, true)
  }
  const shaped = folded(spec, smallest)
  const widths = smallest.map((i) => minWidth(shaped, i, 2))
  return draw(style, shaped, { columns: smallest, widths, boxed: false, level: 2 }, true)
}

/** The spec with the text of each left-out column that folds into a shown one added below that one's. */
function folded(spec: TableSpec, columns: readonly number[]): TableSpec {
  const moves = Object.entries(spec.foldInto ?? {})
    .map(([gone, into]) => [Number(gone), into] as const)
    .filter(([gone, into]) => !columns.includes(gone) && columns.includes(into))
  if (moves.length === 0) return spec
  const rows = spec.rows.map((row) => {
    const out = [...row]
    for (const [gone, into] of moves) {
      const extra = textOf(row[gone])
      if (extra.trim() === '') continue
      const target = row[into]
      out[into] = typeof target === 'object' ? { ...target, text: `${target.text}\n${extra}` } : `${textOf(target)}\n${extra}`
    }
    return out
  })
  return { ...spec, rows }
}

/**
 * The table's shapes, widest first: every column boxed; without the empty columns (they say
 * nothing), boxed then borderless; then one optional column fewer at a time, boxed then borderless.
 */
function tableShapes(spec: TableSpec, all: number[]): Array<{ columns: number[]; boxed: boolean }> {
  const filled = all.filter((i) => spec.rows.some((row) => visible(textOf(row[i])).trim() !== ''))
  let current = filled.length > 0 && filled.length < all.length ? filled : all
  const shapes = [{ columns: all, boxed: true }]
  if (current !== all) shapes.push({ columns: current, boxed: true })
  shapes.push({ columns: current, boxed: false })
  for (const gone of spec.optional ?? []) {
    if (!current.includes(gone) || current.length === 1) continue
    current = current.filter((i) => i !== gone)
    shapes.push({ columns: current, boxed: true }, { columns: current, boxed: false })
  }
  return shapes
}

const fitOf = (spec: TableSpec, cell: Cell | undefined, column: number): Fit =>
  (cell !== undefined && typeof cell !== 'string' ? cell.fit : undefined) ?? spec.fit[column] ?? 'keep'

function naturalWidth(spec: TableSpec, column: number): number {
  return Math.max(1, widthOf(spec.head?.[column] ?? ''), ...spec.rows.map((row) => widthOf(textOf(row[column]))))
}

/** The narrowest a column may get at `level`: its longest header word, and each cell's narrowest. */
function minWidth(spec: TableSpec, column: number, level: Level): number {
  const head = spec.head?.[column] ?? ''
  const shrinks = spec.fit[column] !== 'keep' || spec.rows.some((row) => fitOf(spec, row[column], column) !== 'keep')
  // A header is words: it wraps at spaces at any level, and inside a word as an identifier would.
  const headMin = shrinks ? Math.max(0, ...pieces(visible(head), [' ', ...ID_BREAKS[level]]).map((p) => p.length)) : widthOf(head)
  return Math.max(1, headMin, ...spec.rows.map((row) => cellMin(textOf(row[column]), fitOf(spec, row[column], column), level, spec.min?.[column])))
}

function cellMin(text: string, fit: Fit, level: Level, wrapMin = WRAP_MIN): number {
  const width = widthOf(text)
  // Coloured cells are short and left to cli-table3 whole.
  if (fit === 'keep' || text !== visible(text)) return width
  if (fit === 'wrap') return Math.min(width, wrapMin)
  return Math.max(0, ...text.split('\n').flatMap((line) => pieces(line, ID_BREAKS[level])).map((p) => p.length))
}

/** A line split after each of `breaks`: the parts it may break into (a space ends its part, unseen). */
function pieces(line: string, breaks: readonly string[]): string[] {
  const parts: string[] = []
  let start = 0
  for (let i = 0; i < line.length; i++) {
    if (breaks.includes(line[i] as string)) {
      parts.push(line.slice(start, i + 1).trimEnd())
      start = i + 1
    }
  }
  parts.push(line.slice(start))
  return parts
}

/** Column widths (content only) whose total fits, taking from the widest first; undefined if none. */
function fitWidths(spec: TableSpec, columns: number[], width: number, boxed: boolean, level: Level): number[] | undefined {
  const widths = columns.map((i) => naturalWidth(spec, i))
  const mins = columns.map((i) => minWidth(spec, i, level))
  // Boxed: a border before each column and after the last, a space either side of each value.
  // Borderless: two spaces between columns.
  const padding = boxed ? 2 : 0
  let total = widths.reduce((sum, w) => sum + w + padding, boxed ? columns.length + 1 : 2 * (columns.length - 1))
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

function draw(style: ChalkInstance, spec: TableSpec, layout: Layout, fitted: boolean): string {
  const { columns, widths, boxed, level } = layout
  const cell = (value: Cell | undefined, at: number) => {
    const column = columns[at] as number
    const text = textOf(value)
    const fittedText = fitted ? fitCell(text, fitOf(spec, value, column), widths[at] ?? 1, level) : text
    const paint = value !== undefined && typeof value !== 'string' ? value.paint : undefined
    return paint ? fittedText.split('\n').map(paint).join('\n') : fittedText
  }
  const head = spec.head
    ? columns.map((column, at) => {
        const text = spec.head?.[column] ?? ''
        const lines = fitted ? wrapWords(text, widths[at] ?? 1, level) : [text]
        return lines.map((line) => style.bold(line)).join('\n')
      })
    : undefined
  const options: Partial<CliTable3.TableConstructorOptions> = {
    ...(head ? { head } : {}),
    ...(fitted ? { colWidths: widths.map((w) => w + (boxed ? 2 : 0)) } : {}),
    ...(boxed ? {} : { chars: BORDERLESS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } }),
  }
  const table = newTable(style, undefined, options)
  for (const row of spec.rows) table.push(columns.map((column, at) => cell(row[column], at)))
  const text = table.toString()
  return boxed ? text : text.split('\n').map((line) => line.trimEnd()).join('\n')
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
}

/** A cell no wider than `width`; coloured cells are short and left to cli-table3. */
function fitCell(text: string, fit: Fit, width: number, level: Level): string {
  if (fit === 'keep' || text !== visible(text) || widthOf(text) <= width) return text
  const lines = text.split('\n')
  if (fit === 'id') return lines.flatMap((line) => breakIdentifier(line, width, level)).join('\n')
  return lines.flatMap((line) => wrapLine(line, width)).join('\n')
}

/** Header words over lines; a word breaks inside only as an identifier does at `level` (`(alias/app)`). */
function wrapWords(text: string, width: number, level: Level): string[] {
  const lines: string[] = []
  for (const word of text.split(' ').flatMap((w) => breakIdentifier(w, width, level))) {
    const last = lines[lines.length - 1]
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`
    else lines.push(word)
  }
  return lines.length > 0 ? lines : ['']
}

/**
 * An identifier over lines, each as long as it can be, broken only after a separator of `level`:
 * `arn:aws:kms:us-east-1:111122223333:key/` then the whole key ID. A space, `/` or `:` that fits is
 * taken before a `-`, so a key ID inside an ARN stays whole when it can.
 */
export function breakIdentifier(line: string, width: number, level: Level): string[] {
  const lines: string[] = []
  let rest = line
  while (rest.length > width) {
    // A space may stand just past the width: the line ends before it.
    const lastOf = (breaks: readonly string[]) => Math.max(-1, ...breaks.map((c) => rest.lastIndexOf(c, c === ' ' ? width : width - 1)))
    const strong = lastOf(ID_BREAKS[level].filter((c) => c !== '-'))
    const cut = strong >= 0 ? strong : lastOf(ID_BREAKS[level])
    if (cut <= 0) break
    lines.push(rest.slice(0, cut + 1).trimEnd())
    rest = rest.slice(cut + 1)
  }
  lines.push(rest)
  return lines
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
