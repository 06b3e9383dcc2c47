import type { Writable } from 'node:stream'
import { CommanderError } from 'commander'
import type { Context } from './context.js'
import { CliError, Exit, UsageError } from '../errors.js'
import { createProgram } from './program.js'
import { escapeComposed, escapeControl } from '../output/escape.js'

/** Runs kms-alias with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], ctx: Context): Promise<number> {
  let exitCode: number = Exit.Ok
  // A script that asked for JSON gets one document on stdout whatever failed: a command that threw
  // before printing its own (a usage error, a journal that cannot be read, a missing apply file)
  // is answered here with the failure document.
  let printed = false
  const run: Context = { ...ctx, io: { ...ctx.io, out: watchWrites(ctx.io.out, () => (printed = true)) } }
  const program = createProgram(run, (code) => {
    exitCode = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    const code = reportUncaught(error, ctx, argv.includes('--debug'))
    if (code !== Exit.Ok && !printed && asksForJson(argv)) {
      // Loaded only here: it brings the Ui (chalk), which --help and a clean run never need.
      const { renderFailureJson } = await import('../output/failureView.js')
      ctx.io.out.write(renderFailureJson(asFailure(error)))
    }
    return code
  }
}

function reportUncaught(error: unknown, ctx: Context, debug: boolean): number {
  // Messages quote KMS and the journal: escaped as ui.error escapes them (see output/escape.ts).
  const write = (line: string) => void ctx.io.err.write(`${escapeComposed(line)}\n`)
  if (error instanceof CommanderError) {
    // Help and --version come through here too, with exit code 0; commander already printed them.
    return error.exitCode === 0 ? Exit.Ok : Exit.Usage
  }
  if (error instanceof CliError) {
    write(`error: ${escapeControl(error.message)}`)
    if (error.hint) write(`hint: ${escapeControl(error.hint)}`)
    return error.exitCode
  }
  const message = error instanceof Error ? error.message : String(error)
  write(`error: internal error: ${escapeControl(message)}`)
  if (debug && error instanceof Error && error.stack) write(error.stack)
  else write('hint: this is a bug in kms-alias; run again with --debug for the stack trace')
  return Exit.Internal
}

/** Commander's own errors (an unknown option, a bad value) as the usage error they are. */
function asFailure(error: unknown): unknown {
  return error instanceof CommanderError ? new UsageError(error.message.replace(/^error: /, '')) : error
}

/**
 * Whether the command line asks for JSON (--json, -o json, --output json, --output=json) before any
 * `--`, and for no other format: `--json -o text` is a usage error with no document.
 */
export function asksForJson(argv: readonly string[]): boolean {
  const formats: string[] = []
  for (const [i, word] of argv.entries()) {
    if (word === '--') break
    if (word === '--json') formats.push('json')
    else if (word === '-o' || word === '--output') formats.push(argv[i + 1] ?? '')
    else if (word.startsWith('--output=')) formats.push(word.slice('--output='.length))
    else if (/^-o./.test(word)) formats.push(word.slice(2))
  }
  return formats.length > 0 && formats.every((f) => f === 'json')
}

/** The same stream, telling `onWrite` when anything is written to it. */
function watchWrites(stream: Writable, onWrite: () => void): Writable {
  return new Proxy(stream, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (property === 'write' && typeof value === 'function') {
        return (...args: unknown[]) => {
          onWrite()
          return (value as (...a: unknown[]) => boolean).apply(target, args)
        }
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}
