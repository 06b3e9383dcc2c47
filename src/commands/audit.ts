// `kms-alias audit` (issue 23): reads every alias of every (account, Region) asked for, describes
// each distinct key once, and reports the aliases that will break. Read-only: the only calls are
// ListAliases, DescribeKey and (--keys) ListKeys, and the only file written is --fix-plan's.
import { access, constants, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import type { RoleNameConfig } from '../cli/roles.js'
import { roleInAccount } from '../cli/roles.js'
import { sessionOf, type Session } from '../cli/session.js'
import { requestedAccount } from '../engine/account.js'
import { CliError, Exit, InterruptedError, UsageError } from '../errors.js'
import { kmsAliasCommand } from '../output/shell.js'
import { isReservedAlias, parseArn } from '../kms/identifiers.js'
import { mapWithLimit } from '../kms/concurrency.js'
import { createPacer } from '../kms/pacer.js'
import type { AssumeRoleConfig, KmsPort } from '../kms/port.js'
import {
  fixPlanEntries,
  renderAuditJson,
  renderAuditSummary,
  renderAuditTable,
  renderAuditText,
  renderFixPlan,
  summaryOf,
  type AuditPartition,
  type AuditReport,
} from '../output/auditView.js'
import { escapeDeep } from '../output/escape.js'
import { withFailureDocument } from '../output/failureView.js'
import type { Spinner } from '../output/spinner.js'
import { createUi, type Ui } from '../output/ui.js'
import { auditFindings, auditKeyOf, failsOn, isReadableKey, type AuditKey, type FailOn, type PartitionFacts, type UnreadableKey } from '../preflight/audit.js'

export interface AuditOptions {
  /** --regions; absent: the client's Region, as list. */
  regions?: string[]
  /** --all-regions: also every Region a multi-Region key found names in its replica set, until none is new. */
  allRegions: boolean
  /** --accounts; absent: the credentials' account. */
  accounts?: string[]
  roleName?: RoleNameConfig
  /** --keys: ListKeys too, for KEY_WITHOUT_ALIAS. */
  keys: boolean
  withinDays: number
  failOn: FailOn
  fixPlan?: string
  /** Reads a second at most per (account, Region): ListAliases pages, DescribeKey and ListKeys. */
  rate: number
}

// Describes in flight per partition: enough to keep up with --rate over a slow link (100/s at
// 100 ms a call), few enough not to crowd a connection pool.
const DESCRIBE_CONCURRENCY = 16
// Partitions read at once: each has its own pacer, so this bounds sockets and memory, not the rate.
const PARTITION_CONCURRENCY = 8

/** Audits the aliases of every partition asked for; exit 3 when a finding reaches --fail-on. */
export async function runAudit(options: AuditOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  return withFailureDocument(ui, ctx.signal, async () => {
    if (options.regions !== undefined && globals.region !== undefined)
      throw new UsageError('--region and --regions cannot be used together', 'audit every Region in --regions')
    if (options.regions !== undefined && options.allRegions) throw new UsageError('--regions and --all-regions cannot be used together')
    if (options.roleName !== undefined && options.accounts === undefined)
      throw new UsageError('--role-name needs --accounts', 'name the accounts to audit: --accounts 111122223333,444455556666')
    if (options.fixPlan !== undefined) await checkWritable(options.fixPlan)
    const session = sessionOf(ctx, globals, ui)
    // With --regions the client's Region is never read, so it need not be configured (as list).
    const home = options.regions === undefined || (options.accounts && requestedAccount(globals) === undefined) ? await session.kms() : undefined
    const homeRegion = options.regions === undefined ? await (home as KmsPort).region() : undefined
    const homeAccount = requestedAccount(globals) ?? (options.accounts && home ? await home.accountId() : null)
    const accounts = options.accounts ?? [homeAccount]
    const others = accounts.filter((a) => a !== homeAccount)
    if (others.length > 0 && options.roleName === undefined)
      throw new UsageError(
        `--accounts names ${others.join(', ')}, but these credentials act on account ${homeAccount}`,
        'pass --role-name <name> to assume arn:aws:iam::<account>:role/<name> in each other account',
      )
    const reader = new PartitionReader(ctx, session, options, { kms: home, region: homeRegion, account: homeAccount })
    const facts = await ui.progress('Auditing', (spinner) => reader.readAll(accounts, options.regions ?? [homeRegion as string], spinner))
    const findings = auditFindings(facts, { now: ctx.now(), withinDays: options.withinDays })
    const partitions = facts.map(
      (p): AuditPartition => ({
        account: p.account,
        region: p.region,
        readable: p.unreadable === undefined,
        aliases: p.aliases.size,
        keys: p.keys.size,
        unreadableKeys: [...p.keys.values()].filter((k) => !isReadableKey(k)).length,
      }),
    )
    const report: AuditReport = {
      partitions,
      findings,
      summary: summaryOf(partitions, findings),
      failOn: options.failOn,
      fixPlan: null,
      exitCode: findings.some((f) => failsOn(f.level, options.failOn)) ? Exit.Refused : Exit.Ok,
    }
    if (options.fixPlan !== undefined) {
      const { entries, notFixable } = fixPlanEntries(findings, accounts.length > 1)
      await writeFile(options.fixPlan, renderFixPlan(entries)).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot write --fix-plan ${options.fixPlan}: ${error.code ?? error.message}`)
      })
      // apply acts where audit read: the same profile and endpoint, role or roles.
      const where = [...(globals.role ? ['--role-arn', globals.role.arn] : []), ...(options.roleName ? ['--role-name', options.roleName.name] : [])]
      report.fixPlan = {
        file: options.fixPlan,
        entries: entries.length,
        review: kmsAliasCommand(['apply', options.fixPlan, '--dry-run', ...where], null, globals),
        notFixable,
      }
    }
    show(ui, report)
    return report.exitCode
  })
}

function show(ui: Ui, report: AuditReport): void {
  if (ui.format === 'json') {
    ui.write(renderAuditJson(report))
    return
  }
  const human = escapeDeep(report)
  if (ui.format === 'text') ui.write(renderAuditText(human.findings))
  else if (human.findings.length === 0) ui.note('No findings.')
  else ui.write(renderAuditTable(human, ui.out, ui.width))
  ui.note(renderAuditSummary(human.summary))
  if (human.fixPlan) {
    ui.note(
      human.fixPlan.entries === 0
        ? `Nothing to fix mechanically: wrote an empty plan to ${human.fixPlan.file}`
        : `Wrote ${human.fixPlan.entries} fix${human.fixPlan.entries === 1 ? '' : 'es'} to ${human.fixPlan.file}: review it, then run ${human.fixPlan.review}`,
    )
    for (const left of human.fixPlan.notFixable)
      ui.note(
        `Not in the plan (not mechanically fixable): ${left.alias} in ${left.account ? `${left.region} of account ${left.account}` : left.region} is missing for ${left.keyIds.length} keys (${left.keyIds.join(', ')}); choose one and create it by hand`,
      )
  }
}

/**
 * Fails before any read when --fix-plan cannot be written, not after the whole fleet was read. The
 * file is written where the project reads its apply files, with node:fs: the Context has no file seam.
 */
async function checkWritable(file: string): Promise<void> {
  // stdout holds the report (table, text or JSON): a plan there would be mixed into it.
  if (file === '-') throw new UsageError('--fix-plan - is not supported: stdout holds the report', 'name a file: --fix-plan fix.json')
  const refuse = (why: string) => new UsageError(`cannot write --fix-plan ${file}: ${why}`)
  const existing = await stat(file).catch(() => undefined)
  if (existing?.isDirectory()) throw refuse('it is a directory')
  await access(existing ? file : dirname(file), constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw refuse(error.code ?? error.message)
  })
}

/** Reads partitions, each at its own pace and all at the same time (KMS quotas are per account and Region). */
class PartitionReader {
  private done = 0
  private total = 0
  private aliasesRead = 0
  private firstFailure: CliError | undefined

  constructor(
    private readonly ctx: Context,
    private readonly session: Session,
    private readonly options: AuditOptions,
    /** The client's own port, Region and account: its Region is read through that port. */
    private readonly home: { kms: KmsPort | undefined; region: string | undefined; account: string | null },
  ) {}

  async readAll(accounts: readonly (string | null)[], regions: readonly string[], spinner: Spinner): Promise<PartitionFacts[]> {
    const read: PartitionFacts[] = []
    let next = accounts.flatMap((account) => regions.map((region) => ({ account, region })))
    const asked = new Set(next.map((p) => placeKey(p.account, p.region)))
    while (next.length > 0) {
      this.total += next.length
      const round = await mapWithLimit(next, PARTITION_CONCURRENCY, async (p) => ({ asked: p.account, facts: await this.read(p.account, p.region, spinner) }))
      read.push(...round.map((r) => r.facts))
      // Nothing read at all says nothing about any partition: the run fails as list would, with
      // that failure's own exit code and hint (no credentials, a wrong endpoint, all denied).
      if (read.every((p) => p.unreadable !== undefined) && this.firstFailure) throw this.firstFailure
      if (!this.options.allRegions) break
      // --all-regions: the Regions the multi-Region keys found replicate to, in the account asked for.
      next = round
        .flatMap(({ asked: account, facts }) =>
          [...facts.keys.values()].filter(isReadableKey).flatMap((key) => key.regions.map((region) => ({ account, region }))),
        )
        .filter((p) => !asked.has(placeKey(p.account, p.region)) && asked.add(placeKey(p.account, p.region)))
    }
    // Without --accounts every partition is the credentials' account; one with no alias ARN to tell
    // it (an empty Region) takes the account the others' ARNs named.
    const known = read.find((p) => p.account !== null)?.account ?? null
    return accounts.length === 1 ? read.map((p) => ({ ...p, account: p.account ?? known })) : read
  }

  /** One partition: alias pages one at a time, each new key described once; an unreadable partition is a result, not a failure. */
  private async read(account: string | null, region: string, spinner: Spinner): Promise<PartitionFacts> {
    const { ctx, options } = this
    const role: AssumeRoleConfig | undefined =
      account !== null && account !== this.home.account && options.roleName ? roleInAccount(options.roleName, account, region) : undefined
    const pace = createPacer(options.rate, ctx.now, ctx.sleep, ctx.signal)
    const facts: PartitionFacts = { account, region, aliases: new Map(), keys: new Map() }
    try {
      const kms = region === this.home.region && !role && this.home.kms ? this.home.kms : await this.session.kms({ region, ...(role ? { role } : {}) })
      for await (const page of kms.listAliasPages(pace)) {
        const fresh: string[] = []
        for (const alias of page) {
          facts.aliases.set(alias.name, alias.targetKeyId)
          facts.account ??= (alias.arn && parseArn(alias.arn)?.account) || null
          // AWS managed keys cannot be disabled or deleted, and moto's alias/aws/* name keys it does not have.
          if (alias.targetKeyId === undefined || isReservedAlias(alias.name) || facts.keys.has(alias.targetKeyId) || fresh.includes(alias.targetKeyId)) continue
          fresh.push(alias.targetKeyId)
        }
        this.aliasesRead += page.length
        spinner.text(this.progressText())
        await this.describeAll(kms, fresh, facts, pace)
      }
      if (options.keys) {
        await pace()
        facts.allKeys = await kms.listKeys()
        await this.describeAll(
          kms,
          facts.allKeys.filter((id) => !facts.keys.has(id)),
          facts,
          pace,
        )
      }
    } catch (error) {
      if (!isPartitionRefusal(error)) throw error
      this.firstFailure ??= error
      return { account: facts.account, region, unreadable: error.message, aliases: new Map(), keys: new Map() }
    } finally {
      this.done += 1
      spinner.text(this.progressText())
    }
    return facts
  }

  /**
   * Each call waits for its slot before it is sent, and at most DESCRIBE_CONCURRENCY are in flight:
   * the pacer, not the answers, sets the rate.
   */
  private async describeAll(kms: KmsPort, keyIds: readonly string[], facts: PartitionFacts, pace: () => Promise<void>): Promise<void> {
    const inFlight = new Set<Promise<void>>()
    let failure: { error: unknown } | undefined
    for (const keyId of keyIds) {
      while (inFlight.size >= DESCRIBE_CONCURRENCY) await Promise.race(inFlight)
      if (failure) break
      await pace()
      const call: Promise<void> = describe(kms, keyId)
        .then((key) => void facts.keys.set(keyId, key))
        .catch((error: unknown) => void (failure ??= { error }))
        .finally(() => inFlight.delete(call))
      inFlight.add(call)
    }
    await Promise.all(inFlight)
    if (failure) throw failure.error
  }

  private progressText(): string {
    return `Audited ${this.done}/${this.total} partitions, ${this.aliasesRead} alias${this.aliasesRead === 1 ? '' : 'es'} read`
  }
}

/**
 * A key that cannot be described (denied, gone, throttled past retries, 5xx, the network) is a fact
 * about that key, not the partition's failure: the rules make it an error finding.
 */
async function describe(kms: KmsPort, keyId: string): Promise<AuditKey | UnreadableKey> {
  try {
    return auditKeyOf(await kms.describeKey(keyId))
  } catch (error) {
    if (!(error instanceof CliError) || error instanceof InterruptedError) throw error
    return { keyId, unreadable: error.message }
  }
}

/**
 * AWS refused this partition's credentials (AccessDenied, a Region not enabled answers
 * UnrecognizedClientException, a role that cannot be assumed): other partitions may still be read.
 * A failure with no AWS answer behind it (no credentials, no Region, an unreachable endpoint) or
 * any other failure is the run's, and ends it with its own exit code.
 */
function isPartitionRefusal(error: unknown): error is CliError {
  return error instanceof CliError && error.exitCode === Exit.Access && error.awsCode !== undefined
}

const placeKey = (account: string | null, region: string) => `${account ?? ''}/${region}`
