// update --regions / --all-regions: one alias repointed in several Regions of one account as one
// change. Every Region is planned first, at the same time, with the preflight of a single update;
// any block refuses the whole change. Then the Regions are changed one after another, each through
// its own Writer (its own port), and confirmed before the next: a failure or conflict stops the run
// and rolls back the Regions already changed, guarded like every write.
import type { Context } from '../cli/context.js'
import { CliError, ConflictError, Exit, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId } from '../engine/journal.js'
import { requestedAccount } from '../engine/account.js'
import { confirmAliasTarget, type Confirmation } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef, type AliasRef } from '../kms/identifiers.js'
import type { DescribedKey } from '../kms/lookups.js'
import type { KmsPort } from '../kms/port.js'
import { inEveryRegion, inRegion } from '../kms/regional.js'
import { toKeyView } from '../output/keyView.js'
import {
  overallChanged,
  regionAfter,
  runOutcome,
  renderRegionsJson,
  renderRegionsOutcome,
  renderRegionsPlan,
  renderRegionsText,
  type RegionReport,
  type RegionsUpdateReport,
} from '../output/regionsView.js'
import { createUi, errorSummary, warnOnce, type Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { replicaSetFindings, replicaSetOf } from '../engine/regions.js'
import { expectation, planMove } from '../engine/planner.js'
import { callersOver } from '../engine/usageReads.js'
import { RunReads } from '../engine/reads.js'
import { resolvePerRegion } from '../preflight/multiRegion.js'
import { hasBlock } from '../preflight/rules.js'
import { Writer, type WriteOrigin } from '../engine/writePath.js'
import { moveCall, rollBack } from '../engine/steps.js'
import { failureOf, finish, runItems, settle, type RunView, type Trace, pollTiming, requireConfirmed } from '../engine/run.js'
import { kmsAliasCommand } from '../output/shell.js'
import type { UpdateOptions } from './update.js'
import { sessionOf, type Session } from '../cli/session.js'
import { probeAfter, probeBefore, probeCallers, type ProbeCaller } from '../engine/probe.js'
import type { KeyInfo } from '../kms/port.js'
import type { ProbeBefore } from '../preflight/probe.js'
import { probeReport } from '../output/probeView.js'

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
  /** The use probes before the change in this Region, and who made them. */
  probe?: ProbeBefore
  callers: ProbeCaller[]
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
  const outcome = await settle(ctx, async () => {
    const regions = options.regions ?? (await run.replicaSet())
    // Checked before any change is planned: a typed key that names one Region cannot serve several.
    const targets = resolvePerRegion(targetRef, regions, '--to')
    const expects = expectRef === undefined ? undefined : resolvePerRegion(expectRef, regions, '--expect-current')
    return run.execute(regions, targets, expects)
  })
  const failure = outcome.failure ?? outcome.value
  report.changed = overallChanged(report.regions)
  return finish(ui, regionsView, report, failure)
}

const regionsView: RunView<RegionsUpdateReport> = {
  json: renderRegionsJson,
  text: renderRegionsText,
  table: (human, ui) => renderRegionsOutcome(human, ui.out),
  notes: (human, ui) => {
    if (ui.format !== 'text') return
    for (const r of human.regions) for (const f of r.findings) ui.note(`${r.region}: ${f.severity} ${f.code} ${f.message}`)
    for (const f of human.findings) ui.note(`${f.severity} ${f.code} ${f.message}`)
  },
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
  replicaSet(): Promise<string[]> {
    return replicaSetOf(this.session, this.ui, this.aliasRef.name)
  }

  async execute(
    regions: string[],
    targets: { region: string; keyRef: string }[],
    expects: { region: string; keyRef: string }[] | undefined,
  ): Promise<CliError | undefined> {
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
    report.findings = await replicaSetFindings(this.session, this.ui, name, runs, regions)
    const probing = options.probe?.enabled ? options.probe : undefined

    const { traces, stage, failure } = await runItems<RegionRun>(ctx, {
      items: runs,
      blocked: (r) => hasBlock(r.report.findings),
      pending: (r) => r.report.outcome !== 'already-in-place',
      dryRun: options.dryRun,
      yes: options.yes,
      format: ui.format,
      showPlan: () => this.showPlan(),
      refusal: (blocked) => {
        const codes = [...new Set(blocked.flatMap((r) => r.report.findings.filter((f) => f.severity === 'block').map((f) => `${r.region} ${f.code}`)))]
        return new CliError(`refused by the preflight: ${codes.join(', ')}; nothing was changed in any Region`, Exit.Refused, options.dryRun ? undefined : 'see the findings')
      },
      question: (pending) => `Point ${name} to the new key in ${pending.length} Region${pending.length === 1 ? '' : 's'} (${pending.map((r) => r.region).join(', ')})?`,
      declined: 'cancelled at the prompt; nothing was changed',
      writer: (r) => r.writer,
      write: (r) =>
        ui.progress(`Updating ${name} in ${r.region}`, () => {
          const wanted = r.target?.key.keyId as string
          return r.writer.write({
            action: 'update',
            alias: name,
            region: r.region,
            account: r.current?.key.accountId || null,
            expected: r.current?.key.keyId as string,
            wanted,
            origin: this.origin(null),
            ...moveCall(r.kms, 'update', name, wanted),
          })
        }),
      place: (r, error) => inRegion(r.region, error) as CliError,
      phase: (phase, items, work) => (phase === 'rollback' ? ui.progress(`Rolling back ${items.length} Region${items.length === 1 ? '' : 's'}`, work) : work()),
      ...(options.verify
        ? {
            confirm: {
              when: 'each' as const,
              stopWhenUnconfirmed: true,
              check: (r: RegionRun, _trace: Trace, step: 'write' | 'rollback') => this.confirm(r, step),
              unconfirmed: (items: RegionRun[]) => new CliError(`${items.map((r) => r.region).join(', ')}: the change was not confirmed`, Exit.NotConfirmed),
            },
          }
        : {}),
      ...(probing
        ? {
            probe: (r: RegionRun) => {
              const { probe } = r
              if (!probe || !r.target) return Promise.resolve(null)
              const target = r.target.key
              const timing = pollTiming(ctx, probing.timeoutSeconds)
              return ui.progress(`Probing ${name} in ${r.region}: using it until the new key answers`, () =>
                probeAfter(r.callers, probe, target, report.runId, timing),
              )
            },
          }
        : {}),
      rollback: {
        write: (r, written) =>
          rollBack(
            r.writer,
            r.kms,
            {
              action: 'update',
              alias: name,
              region: r.region,
              account: r.current?.key.accountId || null,
              before: r.current?.key.keyId as string,
              after: r.target?.key.keyId as string,
            },
            this.origin(written.journalId),
          ),
        leftAlone: (failure, items) =>
          new ConflictError(
            `${failure.message}; not rolled back because another writer changed ${name} there since: ${items.map((r) => r.region).join(', ')}`,
            'check those Regions by hand; kms-alias history lists what this run did',
          ),
      },
    })
    report.regions = runs.map((r) => regionAfter(r.report, stage, traces.get(r)))
    report.outcome = runOutcome(stage, failure)
    if (stage === 'nothing-to-do') report.verified = runs.every((r) => r.report.verified)
    if (stage === 'written' && failure === undefined) {
      report.verified = options.verify
      report.undo = runs
        .filter((r) => r.report.outcome !== 'already-in-place')
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
              // Going back to a key that is not Enabled needs the override, as update's printed undo has it.
              ...(r.current?.key.keyState === 'Enabled' ? [] : ['--allow-disabled']),
            ],
            r.region,
            this.globals,
          ),
        )
        .join(' && ')
    }
    return failure
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
      probe: null,
      error: null,
    }
    const run: RegionRun = { region, kms, writer: new Writer(ctx, ui, globals, kms), report, callers: [] }
    const probing = options.probe?.enabled ? options.probe : undefined
    try {
      const targetRef = parseKeyRef(to, '--to')
      // The access preflight of a single update, in each Region (policies and grants are per Region);
      // none when the alias is not where --expect-current says.
      const expected = expect === undefined ? undefined : expectation(kms, parseKeyRef(expect, '--expect-current'))
      const planned = await planMove(new RunReads(kms, options.iam ? () => this.session.iam() : undefined), {
        aliasRef: this.aliasRef,
        targetRef,
        region,
        expectAccount: options.expectAccount ?? requestedAccount(globals),
        overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled, allowAccessChange: options.allowAccessChange === true },
        targetNotFound: `--to ${to} not found in ${region}`,
        mustExist: true,
        ...(options.callers ? { callers: callersOver(this.ctx, this.session, options.callers, { region }) } : {}),
        guard: (current) => expected === undefined || current === undefined || expected(current),
        ...(probing
          ? {
              probe: async (current: KeyInfo, target: KeyInfo, targetSkipped: string | null) => {
                run.callers = await probeCallers(this.session, kms, probing, { region })
                return probeBefore(run.callers, { aliasName: this.aliasRef.name, current, target, runId: this.report.runId, targetSkipped })
              },
            }
          : {}),
      })
      if (planned.status === 'refused') {
        report.findings = planned.findings
        return run
      }
      if (planned.status === 'moved') {
        report.outcome = 'conflict'
        throw new CliError(
          `${this.aliasRef.name} points to ${planned.current?.keyId ?? '(nothing)'} in ${region}, not ${expect} (--expect-current); nothing was changed in any Region`,
          Exit.Conflict,
          'someone else may have changed it; check before retrying',
        )
      }
      const { current, target } = planned as { current: DescribedKey; target: DescribedKey }
      run.current = current
      run.target = target
      report.previous = toKeyView(current.key)
      report.target = toKeyView(target.key)
      report.findings = planned.findings
      if (planned.probe) {
        run.probe = planned.probe
        report.probe = probeReport(planned.probe)
      }
      if (planned.action === 'no-op') {
        report.outcome = 'already-in-place'
        report.verified = current.aliases.some((a) => a.name === this.aliasRef.name)
      }
    } catch (error) {
      const failure = failureOf(ctx, error)
      run.failure = failure
      report.error = errorSummary(inRegion(region, failure))
    }
    return run
  }

  /** Confirms a Region's write (or its rollback) with ListAliases; not seeing it is an error. */
  private async confirm(r: RegionRun, step: 'write' | 'rollback'): Promise<Confirmation> {
    const name = this.aliasRef.name
    const timeout = this.options.verifyTimeout
    const [expectedKeyId, previousKeyId] = step === 'write' ? [r.target?.key.keyId, r.current?.key.keyId] : [r.current?.key.keyId, r.target?.key.keyId]
    const result = await this.ui.progress(`Confirming ${name} in ${r.region} with ListAliases`, () =>
      confirmAliasTarget(r.kms, { aliasName: name, expectedKeyId: expectedKeyId as string, previousKeyId, ...pollTiming(this.ctx, timeout) }),
    )
    const operation = step === 'write' ? 'UpdateAlias' : 'UpdateAlias (rollback)'
    requireConfirmed(result, { operation, aliasName: name, expected: `${name} on ${expectedKeyId}`, timeoutSeconds: timeout })
    return result
  }

  private origin(reverts: string | null): WriteOrigin {
    return { command: reverts ? 'update (rollback)' : 'update', reverts, runId: this.report.runId }
  }
}

function targetOf(refs: { region: string; keyRef: string }[], region: string): string {
  return refs.find((r) => r.region === region)?.keyRef as string
}

