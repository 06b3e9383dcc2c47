import { partitionEntries, readApplyFile, type ApplyEntry, type Partition } from '../engine/applyFile.js'
import type { Context } from '../cli/context.js'
import { CliError, ConflictError, Exit } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId } from '../engine/journal.js'
import { requestedAccount } from '../engine/account.js'
import { mapWithLimit, sharingListings } from '../kms/concurrency.js'
import { confirmAliasGone, confirmAliasTarget } from '../kms/confirm.js'
import type { DescribedKey } from '../kms/lookups.js'
import { createPacer } from '../kms/pacer.js'
import type { AssumeRoleConfig, KeyInfo, KmsPort } from '../kms/port.js'
import {
  changeAfter,
  renderApplyJson,
  renderApplyNotes,
  renderApplyOutcome,
  renderApplyPlan,
  renderApplyText,
  type ApplyChange,
  type ApplyReport,
} from '../output/applyView.js'
import { createUi, warnOnce, type Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { planMove } from '../engine/planner.js'
import { callersOver } from '../engine/usageReads.js'
import { RunReads } from '../engine/reads.js'
import { hasBlock } from '../preflight/rules.js'
import { fileFindings } from '../preflight/fileFindings.js'
import type { RoleNameConfig } from '../cli/roles.js'
import { Writer, type WriteOrigin, type WriteOutcome } from '../engine/writePath.js'
import { moveCall, rollBack } from '../engine/steps.js'
import { pollTiming, finish, runItems, settle, type RunSpec, type RunView } from '../engine/run.js'
import { sessionOf, type Session } from '../cli/session.js'
import { probeAfter, probeBefore, probeCallers, type ProbeAfter, type ProbeCaller, type ProbeSettings } from '../engine/probe.js'
import type { ProbeBefore } from '../preflight/probe.js'
import { probeUse, type UseProbeResult } from '../kms/useProbe.js'
import { probeReport } from '../output/probeView.js'

export interface ApplyOptions {
  file: string
  dryRun: boolean
  rate: number
  rollback: boolean
  yes: boolean
  verify: boolean
  verifyTimeout: number
  /** Overrides for the whole run, as update takes them for one alias. */
  allowSpecChange: boolean
  allowDisabled: boolean
  /** ACCESS_NARROWED and GRANTS_MISSING warn instead of block. */
  allowAccessChange?: boolean
  /** Also read IAM identity policies, once per run. */
  iam?: boolean
  /** --callers: check each current key's callers of the last this many days against its new key (issue 21). */
  callers?: number
  /** --role-name: assume a role of this name in each account the file names (other than the credentials'). */
  roleName?: RoleNameConfig
  /** The use probe (--no-probe, --probe-timeout, --probe-as); absent: none. */
  probe?: ProbeSettings
}

// Planning reads (DescribeKey, ListAliases) have far larger quotas; keep a few in flight.
const PLAN_CONCURRENCY = 8
// From this many entries a partition lists all its aliases once (100 a page) instead of describing
// each alias, but reads no more pages than the rounds of describes they replace (8 at a time): an
// account with more aliases than that is planned alias by alias, at most twice as slowly as before.
const LIST_ALL_FROM = 20
// Confirmations of aliases on one key share each ListAliases read, so many can wait at once.
const CONFIRM_CONCURRENCY = 64

/** Plans every entry, applies all or nothing, rolls back on a part-way failure, confirms, journals. */
export async function runApply(options: ApplyOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const entries = await readApplyFile(options.file, { stdin: ctx.io.in, signal: ctx.signal })
  // One Writer per partition would repeat a journal warning per partition.
  const ui = warnOnce(createUi(ctx, globals))
  if (entries.length === 0) ui.note(`nothing to do: ${options.file === '-' ? 'stdin' : options.file} has no entries`)
  const report: ApplyReport = {
    runId: `run-${newJournalId()}`,
    region: null,
    partitions: [],
    dryRun: options.dryRun,
    changes: [],
    error: null,
    exitCode: Exit.Ok,
  }
  const run = new ApplyRun(ctx, ui, sessionOf(ctx, globals, ui), globals, options, report)
  const outcome = await settle(ctx, () => run.execute(entries))
  return finish(ui, applyView, report, outcome.failure ?? outcome.value)
}

const applyView: RunView<ApplyReport> = {
  json: renderApplyJson,
  text: renderApplyText,
  table: (human, ui) => renderApplyOutcome(human, ui.out, ui.width),
  // The text view's stdout is one line per entry for scripts; why an entry was refused or where
  // it was left goes to stderr for the person reading the log.
  notes: (human, ui) => {
    if (ui.format === 'text') for (const line of renderApplyNotes(human, ui.err)) ui.warn(line)
  },
}

/** One (account, Region) of the run: its own port, Writer and pacer (KMS quotas are per account and Region). */
interface PartitionRun {
  region: string
  account: string | null
  /** The role the partition acts through (--role-name), for IAM reads in its account too. */
  role?: AssumeRoleConfig
  kms: KmsPort
  writer: Writer
  pace: () => Promise<void>
  // Many entries share keys (a rotation points them all to one new key): each key is described,
  // its aliases listed and its access read once per partition.
  reads: RunReads
  /** Who the probes run as in this partition (the operator, --probe-as roles), opened once. */
  probers?: Promise<ProbeCaller[]>
  /** The probe of each target key by ID, once per caller and key: entries share targets. */
  targetProbes: Map<string, Promise<UseProbeResult>>
}

interface Planned {
  change: ApplyChange
  entry: ApplyEntry
  partition: PartitionRun
  current?: DescribedKey
  target?: DescribedKey
  probe?: ProbeBefore
}

class ApplyRun {
  constructor(
    private readonly ctx: Context,
    private readonly ui: Ui,
    private readonly session: Session,
    private readonly globals: GlobalOptions,
    private readonly options: ApplyOptions,
    private readonly report: ApplyReport,
  ) {}

  /** Plans the file, then runs it through the engine; returns the failure the run ends on. */
  async execute(entries: ApplyEntry[]): Promise<CliError | undefined> {
    const { ctx, ui, options, report } = this
    const home = await this.session.kms()
    const homeRegion = await home.region()
    // The account is asked for (STS) only when an entry names one and --role-arn does not tell it.
    const homeAccount = requestedAccount(this.globals) ?? (entries.some((e) => e.account !== undefined) ? await home.accountId() : undefined)
    const groups = partitionEntries(entries, { region: homeRegion, account: homeAccount }, options.roleName)
    const partitions = await Promise.all(groups.map((g) => this.open(g, g.region === homeRegion && !g.role ? home : undefined, g.entries.length)))
    report.region = partitions.length === 1 ? (partitions[0] as PartitionRun).region : null
    report.partitions = partitions.map(({ account, region }) => ({ account, region }))

    // Every partition is planned, each with its own few reads in flight, before anything changes
    // anywhere: all or nothing across partitions.
    const byEntry = new Map<ApplyEntry, Planned>()
    await ui.progress(`Planning ${entries.length} aliases`, (spinner) => {
      let done = 0
      return Promise.all(
        groups.map((group, i) =>
          mapWithLimit(group.entries, PLAN_CONCURRENCY, async (entry) => {
            byEntry.set(entry, await this.plan(entry, partitions[i] as PartitionRun))
            spinner.text(`Planning ${++done}/${entries.length}`)
          }),
        ),
      )
    })
    // In file order, whatever the partition.
    const planned = entries.map((e) => byEntry.get(e) as Planned)
    fileFindings(planned)
    report.changes = planned.map((p) => p.change)

    const where = partitions.length === 1 ? (report.region as string) : `${partitions.length} partitions (${partitions.map(placeName).join(', ')})`
    const perSecond = partitions.length === 1 ? `${options.rate}/s` : `${options.rate}/s in each of ${partitions.length} partitions`
    const pendingCount = planned.filter((p) => p.change.action !== 'no-op').length
    let written = 0
    let spinnerText: (text: string) => void = () => undefined
    const result = await runItems<Planned>(ctx, {
      items: planned,
      blocked: (p) => hasBlock(p.change.findings),
      pending: (p) => p.change.action !== 'no-op',
      dryRun: options.dryRun,
      yes: options.yes,
      format: ui.format,
      showPlan: () => {
        if (ui.format === 'table') ui.write(renderApplyPlan(escapeDeep(report), ui.out, ui.width))
      },
      refusal: (blocked) =>
        new CliError(
          `refused by the preflight: ${blocked.length} of ${planned.length} entries (${blocked.map((p) => p.change.alias).join(', ')}); nothing was applied`,
          Exit.Refused,
        ),
      question: (pending) => `Apply ${pending.length} change${pending.length === 1 ? '' : 's'} in ${where}?`,
      declined: 'cancelled at the prompt; nothing was applied',
      // Partitions apply at the same time, each at --rate on its own; the first failure stops them all.
      lanes: (pending) => partitions.map((run) => pending.filter((p) => p.partition === run)),
      pace: (p) => p.partition.pace(),
      writer: (p) => p.partition.writer,
      write: (p) => {
        const action = p.change.action === 'create' ? 'create' : 'update'
        const target = p.change.targetKeyId as string
        return p.partition.writer.write({
          action,
          alias: p.change.alias,
          region: p.partition.region,
          account: this.accountOf(p),
          expected: p.change.previousKeyId ?? undefined,
          wanted: target,
          origin: this.origin(null),
          ...moveCall(p.partition.kms, action, p.change.alias, target),
        })
      },
      onWritten: () => spinnerText(`Applying ${++written}/${pendingCount}`),
      phase: (phase, items, work) =>
        ui.progress(
          phase === 'write'
            ? `Applying ${items.length} changes at up to ${perSecond}`
            : phase === 'rollback'
              ? `Rolling back ${items.length} changes`
              : 'Confirming with ListAliases',
          (spinner) => {
            spinnerText = (text) => spinner.text(text)
            return work()
          },
        ),
      ...(options.rollback
        ? {
            rollback: {
              write: (p: Planned, w: WriteOutcome) =>
                rollBack(
                  p.partition.writer,
                  p.partition.kms,
                  {
                    action: p.change.action === 'create' ? 'create' : 'update',
                    alias: p.change.alias,
                    region: p.partition.region,
                    account: this.accountOf(p),
                    before: p.change.previousKeyId ?? undefined,
                    after: p.change.targetKeyId ?? undefined,
                  },
                  this.origin(w.journalId),
                ),
              // The rollback refused to overwrite another writer: that is what the run ends on.
              leftAlone: (failure: CliError, items: Planned[]) =>
                new ConflictError(
                  `${failure.message}; not rolled back because another writer changed them since: ${items.map((p) => p.change.alias).join(', ')}`,
                  'check those aliases by hand; kms-alias history lists what this run did',
                ),
            },
          }
        : {}),
      ...(options.verify ? { confirm: this.confirmation(partitions) } : {}),
      ...(options.probe?.enabled ? { probe: (p: Planned) => this.probeAfter(p) } : {}),
    })
    report.changes = planned.map((p) => changeAfter(p.change, result.traces.get(p), result.stopped))
    return result.failure
  }

  /** Confirms the final state of every entry that changed (applied, or rolled back), once the run is over. */
  private confirmation(partitions: PartitionRun[]): NonNullable<RunSpec<Planned>['confirm']> {
    // Every write has returned by then, so a read already on its way is as fresh as a new one.
    const ports = new Map(partitions.map((partition) => [partition, sharingListings(partition.kms)]))
    return {
      when: 'end',
      concurrency: CONFIRM_CONCURRENCY,
      stopWhenUnconfirmed: false,
      check: (p, trace) => {
        const change = changeAfter(p.change, trace, true)
        const kms = ports.get(p.partition) as KmsPort
        const timing = pollTiming(this.ctx, this.options.verifyTimeout)
        if (change.nowKeyId === null) return confirmAliasGone(kms, { aliasName: change.alias, previousKeyId: change.targetKeyId as string, ...timing })
        const other = change.nowKeyId === change.targetKeyId ? change.previousKeyId : change.targetKeyId
        return confirmAliasTarget(kms, { aliasName: change.alias, expectedKeyId: change.nowKeyId, previousKeyId: other ?? undefined, ...timing })
      },
      unconfirmed: (items) =>
        new CliError(
          `the changes were sent, but ListAliases did not confirm ${items.map((p) => p.change.alias).join(', ')} within ${this.options.verifyTimeout} s`,
          Exit.NotConfirmed,
          'KMS is eventually consistent: check again shortly, or raise --verify-timeout',
        ),
    }
  }

  /** Opens a partition's port (the client's own when it is the client's Region and credentials). */
  private async open(partition: Partition, home: KmsPort | undefined, entries: number): Promise<PartitionRun> {
    const kms = home ?? (await this.session.kms({ region: partition.region, ...(partition.role ? { role: partition.role } : {}) }))
    const aliasTable =
      entries >= LIST_ALL_FROM
        ? kms.listAliasesWithin(Math.ceil(entries / PLAN_CONCURRENCY)).then((all) => all && new Map(all.map((a) => [a.name, a])))
        : undefined
    return {
      region: partition.region,
      account: partition.account,
      ...(partition.role ? { role: partition.role } : {}),
      kms,
      writer: new Writer(this.ctx, this.ui, this.globals, kms),
      pace: createPacer(this.options.rate, this.ctx.now, this.ctx.sleep, this.ctx.signal),
      reads: new RunReads(kms, this.options.iam ? () => this.session.iam(partition.role ? { role: partition.role } : {}) : undefined, aliasTable),
      targetProbes: new Map(),
    }
  }

  /** The same preflight as create or update, for one entry, in its partition. */
  private async plan(entry: ApplyEntry, partition: PartitionRun): Promise<Planned> {
    const { region } = partition
    const change: ApplyChange = {
      alias: entry.alias.name,
      region,
      account: partition.account,
      line: entry.line,
      action: 'unknown',
      previousKeyId: null,
      targetKeyId: entry.target.kind === 'key' ? entry.target.keyId : null,
      findings: [],
      status: 'not-attempted',
      nowKeyId: null,
      stateKnown: false,
      verified: false,
      journalId: null,
      probe: null,
      error: null,
    }
    const { allowSpecChange, allowDisabled, allowAccessChange = false } = this.options
    const probing = this.options.probe?.enabled ? this.options.probe : undefined
    const plan = await planMove(partition.reads, {
      aliasRef: entry.alias,
      targetRef: entry.target,
      region,
      // The account the partition must act on: the entry's, or --role-arn's; none when none was asked for.
      expectAccount: partition.account ?? undefined,
      overrides: { allowSpecChange, allowDisabled, allowAccessChange },
      targetNotFound: `${entry.alias.name}: key ${entry.target.input} not found in ${placeName(partition)}`,
      ...(probing
        ? {
            probe: async (current: KeyInfo, target: KeyInfo, targetSkipped: string | null) => {
              const place = { region: partition.region, ...(partition.role ? { role: partition.role } : {}) }
              partition.probers ??= probeCallers(this.session, partition.kms, probing, place)
              const what = { aliasName: entry.alias.name, current, target, runId: this.report.runId, targetSkipped }
              return probeBefore(await partition.probers, what, probeUse, partition.targetProbes)
            },
          }
        : {}),
      ...(this.options.callers
        ? { callers: callersOver(this.ctx, this.session, this.options.callers, { region, ...(partition.role ? { role: partition.role } : {}) }) }
        : {}),
    })
    if (plan.status !== 'planned') return { change: { ...change, findings: plan.status === 'refused' ? plan.findings : [] }, entry, partition }
    const { current, target } = plan
    change.targetKeyId = target?.key.keyId ?? null
    change.previousKeyId = current?.key.keyId ?? null
    change.nowKeyId = change.previousKeyId
    change.stateKnown = true
    change.action = plan.action === 'delete' ? 'unknown' : plan.action
    if (plan.action === 'no-op') change.status = 'no-op'
    else change.findings = plan.findings
    if (plan.probe) change.probe = probeReport(plan.probe)
    return { change, entry, partition, ...(current ? { current } : {}), ...(target ? { target } : {}), ...(plan.probe ? { probe: plan.probe } : {}) }
  }

  /** Uses the entry's alias after the change, as every caller it worked for before, until the new key answers. */
  private async probeAfter(p: Planned): Promise<ProbeAfter | null> {
    const { probe, target } = p
    const settings = this.options.probe
    if (!probe || !target || !settings) return null
    const callers = await p.partition.probers
    if (!callers) return null
    return probeAfter(callers, probe, target.key, this.report.runId, pollTiming(this.ctx, settings.timeoutSeconds))
  }

  private accountOf(p: Planned): string | null {
    const key = p.current?.key ?? p.target?.key
    return key?.accountId || p.partition.account
  }

  private origin(reverts: string | null): WriteOrigin {
    return { command: reverts ? 'apply (rollback)' : 'apply', reverts, runId: this.report.runId }
  }

}

/** A partition as messages name it: its Region, after its account when one was asked for. */
function placeName(p: { region: string; account: string | null }): string {
  return p.account ? `${p.account} ${p.region}` : p.region
}
