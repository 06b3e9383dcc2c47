// The apply file: `{"alias/a": "<key>", ...}`, a JSON array of `{"alias", "to", "region"?,
// "account"?}` objects, or plain lines `alias/a <key> [<region>]` with # comments. Every problem is
// a usage error naming the line, found before any KMS call.
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { CliError, interruptedBy, UsageError } from '../errors.js'
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

/**
 * The largest apply file read (README, "kms-alias apply"). 16 MiB holds about 150,000 entries, about
 * 8 hours of UpdateAlias at KMS's default 5 a second; past it a file is more likely a mistake (a
 * log, an archive) than a plan, and holding it would cost memory (a 100 MB file took 2.6 GB).
 */
export const MAX_APPLY_FILE_BYTES = 16 * 1024 * 1024

/**
 * Reads and parses the apply file (`-` is stdin), refusing one past MAX_APPLY_FILE_BYTES before
 * holding it. The parse gives way to the event loop between slices of work, so that Ctrl-C and
 * SIGTERM stop a large file's parse too (exit 130/143), not only the KMS calls after it.
 */
export async function readApplyFile(file: string, io: { stdin: Readable; signal: AbortSignal }): Promise<ApplyEntry[]> {
  const source = file === '-' ? 'stdin' : file
  const text = file === '-' ? await readAtMost(io.stdin, source, io.signal) : await readFileAtMost(file, io.signal)
  const steps = parseSteps(text, source)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    await nextTurn()
    if (io.signal.aborted) throw interruptedBy(io.signal)
  }
}

async function readFileAtMost(file: string, signal: AbortSignal): Promise<string> {
  const cannotRead = (error: NodeJS.ErrnoException) => new UsageError(`cannot read ${file}: ${error.code ?? error.message}`)
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw cannotRead(error)
  })
  try {
    const stat = await handle.stat()
    // A regular file says its size: a big one is refused without reading a byte of it.
    if (stat.isFile() && stat.size > MAX_APPLY_FILE_BYTES) throw tooLarge(file, `${stat.size} bytes`)
    return await readAtMost(handle.createReadStream({ autoClose: false }), file, signal).catch((error: unknown) => {
      throw error instanceof CliError ? error : cannotRead(error as NodeJS.ErrnoException)
    })
  } finally {
    await handle.close()
  }
}

/** The stream's text, refused as soon as it passes MAX_APPLY_FILE_BYTES (a pipe says no size first). */
async function readAtMost(stream: Readable, source: string, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  // A pipe whose writer never writes (or never closes) must not keep a stopped run waiting.
  const stopped = new Promise<never>((_, reject) => {
    const onAbort = () => {
      stream.destroy()
      reject(interruptedBy(signal))
    }
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    stream.once('close', () => signal.removeEventListener('abort', onAbort))
  })
  stopped.catch(() => undefined)
  const reading = (async () => {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
      size += bytes.length
      if (size > MAX_APPLY_FILE_BYTES) {
        stream.destroy()
        throw tooLarge(source, `more than ${MAX_APPLY_FILE_BYTES} bytes`)
      }
      chunks.push(bytes)
    }
    return Buffer.concat(chunks).toString('utf8')
  })()
  // After a signal the destroyed stream fails the loop too; only the first outcome counts.
  reading.catch(() => undefined)
  return Promise.race([reading, stopped])
}

function tooLarge(source: string, size: string): UsageError {
  return new UsageError(
    `${source} is ${size}; an apply file may hold at most ${MAX_APPLY_FILE_BYTES} bytes (16 MiB)`,
    'split it into several files and apply them one after the other',
  )
}

/** Parses a whole apply file at once (tests, small inputs); readApplyFile is the interruptible way. */
export function parseApplyFile(text: string, source: string): ApplyEntry[] {
  const steps = parseSteps(text, source)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/** Work between two points where a caller may give way to the event loop (lines, entries, characters). */
const SLICE = 2048
type Steps<T> = Generator<void, T, void>

function* parseSteps(text: string, source: string): Steps<ApplyEntry[]> {
  // A binary file (an archive, a key) is refused as a whole, not echoed line by line to the terminal.
  if (text.includes('\u0000')) throw new UsageError(`${source}: not a text file (it contains NUL bytes)`, 'give a JSON object or lines of "alias/<name> <key>"')
  const raw = /^\s*\[/.test(text) ? yield* jsonArrayRows(text, source) : /^\s*\{/.test(text) ? yield* jsonPairs(text, source) : yield* linePairs(text, source)
  const seen = new Map<string, number>()
  const entries: ApplyEntry[] = []
  for (const [index, { alias, key, line, region, account }] of raw.entries()) {
    if (index % SLICE === SLICE - 1) yield
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
    entries.push(parsed)
  }
  return entries
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

function* linePairs(text: string, source: string): Steps<RawPair[]> {
  const pairs: RawPair[] = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    if (index % SLICE === SLICE - 1) yield
    const content = raw.replace(/#.*$/, '').trim()
    if (content === '') continue
    const fields = content.split(/\s+/)
    if (fields.length !== 2 && fields.length !== 3)
      throw new UsageError(`${source}:${index + 1}: expected "alias/<name> <key> [<region>]", got ${shown(content)}`)
    pairs.push({ alias: fields[0] as string, key: fields[1] as string, line: index + 1, ...(fields[2] === undefined ? {} : { region: fields[2] }) })
  }
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

function* jsonPairs(text: string, source: string): Steps<RawPair[]> {
  const value = parseJson(text, source)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${source}: the JSON must be an object of "alias/<name>": "<key>"`)
  const keyLines = yield* topLevelKeyLines(text)
  const firstLine = new Map<string, number>()
  const pairs: RawPair[] = []
  for (const { key: alias, line } of keyLines) {
    const first = firstLine.get(alias)
    if (first !== undefined) throw new UsageError(`${source}:${line}: ${alias} appears twice (first at line ${first})`)
    firstLine.set(alias, line)
    const target = (value as Record<string, unknown>)[alias]
    if (typeof target !== 'string') throw new UsageError(`${source}:${line}: the key for ${alias} must be a string`)
    pairs.push({ alias, key: target, line })
  }
  return pairs
}

/** `[{"alias": …, "to": …, "region"?: …, "account"?: …}, …]`, each entry at the line it starts on. */
function* jsonArrayRows(text: string, source: string): Steps<RawPair[]> {
  const value = parseJson(text, source) as unknown[]
  const lines = yield* topLevelElementLines(text)
  const rows: RawPair[] = []
  for (const [index, element] of value.entries()) {
    if (index % SLICE === SLICE - 1) yield
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
    rows.push({
      alias: text('alias', true) as string,
      key: text('to', true) as string,
      line,
      ...(region === undefined ? {} : { region }),
      ...(account === undefined ? {} : { account }),
    })
  }
  return rows
}

/** Only for a JSON syntax error, once: the line of a character position. */
function lineAt(text: string, position: number): number {
  return text.slice(0, position).split('\n').length
}

/**
 * Walks valid JSON text outside strings, calling `visit` with each structural character, its
 * position, the depth before it and its line; a string is visited once, at its opening quote, with
 * the position of its closing quote. One pass, lines counted on the way: the text has been through
 * JSON.parse, so no string holds a raw newline. (Counting each entry's line from the start of the
 * text, and slicing the rest of the text after each key, made large files quadratic.)
 */
function* scan(text: string, visit: (c: string, i: number, depth: number, line: number, end: number) => void): Steps<void> {
  let depth = 0
  let line = 1
  let sliceEnd = SLICE * 64
  for (let i = 0; i < text.length; i++) {
    if (i >= sliceEnd) {
      sliceEnd = i + SLICE * 64
      yield
    }
    const c = text[i] as string
    if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      visit(c, i, depth, line, end)
      i = end
      continue
    }
    if (c === '\n') line++
    visit(c, i, depth, line, i)
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
}

const JSON_SPACE = new Set([' ', '\t', '\n', '\r'])

/** The object's own keys with their lines, in order; JSON.parse would keep only the last duplicate. */
function* topLevelKeyLines(text: string): Steps<Array<{ key: string; line: number }>> {
  const keys: Array<{ key: string; line: number }> = []
  yield* scan(text, (c, i, depth, line, end) => {
    if (c !== '"' || depth !== 1) return
    // A key is the string a colon follows; only JSON whitespace can stand between them.
    let next = end + 1
    while (JSON_SPACE.has(text[next] as string)) next++
    if (text[next] === ':') keys.push({ key: JSON.parse(text.slice(i, end + 1)) as string, line })
  })
  return keys
}

/** The line each element of the top-level array starts on. */
function* topLevelElementLines(text: string): Steps<number[]> {
  const lines: number[] = []
  let expecting = false
  yield* scan(text, (c, _i, depth, line) => {
    if (depth === 0 && c === '[') {
      expecting = true
      return
    }
    if (depth !== 1) return
    if (c === ',') expecting = true
    else if (expecting && !JSON_SPACE.has(c) && c !== ']') {
      lines.push(line)
      expecting = false
    }
  })
  return lines
}
