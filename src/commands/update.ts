import { Option, type Command } from 'commander'
import type { Context } from '../context.js'
import { AwsError, CliError, Exit, InterruptedError, NotFoundError, type ExitCode } from '../errors.js'
import { parsePositiveSeconds, resolveGlobalOptions, type GlobalOptions } from '../globalOptions.js'
import { confirmAliasTarget, currentTarget } from '../kms/confirm.js'
import { isReservedAlias, parseAliasRef, parseKeyIdRef, parseKeyRef, type AliasRef, type KeyRef } from '../kms/identifiers.js'
import type { AliasEntry, KeyInfo, KmsPort } from '../kms/port.js'
import { toKeyView } from '../output/keyView.js'
import { shellCommand } from '../output/shell.js'
import { createUi, errorSummary, type Ui } from '../output/ui.js'
import {
  describeAliasState,
  renderFindings,
  renderUpdateJson,
  renderUpdatePlan,
  renderUpdateSuccess,
  renderUpdateText,
  type UpdateReport,
} from '../output/updateView.js'
import { hasBlock, reservedAliasFindings, updatePreflight, type Finding } from '../preflight/rules.js'
import type { SetExitCode } from '../program.js'

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
}

export type RunUpdate = (options: UpdateOptions, ctx: Context, globals: GlobalOptions) => Promise<number>

const EXAMPLES = `
Examples:
  $ kms-alias update alias/payments --to 1234abcd-12ab-34cd-56ef-1234567890ab --dry-run
  $ kms-alias update alias/payments --to alias/payments-2027 --yes --json
  $ kms-alias update alias/signing --to arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \\
      --expect-current 0987dcba-09fe-87dc-65ba-ab0987654321 --allow-spec-change`

export function registerUpdate(program: Command, ctx: Context, setExitCode: SetExitCode, run: RunUpdate = runUpdate): Command {
  return program
    .command('update')
    .description('point an alias to another key, after checking that the new key can replace the old one')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .requiredOption('--to <key>', 'the new target: key ID, mrk- ID, key ARN, alias/<name> or alias ARN')
    .option('--dry-run', 'run the preflight and print the plan; change nothing (exit 0 if it would be made, 3 if refused)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .option('--expect-current <key>', 'change nothing and exit 5 unless the alias points to this key (ID or ARN) now')
    .option('--allow-spec-change', 'allow a different KeySpec or fewer algorithms within the same key class (a warning instead)')
    .option('--allow-disabled', 'allow a target that is not Enabled (never one pending deletion)')
    .option('--no-verify', 'skip confirming the change with ListAliases (output says verified: false)')
    .addOption(new Option('--verify-timeout <seconds>', 'how long to wait for ListAliases to show the change').default(30).argParser(parsePositiveSeconds('--verify-timeout')))
    .addHelpText('after', EXAMPLES)
    .action(async (alias: string, raw: Omit<UpdateOptions, 'alias'>, command: Command) => {
      const globals = resolveGlobalOptions(command.optsWithGlobals(), ctx)
      setExitCode(await run({ ...raw, alias, dryRun: raw.dryRun === true, yes: raw.yes === true, allowSpecChange: raw.allowSpecChange === true, allowDisabled: raw.allowDisabled === true }, ctx, globals))
    })
}

/** The safe repoint: local checks, preflight, optional prompt, UpdateAlias, confirmation. */
export async function runUpdate(options: UpdateOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  // Malformed input is a usage error before anything else happens (main prints it; exit 2).
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const targetRef = parseKeyRef(options.to, '--to')
  const expected = options.expectCurrent === undefined ? undefined : parseKeyIdRef(options.expectCurrent, '--expect-current')

  const ui = createUi(ctx, globals)
  const report: UpdateReport = {
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
  const run = new UpdateRun(ctx, ui, options, globals, report)
  report.exitCode = await run.execute(aliasRef, targetRef, expected)
  run.finish()
  return report.exitCode
}

type Phase = 'preflight' | 'update' | 'verify'

interface DescribedKey {
  key: KeyInfo
  aliases: AliasEntry[]
}

class UpdateRun {
  private phase: Phase = 'preflight'
  private planShown = false

  constructor(
    private readonly ctx: Context,
    private readonly ui: Ui,
    private readonly options: UpdateOptions,
    private readonly globals: GlobalOptions,
    private readonly report: UpdateReport,
  ) {}

  /** Runs every step; expected failures become the report's error and exit code. */
  async execute(aliasRef: AliasRef, targetRef: KeyRef, expected: Extract<KeyRef, { kind: 'key' }> | undefined): Promise<ExitCode> {
    try {
      return await this.steps(aliasRef, targetRef, expected)
    } catch (error) {
      // Ctrl-C surfaces as whatever was waiting at the time (a sleep, a socket): all mean the same.
      if (this.ctx.signal.aborted && !(error instanceof CliError)) return this.recordFailure(new InterruptedError())
      if (!(error instanceof CliError)) throw error
      return this.recordFailure(error)
    }
  }

  private async steps(aliasRef: AliasRef, targetRef: KeyRef, expected: Extract<KeyRef, { kind: 'key' }> | undefined): Promise<ExitCode> {
    const { report, ui, options } = this
    const kms = await this.ctx.kms(ui.kmsConfig())
    const region = await kms.region()
    report.region = region

    const local = localRefusals(aliasRef, targetRef, region)
    if (local.length > 0) return this.refuse(local)

    const [current, target] = await ui.progress(`Preflight: describing ${aliasRef.name} and ${targetRef.input}`, () =>
      Promise.all([
        describeWithAliases(kms, aliasRef.name, `alias ${aliasRef.name}`),
        describeWithAliases(kms, targetRef.input, `--to ${targetRef.input}`),
      ]),
    )
    report.previous = toKeyView(current.key)
    report.target = toKeyView(target.key)

    if (expected && !matchesKey(expected, current.key)) {
      report.outcome = 'conflict'
      throw new CliError(`${aliasRef.name} points to ${current.key.keyId}, not ${expected.input} (--expect-current); nothing was changed`, Exit.Conflict, 'someone else may have changed it; check before retrying')
    }

    report.findings = updatePreflight({
      aliasName: aliasRef.name,
      ...(aliasRef.arn ? { typedAliasAccount: aliasRef.arn.account } : {}),
      current: current.key,
      target: target.key,
      targetLocation: {
        region: target.key.region,
        account: target.key.accountId,
        ...(targetRef.kind === 'key' && targetRef.arn ? { typedRegion: targetRef.arn.region, typedAccount: targetRef.arn.account } : {}),
      },
      aliasesOnCurrent: current.aliases,
      aliasesOnTarget: target.aliases,
      overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled },
    })
    if (report.findings.some((f) => f.code === 'ALREADY_TARGET')) {
      report.outcome = 'already-in-place'
      report.verified = current.aliases.some((a) => a.name === aliasRef.name)
      this.showPlan()
      return Exit.Ok
    }
    if (hasBlock(report.findings)) return this.refuse(report.findings)
    this.showPlan()
    if (options.dryRun) {
      report.outcome = 'would-update'
      return Exit.Ok
    }
    if (this.mustAsk() && !(await this.ctx.prompt.confirm(`Point ${aliasRef.name} from ${current.key.keyId} to ${target.key.keyId}?`))) {
      report.outcome = 'declined'
      throw new CliError('cancelled at the prompt', Exit.Interrupted)
    }

    this.phase = 'update'
    await ui.progress(`Updating ${aliasRef.name}`, () => this.sendUpdate(kms, aliasRef.name, current.key, target.key))
    report.changed = true
    report.undo = this.undoCommand(aliasRef.name, current.key, target.key)

    if (!options.verify) {
      report.outcome = 'updated'
      return Exit.Ok
    }
    this.phase = 'verify'
    return await this.confirm(kms, aliasRef.name, current.key, target.key)
  }

  private refuse(findings: Finding[]): never {
    const { report } = this
    report.findings = findings
    report.outcome = 'refused'
    const blocking = findings.filter((f) => f.severity === 'block').map((f) => f.code)
    this.showPlan()
    throw new CliError(`refused by the preflight: ${blocking.join(', ')}`, Exit.Refused, report.dryRun ? undefined : 'see the findings; nothing was changed')
  }

  private mustAsk(): boolean {
    const { io } = this.ctx
    return !this.options.yes && this.ui.format !== 'json' && io.stdinTTY && io.stderrTTY
  }

  private async sendUpdate(kms: KmsPort, aliasName: string, current: KeyInfo, target: KeyInfo): Promise<void> {
    try {
      await kms.updateAlias(aliasName, target.keyId)
    } catch (error) {
      if (!(error instanceof AwsError)) throw error
      // The request may have been applied even though no answer came back: look before reporting.
      const seen = await currentTarget(kms, aliasName).catch(() => null)
      if (seen === target.keyId) {
        this.ui.debug(`UpdateAlias failed (${error.message}) but ${aliasName} now points to ${target.keyId}; treating it as applied`)
        return
      }
      this.report.changed = seen === null ? null : false
      const observed =
        seen === null ? 're-reading the alias failed too' : seen === undefined ? `${aliasName} no longer exists` : `${aliasName} points to ${seen}${seen === current.keyId ? ' (unchanged)' : ''}`
      throw new AwsError(`${error.message}; ${observed}`, error.awsCode, error.hint)
    }
  }

  private async confirm(kms: KmsPort, aliasName: string, current: KeyInfo, target: KeyInfo): Promise<ExitCode> {
    const { report, ctx, ui } = this
    const result = await ui.progress(`Confirming ${aliasName} with ListAliases`, () =>
      confirmAliasTarget(kms, {
        aliasName,
        expectedKeyId: target.keyId,
        previousKeyId: current.keyId,
        timeoutMs: this.options.verifyTimeout * 1000,
        now: ctx.now,
        sleep: ctx.sleep,
        signal: ctx.signal,
      }),
    )
    switch (result.status) {
      case 'confirmed':
        report.verified = true
        report.outcome = 'updated'
        return Exit.Ok
      case 'other-target':
        report.outcome = 'not-confirmed'
        throw new CliError(`after the update ${aliasName} points to ${result.keyId}, neither the old nor the new key: another writer changed it`, Exit.NotConfirmed, 'find out who else is changing this alias before retrying')
      case 'gone':
        report.outcome = 'not-confirmed'
        throw new CliError(`after the update ${aliasName} no longer exists: another writer deleted it`, Exit.NotConfirmed)
      case 'timeout':
        report.outcome = 'not-confirmed'
        throw new CliError(
          `UpdateAlias was sent, but ListAliases did not show ${aliasName} on ${target.keyId} within ${this.options.verifyTimeout} s (${result.reads} reads; DescribeKey last saw ${result.lastSeenKeyId ?? 'nothing'})`,
          Exit.NotConfirmed,
          'KMS is eventually consistent: check again shortly, or raise --verify-timeout',
        )
    }
  }

  private recordFailure(error: CliError): ExitCode {
    const { report } = this
    report.error = errorSummary(error)
    const interrupted = error.exitCode === Exit.Interrupted
    if (this.phase === 'update' && interrupted) report.changed = null
    if (this.phase === 'verify') {
      // The change went out; only its confirmation failed.
      report.outcome = 'not-confirmed'
      return interrupted ? Exit.Interrupted : Exit.NotConfirmed
    }
    return error.exitCode
  }

  private undoCommand(aliasName: string, previous: KeyInfo, target: KeyInfo): string {
    const { globals, report } = this
    const words = ['kms-alias', 'update', aliasName, '--to', previous.keyId, '--expect-current', target.keyId]
    if (report.region) words.push('--region', report.region)
    if (globals.profile) words.push('--profile', globals.profile)
    if (globals.endpointUrl) words.push('--endpoint-url', globals.endpointUrl)
    // Going back crosses the same differences, so it needs the same overrides.
    if (report.findings.some((f) => f.code === 'KEY_SPEC_MISMATCH' || f.code === 'ALGORITHMS_DROPPED')) words.push('--allow-spec-change')
    if (previous.keyState !== 'Enabled') words.push('--allow-disabled')
    return shellCommand(words)
  }

  private showPlan(): void {
    if (this.ui.format !== 'table' || this.planShown) return
    this.planShown = true
    this.ui.write(renderUpdatePlan(this.report, this.ui.out))
  }

  /** Writes the final output for the chosen format. */
  finish(): void {
    const { report, ui } = this
    if (ui.format === 'json') ui.write(renderUpdateJson(report))
    if (ui.format === 'text') {
      ui.write(renderUpdateText(report))
      if (report.findings.length > 0) for (const line of renderFindings(report.findings, ui.err)) ui.note(line)
    }
    if (report.error) {
      ui.error(report.error)
      if (ui.format === 'table') ui.note(describeAliasState(report))
    } else if (ui.format === 'table') {
      ui.write(renderUpdateSuccess(report, ui.out))
    }
  }
}

/** Refusals that need no KMS call: some calls (DescribeKey on alias/aws/*) even have side effects. */
function localRefusals(aliasRef: AliasRef, targetRef: KeyRef, region: string): Finding[] {
  const findings: Finding[] = [...reservedAliasFindings(aliasRef.name)]
  if (aliasRef.arn && aliasRef.arn.region !== region) {
    findings.push({ code: 'ALIAS_OTHER_REGION', severity: 'block', message: `the alias ARN is in ${aliasRef.arn.region} but requests go to ${region}; pass --region ${aliasRef.arn.region} to change it there` })
  }
  const targetArn = targetRef.kind === 'key' ? targetRef.arn : targetRef.alias.arn
  if (targetArn && targetArn.region !== region) {
    findings.push({ code: 'TARGET_OTHER_REGION', severity: 'block', message: `the new key ARN is in ${targetArn.region} but the alias is in ${region}; an alias can only point to a key in its own Region` })
  }
  if (targetRef.kind === 'alias' && isReservedAlias(targetRef.alias.name)) {
    findings.push({ code: 'TARGET_AWS_MANAGED', severity: 'block', message: `${targetRef.alias.name} names an AWS managed key; aliases can only point to customer managed keys` })
  }
  return findings
}

async function describeWithAliases(kms: KmsPort, keyRef: string, label: string): Promise<DescribedKey> {
  let key: KeyInfo
  try {
    key = await kms.describeKey(keyRef)
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`${label} not found in ${await kms.region()}`, error.hint)
    throw error
  }
  return { key, aliases: await kms.listAliases({ keyId: key.keyId }) }
}

function matchesKey(expected: Extract<KeyRef, { kind: 'key' }>, key: KeyInfo): boolean {
  return expected.keyId === key.keyId && (expected.arn === undefined || expected.input === key.arn)
}
