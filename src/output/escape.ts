// Text read from KMS (descriptions, tags, error messages) or from the journal is written by whoever
// may describe, tag or write there. A terminal obeys the control characters in it (ESC]0;… sets the
// window title, ESC[2J clears the screen, a C1 CSI does the same as ESC[), so before such text
// reaches a terminal every control character is shown as an escape instead of being sent.

// C0, DEL and C1: everything a terminal may act on rather than print.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const visibleEscape = (c: string) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`

/**
 * One piece of data as a terminal may show it: every control character, newline and tab included,
 * written as `\n`, `\t` or `\xNN`. A description's own newline is data, not a line of the view.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, visibleEscape)
}

/**
 * A copy of a report for the human views: every string in it, object keys too (tags), escaped.
 * The JSON view gets the report itself. Our own texts hold no control characters, so they come
 * through unchanged; colours are added by the renderers afterwards.
 */
export function escapeDeep<T>(value: T): T {
  return copy(value) as T
}

function copy(value: unknown): unknown {
  if (typeof value === 'string') return escapeControl(value)
  if (Array.isArray(value)) return value.map(copy)
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeControl(k), copy(v)]))
  }
  return value
}

// Our colours (chalk at level 1 writes one SGR parameter per sequence), kept; any other control
// character escaped. Newlines and tabs are the view's own here: lines, and the text view's columns.
// eslint-disable-next-line no-control-regex
const COMPOSED = /\u001b\[\d{1,2}m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/**
 * The last guard before stdout or stderr of the human views: a view's finished text, with our
 * colours, lines and columns kept and every other control character escaped. It cannot tell a
 * colour or a newline that came with the data from ours, so data is escaped first (escapeDeep,
 * escapeControl); this catches the rest, such as ESC]… and ESC[2J in a message nobody escaped.
 */
export function escapeComposed(text: string): string {
  return text.replace(COMPOSED, (match) => (match.length > 1 ? match : visibleEscape(match)))
}

// JSON.stringify escapes C0 but writes DEL and C1 as they are; in a string they mean the same
// written as \u escapes, and outside strings JSON text is ASCII, so the document stays equal.
const JSON_RAW = /[\u007f-\u009f]/g

/** A JSON document whose strings carry no raw DEL or C1 character to a terminal. */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
