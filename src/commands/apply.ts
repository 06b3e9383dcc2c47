import { partitionEntries, readApplyFile, type ApplyEntry, type Partition } from '../engine/applyFile.js'
import type { Context } from '../cli/context.js'
import { AccessError, CliError, ConflictError, Exit, InterruptedError, NotFoundError, type ExitCode } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId } from '../engine/journal.js'
import { requestedAccount } from '../engine/account.js'
import { mapWithLimit, sharingListings } from '../kms/concurrency.js'
import { confirmAliasGone, confirmAliasTarget, type Confirmation } from '../kms/confirm.js'
import type { DescribedKey } from '../kms/lookups.js'
import { createPacer } from '../kms/pacer.js'
import type { AliasEntry, AssumeRoleConfig, KeyInfo, KmsPort } from '../kms/port.js'
import {
  renderApplyJson,
  renderApplyNotes,
  renderApplyOutcome,
  renderApplyPlan,
  renderApplyText,
  type ApplyChange,
  type ApplyReport,
} from '../output/applyView.js'
import { createUi, errorSummary, warnOnce, type Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { accessPreflight, newAccessCache } from '../preflight/accessPreflight.js'
import { localRefusals } from '../preflight/local.js'
import { createFindings, updateFindings } from '../preflight/plan.js'
import { hasBlock } from '../preflight/rules.js'
import type { RoleNameConfig } from '../cli/roles.js'
import { interruption, Writer, type PlannedWrite, type WriteOrigin } from '../engine/writePath.js'
import { canAsk, expectedFailure, pollTiming } from '../engine/mutation.js'
import { sessionOf, type Session } from '../cli/session.js'

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
  /** --role-name: assume a role of this name in each account the file names (other than the credentials'). */
  roleName?: RoleNameConfig
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
  try {
    report.exitCode = await run.execute(entries)
  } catch (error) {
    const failure = expectedFailure(ctx, error)
    report.error = errorSummary(failure)
    report.exitCode = failure.exitCode
  }
  if (ui.format === 'json') ui.write(renderApplyJson(report))
  else if (ui.format === 'text') {
    ui.write(renderApplyText(escapeDeep(report)))
    // The text view's stdout is one line per entry for scripts; why an entry was refused or where
    // it was left goes to stderr for the person reading the log.
    for (const line of renderApplyNotes(escapeDeep(report), ui.err)) ui.warn(line)
  } else ui.write(renderApplyOutcome(escapeDeep(report), ui.out, ui.width))
  if (report.error) ui.error(report.error)
  return report.exitCode
}

/**
 * What only the whole file tells. A key is orphaned once the run moves every alias off it (one
 * warning per key, not one per entry; a key another entry points to keeps an alias). An entry whose
 * target is an alias the same file repoints is ambiguous: old key or new?
 */
function fileFindings(planned: Planned[]): void {
  const repointed = new Map(planned.filter((p) => p.change.action === 'update' || p.change.action === 'create').map((p) => [p.change.alias, p.change.line]))
  for (const p of planned) {
    p.change.findings = p.change.findings.filter((f) => f.code !== 'PREVIOUS_KEY_ORPHANED')
    const target = p.entry.target.kind === 'alias' ? p.entry.target.alias.name : undefined
    const line = target === undefined ? undefined : repointed.get(target)
    if (target !== undefined && line !== undefined && target !== p.change.alias) {
      p.change.findings.push({
        code: 'TARGET_REPOINTED_IN_FILE',
        severity: 'block',
        message: `line ${p.change.line} points to ${target}, which line ${line} of the same file repoints: name the key ID instead (old or new key?)`,
      })
    }
  }
  const movedOff = new Map<string, Planned[]>()
  for (const p of planned) {
    if (p.change.action !== 'update' || !p.current) continue
    movedOff.set(p.current.key.keyId, [...(movedOff.get(p.current.key.keyId) ?? []), p])
  }
  const pointedTo = new Set(planned.map((p) => p.change.targetKeyId))
  for (const [keyId, leaving] of movedOff) {
    const moving = new Set(leaving.map((p) => p.change.alias))
    const staying = leaving[0]!.current!.aliases.filter((a) => !moving.has(a.name))
    if (staying.length > 0 || pointedTo.has(keyId)) continue
    const last = leaving.at(-1)!
    const lines = leaving.map((p) => p.change.line).join(', ')
    last.change.findings.push({
      code: 'PREVIOUS_KEY_ORPHANED',
      severity: 'warn',
      message: `after this run no alias points to ${keyId} (line${leaving.length === 1 ? '' : 's'} ${lines} move${leaving.length === 1 ? 's' : ''} its last alias${leaving.length === 1 ? '' : 'es'} away); keep that key enabled to decrypt or verify what was made with it`,
    })
  }
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
  // and its aliases listed, once per partition.
  keyLookups: Map<string, Promise<KeyInfo>>
  aliasLists: Map<string, Promise<AliasEntry[]>>
  /**
   * Every alias of the partition by name, from one listing, when the partition has many entries
   * and the listing is short enough: then no alias is described on its own and no key's aliases are
   * listed again. Undefined (or resolving to undefined): each alias is described.
   */
  aliasTable: Promise<Map<string, AliasEntry> | undefined> | undefined
  // Policies, grants and tags of each key, and IAM's policies, are read once per partition too.
  accessCache: ReturnType<typeof newAccessCache>
}

interface Planned {
  change: ApplyChange
  entry: ApplyEntry
  partition: PartitionRun
  current?: DescribedKey
  target?: DescribedKey
}

class ApplyRun {
  /** The journal id of each alias's latest write (its change, or its rollback), by partition, marked verified once confirmed. */
  private readonly lastWrite = new Map<string, string>()
  /** Set by the first partition that fails: the others stop before their next change. */
  private stopped: CliError | undefined

  constructor(
    private readonly ctx: Context,
    private readonly ui: Ui,
    private readonly session: Session,
    private readonly globals: GlobalOptions,
    private readonly options: ApplyOptions,
    private readonly report: ApplyReport,
  ) {}

  async execute(entries: ApplyEntry[]): Promise<ExitCode> {
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
    if (ui.format === 'table') ui.write(renderApplyPlan(escapeDeep(report), ui.out, ui.width))

    const blocked = report.changes.filter((c) => hasBlock(c.findings))
    if (blocked.length > 0) {
      throw new CliError(
        `refused by the preflight: ${blocked.length} of ${report.changes.length} entries (${blocked.map((c) => c.alias).join(', ')}); nothing was applied`,
        Exit.Refused,
      )
    }
    const pending = planned.filter((p) => p.change.action !== 'no-op')
    if (options.dryRun || pending.length === 0) return Exit.Ok
    const where = partitions.length === 1 ? (report.region as string) : `${partitions.length} partitions (${partitions.map(placeName).join(', ')})`
    if (
      !options.yes &&
      canAsk(ctx, ui.format) &&
      !(await ctx.prompt.confirm(`Apply ${pending.length} change${pending.length === 1 ? '' : 's'} in ${where}?`))
    ) {
      throw new CliError('cancelled at the prompt; nothing was applied', Exit.Interrupted)
    }

    // Partitions apply at the same time, each at --rate on its own; the first failure stops them all.
    const inPartition = (run: PartitionRun, list: Planned[]) => list.filter((p) => p.partition === run)
    const perSecond = partitions.length === 1 ? `${options.rate}/s` : `${options.rate}/s in each of ${partitions.length} partitions`
    const failure = await ui.progress(`Applying ${pending.length} changes at up to ${perSecond}`, async (spinner) => {
      let done = 0
      const failures = await Promise.all(
        partitions.map((run) => this.applyAll(inPartition(run, pending), () => spinner.text(`Applying ${++done}/${pending.length}`))),
      )
      return this.stopped ?? failures.find((f) => f !== undefined)
    })
    if (failure && options.rollback && !ctx.signal.aborted) {
      const applied = pending.filter((p) => p.change.status === 'applied').reverse()
      await ui.progress(`Rolling back ${applied.length} changes`, () => Promise.all(partitions.map((run) => this.rollBack(inPartition(run, applied)))))
    }
    if (options.verify && !ctx.signal.aborted) await ui.progress('Confirming with ListAliases', () => this.confirmAll(pending))
    const leftAlone = pending.filter((p) => p.change.status === 'conflict' && p.change.rollbackSkipped)
    if (leftAlone.length > 0) {
      // The rollback refused to overwrite another writer: that is what the run ends on.
      const names = leftAlone.map((p) => p.change.alias).join(', ')
      throw new ConflictError(
        `${failure?.message ?? 'the run failed'}; not rolled back because another writer changed them since: ${names}`,
        'check those aliases by hand; kms-alias history lists what this run did',
      )
    }
    if (failure) throw failure

    const unverified = options.verify ? pending.filter((p) => p.change.status === 'applied' && !p.change.verified) : []
    if (unverified.length > 0) {
      throw new CliError(
        `the changes were sent, but ListAliases did not confirm ${unverified.map((p) => p.change.alias).join(', ')} within ${options.verifyTimeout} s`,
        Exit.NotConfirmed,
        'KMS is eventually consistent: check again shortly, or raise --verify-timeout',
      )
    }
    return Exit.Ok
  }

  /** Opens a partition's port (the client's own when it is the client's Region and credentials). */
  private async open(partition: Partition, home: KmsPort | undefined, entries: number): Promise<PartitionRun> {
    const kms = home ?? (await this.session.kms({ region: partition.region, ...(partition.role ? { role: partition.role } : {}) }))
    const aliasTable =
      entries >= LIST_ALL_FROM
        ? kms.listAliasesWithin(Math.ceil(entries / PLAN_CONCURRENCY)).then((all) => all && new Map(all.map((a) => [a.name, a])))
        : undefined
    // Read only when planning asks; a failure surfaces there, not as an unhandled rejection.
    aliasTable?.catch(() => undefined)
    return {
      aliasTable,
      region: partition.region,
      account: partition.account,
      ...(partition.role ? { role: partition.role } : {}),
      kms,
      writer: new Writer(this.ctx, this.ui, this.globals, kms),
      pace: createPacer(this.options.rate, this.ctx.now, this.ctx.sleep, this.ctx.signal),
      keyLookups: new Map(),
      aliasLists: new Map(),
      accessCache: newAccessCache(),
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
      error: null,
    }
    const local = localRefusals(entry.alias, region, entry.target)
    if (local.length > 0) return { change: { ...change, findings: local }, entry, partition }

    const [currentKey, targetKey] = await Promise.all([this.aliasKey(partition, entry.alias.name), this.targetKey(partition, entry)])
    // The access reads need only the two keys: they go out beside the ListAliases calls, as in update.
    const { allowAccessChange = false, iam } = this.options
    const moves = currentKey !== undefined && currentKey.keyId !== targetKey.keyId
    const [currentAliases, targetAliases, access] = await Promise.all([
      currentKey ? this.aliasesOf(partition, currentKey.keyId) : [],
      this.aliasesOf(partition, targetKey.keyId),
      moves
        ? accessPreflight(partition.kms, currentKey, targetKey, {
            aliasName: entry.alias.name,
            allowAccessChange,
            iam: iam ? () => this.session.iam(partition.role ? { role: partition.role } : {}) : undefined,
            cache: partition.accessCache,
          })
        : [],
    ])
    const current: DescribedKey | undefined = currentKey && { key: currentKey, aliases: currentAliases }
    const target: DescribedKey = { key: targetKey, aliases: targetAliases }
    change.targetKeyId = target.key.keyId
    change.previousKeyId = current?.key.keyId ?? null
    change.nowKeyId = change.previousKeyId
    change.stateKnown = true
    const { allowSpecChange, allowDisabled } = this.options
    // The account the partition must act on: the entry's, or --role-arn's; null when none was asked for.
    const expectAccount = partition.account ?? undefined
    if (!current) {
      change.action = 'create'
      change.findings = createFindings({ aliasRef: entry.alias, targetRef: entry.target, target, region, expectAccount, overrides: { allowDisabled } })
    } else if (!moves) {
      change.action = 'no-op'
      change.status = 'no-op'
    } else {
      change.action = 'update'
      change.findings = [
        ...updateFindings({ aliasRef: entry.alias, targetRef: entry.target, current, target, expectAccount, overrides: { allowSpecChange, allowDisabled } }),
        ...access,
      ]
    }
    return { change, entry, partition, ...(current ? { current } : {}), target }
  }

  private targetKey(partition: PartitionRun, entry: ApplyEntry): Promise<KeyInfo> {
    const ref = entry.target.input
    return this.describeKey(partition, ref).catch(async (error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError(`${entry.alias.name}: key ${ref} not found in ${placeName(partition)}`)
      throw error
    })
  }

  /** DescribeKey, once per partition for each way the file names a key. */
  private describeKey(partition: PartitionRun, ref: string): Promise<KeyInfo> {
    let lookup = partition.keyLookups.get(ref)
    if (!lookup) {
      lookup = partition.kms.describeKey(ref)
      partition.keyLookups.set(ref, lookup)
    }
    return lookup
  }

  /** The key the alias points to, or undefined when it does not exist. */
  private async aliasKey(partition: PartitionRun, aliasName: string): Promise<KeyInfo | undefined> {
    const table = await partition.aliasTable
    const listed = table?.get(aliasName)
    if (table && !listed) return undefined
    if (listed?.targetKeyId) {
      // Described by key ID, shared by the entries on that key. A caller allowed the key only
      // through its alias (kms:RequestAlias), or a key that has just gone, is read as the
      // per-alias plan reads it: DescribeKey of the alias.
      const key = await this.describeKey(partition, listed.targetKeyId).catch((error: unknown) => {
        if (error instanceof AccessError || error instanceof NotFoundError) return undefined
        throw error
      })
      if (key) return key
    }
    return partition.kms.describeKey(aliasName).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined
      throw error
    })
  }

  private aliasesOf(partition: PartitionRun, keyId: string): Promise<AliasEntry[]> {
    // Without a listing the call goes out at once, beside the access reads started with it.
    if (!partition.aliasTable) return this.listAliasesOf(partition, keyId)
    return partition.aliasTable.then((table) => (table ? [...table.values()].filter((a) => a.targetKeyId === keyId) : this.listAliasesOf(partition, keyId)))
  }

  private listAliasesOf(partition: PartitionRun, keyId: string): Promise<AliasEntry[]> {
    let list = partition.aliasLists.get(keyId)
    if (!list) {
      list = partition.kms.listAliases({ keyId })
      partition.aliasLists.set(keyId, list)
    }
    return list
  }

  /**
   * Applies one partition's entries in file order at its paced rate; stops at its first failure or
   * conflict (returned, and made the run's stop), or when another partition has stopped the run.
   */
  private async applyAll(pending: Planned[], progress: () => void): Promise<CliError | undefined> {
    for (const p of pending) {
      const { change } = p
      const target = change.targetKeyId as string
      if (this.stopped) return undefined
      try {
        await p.partition.pace()
      } catch {
        // Only a signal ends a wait for the next slot; this entry was never sent.
        return interruption(this.ctx)
      }
      if (this.stopped) return undefined
      const { kms } = p.partition
      const result = await this.write(p, {
        action: change.action === 'create' ? 'create' : 'update',
        expected: change.previousKeyId ?? undefined,
        wanted: target,
        origin: this.origin(null),
        send: () => (change.action === 'create' ? kms.createAlias(change.alias, target) : kms.updateAlias(change.alias, target)),
        retryAnswers: (e) => change.action === 'create' && e instanceof ConflictError,
      })
      change.journalId = result.journalId
      if (result.status === 'written') {
        change.status = 'applied'
        change.nowKeyId = target
        progress()
        continue
      }
      change.error = errorSummary(result.error)
      if (result.status === 'conflict') {
        change.status = 'conflict'
        change.stateKnown = result.seen !== null
        change.nowKeyId = result.seen ?? null
      } else {
        change.status = 'failed'
        change.stateKnown = result.changed !== null
        if (!change.stateKnown) change.nowKeyId = null
      }
      this.stopped ??= result.error
      return result.error
    }
    return undefined
  }

  /**
   * Puts each applied entry back (update to its previous key, delete what this run created), but
   * only while the alias still points where this run left it: a later writer's change is left alone.
   */
  private async rollBack(applied: Planned[]): Promise<void> {
    for (const p of applied) {
      const { change } = p
      const { kms } = p.partition
      try {
        await p.partition.pace()
      } catch {
        return
      }
      const created = change.action === 'create'
      const previous = change.previousKeyId ?? undefined
      const result = await this.write(p, {
        action: created ? 'delete' : 'update',
        expected: change.targetKeyId ?? undefined,
        wanted: created ? undefined : previous,
        origin: this.origin(change.journalId),
        send: () => (created ? kms.deleteAlias(change.alias) : kms.updateAlias(change.alias, previous as string)),
        // A retried DeleteAlias whose first try worked is answered with NotFound.
        retryAnswers: (e) => created && e instanceof NotFoundError,
      })
      if (result.status === 'written') {
        change.status = 'rolled-back'
        change.nowKeyId = change.previousKeyId
      } else if (result.status === 'conflict') {
        change.status = 'conflict'
        change.rollbackSkipped = true
        change.stateKnown = result.seen !== null
        change.nowKeyId = result.seen ?? null
        change.error = { ...errorSummary(result.error), message: `not rolled back: ${result.error.message}` }
      } else {
        change.error = { ...errorSummary(result.error), message: `rollback failed: ${result.error.message}` }
        change.stateKnown = result.changed !== null
        if (!change.stateKnown) change.nowKeyId = null
      }
    }
  }

  /** One entry's write through the shared write path. */
  private async write(p: Planned, w: Omit<PlannedWrite, 'alias' | 'region' | 'account'>) {
    const key = p.current?.key ?? p.target?.key
    const result = await p.partition.writer.write({ ...w, alias: p.change.alias, region: p.partition.region, account: key?.accountId || p.partition.account })
    if (result.journalId) this.lastWrite.set(writeKey(p), result.journalId)
    return result
  }

  private origin(reverts: string | null): WriteOrigin {
    return { command: reverts ? 'apply (rollback)' : 'apply', reverts, runId: this.report.runId }
  }

  /** Confirms the final state of every entry that changed (applied, or rolled back). */
  private async confirmAll(pending: Planned[]): Promise<void> {
    const changed = pending.filter((p) => p.change.status === 'applied' || p.change.status === 'rolled-back')
    // Every write has returned by now, so a read already on its way is as fresh as a new one.
    const ports = new Map([...new Set(changed.map((p) => p.partition))].map((partition) => [partition, sharingListings(partition.kms)]))
    await mapWithLimit(changed, CONFIRM_CONCURRENCY, async (p) => {
      const { change } = p
      const kms = ports.get(p.partition) as KmsPort
      const timing = pollTiming(this.ctx, this.options.verifyTimeout)
      let result: Confirmation | undefined
      try {
        if (change.nowKeyId === null) {
          result = await confirmAliasGone(kms, { aliasName: change.alias, previousKeyId: change.targetKeyId as string, ...timing })
        } else {
          const other = change.nowKeyId === change.targetKeyId ? change.previousKeyId : change.targetKeyId
          result = await confirmAliasTarget(kms, { aliasName: change.alias, expectedKeyId: change.nowKeyId, previousKeyId: other ?? undefined, ...timing })
        }
      } catch (error) {
        // A read that fails leaves this entry unconfirmed (exit 6), not the whole run failed.
        const failure = expectedFailure(this.ctx, error)
        if (failure instanceof InterruptedError) throw failure
      }
      change.verified = result?.status === 'confirmed'
      if (result === undefined) return
      if (result.status === 'other-target') change.nowKeyId = result.keyId
      // Only the alias's last change describes its final state; earlier ones were superseded.
      if (change.verified) await p.partition.writer.verified(this.lastWrite.get(writeKey(p)) ?? null)
    })
  }
}

/** A partition as messages name it: its Region, after its account when one was asked for. */
function placeName(p: { region: string; account: string | null }): string {
  return p.account ? `${p.account} ${p.region}` : p.region
}

/** The same alias name in another partition is another alias. */
function writeKey(p: Planned): string {
  return JSON.stringify([p.partition.account, p.partition.region, p.change.alias])
}
