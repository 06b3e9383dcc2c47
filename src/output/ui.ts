import { Chalk, type ChalkInstance } from 'chalk'
import type { Context } from '../cli/context.js'
import { AwsError, CliError, Exit, exitCodeNames } from '../errors.js'
import type { GlobalOptions, OutputFormat } from '../cli/globalOptions.js'
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
  const warn = (line: string) => void ctx.io.err.write(`${err.yellow('warning:')} ${line}\n`)
  const debug = (line: string) => {
    if (options.debug) ctx.io.err.write(`${err.dim(`debug: ${line}`)}\n`)
  }
  return {
    format: options.output,
    width: ctx.io.stdoutColumns ?? (ctx.io.stdoutTTY ? columnsFromEnv(ctx.env) : undefined),
    out: style(ctx.io.stdoutTTY),
    err,
    write: (text) => void ctx.io.out.write(text),
    note(line) {
      if (!options.quiet) ctx.io.err.write(`${line}\n`)
    },
    warn,
    important: (line) => void ctx.io.err.write(`${line}\n`),
    error({ message, hint }) {
      ctx.io.err.write(`${err.red('error:')} ${message}\n`)
      if (hint) ctx.io.err.write(`${err.dim('hint:')} ${hint}\n`)
    },
    debug,
    async progress(text, work) {
      if (!showsProgress) return work(silentSpinner)
      const spinner = await ctx.spinner(text)
      try {
        return await work(spinner)
      } finally {
        spinner.stop()
      }
    },
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
