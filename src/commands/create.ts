import { Option, type Command } from 'commander'
import type { Context } from '../context.js'
import { ConflictError, Exit } from '../errors.js'
import { parsePositiveSeconds, resolveGlobalOptions, type GlobalOptions } from '../globalOptions.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { currentTarget, describeWithAliases } from '../kms/lookups.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import type { AliasChangeReport } from '../output/changeView.js'
import { toKeyView } from '../output/keyView.js'
import { createUi } from '../output/ui.js'
import { aliasRegionRefusals, targetRefRefusals } from '../preflight/local.js'
import { hasBlock, quotaFindings, reservedAliasFindings, targetFindings, type Finding } from '../preflight/rules.js'
import type { SetExitCode } from '../program.js'
import { finishChange, kmsAliasCommand, PlanPrinter, pollTiming, refuse, requireConfirmed, runMutation, sendChecked } from './mutation.js'

export interface CreateOptions {
  alias: string
  to: string
  dryRun: boolean
  allowDisabled: boolean
  verify: boolean
  verifyTimeout: number
}

export type RunCreate = (options: CreateOptions, ctx: Context, globals: GlobalOptions) => Promise<number>

const EXAMPLES = `
Examples:
  $ kms-alias create alias/payments-2027 --to 1234abcd-12ab-34cd-56ef-1234567890ab
  $ kms-alias create alias/payments-next --to alias/payments --dry-run --json`

export function registerCreate(program: Command, ctx: Context, setExitCode: SetExitCode, run: RunCreate = runCreate): Command {
  return program
    .command('create')
    .description('create an alias, after checking that its key can be a target')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .requiredOption('--to <key>', 'the target: key ID, mrk- ID, key ARN, alias/<name> or alias ARN')
    .option('--dry-run', 'run the preflight and print the plan; change nothing (exit 0 if it would be made, 3 if refused)')
    .option('--allow-disabled', 'allow a target that is not Enabled (never one pending deletion)')
    .option('--no-verify', 'skip confirming the new alias with ListAliases (output says verified: false)')
    .addOption(new Option('--verify-timeout <seconds>', 'how long to wait for ListAliases to show the alias').default(30).argParser(parsePositiveSeconds('--verify-timeout')))
    .addHelpText('after', EXAMPLES)
    .action(async (alias: string, raw: Omit<CreateOptions, 'alias'>, command: Command) => {
      const globals = resolveGlobalOptions(command.optsWithGlobals(), ctx)
      setExitCode(await run({ ...raw, alias, dryRun: raw.dryRun === true, allowDisabled: raw.allowDisabled === true }, ctx, globals))
    })
}

/** Creates an alias: local checks, target preflight, CreateAlias, confirmation. */
export async function runCreate(options: CreateOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const targetRef = parseKeyRef(options.to, '--to')
  const ui = createUi(ctx, globals)
  const report: AliasChangeReport = {
    action: 'create',
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

    const local = [...reservedAliasFindings(aliasRef.name), ...aliasRegionRefusals(aliasRef, region), ...targetRefRefusals(targetRef, region)]
    if (local.length > 0) return refuse(report, local, plan)

    const [existing, target] = await ui.progress(`Preflight: checking ${aliasRef.name} and describing ${targetRef.input}`, () =>
      Promise.all([currentTarget(kms, aliasRef.name), describeWithAliases(kms, targetRef.input, `--to ${targetRef.input}`)]),
    )
    report.target = toKeyView(target.key)
    if (existing !== undefined) {
      report.outcome = 'conflict'
      throw new ConflictError(`${aliasRef.name} already exists in ${region} (it points to ${existing})`, `to point it to another key, use kms-alias update ${aliasRef.name} --to ${targetRef.input}`)
    }

    const findings: Finding[] = [
      ...targetFindings(
        target.key,
        {
          region: target.key.region,
          account: target.key.accountId,
          ...(targetRef.kind === 'key' && targetRef.arn ? { typedRegion: targetRef.arn.region, typedAccount: targetRef.arn.account } : {}),
        },
        // Without an alias ARN the caller's account is unknown (that would take an STS call).
        { region, ...(aliasRef.arn ? { account: aliasRef.arn.account } : {}) },
        { allowDisabled: options.allowDisabled },
      ),
      ...quotaFindings(target.aliases),
    ]
    report.findings = findings
    if (hasBlock(findings)) return refuse(report, findings, plan)
    plan.show()
    if (options.dryRun) {
      report.outcome = 'would-create'
      return Exit.Ok
    }

    progress.phase = 'changing'
    // A retried CreateAlias whose first try worked is answered with AlreadyExists.
    const check = { aliasName: aliasRef.name, wanted: target.key.keyId, previous: undefined, retryAnswers: (e: unknown) => e instanceof ConflictError }
    await ui.progress(`Creating ${aliasRef.name}`, () => sendChecked(kms, ui, report, check, () => kms.createAlias(aliasRef.name, target.key.keyId)))
    report.changed = true
    report.undo = kmsAliasCommand(['delete', aliasRef.name, '--yes'], region, globals)
    if (!options.verify) {
      report.outcome = 'created'
      return Exit.Ok
    }

    progress.phase = 'confirming'
    const result = await ui.progress(`Confirming ${aliasRef.name} with ListAliases`, () =>
      confirmAliasTarget(kms, { aliasName: aliasRef.name, expectedKeyId: target.key.keyId, previousKeyId: undefined, ...pollTiming(ctx, options.verifyTimeout) }),
    )
    requireConfirmed(result, { operation: 'CreateAlias', aliasName: aliasRef.name, expected: `${aliasRef.name} on ${target.key.keyId}`, timeoutSeconds: options.verifyTimeout })
    report.verified = true
    report.outcome = 'created'
    return Exit.Ok
  })
  finishChange(ui, report)
  return report.exitCode
}

