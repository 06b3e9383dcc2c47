import { describe, expect, it } from 'vitest'
import { escapeComposed, escapeControl, escapeDeep, escapeJsonText } from '../../src/output/escape.js'
import type { GlobalOptions } from '../../src/cli/globalOptions.js'
import { createUi } from '../../src/output/ui.js'
import { testContext } from '../helpers/testContext.js'

describe('escapeControl: one piece of data', () => {
  it.each([
    ['plain text', 'payments signing key', 'payments signing key'],
    ['OSC title, BEL', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['CSI clear screen', '\x1b[2J', '\\x1b[2J'],
    ['a colour is data too', '\x1b[31mred\x1b[39m', '\\x1b[31mred\\x1b[39m'],
    ['newline, tab, carriage return', 'a\nb\tc\rd', 'a\\nb\\tc\\rd'],
    ['NUL and the last C0', '\x00\x1f', '\\x00\\x1f'],
    ['DEL', '\x7f', '\\x7f'],
    ['C1: CSI, OSC, the first and last', '\x9b2J\x9d0;x\x9c\x80\x9f', '\\x9b2J\\x9d0;x\\x9c\\x80\\x9f'],
    ['printable Unicode stays', 'schlüssel → ✓ 鍵', 'schlüssel → ✓ 鍵'],
    ['the first character past C1 stays', '\u00a0', '\u00a0'],
  ])('%s', (_, input, shown) => {
    expect(escapeControl(input)).toBe(shown)
  })
})

describe('escapeComposed: the last guard on a finished view', () => {
  it.each([
    ['our colours stay', '\x1b[1mbold\x1b[22m \x1b[33mwarn\x1b[39m', '\x1b[1mbold\x1b[22m \x1b[33mwarn\x1b[39m'],
    ['lines and the text view\'s columns stay', 'a\tb\nc\n', 'a\tb\nc\n'],
    ['OSC and BEL escaped', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['CSI that is not a colour escaped', '\x1b[2J\x1b[1;1H\x1b[?25l', '\\x1b[2J\\x1b[1;1H\\x1b[?25l'],
    ['a colour with two parameters escaped', '\x1b[30;47m', '\\x1b[30;47m'],
    ['a lone ESC escaped', '\x1bc', '\\x1bc'],
    ['carriage return, DEL and C1 escaped', 'x\ry\x7f\x9b2J', 'x\\ry\\x7f\\x9b2J'],
  ])('%s', (_, input, shown) => {
    expect(escapeComposed(input)).toBe(shown)
  })
})

describe('escapeDeep: a report for the human views', () => {
  it('escapes every string, object keys too, and leaves the rest as it was', () => {
    const report = { alias: 'alias/a', tags: { 'k\x1b[2J': 'v\n' }, list: ['\x07', 1, null, true], nested: { deeper: [{ m: '\x9b' }] } }
    expect(escapeDeep(report)).toEqual({ alias: 'alias/a', tags: { 'k\\x1b[2J': 'v\\n' }, list: ['\\x07', 1, null, true], nested: { deeper: [{ m: '\\x9b' }] } })
    // A copy: the JSON view still gets the text as it came.
    expect(report.tags).toEqual({ 'k\x1b[2J': 'v\n' })
  })
})

describe('escapeJsonText: JSON.stringify leaves DEL and C1 raw', () => {
  it('writes them as \\u escapes; the document parses to the same value', () => {
    const value = { description: 'a\x7fb\x9bc\x1b[2J\u00a0' }
    const raw = JSON.stringify(value)
    // What JSON.stringify gives: C0 escaped, DEL and C1 not.
    expect(raw).toBe('{"description":"a\x7fb\x9bc\\u001b[2J\u00a0"}')
    const safe = escapeJsonText(raw)
    expect(safe).toBe('{"description":"a\\u007fb\\u009bc\\u001b[2J\u00a0"}')
    expect(JSON.parse(safe)).toEqual(value)
  })
})

describe('the Ui: every line on stderr passes the last guard', () => {
  const globals = (output: GlobalOptions['output']): GlobalOptions => ({ output, color: true, quiet: false, debug: true })

  // Tried once with the Ui writing lines as they came (no escapeComposed): each case failed.
  it('note, warn, important, debug: escapes all but our colours', () => {
    const ctx = testContext({ tty: true, env: { FORCE_COLOR: '1' } })
    const ui = createUi(ctx, globals('table'))
    ui.note(`${ui.err.bold('alias/a')} \x1b]0;t\x07`)
    ui.warn('cannot read \x1b[2J')
    ui.important('\x9b2J')
    ui.debug('\x07')
    expect(ctx.stderr()).toBe(
      '\x1b[1malias/a\x1b[22m \\x1b]0;t\\x07\n' + '\x1b[33mwarning:\x1b[39m cannot read \\x1b[2J\n' + '\\x9b2J\n' + '\x1b[2mdebug: \\x07\x1b[22m\n',
    )
  })

  it('error: the message and hint escaped whole, a newline in them too', () => {
    const ctx = testContext()
    createUi(ctx, globals('text')).error({ message: 'no\nerror: forged', hint: '\x1b[31mred' })
    expect(ctx.stderr()).toBe('error: no\\nerror: forged\nhint: \\x1b[31mred\n')
  })

  it('write: a human view through the guard, a JSON document with DEL and C1 as \\u escapes', () => {
    const table = testContext()
    createUi(table, globals('table')).write('\x1b[32mok\x1b[39m \x1b[2J\n')
    expect(table.stdout()).toBe('\x1b[32mok\x1b[39m \\x1b[2J\n')
    const json = testContext()
    createUi(json, globals('json')).write(`${JSON.stringify({ d: '\x9b\x7f' })}\n`)
    expect(json.stdout()).toBe('{"d":"\\u009b\\u007f"}\n')
  })

  it('progress: the spinner texts escaped', async () => {
    const ctx = testContext({ tty: true })
    const ui = createUi(ctx, globals('table'))
    await ui.progress('Describing \x1b]0;t\x07', async (spinner) => spinner.text('then \x1b[2J'))
    expect(ctx.spinners).toEqual(['Describing \\x1b]0;t\\x07', 'then \\x1b[2J'])
  })
})
