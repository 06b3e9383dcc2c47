import { readFile } from 'node:fs/promises'
import { text as readStream } from 'node:stream/consumers'
import { parseApplyFile, type ApplyEntry } from '../applyFile.js'
import type { Context } from '../context.js'
import { CliError, ConflictError, Exit, InterruptedError, NotFoundError, UsageError, type ExitCode } from '../errors.js'
import type { GlobalOptions } from '../globalOptions.js'
import { newJournalId, type JournalEntry } from '../journal.js'
import { mapWithLimit } from '../kms/concurrency.js'
import { confirmAliasGone, confirmAliasTarget, type Confirmation } from '../kms/confirm.js'
import { parseArn } from '../kms/identifiers.js'
import type { DescribedKey } from '../kms/lookups.js'
import { createPacer } from '../kms/pacer.js'
import type { AliasEntry, KmsPort } from '../kms/port.js'
import { renderApplyJson, renderApplyOutcome, renderApplyPlan, renderApplyText, type ApplyChange, type ApplyReport } from '../output/applyView.js'
import { createUi, errorSummary, type Ui } from '../output/ui.js'
import { accessPreflight, newAccessCache } from '../preflight/accessPreflight.js'
import { localRefusals, targetLocation } from '../preflight/local.js'
import { hasBlock, quotaFindings, targetFindings, updatePreflight } from '../preflight/rules.js'
import { version } from '../version.js'
import { canAsk, expectedFailure, pollTiming, recordInJournal, sendChecked } from './mutation.js'

export interface ApplyOptions {
  file: string
  dryRun: boolean
  rate: number
  rollback: boolean
  yes: boolean
  verify: boolean
  verifyTimeout: number
  /** ACCESS_NARROWED and GRANTS_MISSING warn instead of block. */
  allowAccessChange?: boolean
  /** Also read IAM identity policies, once per run. */
  iam?: boolean
}

// Planning reads (DescribeKey, ListAliases) have far larger quotas; keep a few in flight.
const PLAN_CONCURRENCY = 8

/** Plans every entry, applies all or nothing, rolls back on a part-way failure, confirms, journals. */
export async function runApply(options: ApplyOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const source = options.file === '-' ? 'stdin' : options.file
  const text = options.file === '-' ? await readStream(ctx.io.in) : await readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${options.file}: ${error.code ?? error.message}`)
  })
  const entries = parseApplyFile(text, source)
  const ui = createUi(ctx, globals)
  const report: ApplyReport = { region: null, dryRun: options.dryRun, changes: [], error: null, exitCode: Exit.Ok }
  const run = new ApplyRun(ctx, ui, globals, options, report)
  try {
    report.exitCode = await run.execute(entries)
  } catch (error) {
    const failure = expectedFailure(ctx, error)
    report.error = errorSummary(failure)
    report.exitCode = failure.exitCode
  }
  await run.journal()
  if (ui.format === 'json') ui.write(renderApplyJson(report))
  else if (ui.format === 'text') ui.write(renderApplyText(report))
  else ui.write(renderApplyOutcome(report, ui.out))
  if (report.error) ui.error(report.error)
  return report.exitCode
}

interface Planned {
  change: ApplyChange
  entry: ApplyEntry
  current?: DescribedKey
  target?: DescribedKey
}

class ApplyRun {
  private readonly journalEntries: JournalEntry[] = []
  private kms!: KmsPort
  private region = ''

  constructor(
    private readonly ctx: Context,
    private readonly ui: Ui,
    private readonly globals: GlobalOptions,
    private readonly options: ApplyOptions,
    private readonly report: ApplyReport,
  ) {}

  async execute(entries: ApplyEntry[]): Promise<ExitCode> {
    const { ctx, ui, options, report } = this
    this.kms = await ui.openKms()
    this.region = await this.kms.region()
    report.region = this.region

    const planned = await ui.progress(`Planning ${entries.length} aliases`, (spinner) => {
      let done = 0
      return mapWithLimit(entries, PLAN_CONCURRENCY, async (entry) => {
        const result = await this.plan(entry)
        spinner.text(`Planning ${++done}/${entries.length}`)
        return result
      })
    })
    report.changes = planned.map((p) => p.change)
    if (ui.format === 'table') ui.write(renderApplyPlan(report, ui.out))

    const blocked = report.changes.filter((c) => hasBlock(c.findings))
    if (blocked.length > 0) {
      throw new CliError(`refused by the preflight: ${blocked.length} of ${report.changes.length} entries (${blocked.map((c) => c.alias).join(', ')}); nothing was applied`, Exit.Refused)
    }
    const pending = planned.filter((p) => p.change.action !== 'no-op')
    if (options.dryRun || pending.length === 0) return Exit.Ok
    if (!options.yes && canAsk(ctx, ui.format) && !(await ctx.prompt.confirm(`Apply ${pending.length} change${pending.length === 1 ? '' : 's'} in ${this.region}?`))) {
      throw new CliError('cancelled at the prompt; nothing was applied', Exit.Interrupted)
    }

    const pace = createPacer(options.rate, ctx.now, ctx.sleep, ctx.signal)
    const failure = await ui.progress(`Applying ${pending.length} changes at up to ${options.rate}/s`, (spinner) => this.applyAll(pending, pace, (n) => spinner.text(`Applying ${n}/${pending.length}`)))
    if (failure && options.rollback && !ctx.signal.aborted) {
      const applied = pending.filter((p) => p.change.status === 'applied').reverse()
      await ui.progress(`Rolling back ${applied.length} changes`, () => this.rollBack(applied, pace))
    }
    if (options.verify && !ctx.signal.aborted) await ui.progress('Confirming with ListAliases', () => this.confirmAll(pending))
    if (failure) throw failure

    const unverified = options.verify ? pending.filter((p) => p.change.status === 'applied' && !p.change.verified) : []
    if (unverified.length > 0) {
      throw new CliError(`the changes were sent, but ListAliases did not confirm ${unverified.map((p) => p.change.alias).join(', ')} within ${options.verifyTimeout} s`, Exit.NotConfirmed, 'KMS is eventually consistent: check again shortly, or raise --verify-timeout')
    }
    return Exit.Ok
  }

  /** The same preflight as create or update, for one entry. */
  private async plan(entry: ApplyEntry): Promise<Planned> {
    const { region } = this
    const change: ApplyChange = {
      alias: entry.alias.name,
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
    if (local.length > 0) return { change: { ...change, findings: local }, entry }

    const [current, target] = await Promise.all([this.describeAlias(entry.alias.name), this.describeTarget(entry)])
    change.targetKeyId = target.key.keyId
    change.previousKeyId = current?.key.keyId ?? null
    change.nowKeyId = change.previousKeyId
    change.stateKnown = true
    if (!current) {
      const home = { region, ...(entry.alias.arn ? { account: entry.alias.arn.account } : {}) }
      change.action = 'create'
      change.findings = [...targetFindings(target.key, targetLocation(target.key, entry.target), home, { allowDisabled: false }), ...quotaFindings(target.aliases)]
    } else if (current.key.keyId === target.key.keyId) {
      change.action = 'no-op'
      change.status = 'no-op'
    } else {
      change.action = 'update'
      change.findings = updatePreflight({
        aliasName: entry.alias.name,
        expectedAccount: entry.alias.arn?.account,
        current: current.key,
        target: target.key,
        targetLocation: targetLocation(target.key, entry.target),
        aliasesOnCurrent: current.aliases,
        aliasesOnTarget: target.aliases,
        overrides: { allowSpecChange: false, allowDisabled: false },
      })
      const { allowAccessChange = false, iam } = this.options
      change.findings.push(...(await accessPreflight(this.kms, current.key, target.key, { aliasName: entry.alias.name, allowAccessChange, iam: iam ? () => this.ui.openIam() : undefined, cache: this.accessCache })))
    }
    return { change, entry, ...(current ? { current } : {}), target }
  }

  // Many entries share keys (a rotation points them all to one new key): each key is described,
  // and its aliases listed, once per run. The alias itself is described per entry.
  private readonly keyLookups = new Map<string, Promise<DescribedKey>>()
  private readonly aliasLists = new Map<string, Promise<AliasEntry[]>>()
  // Policies, grants and tags of each key, and IAM's policies, are read once per run too.
  private readonly accessCache = newAccessCache()

  private describeTarget(entry: ApplyEntry): Promise<DescribedKey> {
    const ref = entry.target.input
    let lookup = this.keyLookups.get(ref)
    if (!lookup) {
      lookup = this.kms.describeKey(ref).then(async (key) => ({ key, aliases: await this.aliasesOf(key.keyId) }))
      this.keyLookups.set(ref, lookup)
    }
    return lookup.catch(async (error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError(`${entry.alias.name}: key ${ref} not found in ${this.region}`)
      throw error
    })
  }

  private async describeAlias(aliasName: string): Promise<DescribedKey | undefined> {
    const key = await this.kms.describeKey(aliasName).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined
      throw error
    })
    return key && { key, aliases: await this.aliasesOf(key.keyId) }
  }

  private aliasesOf(keyId: string): Promise<AliasEntry[]> {
    let list = this.aliasLists.get(keyId)
    if (!list) {
      list = this.kms.listAliases({ keyId })
      this.aliasLists.set(keyId, list)
    }
    return list
  }

  /** Applies in file order at the paced rate; stops at the first failure and returns it. */
  private async applyAll(pending: Planned[], pace: () => Promise<void>, progress: (n: number) => void): Promise<CliError | undefined> {
    for (const [index, p] of pending.entries()) {
      const { change } = p
      const target = change.targetKeyId as string
      const state = { changed: false as boolean | null }
      try {
        await pace()
      } catch {
        // Only Ctrl-C ends a wait for the next slot; this entry was never sent.
        return new InterruptedError()
      }
      try {
        const check = { aliasName: change.alias, wanted: target, previous: change.previousKeyId ?? undefined, retryAnswers: (e: unknown) => change.action === 'create' && e instanceof ConflictError }
        await sendChecked(this.kms, this.ui, state, check, () => (change.action === 'create' ? this.kms.createAlias(change.alias, target) : this.kms.updateAlias(change.alias, target)))
        change.status = 'applied'
        change.nowKeyId = target
        change.journalId = this.record(p, change.action as 'create' | 'update', change.previousKeyId, target, true, null)
        progress(index + 1)
      } catch (error) {
        const failure = expectedFailure(this.ctx, error)
        change.status = 'failed'
        change.error = errorSummary(failure)
        change.stateKnown = state.changed !== null
        if (!change.stateKnown) change.nowKeyId = null
        if (state.changed === null) this.record(p, change.action as 'create' | 'update', change.previousKeyId, target, false, null)
        return failure
      }
    }
    return undefined
  }

  /** Puts each applied entry back: update to its previous key, delete what this run created. */
  private async rollBack(applied: Planned[], pace: () => Promise<void>): Promise<void> {
    for (const p of applied) {
      const { change } = p
      const state = { changed: false as boolean | null }
      try {
        await pace()
        if (change.action === 'create') {
          const check = { aliasName: change.alias, wanted: undefined, previous: change.targetKeyId ?? undefined, retryAnswers: (e: unknown) => e instanceof NotFoundError }
          await sendChecked(this.kms, this.ui, state, check, () => this.kms.deleteAlias(change.alias))
          this.record(p, 'delete', change.targetKeyId, null, true, change.journalId)
        } else {
          const previous = change.previousKeyId as string
          await sendChecked(this.kms, this.ui, state, { aliasName: change.alias, wanted: previous, previous: change.targetKeyId ?? undefined }, () => this.kms.updateAlias(change.alias, previous))
          this.record(p, 'update', change.targetKeyId, previous, true, change.journalId)
        }
        change.status = 'rolled-back'
        change.nowKeyId = change.previousKeyId
      } catch (error) {
        const failure = expectedFailure(this.ctx, error)
        change.error = { ...errorSummary(failure), message: `rollback failed: ${failure.message}` }
        change.stateKnown = state.changed !== null
        if (!change.stateKnown) change.nowKeyId = null
      }
    }
  }

  /** Confirms the final state of every entry that changed (applied, or rolled back). */
  private async confirmAll(pending: Planned[]): Promise<void> {
    const changed = pending.filter((p) => p.change.status === 'applied' || p.change.status === 'rolled-back')
    await mapWithLimit(changed, PLAN_CONCURRENCY, async ({ change }) => {
      const timing = pollTiming(this.ctx, this.options.verifyTimeout)
      let result: Confirmation | undefined
      try {
        if (change.nowKeyId === null) {
          result = await confirmAliasGone(this.kms, { aliasName: change.alias, previousKeyId: change.targetKeyId as string, ...timing })
        } else {
          const other = change.nowKeyId === change.targetKeyId ? change.previousKeyId : change.targetKeyId
          result = await confirmAliasTarget(this.kms, { aliasName: change.alias, expectedKeyId: change.nowKeyId, previousKeyId: other ?? undefined, ...timing })
        }
      } catch (error) {
        // A read that fails leaves this entry unconfirmed (exit 6), not the whole run failed.
        const failure = expectedFailure(this.ctx, error)
        if (failure.exitCode === Exit.Interrupted) throw failure
      }
      change.verified = result?.status === 'confirmed'
      if (result === undefined) return
      if (result.status === 'other-target') change.nowKeyId = result.keyId
      // Only the alias's last change describes its final state; earlier ones were superseded.
      const last = this.journalEntries.filter((e) => e.alias === change.alias).at(-1)
      if (last) last.verified = change.verified
    })
  }

  private record(p: Planned, action: JournalEntry['action'], previousKeyId: string | null, newKeyId: string | null, certain: boolean, reverts: string | null): string {
    const arn = p.target?.key.arn ?? p.current?.key.arn
    const entry: JournalEntry = {
      id: newJournalId(),
      time: this.ctx.now().toISOString(),
      account: arn ? (parseArn(arn)?.account ?? null) : null,
      region: this.region,
      alias: p.change.alias,
      action,
      previousKeyId,
      newKeyId,
      verified: false,
      certain,
      command: reverts ? 'apply (rollback)' : 'apply',
      reverts,
      toolVersion: version,
    }
    this.journalEntries.push(entry)
    return entry.id
  }

  /** Writes what changed to the journal once the run is over (one locked append). */
  async journal(): Promise<void> {
    await recordInJournal(this.ctx, this.ui, this.globals, this.journalEntries)
  }
}
