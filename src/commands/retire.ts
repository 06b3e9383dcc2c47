// `kms-alias retire <key>`: a staged retirement (issue 21). --disable (refused while anything shows
// the key in use), --check (who was refused since it was disabled), --schedule-deletion (only after
// a clean soak). The steps that change the key go through the run engine and the Writer: gate
// (refusal, dry run, --yes or the prompt), then a guarded, journaled write that `undo` reverts.
import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { sessionOf, type Session } from '../cli/session.js'
import { CliError, Exit, UsageError } from '../errors.js'
import { journalPath, scanJournalNewestFirst } from '../engine/journal.js'
import { canAsk, finish, runItems, settle } from '../engine/run.js'
import { readUsage } from '../engine/usageReads.js'
import { failureOf, Writer, type WriteOutcome } from '../engine/writePath.js'
import { parseKeyRef, shown } from '../kms/identifiers.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import { newRetireReport, retireView, type RetireReport, type RetireStep } from '../output/retireView.js'
import { createUi, type Ui } from '../output/ui.js'
import { usageKeyView } from '../output/usageView.js'
import { hasBlock, refusedFindings, type Finding } from '../preflight/rules.js'
import {
  checkFindings,
  DAY_MS,
  disableFindings,
  refusedCallers,
  scheduleFindings,
  soakFor,
  type ReadResult,
  type StillNeeded,
  verdictOf,
} from '../preflight/usage.js'

export interface RetireOptions {
  key: string
  step: RetireStep
  dryRun: boolean
  yes: boolean
  /** --disable: how long the key must have gone unused. */
  idleForDays: number
  allowUnknownUsage: boolean
  /** --schedule-deletion: the waiting period (7 to 30 days). */
  days: number
  /** --schedule-deletion: how long the key must have been disabled. */
  soakDays: number
  maxEvents: number
}

// CloudTrail's event history: how far back a disable is looked for.
const TRAIL_DAYS = 90

export async function runRetire(options: RetireOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  const report = newRetireReport(options.step, options.dryRun)
  const changes = options.step !== 'check' && !options.dryRun
  if (changes && !options.yes && !canAsk(ctx, globals.output)) {
    const what = options.step === 'disable' ? 'disable a key' : 'schedule a key for deletion'
    const failure = new UsageError(`--yes is required to ${what} when not running interactively`, 'pass --yes, or --dry-run to see what would be done')
    return finish(ui, retireView, report, failure)
  }
  const outcome = await settle(ctx, async () => {
    retiredKeyRef(options.key)
    const session = sessionOf(ctx, globals, ui)
    const kms = await session.kms()
    const key = await ui.progress(`Describing ${options.key}`, () => kms.describeKey(options.key))
    report.key = usageKeyView(key)
    // The key's own account (from its ARN): what the lock and the journal entry name.
    const account = key.accountId || null
    const writer = new Writer(ctx, ui, globals, kms)
    if (options.step === 'disable') return disable(ctx, session, kms, key, options, report, ui, { writer, account })
    const soak = await readSoak(ctx, globals, session, key, options, ui)
    Object.assign(report, { disabledAt: soak.disabledAt?.toISOString() ?? null, disabledFrom: soak.from, refusedCallers: soak.refused.value ?? null })
    if (soak.disabledAt) report.soak = soakFor(soak.disabledAt, ctx.now())
    if (options.step === 'check') {
      report.findings = checkFindings(key, soak.disabledAt, soak.refused)
      report.outcome = hasBlock(report.findings) ? 'refused' : 'clean'
      if (hasBlock(report.findings)) throw refusal(report.findings, 'check')
      return
    }
    return schedule(ctx, session, kms, key, options, report, ui, { writer, account, soak })
  })
  return finish(ui, retireView, report, outcome.failure)
}

/**
 * The key to retire, named as itself: an alias that points to the key blocks every step
 * (KEY_HAS_ALIASES), so an alias could only name a key that is not ready to retire.
 */
function retiredKeyRef(input: string): void {
  if (parseKeyRef(input).kind === 'alias')
    throw new UsageError(
      `retire takes the key itself (key ID, mrk- ID or key ARN), not an alias: ${shown(input)}`,
      `an alias that still points to the key blocks every step; kms-alias usage ${shown(input)} names the key and its aliases`,
    )
}

interface Writing {
  writer: Writer
  account: string | null
}

/** The other Regions of a multi-Region key (its primary's and replicas'), read for aliases and use. */
function otherRegionsOf(key: KeyInfo): string[] {
  const config = key.multiRegionConfiguration
  if (!config) return []
  return [...new Set([config.primary?.region, ...config.replicas.map((r) => r.region)].filter((r): r is string => !!r && r !== key.region))]
}

async function disable(
  ctx: Context,
  session: Session,
  kms: KmsPort,
  key: KeyInfo,
  options: RetireOptions,
  report: RetireReport,
  ui: Ui,
  w: Writing,
): Promise<void> {
  const reads = await ui.progress(`Reading the use of ${key.keyId}`, () =>
    readUsage(ctx, session, kms, key, { sinceDays: options.idleForDays, maxEvents: options.maxEvents, otherRegions: otherRegionsOf(key) }),
  )
  const verdict = verdictOf(reads, ctx.now())
  report.usage = { verdict: verdict.verdict, reasons: verdict.reasons }
  const several = reads.regions.length > 1
  const aliases = reads.regions.flatMap((r) => (r.aliases.value ?? []).map((a) => (several ? `${a} (${r.region})` : a)))
  const aliasesUnread = reads.regions.flatMap((r) => (r.aliases.error === undefined ? [] : [`ListAliases${several ? ` in ${r.region}` : ''} failed: ${r.aliases.error}`]))
  const grants = reads.grants.value?.length ?? 0
  const facts = { key, aliases, aliasesUnread, grants, ...(reads.grants.error !== undefined ? { grantsUnread: reads.grants.error } : {}) }
  const findings = disableFindings(facts, verdict, { idleForDays: options.idleForDays, allowUnknownUsage: options.allowUnknownUsage })
  await change(ctx, report, ui, options, findings, {
    pending: key.keyState !== 'Disabled',
    already: 'already-disabled',
    dry: 'would-disable',
    done: 'disabled',
    question: `Disable ${key.keyId}? Every caller that still uses it fails until it is enabled again (kms-alias undo)`,
    label: `Disabling ${key.keyId}`,
    writer: w.writer,
    write: () =>
      w.writer.writeKeyState({
        action: 'disable-key',
        keyId: key.keyId,
        region: key.region,
        account: w.account,
        expectedState: key.keyState ?? 'unknown',
        wantedState: 'Disabled',
        origin: { command: 'retire --disable', reverts: null, runId: null },
        send: () => kms.disableKey(key.keyId),
      }),
  })
}

async function schedule(
  ctx: Context,
  session: Session,
  kms: KmsPort,
  key: KeyInfo,
  options: RetireOptions,
  report: RetireReport,
  ui: Ui,
  w: Writing & { soak: Soak },
): Promise<void> {
  const [aliases, grants] = await Promise.all([
    aliasesEverywhere(ctx, session, kms, key),
    kms.listGrants(key.keyId).then(
      (list) => ({ count: list.length }),
      (error: unknown) => ({ count: 0, grantsUnread: failureOf(ctx, error).message }),
    ),
  ])
  const pending = key.keyState !== 'PendingDeletion'
  const facts = { key, aliases: aliases.names, aliasesUnread: aliases.unread, grants: grants.count, ...('grantsUnread' in grants ? { grantsUnread: grants.grantsUnread } : {}) }
  const findings = pending ? scheduleFindings(facts, w.soak.disabledAt, w.soak.refused, { soakDays: options.soakDays, now: ctx.now() }) : []
  let deletionDate: Date | undefined
  await change(ctx, report, ui, options, findings, {
    pending,
    already: 'already-pending-deletion',
    dry: 'would-schedule',
    done: 'scheduled',
    question: `Schedule ${key.keyId} for deletion in ${options.days} days? Once deleted, what it encrypted cannot be decrypted`,
    label: `Scheduling ${key.keyId} for deletion`,
    writer: w.writer,
    write: () =>
      w.writer.writeKeyState({
        action: 'schedule-key-deletion',
        keyId: key.keyId,
        region: key.region,
        account: w.account,
        expectedState: 'Disabled',
        wantedState: 'PendingDeletion',
        pendingWindowInDays: options.days,
        origin: { command: 'retire --schedule-deletion', reverts: null, runId: null },
        send: async () => {
          deletionDate = (await kms.scheduleKeyDeletion(key.keyId, options.days)).deletionDate
        },
      }),
  })
  if (deletionDate) report.deletionDate = deletionDate.toISOString()
}

/** Every alias on the key, in each Region of a multi-Region key (named with its Region then), and why a Region's could not be read. */
async function aliasesEverywhere(ctx: Context, session: Session, kms: KmsPort, key: KeyInfo): Promise<{ names: string[]; unread: string[] }> {
  const others = otherRegionsOf(key)
  const read = async (region: string, port: () => Promise<KmsPort>) => {
    try {
      return { region, names: (await (await port()).listAliases({ keyId: key.keyId })).map((x) => x.name) }
    } catch (error) {
      return { region, names: [], error: failureOf(ctx, error).message }
    }
  }
  const lists = await Promise.all([read(key.region, async () => kms), ...others.map((region) => read(region, () => session.kms({ region })))])
  // An interruption while reading is the run's end, not a read that failed.
  if (ctx.signal.aborted) throw failureOf(ctx, new Error('interrupted'))
  const several = lists.length > 1
  return {
    names: lists.flatMap((l) => l.names.sort().map((n) => (several ? `${n} (${l.region})` : n))),
    unread: lists.flatMap((l) => (l.error === undefined ? [] : [`ListAliases${several ? ` in ${l.region}` : ''} failed: ${l.error}`])),
  }
}

interface Soak {
  disabledAt: Date | null
  from: 'journal' | 'cloudtrail' | null
  refused: ReadResult<StillNeeded[]>
}

/**
 * When the key was disabled (the later of the journal's disable entry and CloudTrail's DisableKey
 * event) and who was refused since: CloudTrail from that entry, else over its 90 days.
 */
async function readSoak(ctx: Context, globals: GlobalOptions, session: Session, key: KeyInfo, options: RetireOptions, ui: Ui): Promise<Soak> {
  const journaled = await lastDisable(ctx, globals, key)
  const now = ctx.now()
  const earliest = new Date(now.getTime() - TRAIL_DAYS * DAY_MS)
  const start = journaled && journaled > earliest ? journaled : earliest
  const trail = await settle(ctx, () =>
    ui.progress(`Reading CloudTrail for ${key.keyId}`, async () =>
      (await session.cloudtrail()).keyEvents({ resourceName: key.arn, start, end: now, maxEvents: options.maxEvents }),
    ),
  )
  if (trail.failure) return { disabledAt: journaled, from: journaled ? 'journal' : null, refused: { error: trail.failure.message } }
  const logged = trail.value.events.find((e) => e.eventName === 'DisableKey' && !e.errorCode)?.eventTime ?? null
  const disabledAt = journaled && (!logged || journaled >= logged) ? journaled : logged
  const from = disabledAt === null ? null : disabledAt === journaled ? 'journal' : 'cloudtrail'
  if (trail.value.truncated && disabledAt === null) {
    return { disabledAt, from, refused: { error: `--max-events ${options.maxEvents} was reached before a DisableKey event was found; pass a larger --max-events` } }
  }
  if (trail.value.truncated && disabledAt && trail.value.events.at(-1)!.eventTime > disabledAt) {
    return { disabledAt, from, refused: { error: `--max-events ${options.maxEvents} was reached before the time the key was disabled` } }
  }
  return { disabledAt, from, refused: { value: disabledAt ? refusedCallers(trail.value.events, disabledAt) : [] } }
}

/** The newest journaled disable of `key` that was made (or may have been), or null. */
async function lastDisable(ctx: Context, globals: GlobalOptions, key: KeyInfo): Promise<Date | null> {
  const path = journalPath(globals.journal, ctx.env, ctx.platform)
  if (path === null) return null
  let found: Date | null = null
  await scanJournalNewestFirst(
    path,
    (entry) => {
      if (entry.action !== 'disable-key' || entry.keyId !== key.keyId || entry.region !== key.region) return true
      found = new Date(entry.time)
      return false
    },
    { signal: ctx.signal },
  ).catch(() => undefined)
  return found
}

interface Change {
  pending: boolean
  already: RetireReport['outcome']
  dry: RetireReport['outcome']
  done: RetireReport['outcome']
  question: string
  label: string
  writer: Writer
  write: () => Promise<WriteOutcome>
}

/** One key's change through the run engine: refusal, nothing to do, dry run, prompt, the guarded write. */
async function change(ctx: Context, report: RetireReport, ui: Ui, options: RetireOptions, findings: Finding[], c: Change): Promise<void> {
  const blocked = c.pending && hasBlock(findings)
  report.findings = blocked ? refusedFindings(findings) : findings
  const { stage, traces, failure } = await runItems(ctx, {
    items: [c],
    blocked: () => blocked,
    pending: () => c.pending,
    dryRun: options.dryRun,
    yes: options.yes,
    format: ui.format,
    refusal: () => refusal(findings, options.step),
    question: () => c.question,
    declined: 'cancelled at the prompt',
    writer: () => c.writer,
    write: () => ui.progress(c.label, c.write),
  })
  const write = traces.get(c)?.write
  switch (stage) {
    case 'refused':
      report.outcome = 'refused'
      break
    case 'nothing-to-do':
      report.outcome = c.already
      break
    case 'dry-run':
      report.outcome = c.dry
      break
    case 'declined':
      report.outcome = 'declined'
      break
    case 'written':
      report.changed = write?.changed ?? false
      report.journalId = write?.journalId ?? null
      if (write?.status === 'written') {
        report.outcome = c.done
        if (write.journalId) report.undo = `kms-alias undo ${write.journalId}`
      } else report.outcome = write?.status === 'conflict' ? 'conflict' : 'failed'
  }
  if (failure) throw failure
}

// Blocks that say the evidence was missing, not that it showed use.
const UNCHECKABLE = new Set(['SOAK_UNCHECKED', 'SOAK_UNKNOWN', 'LAST_USE_UNKNOWN'])
const NEEDS_TRAIL =
  'it needs CloudTrail (cloudtrail:LookupEvents) and when the key was disabled (the journal\'s disable-key entry, or the DisableKey event in CloudTrail\'s 90 days)'
const TRAIL_MISSING = 'where CloudTrail LookupEvents is missing (as on KMS emulators) it cannot pass'

/** Exit 3 for a step the findings block; a read-only --check is "not clean", not "refused". */
function refusal(findings: Finding[], step: RetireStep): CliError {
  const blocking = [...new Set(findings.filter((f) => f.severity === 'block').map((f) => f.code))]
  const uncheckable = blocking.some((c) => UNCHECKABLE.has(c))
  if (step === 'check') {
    if (uncheckable) return new CliError(`not clean: the soak cannot be checked (${blocking.join(', ')})`, Exit.Refused, `${NEEDS_TRAIL}; ${TRAIL_MISSING}`)
    return new CliError(`not clean: ${blocking.join(', ')}`, Exit.Refused, 'see the findings')
  }
  if (!uncheckable) return new CliError(`refused: ${blocking.join(', ')}`, Exit.Refused, 'see the findings; nothing was changed')
  const needs =
    step === 'disable'
      ? 'GetKeyLastUsage and CloudTrail (kms:GetKeyLastUsage, cloudtrail:LookupEvents) must show the key idle; where either is missing (as on KMS emulators) its use cannot be told, and only --allow-unknown-usage disables it'
      : `--schedule-deletion needs a clean --check: ${NEEDS_TRAIL}; ${TRAIL_MISSING}`
  return new CliError(`refused: ${blocking.join(', ')}`, Exit.Refused, `see the findings; nothing was changed. ${needs}`)
}
