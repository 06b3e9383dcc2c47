import { Option, type Command } from 'commander'
import { UsageError } from './errors.js'
import type { Context } from './context.js'
import type { AssumeRoleConfig } from './kms/port.js'
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
    .option('--region <region>', 'AWS Region (default: AWS_REGION, then the profile)')
    .option('--profile <name>', 'shared config/credentials profile (default: AWS_PROFILE)')
    .option('--endpoint-url <url>', 'KMS endpoint, e.g. a local emulator; memory: is an in-memory KMS that needs no credentials and keeps nothing after the process (default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL)')
    .addOption(new Option('--max-attempts <n>', 'attempts per KMS call, first included (default: AWS_MAX_ATTEMPTS or 3)').argParser(parsePositiveInt('--max-attempts')))
    .addOption(new Option('--timeout <seconds>', 'time limit of each KMS request (default: 15)').argParser(parsePositiveSeconds('--timeout')))
    .addOption(new Option('-o, --output <format>', 'table, json or text (default: table on a terminal, text otherwise)').choices(outputFormats))
    .option('--json', 'shorthand for --output json')
    .option('--no-color', 'no colour (also NO_COLOR=1 or TERM=dumb)')
    .option('-q, --quiet', 'no spinner or notes on stderr; only results, warnings and errors')
    .option('--debug', 'log each KMS call with its duration to stderr, and stacks of internal errors')
    .option('--journal <path>', 'journal file for changes (default: KMS_ALIAS_JOURNAL, else the state directory)')
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

export function resolveGlobalOptions(raw: RawGlobals, ctx: Pick<Context, 'io'>): GlobalOptions {
  if (raw.json && raw.output && raw.output !== 'json') {
    throw new UsageError(`--json conflicts with --output ${raw.output}`)
  }
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

export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a whole number of at least 1, not "${value}"`)
    return Number(value)
  }
}

export function parsePositiveSeconds(flag: string) {
  return (value: string): number => {
    const seconds = Number(value)
    if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag} must be a number of seconds above 0, not "${value}"`)
    return seconds
  }
}

function withRole(role: AssumeRoleConfig | undefined): { role?: AssumeRoleConfig } {
  return role ? { role } : {}
}
