// kms-alias completion bash|zsh|fish: prints the script src/cli/completion.ts generates from the
// commander table; it never calls KMS.
import type { Command } from 'commander'
import { completionModel, scripts, type Shell } from '../cli/completion.js'
import type { Context } from '../cli/context.js'
import { Exit } from '../errors.js'

/** Prints the completion script for `shell` on stdout. */
export function runCompletion(options: { shell: Shell }, ctx: Context, program: Command): number {
  ctx.io.out.write(scripts[options.shell](completionModel(program)))
  return Exit.Ok
}
