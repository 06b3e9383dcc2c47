// update --regions / --all-regions: one alias repointed in several Regions of one account as one
// change. Every Region is planned first, at the same time, with the preflight of a single update;
// any block refuses the whole change. Then the Regions are changed one after another, each through
// its own Writer (its own port), and confirmed before the next: a failure or conflict stops the run
// and rolls back the Regions already changed, guarded like every write.
import type { Context } from '../cli/context.js'
import { CliError, ConflictError, Exit, UsageError, type ExitCode } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId } from '../engine/journal.js'
import { requestedAccount } from '../engine/account.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef, type AliasRef, type KeyRef } from '../kms/identifiers.js'
import { currentTarget, describeThen, describeWithAliases, matchesKey, type DescribedKey } from '../kms/lookups.js'
import type { KmsPort } from '../kms/port.js'
import { inEveryRegion, inRegion } from '../kms/regional.js'
import { toKeyView } from '../output/keyView.js'
import {
  overallChanged,
  renderRegionsJson,
  renderRegionsOutcome,
  renderRegionsPlan,
  renderRegionsText,
  type RegionReport,
  type RegionsUpdateReport,
} from '../output/regionsView.js'
import { createUi, errorSummary, warnOnce, type Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { accessPreflight } from '../preflight/accessPreflight.js'
import { localRefusals } from '../preflight/local.js'
import { keyRegions, regionNotCoveredFindings, replicaRegionsFindings, resolvePerRegion } from '../preflight/multiRegion.js'
import { updateFindings } from '../preflight/plan.js'
import { hasBlock, type Finding } from '../preflight/rules.js'
import { interruption, Writer, type WriteOrigin } from '../engine/writePath.js'
import { canAsk, expectedFailure, kmsAliasCommand, pollTiming, requireConfirmed } from '../engine/mutation.js'
import type { UpdateOptions } from './update.js'
import { sessionOf, type Session } from '../cli/session.js'

export interface RegionsUpdateOptions extends UpdateOptions {
  /** --regions, in the order given. */
  regions?: string[]
  /** --all-regions: every Region of the current key's replica set. */
  allRegions: boolean
}

/** One Region of the run: its port and Writer, what the plan read there, and its report. */
interface RegionRun {
  region: string
  kms: KmsPort
  writer: Writer
  report: RegionReport
  current?: DescribedKey
  target?: DescribedKey
  /** Why planning failed in this Region. */
  failure?: CliError
}

/** Plans every Region, changes them one by one, rolls back on a failure; prints one document. */
export async function runUpdateRegions(options: RegionsUpdateOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  if (options.regions !== undefined && options.allRegions) throw new UsageError('--regions and --all-regions cannot be used together')
  if (options.regions !== undefined && globals.region !== undefined)
    throw new UsageError('--region and --regions cannot be used together', 'list every Region in --regions')
  const aliasRef = parseAliasRef(options.alias, 'alias')
  if (aliasRef.arn)
    throw new UsageError(
      `${options.alias} is an alias ARN, which names one Region (${aliasRef.arn.region}); with several Regions give the alias name`,
      `use ${aliasRef.name}`,
    )
  const targetRef = parseKeyRef(options.to, '--to')
  const expectRef = options.expectCurrent === undefined ? undefined : parseKeyRef(options.expectCurrent, '--expect-current')

  // One Writer per Region would repeat a journal warning per Region.
  const ui = warnOnce(createUi(ctx, globals))
  const report: RegionsUpdateReport = {
    action: 'update',
    alias: aliasRef.name,
    runId: `run-${newJournalId()}`,
    outcome: 'failed',
    dryRun: options.dryRun,
    changed: false,
    verified: false,
    findings: [],
    regions: [],
    undo: null,
    error: null,
    exitCode: Exit.Ok,
  }
  const run = new RegionsRun(ctx, ui, sessionOf(ctx, globals, ui), globals, options, report, aliasRef)
  try {
    const regions = options.regions ?? (await run.replicaSet())
    // Checked before any change is planned: a typed key that names one Region cannot serve several.
    const targets = resolvePerRegion(targetRef, regions, '--to')
    const expects = expectRef === undefined ? undefined : resolvePerRegion(expectRef, regions, '--expect-current')
    report.exitCode = await run.execute(regions, targets, expects)
  } catch (error) {
    const failure = expectedFailure(ctx, error)
    report.error = errorSummary(failure)
    report.exitCode = failure.exitCode
  }
  report.changed = overallChanged(report.regions)
  if (ui.format === 'json') ui.write(renderRegionsJson(report))
  else if (ui.format === 'text') {
    const human = escapeDeep(report)
    ui.write(renderRegionsText(human))
    for (const r of human.regions) for (const f of r.findings) ui.note(`${r.region}: ${f.severity} ${f.code} ${f.message}`)
    for (const f of human.findings) ui.note(`${f.severity} ${f.code} ${f.message}`)
  } else ui.write(renderRegionsOutcome(escapeDeep(report), ui.out))
  if (report.error) ui.error(report.error)
  return report.exitCode
}

class RegionsRun {
  constructor(
    private readonly ctx: Context,
    private readonly ui: Ui,
    private readonly session: Session,
    private readonly globals: GlobalOptions,
    private readonly options: RegionsUpdateOptions,
    private readonly report: RegionsUpdateReport,
    private readonly aliasRef: AliasRef,
  ) {}

  /** --all-regions: the Regions of the multi-Region key the alias points to in the client's Region. */
  async replicaSet(): Promise<string[]> {
    const kms = await this.session.kms()
    const home = await kms.region()
    const current = await this.ui.progress(`Describing ${this.aliasRef.name} in ${home}`, () =>
      describeWithAliases(kms, this.aliasRef.name, `alias ${this.aliasRef.name}`),
    )
    if (!current.key.multiRegion) {
      throw new UsageError(
        `${this.aliasRef.name} points to ${current.key.keyId}, a single-Region key in ${home}: --all-regions means every Region of a multi-Region key's replica set`,
        'name the Regions with --regions r1,r2,…',
      )
    }
    return keyRegions(current.key)
  }

  async execute(
    regions: string[],
    targets: { region: string; keyRef: string }[],
    expects: { region: string; keyRef: string }[] | undefined,
  ): Promise<ExitCode> {
    const { ctx, ui, options, report } = this
    const name = this.aliasRef.name
    const runs = await ui.progress(`Preflight: planning ${name} in ${regions.length} Regions`, () =>
      inEveryRegion(
        regions.map((region) => ({ region })),
        (partition) => this.session.kms(partition),
        (kms, { region }) => this.plan(kms, region, targetOf(targets, region), expects === undefined ? undefined : targetOf(expects, region)),
      ),
    )
    report.regions = runs.map((r) => r.report)
    // Regions fail in their own order; the first in --regions order is the one reported.
    const failed = runs.find((r) => r.failure !== undefined)
    if (failed?.failure) {
      for (const r of runs) if (r.failure === undefined) r.report.outcome = 'not-attempted'
      report.outcome = failed.report.outcome === 'conflict' ? 'conflict' : 'failed'
      throw inRegion(failed.region, failed.failure)
    }
    report.findings = await this.replicaSetFindings(runs, regions)

    const pending = runs.filter((r) => r.report.outcome !== 'already-in-place')
    const blocked = runs.filter((r) => hasBlock(r.report.findings))
    if (blocked.length > 0) {
      for (const r of blocked) r.report.outcome = 'refused'
      for (const r of runs) if (!hasBlock(r.report.findings) && r.report.outcome !== 'already-in-place') r.report.outcome = 'not-attempted'
      report.outcome = 'refused'
      this.showPlan()
      const codes = [...new Set(blocked.flatMap((r) => r.report.findings.filter((f) => f.severity === 'block').map((f) => `${r.region} ${f.code}`)))]
      throw new CliError(
        `refused by the preflight: ${codes.join(', ')}; nothing was changed in any Region`,
        Exit.Refused,
        options.dryRun ? undefined : 'see the findings',
      )
    }
    this.showPlan()
    if (pending.length === 0) {
      report.outcome = 'already-in-place'
      report.verified = runs.every((r) => r.report.verified)
      return Exit.Ok
    }
    if (options.dryRun) {
      for (const r of pending) r.report.outcome = 'would-update'
      report.outcome = 'would-update'
      return Exit.Ok
    }
    const question = `Point ${name} to the new key in ${pending.length} Region${pending.length === 1 ? '' : 's'} (${pending.map((r) => r.region).join(', ')})?`
    if (!options.yes && canAsk(ctx, ui.format) && !(await ctx.prompt.confirm(question))) {
      report.outcome = 'declined'
      for (const r of pending) r.report.outcome = 'not-attempted'
      throw new CliError('cancelled at the prompt; nothing was changed', Exit.Interrupted)
    }
    for (const r of pending) r.report.outcome = 'not-attempted'
    return this.change(pending)
  }

  private showPlan(): void {
    if (this.ui.format === 'table') this.ui.write(renderRegionsPlan(escapeDeep(this.report), this.ui.out))
  }

  /** One Region's plan: the reads and findings of a single update, under the same guard. */
  private async plan(kms: KmsPort, region: string, to: string, expect: string | undefined): Promise<RegionRun> {
    const { ctx, ui, globals, options } = this
    const report: RegionReport = {
      region,
      previous: null,
      target: null,
      findings: [],
      outcome: 'failed',
      changed: false,
      verified: false,
      journalId: null,
      error: null,
    }
    const run: RegionRun = { region, kms, writer: new Writer(ctx, ui, globals, kms), report }
    try {
      const targetRef = parseKeyRef(to, '--to')
      const local = localRefusals(this.aliasRef, region, targetRef)
      if (local.length > 0) {
        report.findings = local
        return run
      }
      // As in a single update, the access reads go out as soon as both keys are described, beside
      // the ListAliases calls; none when the alias is not where --expect-current says.
      const expectation = expect === undefined ? undefined : expectedKeyId(kms, expect)
      const access = {
        aliasName: this.aliasRef.name,
        allowAccessChange: options.allowAccessChange === true,
        iam: options.iam ? () => this.session.iam() : undefined,
      }
      const lookups = [
        { ref: this.aliasRef.name, label: `alias ${this.aliasRef.name}` },
        { ref: to, label: `--to ${to}` },
      ] as const
      const [[[current, target], accessFound], expected] = await Promise.all([
        describeThen(kms, lookups, async ([currentKey, targetKey]) => {
          const matches = await expectation
          if (matches !== undefined && !matches(currentKey.keyId, currentKey.arn)) return []
          // The access preflight of a single update, in each Region (policies and grants are per Region).
          return accessPreflight(kms, currentKey, targetKey, access)
        }),
        expectation,
      ])
      run.current = current
      run.target = target
      report.previous = toKeyView(current.key)
      report.target = toKeyView(target.key)
      if (expected !== undefined && !expected(current.key.keyId, current.key.arn)) {
        report.outcome = 'conflict'
        throw new CliError(
          `${this.aliasRef.name} points to ${current.key.keyId} in ${region}, not ${expect} (--expect-current); nothing was changed in any Region`,
          Exit.Conflict,
          'someone else may have changed it; check before retrying',
        )
      }
      // accessPreflight reads nothing for ALREADY_TARGET (the same key on both sides).
      report.findings = [
        ...updateFindings({
          aliasRef: this.aliasRef,
          targetRef,
          current,
          target,
          expectAccount: options.expectAccount ?? requestedAccount(globals),
          overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled },
        }),
        ...accessFound,
      ]
      if (report.findings.some((f) => f.code === 'ALREADY_TARGET')) {
        report.outcome = 'already-in-place'
        report.verified = current.aliases.some((a) => a.name === this.aliasRef.name)
      }
    } catch (error) {
      const failure = expectedFailure(ctx, error)
      run.failure = failure
      report.error = errorSummary(inRegion(region, failure))
    }
    return run
  }

  /**
   * REPLICA_REGIONS_DIFFER and REGION_NOT_COVERED, once for the whole change: from the first Region
   * whose current key is multi-Region, and the alias's presence in the replica Regions left out.
   */
  private async replicaSetFindings(runs: RegionRun[], regions: string[]): Promise<Finding[]> {
    const multi = runs.find((r) => r.current?.key.multiRegion)
    if (!multi?.current || !multi.target) return []
    const left = keyRegions(multi.current.key).filter((r) => !regions.includes(r))
    const present = await Promise.all(
      left.map(async (region) => {
        try {
          const kms = await this.session.kms({ region })
          return (await currentTarget(kms, this.aliasRef.name)) === undefined ? undefined : region
        } catch (error) {
          // A Region outside the change that cannot be read only loses its warning.
          this.ui.debug(`${region}: cannot tell whether ${this.aliasRef.name} exists there: ${(error as Error).message}`)
          return undefined
        }
      }),
    )
    const aliasRegions = [...regions, ...present.filter((r): r is string => r !== undefined)]
    return [
      ...replicaRegionsFindings({ current: multi.current.key, target: multi.target.key, aliasRegions }),
      ...regionNotCoveredFindings({ current: multi.current.key, requestedRegions: regions, aliasRegions }),
    ]
  }

  /** Changes each Region in turn and confirms it; the first failure stops the rest and rolls back. */
  private async change(pending: RegionRun[]): Promise<ExitCode> {
    const { ctx, ui, options, report } = this
    const name = this.aliasRef.name
    const changed: RegionRun[] = []
    let failure: CliError | undefined
    for (const r of pending) {
      if (ctx.signal.aborted) {
        failure = interruption(ctx)
        break
      }
      const previous = r.current?.key.keyId as string
      const wanted = r.target?.key.keyId as string
      const result = await ui.progress(`Updating ${name} in ${r.region}`, () =>
        r.writer.write({
          action: 'update',
          alias: name,
          region: r.region,
          account: r.current?.key.accountId || null,
          expected: previous,
          wanted,
          origin: this.origin(null),
          send: () => r.kms.updateAlias(name, wanted),
        }),
      )
      r.report.journalId = result.journalId
      r.report.changed = result.changed
      if (result.status !== 'written') {
        r.report.outcome = result.status === 'conflict' ? 'conflict' : 'failed'
        failure = inRegion(r.region, result.error) as CliError
        r.report.error = errorSummary(failure)
        break
      }
      changed.push(r)
      r.report.outcome = 'updated'
      if (!options.verify) continue
      const confirmed = await this.confirm(r, wanted, previous, 'UpdateAlias')
      if (confirmed) {
        r.report.verified = true
        await r.writer.verified(result.journalId)
        continue
      }
      r.report.outcome = 'not-confirmed'
      failure = confirmedFailure(r)
      break
    }
    if (failure === undefined) {
      report.outcome = 'updated'
      report.verified = options.verify
      report.undo = pending
        .map((r) =>
          kmsAliasCommand(
            [
              'update',
              name,
              '--to',
              r.current?.key.keyId as string,
              '--expect-current',
              r.target?.key.keyId as string,
              ...(options.allowSpecChange ? ['--allow-spec-change'] : []),
            ],
            r.region,
            this.globals,
          ),
        )
        .join(' && ')
      return Exit.Ok
    }
    report.outcome = failure.exitCode === Exit.NotConfirmed ? 'not-confirmed' : failure.exitCode === Exit.Conflict ? 'conflict' : 'failed'
    if (changed.length > 0 && !ctx.signal.aborted)
      await ui.progress(`Rolling back ${changed.length} Region${changed.length === 1 ? '' : 's'}`, () => this.rollBack([...changed].reverse()))
    const leftAlone = changed.filter((r) => r.report.outcome === 'conflict')
    if (leftAlone.length > 0) {
      throw new ConflictError(
        `${failure.message}; not rolled back because another writer changed ${name} there since: ${leftAlone.map((r) => r.region).join(', ')}`,
        'check those Regions by hand; kms-alias history lists what this run did',
      )
    }
    throw failure
  }

  /** Puts each changed Region back, only while the alias still points where this run left it. */
  private async rollBack(changed: RegionRun[]): Promise<void> {
    const name = this.aliasRef.name
    for (const r of changed) {
      const previous = r.current?.key.keyId as string
      const target = r.target?.key.keyId as string
      const result = await r.writer.write({
        action: 'update',
        alias: name,
        region: r.region,
        account: r.current?.key.accountId || null,
        expected: target,
        wanted: previous,
        origin: this.origin(r.report.journalId),
        send: () => r.kms.updateAlias(name, previous),
      })
      if (result.status === 'written') {
        r.report.outcome = 'rolled-back'
        r.report.changed = false
        r.report.verified = false
        if (this.options.verify && (await this.confirm(r, previous, target, 'UpdateAlias (rollback)'))) {
          r.report.verified = true
          await r.writer.verified(result.journalId)
        }
      } else if (result.status === 'conflict') {
        r.report.outcome = 'conflict'
        r.report.changed = result.seen === null ? null : true
        r.report.error = { ...errorSummary(result.error), message: `not rolled back: ${result.error.message}` }
      } else {
        r.report.changed = result.changed === null ? null : !result.changed
        r.report.error = { ...errorSummary(result.error), message: `rollback failed: ${result.error.message}` }
      }
    }
  }

  /** Confirms with ListAliases; a failed confirmation is recorded in the Region's report. */
  private async confirm(r: RegionRun, expectedKeyId: string, previousKeyId: string, operation: string): Promise<boolean> {
    const name = this.aliasRef.name
    const timeout = this.options.verifyTimeout
    try {
      const result = await this.ui.progress(`Confirming ${name} in ${r.region} with ListAliases`, () =>
        confirmAliasTarget(r.kms, { aliasName: name, expectedKeyId, previousKeyId, ...pollTiming(this.ctx, timeout) }),
      )
      requireConfirmed(result, { operation, aliasName: name, expected: `${name} on ${expectedKeyId}`, timeoutSeconds: timeout })
      return true
    } catch (error) {
      r.report.error = errorSummary(inRegion(r.region, expectedFailure(this.ctx, error)))
      return false
    }
  }

  private origin(reverts: string | null): WriteOrigin {
    return { command: reverts ? 'update (rollback)' : 'update', reverts, runId: this.report.runId }
  }
}

function targetOf(refs: { region: string; keyRef: string }[], region: string): string {
  return refs.find((r) => r.region === region)?.keyRef as string
}

/** What --expect-current names in one Region, as a test of the current key (ID, or exact ARN). */
async function expectedKeyId(kms: KmsPort, expect: string): Promise<(keyId: string, arn: string) => boolean> {
  const ref: KeyRef = parseKeyRef(expect, '--expect-current')
  if (ref.kind === 'key') return (keyId, arn) => matchesKey(ref, { keyId, arn } as Parameters<typeof matchesKey>[1])
  const keyId = await currentTarget(kms, ref.alias.name)
  return (current) => current === keyId
}

function confirmedFailure(r: RegionRun): CliError {
  const summary = r.report.error
  return new CliError(summary?.message ?? `${r.region}: the change was not confirmed`, Exit.NotConfirmed, summary?.hint)
}
