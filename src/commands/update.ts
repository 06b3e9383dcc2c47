import type { Context } from '../cli/context.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { requestedAccount } from '../engine/account.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import type { DescribedKey } from '../kms/lookups.js'
import type { KeyInfo } from '../kms/port.js'
import { toKeyView } from '../output/keyView.js'
import { expectation, planMove } from '../engine/planner.js'
import { RunReads } from '../engine/reads.js'
import type { Finding } from '../preflight/rules.js'
import { applyChange, canAsk, guardConflict, pollTiming, refuse, runChange, type ChangeOrigin, type RevertedBy } from '../engine/run.js'
import { kmsAliasCommand } from '../output/shell.js'
import { moveCall } from '../engine/steps.js'
import { newJournalId } from '../engine/journal.js'
import { probeAfter, probeBefore, probeCallers, type ProbeCaller, type ProbeSettings } from '../engine/probe.js'
import { callersOver } from '../engine/usageReads.js'

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
  /** Undo: the entry that already reverted the one being reverted, named if the guard fails. */
  revertedBy?: RevertedBy
  /** ACCESS_NARROWED and GRANTS_MISSING warn instead of block. */
  allowAccessChange?: boolean
  /** Also read IAM identity policies (KEY_ARN_PINNED, alias conditions). */
  iam?: boolean
  /** The use probe (--no-probe, --probe-timeout, --probe-as); absent: none. */
  probe?: ProbeSettings
  /** --callers: check the current key's callers of the last this many days against the new key (issue 21). */
  callers?: number
}

/** The safe repoint: local checks, preflight, optional prompt, UpdateAlias, confirmation. */
export async function runUpdate(options: UpdateOptions, ctx: Context, globals: GlobalOptions, origin?: ChangeOrigin): Promise<number> {
  // Malformed input is a usage error before anything else happens (main prints it; exit 2).
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const targetRef = parseKeyRef(options.to, '--to')
  const expected = options.expectCurrent === undefined ? undefined : parseKeyRef(options.expectCurrent, '--expect-current')

  return runChange(ctx, globals, { action: 'update', alias: aliasRef.name, dryRun: options.dryRun, ...origin }, async (step) => {
    const { kms, session, region, ui, report, plan, writer } = step
    // The plan's reads go out as early as they can (engine/planner.ts). When nothing will wait on a
    // person between the plan and the write (--yes, or no prompt can be shown) and the write will
    // be made (no --dry-run), the write's lock and guard read are taken beside the plan's last
    // reads; otherwise the guard reads after the answer, so that it is never older than the answer.
    const guard = expected && expectation(kms, expected)
    const writesUnasked = !options.dryRun && (options.yes || !canAsk(ctx, ui.format))
    const probing = options.probe?.enabled ? options.probe : undefined
    // The encryption context of the probes: CloudTrail shows it, so a probe can be told from a caller's use.
    const probeRunId = step.origin.runId ?? `probe-${newJournalId()}`
    let callers: ProbeCaller[] = []
    const planned = await ui.progress(`Preflight: describing ${aliasRef.name} and ${targetRef.input}`, (spinner) =>
      planMove(new RunReads(kms, options.iam ? () => session.iam() : undefined), {
        aliasRef,
        targetRef,
        region,
        expectAccount: options.expectAccount ?? requestedAccount(globals),
        overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled, allowAccessChange: options.allowAccessChange === true },
        targetNotFound: `--to ${targetRef.input} not found in ${region}`,
        mustExist: true,
        ...(options.callers ? { callers: callersOver(ctx, session, options.callers) } : {}),
        ...(guard ? { guard: (key: KeyInfo | undefined) => key === undefined || guard(key) } : {}),
        onAccessReads: () => spinner.text('Preflight: reading key policies, grants and tags'),
        ...(writesUnasked ? { reserve: (key?: KeyInfo) => key && writer.reserve({ alias: aliasRef.name, region, account: writeAccount(key) }) } : {}),
        ...(probing
          ? {
              probe: async (current: KeyInfo, target: KeyInfo, targetSkipped: string | null) => {
                callers = await probeCallers(session, kms, probing)
                return probeBefore(callers, { aliasName: aliasRef.name, current, target, runId: probeRunId, targetSkipped })
              },
            }
          : {}),
      }),
    )
    const reservation = planned.status === 'planned' ? planned.reservation : undefined
    try {
      if (planned.status === 'refused') return refuse(report, planned.findings, plan)
      // Undo passes the guard itself: the user typed no flag then.
      if (planned.status === 'moved') {
        if (planned.current) report.previous = toKeyView(planned.current)
        if (planned.target) report.target = toKeyView(planned.target)
        return guardConflict(report, aliasRef.name, planned.current?.keyId ?? '(nothing)', expected?.input ?? '', origin ? undefined : '--expect-current', options.revertedBy)
      }
      const { current, target } = planned as { current: DescribedKey; target: DescribedKey }
      report.previous = toKeyView(current.key)
      report.target = toKeyView(target.key)
      const name = aliasRef.name
      const newKeyId = target.key.keyId
      const before = planned.probe
      // Awaited here, so that the reservation is released only after the write has taken it.
      return await applyChange(step, {
        findings: planned.findings,
        ...(planned.findings.some((f) => f.code === 'ALREADY_TARGET') ? { already: { verified: current.aliases.some((a) => a.name === name) } } : {}),
        dryRun: options.dryRun,
        yes: options.yes,
        dryOutcome: 'would-update',
        question: `Point ${name} from ${current.key.keyId} to ${newKeyId}?`,
        verify: options.verify,
        move: {
          label: `Updating ${name}`,
          write: { action: 'update', expected: current.key.keyId, wanted: newKeyId, ...moveCall(kms, 'update', name, newKeyId) },
          account: writeAccount(current.key),
          ...(reservation ? { reservation } : {}),
          undo: undoCommand(name, current.key, target.key, planned.findings, report.region, globals),
          outcome: 'updated',
          confirmLabel: `Confirming ${name} with ListAliases`,
          confirm: () =>
            confirmAliasTarget(kms, { aliasName: name, expectedKeyId: newKeyId, previousKeyId: current.key.keyId, ...pollTiming(ctx, options.verifyTimeout) }),
          expectation: { operation: 'UpdateAlias', aliasName: name, expected: `${name} on ${newKeyId}`, timeoutSeconds: options.verifyTimeout },
        },
        ...(probing && before
          ? {
              probe: {
                before,
                after: () => probeAfter(callers, before, target.key, probeRunId, pollTiming(ctx, probing.timeoutSeconds)),
              },
            }
          : {}),
      })
    } finally {
      // A run that did not write (refused, already in place, declined, failed) gives the lock back.
      await reservation?.release()
    }
  })
}

/** The account the write path locks and journals the alias under: its key's, as far as the plan knows. */
const writeAccount = (key: KeyInfo): string | null => key.accountId || null

function undoCommand(aliasName: string, previous: KeyInfo, target: KeyInfo, findings: Finding[], region: string | null, globals: GlobalOptions): string {
  const words = ['update', aliasName, '--to', previous.keyId, '--expect-current', target.keyId]
  const command = kmsAliasCommand(words, region, globals)
  // Going back crosses the same differences, so it needs the same overrides.
  const overrides: string[] = []
  if (findings.some((f) => f.code === 'KEY_SPEC_MISMATCH' || f.code === 'ALGORITHMS_DROPPED')) overrides.push('--allow-spec-change')
  if (previous.keyState !== 'Enabled') overrides.push('--allow-disabled')
  return [command, ...overrides].join(' ')
}
