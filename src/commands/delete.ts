import { Option, type Command } from 'commander'
import type { Context } from '../context.js'
import { CliError, Exit, NotFoundError, UsageError } from '../errors.js'
import { parsePositiveSeconds, resolveGlobalOptions, type GlobalOptions } from '../globalOptions.js'
import { confirmAliasGone } from '../kms/confirm.js'
import { parseAliasRef } from '../kms/identifiers.js'
import { describeWithAliases } from '../kms/lookups.js'
import type { AliasChangeReport } from '../output/changeView.js'
import { toKeyView } from '../output/keyView.js'
import { createUi } from '../output/ui.js'
import { aliasRegionRefusals } from '../preflight/local.js'
import { orphanFindings, reservedAliasFindings } from '../preflight/rules.js'
import type { SetExitCode } from '../program.js'
import { canAsk, finishChange, kmsAliasCommand, PlanPrinter, pollTiming, refuse, requireConfirmed, runMutation, sendChecked } from './mutation.js'

export interface DeleteOptions {
  alias: string
  yes: boolean
  dryRun: boolean
  verify: boolean
  verifyTimeout: number
}

export type RunDelete = (options: DeleteOptions, ctx: Context, globals: GlobalOptions) => Promise<number>

const EXAMPLES = `
Examples:
  $ kms-alias delete alias/payments-old            # on a terminal: type the name to confirm
  $ kms-alias delete alias/payments-old --yes --json
  $ kms-alias delete alias/payments-old --dry-run`

export function registerDelete(program: Command, ctx: Context, setExitCode: SetExitCode, run: RunDelete = runDelete): Command {
  return program
    .command('delete')
    .description('delete an alias (never its key); on a terminal you type the name to confirm')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .option('-y, --yes', 'delete without typing the name; required when not on a terminal')
    .option('--dry-run', 'show what the alias points to and what would be lost; change nothing')
    .option('--no-verify', 'skip confirming with ListAliases that the alias is gone')
    .addOption(new Option('--verify-timeout <seconds>', 'how long to wait for ListAliases to show the alias gone').default(30).argParser(parsePositiveSeconds('--verify-timeout')))
    .addHelpText('after', EXAMPLES)
    .action(async (alias: string, raw: Omit<DeleteOptions, 'alias'>, command: Command) => {
      const globals = resolveGlobalOptions(command.optsWithGlobals(), ctx)
      setExitCode(await run({ ...raw, alias, yes: raw.yes === true, dryRun: raw.dryRun === true }, ctx, globals))
    })
}

/** Deletes an alias: guard, describe what it points to, DeleteAlias, confirmation. */
export async function runDelete(options: DeleteOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const ui = createUi(ctx, globals)
  const asksByName = !options.yes && !options.dryRun
  if (asksByName && !canAsk(ctx, ui)) {
    throw new UsageError('--yes is required to delete an alias when not running interactively', 'deleting an alias breaks every caller that uses it; pass --yes, or run on a terminal to confirm by name')
  }
  const report: AliasChangeReport = {
    action: 'delete',
    alias: aliasRef.name,
    region: null,
    outcome: 'failed',
    dryRun: options.dryRun,
    changed: false,
    verified: false,
    previous: null,
    target: null,
    findings: [],
    undo: null,
    error: null,
    exitCode: Exit.Ok,
  }
  const plan = new PlanPrinter(ui, report)
  report.exitCode = await runMutation(ctx, report, async (progress) => {
    const kms = await ctx.kms(ui.kmsConfig())
    const region = await kms.region()
    report.region = region

    const local = [...reservedAliasFindings(aliasRef.name), ...aliasRegionRefusals(aliasRef, region)]
    if (local.length > 0) return refuse(report, local, plan)

    const current = await ui.progress(`Describing ${aliasRef.name}`, () => describeWithAliases(kms, aliasRef.name, `alias ${aliasRef.name}`))
    report.previous = toKeyView(current.key)
    report.findings = orphanFindings(aliasRef.name, current.key.keyId, current.aliases)
    const recreate = [kmsAliasCommand(['create', aliasRef.name, '--to', current.key.keyId], region, globals), ...(current.key.keyState === 'Enabled' ? [] : ['--allow-disabled'])].join(' ')
    plan.show()
    if (options.dryRun) {
      report.outcome = 'would-delete'
      return Exit.Ok
    }
    if (asksByName && !(await ctx.prompt.confirmByName(`Type ${aliasRef.name} to delete it:`, aliasRef.name))) {
      report.outcome = 'declined'
      throw new CliError('cancelled: the name typed did not match', Exit.Interrupted)
    }

    progress.phase = 'changing'
    // A retried DeleteAlias whose first try worked is answered with NotFound.
    const check = { aliasName: aliasRef.name, wanted: undefined, previous: current.key.keyId, retryAnswers: (e: unknown) => e instanceof NotFoundError }
    await ui.progress(`Deleting ${aliasRef.name}`, () => sendChecked(kms, ui, report, check, () => kms.deleteAlias(aliasRef.name)))
    report.changed = true
    report.undo = recreate
    if (!options.verify) {
      report.outcome = 'deleted'
      return Exit.Ok
    }

    progress.phase = 'confirming'
    const result = await ui.progress(`Confirming ${aliasRef.name} is gone`, () =>
      confirmAliasGone(kms, { aliasName: aliasRef.name, previousKeyId: current.key.keyId, ...pollTiming(ctx, options.verifyTimeout) }),
    )
    requireConfirmed(result, { operation: 'DeleteAlias', aliasName: aliasRef.name, expected: `${aliasRef.name} gone from ${current.key.keyId}`, timeoutSeconds: options.verifyTimeout })
    report.verified = true
    report.outcome = 'deleted'
    return Exit.Ok
  })
  finishChange(ui, report)
  return report.exitCode
}
