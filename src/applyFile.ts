// The apply file: `{"alias/a": "<key>", ...}` or plain lines `alias/a <key>` with # comments.
// Every problem is a usage error naming the line, found before any KMS call.
import { UsageError } from './errors.js'
import { parseAliasRef, parseKeyRef, shown, type AliasRef, type KeyRef } from './kms/identifiers.js'

export interface ApplyEntry {
  alias: AliasRef
  target: KeyRef
  line: number
}

export function parseApplyFile(text: string, source: string): ApplyEntry[] {
  // A binary file (an archive, a key) is refused as a whole, not echoed line by line to the terminal.
  if (text.includes('\u0000')) throw new UsageError(`${source}: not a text file (it contains NUL bytes)`, 'give a JSON object or lines of "alias/<name> <key>"')
  const raw = /^\s*[{[]/.test(text) ? jsonPairs(text, source) : linePairs(text, source)
  const seen = new Map<string, number>()
  return raw.map(({ alias, key, line }) => {
    const at = `${source}:${line}`
    const parsed = { alias: atLine(at, () => parseAliasRef(alias, 'alias')), target: atLine(at, () => parseKeyRef(key, 'key')), line }
    const first = seen.get(parsed.alias.name)
    if (first !== undefined) throw new UsageError(`${at}: ${parsed.alias.name} appears twice (first at line ${first})`)
    seen.set(parsed.alias.name, line)
    return parsed
  })
}

interface RawPair {
  alias: string
  key: string
  line: number
}

function atLine<T>(at: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${at}: ${error.message}`, error.hint)
    throw error
  }
}

function linePairs(text: string, source: string): RawPair[] {
  const pairs: RawPair[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const content = raw.replace(/#.*$/, '').trim()
    if (content === '') return
    const fields = content.split(/\s+/)
    if (fields.length !== 2) throw new UsageError(`${source}:${index + 1}: expected "alias/<name> <key>", got ${shown(content)}`)
    pairs.push({ alias: fields[0] as string, key: fields[1] as string, line: index + 1 })
  })
  return pairs
}

function jsonPairs(text: string, source: string): RawPair[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    const line = position === undefined ? '' : `:${lineAt(text, Number(position))}`
    throw new UsageError(`${source}${line}: not valid JSON (${(error as Error).message})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${source}: the JSON must be an object of "alias/<name>": "<key>"`)
  const keyLines = topLevelKeyLines(text)
  const duplicate = keyLines.find((k, i) => keyLines.findIndex((o) => o.key === k.key) !== i)
  if (duplicate) throw new UsageError(`${source}:${duplicate.line}: ${duplicate.key} appears twice (first at line ${keyLines.find((k) => k.key === duplicate.key)?.line})`)
  return keyLines.map(({ key: alias, line }) => {
    const target = (value as Record<string, unknown>)[alias]
    if (typeof target !== 'string') throw new UsageError(`${source}:${line}: the key for ${alias} must be a string`)
    return { alias, key: target, line }
  })
}

function lineAt(text: string, position: number): number {
  return text.slice(0, position).split('\n').length
}

/** The object's own keys with their lines, in order; JSON.parse would keep only the last duplicate. */
function topLevelKeyLines(text: string): Array<{ key: string; line: number }> {
  const keys: Array<{ key: string; line: number }> = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
    else if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      const after = text.slice(end + 1).trimStart()
      if (depth === 1 && after.startsWith(':')) keys.push({ key: JSON.parse(text.slice(i, end + 1)) as string, line: lineAt(text, i) })
      i = end
    }
  }
  return keys
}
