import { Command } from 'commander'
import type { Context } from './context.js'
import { addGlobalOptions } from './globalOptions.js'
import { registerApply } from './commands/apply.js'
import { registerCreate } from './commands/create.js'
import { registerDelete } from './commands/delete.js'
import { registerHistory } from './commands/history.js'
import { registerUndo } from './commands/undo.js'
import { registerList } from './commands/list.js'
import { registerShow } from './commands/show.js'
import { registerUpdate } from './commands/update.js'
import { version } from './version.js'

const EXAMPLES = `
Examples:
  $ kms-alias list --prefix alias/payments
  $ kms-alias show alias/payments
  $ kms-alias create alias/payments-2027 --to 1234abcd-12ab-34cd-56ef-1234567890ab
  $ kms-alias update alias/payments --to 1234abcd-12ab-34cd-56ef-1234567890ab --dry-run
  $ kms-alias update alias/payments --to alias/payments-next --yes
  $ kms-alias update alias/signing --to mrk-1234abcd12ab34cd56ef1234567890ab --expect-current 0987dcba-09fe-87dc-65ba-ab0987654321 --json
  $ kms-alias delete alias/payments-old --yes
  $ kms-alias apply aliases.txt --dry-run
  $ kms-alias history alias/payments
  $ kms-alias undo --last

Exit codes: 0 ok, 1 internal error, 2 usage, 3 refused, 4 not found, 5 conflict,
6 not confirmed, 7 access or configuration, 8 AWS or network failure, 130 interrupted.`

/** Called by a command's action with the exit code it chose. */
export type SetExitCode = (code: number) => void

/** A fresh commander tree per call: commander keeps parse state on the instance. */
export function createProgram(ctx: Context, setExitCode: SetExitCode): Command {
  const program = new Command('kms-alias')
    .description('Change AWS KMS aliases safely: preflight checks, the change, then confirmation.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void ctx.io.out.write(text),
      writeErr: (text) => void ctx.io.err.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXAMPLES)
  addGlobalOptions(program)
  registerList(program, ctx, setExitCode)
  registerShow(program, ctx, setExitCode)
  registerCreate(program, ctx, setExitCode)
  registerUpdate(program, ctx, setExitCode)
  registerDelete(program, ctx, setExitCode)
  registerApply(program, ctx, setExitCode)
  registerHistory(program, ctx, setExitCode)
  registerUndo(program, ctx, setExitCode)
  return program
}
