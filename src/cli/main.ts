import { CommanderError } from 'commander'
import type { Context } from './context.js'
import { CliError, Exit } from '../errors.js'
import { createProgram } from './program.js'
import { escapeComposed, escapeControl } from '../output/escape.js'

/** Runs kms-alias with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], ctx: Context): Promise<number> {
  let exitCode: number = Exit.Ok
  const program = createProgram(ctx, (code) => {
    exitCode = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    return reportUncaught(error, ctx, argv.includes('--debug'))
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
