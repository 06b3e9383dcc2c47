import { Chalk, type ChalkInstance } from 'chalk'
import type { Context } from '../cli/context.js'
import { AwsError, CliError, Exit, exitCodeNames } from '../errors.js'
import { parseEndpointUrl, type GlobalOptions, type OutputFormat } from '../cli/globalOptions.js'
import type { IamPort } from '../iam/port.js'
import type { AssumeRoleConfig, KmsConfig, KmsPort } from '../kms/port.js'
import { escapeComposed, escapeControl, escapeJsonText } from './escape.js'
import { silentSpinner, type Spinner } from './spinner.js'

/** How one command run talks to the user: the output format, colours, notes, spinner. */
export interface Ui {
  format: OutputFormat
  /** The terminal's width for tables; undefined when stdout is not a terminal. */
  width: number | undefined
  /** Colours for stdout and for stderr, each off unless that stream may take them. */
  out: ChalkInstance
  err: ChalkInstance
  write(text: string): void
  /** A message for a person on stderr; dropped with --quiet. */
  note(line: string): void
  /** A warning on stderr; shown even with --quiet. */
  warn(line: string): void
  /** A line on stderr that --quiet keeps, as it is (findings that warn or block). */
  important(line: string): void
  error(error: { message: string; hint?: string | undefined }): void
  debug(line: string): void
  /** Runs `work` under a spinner when stderr is a terminal and the human view is on. */
  progress<T>(text: string, work: (spinner: Spinner) => Promise<T>): Promise<T>
  /**
   * Builds the KMS port from the global options, warning (once) about an unencrypted remote
   * endpoint. `region` and `role` replace --region and --role-arn, for commands that work in
   * several Regions or accounts.
   */
  openKms(place?: { region?: string; role?: AssumeRoleConfig }): Promise<KmsPort>
  /** Builds the IAM port (--iam) with the same Region, profile, attempts and timeout as KMS. */
  openIam(): Promise<IamPort>
}

function colorEnabled(env: Context['env'], isTTY: boolean, colorFlag: boolean): boolean {
  if (!colorFlag || env.NO_COLOR || env.TERM === 'dumb') return false
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return isTTY || forced
}

/**
 * COLUMNS, for a terminal that does not tell its width (a pseudo-terminal reporting 0 columns under
 * `script` or an expect-style harness), as `ls` does. Not for pipes: a file has no width.
 */
function columnsFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  return /^[1-9]\d{0,4}$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : undefined
}

export function createUi(ctx: Context, options: GlobalOptions): Ui {
  const style = (isTTY: boolean) => new Chalk({ level: colorEnabled(ctx.env, isTTY, options.color) ? 1 : 0 })
  const err = style(ctx.io.stderrTTY)
  const showsProgress = options.output === 'table' && ctx.io.stderrAnimates && !options.quiet
  // Every line reaches the terminal through escapeComposed (see escape.ts): the callers escape the
  // data they put in it; this escapes whatever they missed, except a colour or a newline.
  const toErr = (line: string) => void ctx.io.err.write(`${escapeComposed(line)}\n`)
  const warn = (line: string) => toErr(`${err.yellow('warning:')} ${line}`)
  const debug = (line: string) => {
    if (options.debug) toErr(err.dim(`debug: ${line}`))
  }
  let endpointChecked = false
  return {
    format: options.output,
    width: ctx.io.stdoutColumns ?? (ctx.io.stdoutTTY ? columnsFromEnv(ctx.env) : undefined),
    out: style(ctx.io.stdoutTTY),
    err,
    write: (text) => void ctx.io.out.write(options.output === 'json' ? escapeJsonText(text) : escapeComposed(text)),
    note(line) {
      if (!options.quiet) toErr(line)
    },
    warn,
    important: toErr,
    // An error's message and hint are plain text that often quotes KMS or the journal: all of it
    // is escaped, a newline in it too, before our colour is added.
    error({ message, hint }) {
      toErr(`${err.red('error:')} ${escapeControl(message)}`)
      if (hint) toErr(`${err.dim('hint:')} ${escapeControl(hint)}`)
    },
    debug,
    async progress(text, work) {
      if (!showsProgress) return work(silentSpinner)
      const spinner = await ctx.spinner(escapeComposed(text))
      try {
        return await work(escapingSpinner(spinner))
      } finally {
        spinner.stop()
      }
    },
    async openKms(place = {}) {
      const role = place.role ?? options.role
      const endpoint = options.endpointUrl ?? configuredEndpoint(ctx.env)
      if (endpoint && isPlainRemoteHttp(endpoint) && !endpointChecked) {
        warn(`${endpoint} is plain http:// and not on this machine: requests and responses cross the network unencrypted`)
      }
      endpointChecked = true
      // AWS_DEFAULT_REGION is read as the AWS CLI reads it (after AWS_REGION, before the profile), so
      // that kms-alias and `aws kms` in the same shell act in the same Region; the SDK alone skips it.
      const region = place.region ?? options.region ?? (ctx.env.AWS_REGION ? undefined : ctx.env.AWS_DEFAULT_REGION || undefined)
      const config: KmsConfig = {
        ...(region ? { region } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.timeoutSeconds ? { requestTimeoutMs: options.timeoutSeconds * 1000 } : {}),
        ...(options.debug ? { debug } : {}),
        ...(role ? { role } : {}),
        warn,
        env: ctx.env,
        signal: ctx.signal,
      }
      return ctx.kms(config)
    },
    openIam() {
      return ctx.iam({
        ...(options.region ? { region: options.region } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.timeoutSeconds ? { requestTimeoutMs: options.timeoutSeconds * 1000 } : {}),
        ...(options.debug ? { debug } : {}),
        signal: ctx.signal,
      })
    },
  }
}

/** A spinner whose texts, which name aliases and keys, are escaped as every other line on stderr. */
function escapingSpinner(spinner: Spinner): Spinner {
  return {
    text: (t) => spinner.text(escapeComposed(t)),
    succeed: (t) => spinner.succeed(escapeComposed(t)),
    fail: (t) => spinner.fail(escapeComposed(t)),
    stop: () => spinner.stop(),
  }
}

/**
 * The endpoint the SDK takes from the environment (it ignores empty variables), checked as the
 * flag is: the SDK would otherwise fail later with an internal error, or try ftp://.
 */
function configuredEndpoint(env: Context['env']): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined
  for (const name of ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL']) {
    const value = env[name]
    if (value) return parseEndpointUrl(name)(value)
  }
  return undefined
}

/** The same Ui, saying each distinct warning once (a run with a Writer per partition). */
export function warnOnce(ui: Ui): Ui {
  const said = new Set<string>()
  return {
    ...ui,
    warn(line) {
      if (!said.has(line)) ui.warn(line)
      said.add(line)
    },
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** An http:// URL whose host is not loopback. */
function isPlainRemoteHttp(endpoint: string): boolean {
  try {
    const url = new URL(endpoint)
    return url.protocol === 'http:' && !LOOPBACK.test(url.hostname)
  } catch {
    return false
  }
}

export interface ErrorSummary {
  code: string
  message: string
  hint?: string
  awsCode?: string
}

/** The `error` object of a JSON document: `code` names the exit code, `awsCode` the KMS error. */
export function errorSummary(error: unknown): ErrorSummary {
  if (error instanceof CliError) {
    return {
      code: exitCodeNames[error.exitCode],
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error instanceof AwsError && error.awsCode ? { awsCode: error.awsCode } : {}),
    }
  }
  return { code: exitCodeNames[Exit.Internal], message: error instanceof Error ? error.message : String(error) }
}
