// The apply file: `{"alias/a": "<key>", ...}`, a JSON array of `{"alias", "to", "region"?,
// "account"?}` objects, or plain lines `alias/a <key> [<region>]` with # comments. Every problem is
// a usage error naming the line, found before any KMS call.
import { UsageError } from '../errors.js'
import { parseAliasRef, parseKeyRef, shown, type AliasRef, type KeyRef } from '../kms/identifiers.js'
import type { AssumeRoleConfig } from '../kms/port.js'
import { isRegionName } from '../cli/regions.js'
import { roleInAccount, type RoleNameConfig } from '../cli/roles.js'

export interface ApplyEntry {
  alias: AliasRef
  target: KeyRef
  line: number
  /** The file as named in messages (`stdin` for -). */
  source: string
  /** The Region the entry names; absent means the client's Region. */
  region?: string
  /** The account the entry names; absent means the credentials' account. */
  account?: string
}

const ACCOUNT_ID = /^\d{12}$/
const ENTRY_FIELDS = ['alias', 'to', 'region', 'account']

export function parseApplyFile(text: string, source: string): ApplyEntry[] {
  // A binary file (an archive, a key) is refused as a whole, not echoed line by line to the terminal.
  if (text.includes('\u0000')) throw new UsageError(`${source}: not a text file (it contains NUL bytes)`, 'give a JSON object or lines of "alias/<name> <key>"')
  const raw = /^\s*\[/.test(text) ? jsonArrayRows(text, source) : /^\s*\{/.test(text) ? jsonPairs(text, source) : linePairs(text, source)
  const seen = new Map<string, number>()
  return raw.map(({ alias, key, line, region, account }) => {
    const at = `${source}:${line}`
    const parsed: ApplyEntry = {
      alias: atLine(at, () => parseAliasRef(alias, 'alias')),
      target: atLine(at, () => parseKeyRef(key, 'key')),
      line,
      source,
      ...(region === undefined ? {} : { region }),
      ...(account === undefined ? {} : { account }),
    }
    checkPlace(parsed, at)
    // The same name in another Region or account is another alias; only one partition is a clash.
    const id = partitionKey(parsed)
    const first = seen.get(id)
    if (first !== undefined) throw new UsageError(`${at}: ${parsed.alias.name}${where(parsed)} appears twice (first at line ${first})`)
    seen.set(id, line)
    return parsed
  })
}

/** Where a group of entries is applied: one account and Region, through a role when the account is another. */
export interface Partition {
  region: string
  /** null: the credentials' account, not asked for because no entry names one. */
  account: string | null
  role?: AssumeRoleConfig
  entries: ApplyEntry[]
}

/**
 * Groups the entries by (account, Region), in the order the file first names each. Rows without a
 * Region take the client's, rows without an account the credentials'. An account other than the
 * credentials' needs --role-name (a role of that name is assumed there); without it, it is a usage
 * error. The same alias named twice for one partition (once implicitly) is a usage error too.
 */
export function partitionEntries(
  entries: readonly ApplyEntry[],
  home: { region: string; account?: string | undefined },
  roleName?: RoleNameConfig,
): Partition[] {
  const partitions = new Map<string, Partition>()
  const seen = new Map<string, ApplyEntry>()
  for (const entry of entries) {
    const at = `${entry.source}:${entry.line}`
    const region = entry.region ?? home.region
    const account = entry.account ?? home.account ?? null
    const other = entry.account !== undefined && entry.account !== home.account
    if (other && !roleName) {
      throw new UsageError(
        `${at}: ${entry.alias.name} is for account ${entry.account}, but these credentials act on account ${home.account ?? '(unknown)'}; nothing was changed`,
        'pass --role-name <name> to assume arn:aws:iam::<account>:role/<name> in each account the file names',
      )
    }
    const id = JSON.stringify([account, region])
    const duplicate = seen.get(JSON.stringify([account, region, entry.alias.name]))
    if (duplicate)
      throw new UsageError(`${at}: ${entry.alias.name} appears twice for ${account ? `account ${account}, ` : ''}${region} (first at line ${duplicate.line})`)
    seen.set(JSON.stringify([account, region, entry.alias.name]), entry)
    let partition = partitions.get(id)
    if (!partition) {
      partition = { region, account, ...(other && roleName && entry.account ? { role: roleInAccount(roleName, entry.account, region) } : {}), entries: [] }
      partitions.set(id, partition)
    }
    partition.entries.push(entry)
  }
  return [...partitions.values()]
}

interface RawPair {
  alias: string
  key: string
  line: number
  region?: string
  account?: string
}

const partitionKey = (e: ApplyEntry) => JSON.stringify([e.account ?? null, e.region ?? null, e.alias.name])
const where = (e: Pick<ApplyEntry, 'region' | 'account'>) => (e.region || e.account ? ` in ${[e.account, e.region].filter(Boolean).join(' ')}` : '')

/** The Region and account columns must be well-formed and agree with any ARN on the same row. */
function checkPlace(entry: ApplyEntry, at: string): void {
  if (entry.region !== undefined && !isRegionName(entry.region))
    throw new UsageError(`${at}: "${entry.region}" is not a Region name`, 'a Region looks like us-east-1 or eu-west-1')
  if (entry.account !== undefined && !ACCOUNT_ID.test(entry.account)) throw new UsageError(`${at}: account "${entry.account}" is not a 12-digit account ID`)
  const arns = [
    ['alias', entry.alias.arn],
    ['key', entry.target.kind === 'key' ? entry.target.arn : entry.target.alias.arn],
  ] as const
  for (const [what, arn] of arns) {
    if (!arn) continue
    if (entry.region !== undefined && arn.region !== entry.region)
      throw new UsageError(`${at}: the ${what} ARN is in ${arn.region}, but the entry's Region is ${entry.region}`)
    if (entry.account !== undefined && arn.account !== entry.account)
      throw new UsageError(`${at}: the ${what} ARN is in account ${arn.account}, but the entry's account is ${entry.account}`)
  }
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
    if (fields.length !== 2 && fields.length !== 3)
      throw new UsageError(`${source}:${index + 1}: expected "alias/<name> <key> [<region>]", got ${shown(content)}`)
    pairs.push({ alias: fields[0] as string, key: fields[1] as string, line: index + 1, ...(fields[2] === undefined ? {} : { region: fields[2] }) })
  })
  return pairs
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    const line = position === undefined ? '' : `:${lineAt(text, Number(position))}`
    throw new UsageError(`${source}${line}: not valid JSON (${(error as Error).message})`)
  }
}

function jsonPairs(text: string, source: string): RawPair[] {
  const value = parseJson(text, source)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${source}: the JSON must be an object of "alias/<name>": "<key>"`)
  const keyLines = topLevelKeyLines(text)
  const duplicate = keyLines.find((k, i) => keyLines.findIndex((o) => o.key === k.key) !== i)
  if (duplicate)
    throw new UsageError(`${source}:${duplicate.line}: ${duplicate.key} appears twice (first at line ${keyLines.find((k) => k.key === duplicate.key)?.line})`)
  return keyLines.map(({ key: alias, line }) => {
    const target = (value as Record<string, unknown>)[alias]
    if (typeof target !== 'string') throw new UsageError(`${source}:${line}: the key for ${alias} must be a string`)
    return { alias, key: target, line }
  })
}

/** `[{"alias": …, "to": …, "region"?: …, "account"?: …}, …]`, each entry at the line it starts on. */
function jsonArrayRows(text: string, source: string): RawPair[] {
  const value = parseJson(text, source) as unknown[]
  const lines = topLevelElementLines(text)
  return value.map((element, index) => {
    const line = lines[index] ?? 1
    const at = `${source}:${line}`
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      throw new UsageError(`${at}: each entry of a JSON array must be an object {"alias": …, "to": …, "region"?: …, "account"?: …}`)
    }
    const fields = element as Record<string, unknown>
    const unknown = Object.keys(fields).find((f) => !ENTRY_FIELDS.includes(f))
    if (unknown !== undefined) throw new UsageError(`${at}: unknown field "${unknown}" (an entry has alias, to, region and account)`)
    const text = (name: string, required: boolean): string | undefined => {
      const field = fields[name]
      if (field === undefined && !required) return undefined
      if (typeof field !== 'string') throw new UsageError(`${at}: "${name}" must be a string${required ? '' : ' when given'}`)
      return field
    }
    const region = text('region', false)
    const account = text('account', false)
    return {
      alias: text('alias', true) as string,
      key: text('to', true) as string,
      line,
      ...(region === undefined ? {} : { region }),
      ...(account === undefined ? {} : { account }),
    }
  })
}

function lineAt(text: string, position: number): number {
  return text.slice(0, position).split('\n').length
}

/** Walks JSON text outside strings, calling `visit` with each structural character and its depth before it. */
function scan(text: string, visit: (c: string, i: number, depth: number) => void): void {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      visit(c, i, depth)
      i = end
      continue
    }
    visit(c, i, depth)
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
}

/** The object's own keys with their lines, in order; JSON.parse would keep only the last duplicate. */
function topLevelKeyLines(text: string): Array<{ key: string; line: number }> {
  const keys: Array<{ key: string; line: number }> = []
  scan(text, (c, i, depth) => {
    if (c !== '"' || depth !== 1) return
    let end = i + 1
    while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
    if (
      text
        .slice(end + 1)
        .trimStart()
        .startsWith(':')
    )
      keys.push({ key: JSON.parse(text.slice(i, end + 1)) as string, line: lineAt(text, i) })
  })
  return keys
}

/** The line each element of the top-level array starts on. */
function topLevelElementLines(text: string): number[] {
  const lines: number[] = []
  let expecting = false
  scan(text, (c, i, depth) => {
    if (depth === 0 && c === '[') {
      expecting = true
      return
    }
    if (depth !== 1) return
    if (c === ',') expecting = true
    else if (expecting && !/\s/.test(c) && c !== ']') {
      lines.push(lineAt(text, i))
      expecting = false
    }
  })
  return lines
}
