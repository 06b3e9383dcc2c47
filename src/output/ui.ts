import { Chalk, type ChalkInstance } from 'chalk'
import type { Context } from '../cli/context.js'
import { AwsError, CliError, Exit, exitCodeNames } from '../errors.js'
import type { GlobalOptions, OutputFormat } from '../cli/globalOptions.js'
import { escapeComposed, escapeControl, escapeJsonText } from './escape.js'
import { silentSpinner, type Spinner } from './spinner.js'

/** The part of the Ui that code below the commands may use: a warning, a --debug line. */
export interface Log {
  /** A warning on stderr; shown even with --quiet. */
  warn(line: string): void
  /** A line on stderr with --debug only. */
  debug(line: string): void
}

/** How one command run talks to the user: the output format, colours, notes, spinner. It opens nothing. */
export interface Ui extends Log {
  format: OutputFormat
  /** The terminal's width for tables; undefined when stdout is not a terminal. */
  width: number | undefined
  /** Colours for stdout and for stderr, each off unless that stream may take them. */
  out: ChalkInstance
  err: ChalkInstance
  write(text: string): void
  /** A message for a person on stderr; dropped with --quiet. */
  note(line: string): void
  /** A line on stderr that --quiet keeps, as it is (findings that warn or block). */
  important(line: string): void
  error(error: { message: string; hint?: string | undefined }): void
  /** Runs `work` under a spinner when stderr is a terminal and the human view is on. */
  progress<T>(text: string, work: (spinner: Spinner) => Promise<T>): Promise<T>
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
