import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { sessionOf } from '../cli/session.js'
import { Exit } from '../errors.js'
import { readUsage, type UsageReads } from '../engine/usageReads.js'
import { escapeDeep } from '../output/escape.js'
import { withFailureDocument } from '../output/failureView.js'
import { createUi } from '../output/ui.js'
import { renderUsageJson, renderUsageTable, renderUsageText, usageKeyView, type UsageReport } from '../output/usageView.js'
import { describeLastUse, summarizeCallers, verdictOf } from '../preflight/usage.js'
import { parseKeyRef } from '../kms/identifiers.js'

export interface UsageOptions {
  /** Key ID, key ARN, alias name or alias ARN. */
  key: string
  sinceDays: number
  maxEvents: number
  /** Also these Regions of a multi-Region key (its replicas). */
  regions?: string[]
}

/** Who still uses a key: GetKeyLastUsage, CloudTrail's callers, its aliases and grants, and a verdict. Exit 0 whatever the verdict. */
export async function runUsage(options: UsageOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  return withFailureDocument(ui, ctx.signal, async () => {
    // A malformed identifier is the user's typo (exit 2 with the forms), not a key KMS lacks (exit 4).
    parseKeyRef(options.key)
    const session = sessionOf(ctx, globals, ui)
    const kms = await session.kms()
    const key = await ui.progress(`Describing ${options.key}`, () => kms.describeKey(options.key))
    const reads = await ui.progress(`Reading the use of ${key.keyId}`, () =>
      readUsage(ctx, session, kms, key, { sinceDays: options.sinceDays, maxEvents: options.maxEvents, otherRegions: options.regions ?? [] }),
    )
    const report = usageReport(reads, options, ctx.now())
    if (ui.format === 'json') ui.write(renderUsageJson(report))
    else if (ui.format === 'text') ui.write(renderUsageText(escapeDeep(report)))
    else ui.write(renderUsageTable(escapeDeep(report), ui.out, ui.width))
    return Exit.Ok
  })
}

export function usageReport(reads: UsageReads, options: Pick<UsageOptions, 'sinceDays' | 'maxEvents'>, now: Date): UsageReport {
  const { verdict, reasons } = verdictOf(reads, now)
  const events = reads.regions.flatMap((r) => r.trail.value?.events ?? [])
  return {
    key: usageKeyView(reads.key),
    window: { since: reads.since.toISOString(), until: reads.until.toISOString(), days: options.sinceDays },
    lastUse: reads.regions.map((r) => lastUseView(r.region, r.lastUse, now)),
    callers: summarizeCallers(events).map(({ cryptographic: _cryptographic, ...c }) => c),
    events: reads.regions.map((r) => ({
      region: r.region,
      read: r.trail.value?.events.length ?? 0,
      pages: r.trail.value?.pages ?? 0,
      truncated: r.trail.value?.truncated ?? false,
      maxEvents: options.maxEvents,
      error: r.trail.error ?? null,
    })),
    aliases: reads.regions.flatMap((r) => (r.aliases.value ?? []).map((name) => ({ region: r.region, name }))),
    grants: reads.grants.value?.map((g) => ({ grantId: g.grantId, granteePrincipal: g.granteePrincipal ?? null, operations: g.operations })) ?? null,
    verdict,
    reasons,
    error: null,
    exitCode: Exit.Ok,
  }
}

function lastUseView(region: string, read: UsageReads['regions'][number]['lastUse'], now: Date): UsageReport['lastUse'][number] {
  if (read.error !== undefined) return { region, answer: null, operation: null, at: null, cloudTrailEventId: null, trackingStart: null, text: '', error: read.error }
  const use = read.value
  return {
    region,
    answer: use.answer,
    operation: use.answer === 'used' ? use.operation : null,
    at: use.answer === 'used' ? (use.at?.toISOString() ?? null) : null,
    cloudTrailEventId: use.answer === 'used' ? use.cloudTrailEventId : null,
    trackingStart: use.trackingStart?.toISOString() ?? null,
    text: describeLastUse(use, now),
    error: null,
  }
}
