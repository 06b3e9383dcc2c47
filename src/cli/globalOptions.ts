import { Option, type Command } from 'commander'
import { UsageError } from '../errors.js'
import { REGION_NAME } from '../kms/identifiers.js'
import type { Context } from './context.js'
import type { AssumeRoleConfig } from '../kms/port.js'
import { parseRoleOptions } from './roles.js'

export type OutputFormat = 'table' | 'json' | 'text'
export const outputFormats: readonly OutputFormat[] = ['table', 'json', 'text']

/** Options every command takes; unset AWS settings leave the SDK's default chain in charge. */
export interface GlobalOptions {
  region?: string
  profile?: string
  endpointUrl?: string
  maxAttempts?: number
  timeoutSeconds?: number
  output: OutputFormat
  color: boolean
  quiet: boolean
  debug: boolean
  /** A journal path, false for --no-journal, undefined for the default location. */
  journal?: string | false
  /** --role-arn and its companions: every call uses that role's credentials. */
  role?: AssumeRoleConfig
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option('--region <region>', 'AWS Region, e.g. eu-west-1 (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile)').argParser(
        parseRegion('--region'),
      ),
    )
    .option('--profile <name>', 'shared config/credentials profile; its region, credentials and endpoint_url apply as with AWS_PROFILE (default: AWS_PROFILE)')
    .addOption(
      new Option(
        '--endpoint-url <url>',
        'KMS endpoint, an http:// or https:// URL, e.g. a local emulator; memory: is an in-memory KMS that needs no credentials and keeps nothing after the process (default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, the profile)',
      ).argParser(parseEndpointUrl('--endpoint-url')),
    )
    .addOption(
      new Option('--max-attempts <n>', `attempts per KMS call, first included, 1 to ${MAX_ATTEMPTS_LIMIT} (default: AWS_MAX_ATTEMPTS or 3)`).argParser(
        parsePositiveInt('--max-attempts'),
      ),
    )
    .addOption(
      new Option('--timeout <seconds>', `time limit of each KMS request, at most ${TIMEOUT_LIMIT_SECONDS} (default: 15)`).argParser(
        parsePositiveSeconds('--timeout', TIMEOUT_LIMIT_SECONDS),
      ),
    )
    .addOption(new Option('-o, --output <format>', 'table, json or text (default: table on a terminal, text otherwise)').choices(outputFormats))
    .option('--json', 'shorthand for --output json')
    .option('--no-color', 'no colour (also NO_COLOR=1 or TERM=dumb)')
    .option('-q, --quiet', 'no spinner or notes on stderr; results, warnings (findings that warn or block too) and errors stay')
    .option('--debug', 'log each KMS call with its duration to stderr, and stacks of internal errors')
    .option(
      '--journal <path>',
      'journal file for changes, or s3://<bucket>/<prefix> for a team journal and lock shared by every machine pointing at it (default: KMS_ALIAS_JOURNAL, else the state directory)',
    )
    .option('--no-journal', 'do not record changes in the journal')
    .option('--role-arn <arn>', 'make every call with credentials from STS AssumeRole of this role (e.g. in another account)')
    .option('--role-session-name <name>', 'the session name for --role-arn, seen in CloudTrail (default: kms-alias)')
    .option('--external-id <id>', 'the external ID the role trust policy asks for, with --role-arn')
}

interface RawGlobals {
  region?: string
  profile?: string
  endpointUrl?: string
  maxAttempts?: number
  timeout?: number
  output?: OutputFormat
  json?: boolean
  color?: boolean
  quiet?: boolean
  debug?: boolean
  journal?: string | boolean
  roleArn?: string
  roleSessionName?: string
  externalId?: string
  /** apply's own --role-name, seen here only to let its companions through. */
  roleName?: string
}

export function resolveGlobalOptions(raw: RawGlobals, ctx: Pick<Context, 'io' | 'env'>): GlobalOptions {
  if (raw.json && raw.output && raw.output !== 'json') {
    throw new UsageError(`--json conflicts with --output ${raw.output}`)
  }
  // The SDK reads AWS_MAX_ATTEMPTS itself and took "abc" as its default of 3 without a word; the
  // variable stands for the flag, so it obeys the flag's rule. An empty one is unset, as to the SDK.
  const attemptsVariable = ctx.env.AWS_MAX_ATTEMPTS
  if (raw.maxAttempts === undefined && attemptsVariable) parsePositiveInt('AWS_MAX_ATTEMPTS')(attemptsVariable)
  // Read again by each write; checked here so that a bad value stops the run before any call (it
  // used to surface only at the first write, after rotate had already created a key).
  lockWaitMs(ctx.env)
  lockLeaseSeconds(ctx.env)
  const output: OutputFormat = raw.json ? 'json' : (raw.output ?? (ctx.io.stdoutTTY ? 'table' : 'text'))
  return {
    ...(raw.region ? { region: raw.region } : {}),
    ...(raw.profile ? { profile: raw.profile } : {}),
    ...(raw.endpointUrl ? { endpointUrl: raw.endpointUrl } : {}),
    ...(raw.maxAttempts ? { maxAttempts: raw.maxAttempts } : {}),
    ...(raw.timeout ? { timeoutSeconds: raw.timeout } : {}),
    output,
    color: raw.color !== false,
    quiet: raw.quiet === true,
    debug: raw.debug === true,
    ...(raw.journal === false ? { journal: false as const } : typeof raw.journal === 'string' ? { journal: raw.journal } : {}),
    ...withRole(parseRoleOptions(raw)),
  }
}

export function parseRegion(source: string) {
  return (value: string): string => {
    if (!REGION_NAME.test(value)) throw new UsageError(`${source} "${value}" is not an AWS Region name`, 'a Region name looks like us-east-1 or eu-west-2')
    return value
  }
}

// Bounds of the numeric options (the README and --help give them). Beyond them a value is a typo
// (1e9 seconds, 0x10) rather than a wish.
export const MAX_ATTEMPTS_LIMIT = 20
export const TIMEOUT_LIMIT_SECONDS = 300
export const VERIFY_TIMEOUT_LIMIT_SECONDS = 3600

// Plain decimal numbers only: Number() would also take 1e9, 0x10, Infinity and " 5 ".
const WHOLE = /^\d+$/
const DECIMAL = /^\d+(\.\d+)?$/

export function parsePositiveInt(flag: string, max = MAX_ATTEMPTS_LIMIT) {
  return (value: string): number => {
    const n = Number(value)
    if (!WHOLE.test(value) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not "${value}"`)
    return n
  }
}

export function parsePositiveSeconds(flag: string, max: number) {
  return (value: string): number => {
    const seconds = Number(value)
    if (!DECIMAL.test(value) || seconds <= 0 || seconds > max)
      throw new UsageError(`${flag} must be a decimal number of seconds above 0 and at most ${max}, not "${value}"`)
    return seconds
  }
}

function withRole(role: AssumeRoleConfig | undefined): { role?: AssumeRoleConfig } {
  return role ? { role } : {}
}

/** A plain decimal number above 0 and at most `max`. */
export function parsePositiveNumber(flag: string, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!DECIMAL.test(value) || n <= 0 || n > max) throw new UsageError(`${flag} must be a decimal number above 0 and at most ${max}, not "${value}"`)
    return n
  }
}

/**
 * Why `value` cannot be a KMS endpoint, or undefined when it can. Only http(s) URLs with a host
 * and nothing after the port reach KMS; `memory:` names the in-memory KMS.
 */
export function endpointProblem(value: string): string | undefined {
  if (value === 'memory:') return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'it is not a URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol.replace(/:$/, '')} is not http or https`
  if (url.hostname === '') return 'it names no host'
  // The SDK would send every call to that path (or with that query), where no KMS answers: the
  // reply is some other service's page, not a KMS error. The AWS CLI takes no such URL either.
  if (url.pathname !== '/' && url.pathname !== '') return `it has a path (${url.pathname}); a KMS endpoint is a scheme, a host and a port`
  if (url.search !== '' || value.includes('?')) return 'it has a query; a KMS endpoint is a scheme, a host and a port'
  if (url.hash !== '' || value.includes('#')) return 'it has a fragment; a KMS endpoint is a scheme, a host and a port'
  return undefined
}

/** A usage error (exit 2) for an endpoint that cannot be one; `source` is the flag or variable. */
export function parseEndpointUrl(source: string) {
  return (value: string): string => {
    const problem = endpointProblem(value)
    if (problem)
      throw new UsageError(
        `${source} "${value}" is not a KMS endpoint: ${problem}`,
        'give an http:// or https:// URL, e.g. https://kms.eu-west-1.amazonaws.com or http://127.0.0.1:4566',
      )
    return value
  }
}

// How long a write waits for another kms-alias run's alias lock by default.
const LOCK_WAIT_SECONDS = 30

/** How long a write waits for another run's alias lock: KMS_ALIAS_LOCK_WAIT seconds, else 30. */
export function lockWaitMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.KMS_ALIAS_LOCK_WAIT
  if (raw === undefined) return LOCK_WAIT_SECONDS * 1000
  const seconds = raw.trim() === '' ? Number.NaN : Number(raw)
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`KMS_ALIAS_LOCK_WAIT=${JSON.stringify(raw)} is not a number of seconds`, 'set it to a number of seconds such as 30 or 0.5, or unset it')
  }
  return seconds * 1000
}

// How long a team lock (s3:// journal) is good for without renewal, by default.
const LOCK_LEASE_SECONDS = 30
const LOCK_LEASE_LIMIT_SECONDS = 3600

/** KMS_ALIAS_LOCK_LEASE: the seconds a team lock's holder writes into it as its lease; else 30. */
export function lockLeaseSeconds(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.KMS_ALIAS_LOCK_LEASE
  if (raw === undefined || raw === '') return LOCK_LEASE_SECONDS
  const seconds = Number(raw)
  if (!DECIMAL.test(raw) || !(seconds > 0) || seconds > LOCK_LEASE_LIMIT_SECONDS) {
    throw new UsageError(
      `KMS_ALIAS_LOCK_LEASE=${JSON.stringify(raw)} is not a number of seconds above 0 and at most ${LOCK_LEASE_LIMIT_SECONDS}`,
      'set it to a number of seconds such as 30, or unset it',
    )
  }
  return seconds
}
