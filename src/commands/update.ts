import type { Command } from 'commander'
import type { Context } from '../context.js'
import { CliError, Exit } from '../errors.js'
import { resolveGlobalOptions, type GlobalOptions } from '../globalOptions.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { parseAliasRef, parseKeyIdRef, parseKeyRef } from '../kms/identifiers.js'
import { currentTarget, describeWithAliases, matchesKey } from '../kms/lookups.js'
import type { KeyInfo } from '../kms/port.js'
import type { AliasChangeReport } from '../output/changeView.js'
import { toKeyView } from '../output/keyView.js'
import { aliasRegionRefusals, targetLocation, targetRefRefusals } from '../preflight/local.js'
import { hasBlock, reservedAliasFindings, updatePreflight } from '../preflight/rules.js'
import type { SetExitCode } from '../program.js'
import { addVerifyOptions, applyChange, canAsk, guardConflict, kmsAliasCommand, pollTiming, refuse, runChange, type ChangeOrigin } from './mutation.js'

export interface UpdateOptions {
  alias: string
  to: string
  dryRun: boolean
  yes: boolean
  expectCurrent?: string
  allowSpecChange: boolean
  allowDisabled: boolean
  verify: boolean
  verifyTimeout: number
  /** The account the alias must be in (undo knows it from the journal). */
  expectAccount?: string
}

export type RunUpdate = (options: UpdateOptions, ctx: Context, globals: GlobalOptions, origin?: ChangeOrigin) => Promise<number>

const EXAMPLES = `
Examples:
  $ kms-alias update alias/payments --to 1234abcd-12ab-34cd-56ef-1234567890ab --dry-run
  $ kms-alias update alias/payments --to alias/payments-2027 --yes --json
  $ kms-alias update alias/signing --to arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \\
      --expect-current 0987dcba-09fe-87dc-65ba-ab0987654321 --allow-spec-change`

export function registerUpdate(program: Command, ctx: Context, setExitCode: SetExitCode, run: RunUpdate = runUpdate): Command {
  const command = program
    .command('update')
    .description('point an alias to another key, after checking that the new key can replace the old one')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .requiredOption('--to <key>', 'the new target: key ID, mrk- ID, key ARN, alias/<name> or alias ARN')
    .option('--dry-run', 'run the preflight and print the plan; change nothing (exit 0 if it would be made, 3 if refused)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .option('--expect-current <key>', 'change nothing and exit 5 unless the alias points to this key (ID or ARN) now')
    .option('--allow-spec-change', 'allow a different KeySpec or fewer algorithms within the same key class (a warning instead)')
    .option('--allow-disabled', 'allow a target that is not Enabled (never one pending deletion)')
  return addVerifyOptions(command, 'the alias points to the new key')
    .addHelpText('after', EXAMPLES)
    .action(async (alias: string, raw: Omit<UpdateOptions, 'alias'>, command: Command) => {
      const globals = resolveGlobalOptions(command.optsWithGlobals(), ctx)
      setExitCode(await run({ ...raw, alias, dryRun: raw.dryRun === true, yes: raw.yes === true, allowSpecChange: raw.allowSpecChange === true, allowDisabled: raw.allowDisabled === true }, ctx, globals))
    })
}

/** The safe repoint: local checks, preflight, optional prompt, UpdateAlias, confirmation. */
export async function runUpdate(options: UpdateOptions, ctx: Context, globals: GlobalOptions, origin?: ChangeOrigin): Promise<number> {
  // Malformed input is a usage error before anything else happens (main prints it; exit 2).
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const targetRef = parseKeyRef(options.to, '--to')
  const expected = options.expectCurrent === undefined ? undefined : parseKeyIdRef(options.expectCurrent, '--expect-current')

  return runChange(ctx, globals, { action: 'update', alias: aliasRef.name, dryRun: options.dryRun, ...origin }, async (step) => {
    const { kms, region, ui, report, plan } = step
    const local = [...reservedAliasFindings(aliasRef.name), ...aliasRegionRefusals(aliasRef, region), ...targetRefRefusals(targetRef, region)]
    if (local.length > 0) return refuse(report, local, plan)

    const [current, target] = await ui.progress(`Preflight: describing ${aliasRef.name} and ${targetRef.input}`, () =>
      Promise.all([describeWithAliases(kms, aliasRef.name, `alias ${aliasRef.name}`), describeWithAliases(kms, targetRef.input, `--to ${targetRef.input}`)]),
    )
    report.previous = toKeyView(current.key)
    report.target = toKeyView(target.key)

    if (expected && !matchesKey(expected, current.key)) guardConflict(report, aliasRef.name, current.key.keyId, expected.input)

    report.findings = updatePreflight({
      aliasName: aliasRef.name,
      expectedAccount: aliasRef.arn?.account ?? options.expectAccount,
      current: current.key,
      target: target.key,
      targetLocation: targetLocation(target.key, targetRef),
      aliasesOnCurrent: current.aliases,
      aliasesOnTarget: target.aliases,
      overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled },
    })
    if (report.findings.some((f) => f.code === 'ALREADY_TARGET')) {
      report.outcome = 'already-in-place'
      report.verified = current.aliases.some((a) => a.name === aliasRef.name)
      plan.show()
      return Exit.Ok
    }
    if (hasBlock(report.findings)) return refuse(report, report.findings, plan)
    plan.show()
    if (options.dryRun) {
      report.outcome = 'would-update'
      return Exit.Ok
    }
    if (!options.yes && canAsk(ctx, ui.format) && !(await ctx.prompt.confirm(`Point ${aliasRef.name} from ${current.key.keyId} to ${target.key.keyId}?`))) {
      report.outcome = 'declined'
      throw new CliError('cancelled at the prompt', Exit.Interrupted)
    }

    const name = aliasRef.name
    const newKeyId = target.key.keyId
    if (expected) {
      // The guard is only as good as its last read: look again right before the write, so that a
      // writer who acted during the preflight or the prompt is caught, not overwritten.
      const now = await currentTarget(kms, name)
      if (now !== current.key.keyId) guardConflict(report, name, now ?? 'nothing (the alias is gone)', expected.input)
    }
    return applyChange(step, {
      label: `Updating ${name}`,
      check: { aliasName: name, wanted: newKeyId, previous: current.key.keyId },
      send: () => kms.updateAlias(name, newKeyId),
      undo: undoCommand(name, current.key, target.key, report, globals),
      outcome: 'updated',
      verify: options.verify,
      confirmLabel: `Confirming ${name} with ListAliases`,
      confirm: () => confirmAliasTarget(kms, { aliasName: name, expectedKeyId: newKeyId, previousKeyId: current.key.keyId, ...pollTiming(ctx, options.verifyTimeout) }),
      expectation: { operation: 'UpdateAlias', aliasName: name, expected: `${name} on ${newKeyId}`, timeoutSeconds: options.verifyTimeout },
    })
  })
}

function undoCommand(aliasName: string, previous: KeyInfo, target: KeyInfo, report: AliasChangeReport, globals: GlobalOptions): string {
  const words = ['update', aliasName, '--to', previous.keyId, '--expect-current', target.keyId]
  const command = kmsAliasCommand(words, report.region, globals)
  // Going back crosses the same differences, so it needs the same overrides.
  const overrides: string[] = []
  if (report.findings.some((f) => f.code === 'KEY_SPEC_MISMATCH' || f.code === 'ALGORITHMS_DROPPED')) overrides.push('--allow-spec-change')
  if (previous.keyState !== 'Enabled') overrides.push('--allow-disabled')
  return [command, ...overrides].join(' ')
}
