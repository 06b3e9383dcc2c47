import type { Context } from '../cli/context.js'
import { UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { requestedAccount } from '../engine/account.js'
import { confirmAliasGone } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import { describeWithAliases } from '../kms/lookups.js'
import { expectation } from '../engine/planner.js'
import { toKeyView } from '../output/keyView.js'
import { localRefusals } from '../preflight/local.js'
import { aliasAccountFindings, orphanFindings } from '../preflight/rules.js'
import { applyChange, guardConflict, pollTiming, refuse, runChange, type ChangeOrigin, type RevertedBy, canAsk } from '../engine/run.js'
import { kmsAliasCommand } from '../output/shell.js'
import { moveCall } from '../engine/steps.js'

export interface DeleteOptions {
  alias: string
  yes: boolean
  dryRun: boolean
  verify: boolean
  verifyTimeout: number
  expectCurrent?: string
  /** The account the alias must be in (undo knows it from the journal). */
  expectAccount?: string
  /** Undo: the entry that already reverted the one being reverted, named if the guard fails. */
  revertedBy?: RevertedBy
}

/** Deletes an alias: guard, describe what it points to, DeleteAlias, confirmation. */
export async function runDelete(options: DeleteOptions, ctx: Context, globals: GlobalOptions, origin?: ChangeOrigin): Promise<number> {
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const expected = options.expectCurrent === undefined ? undefined : parseKeyRef(options.expectCurrent, '--expect-current')
  const asksByName = !options.yes && !options.dryRun
  if (asksByName && !canAsk(ctx, globals.output)) {
    throw new UsageError(
      '--yes is required to delete an alias when not running interactively',
      'deleting an alias breaks every caller that uses it; pass --yes, or run on a terminal to confirm by name',
    )
  }
  return runChange(ctx, globals, { action: 'delete', alias: aliasRef.name, dryRun: options.dryRun, ...origin }, async (step) => {
    const { kms, region, ui, report, plan } = step
    const local = localRefusals(aliasRef, region)
    if (local.length > 0) return refuse(report, local, plan)

    const guard = expected && expectation(kms, expected)
    const current = await ui.progress(`Describing ${aliasRef.name}`, () => describeWithAliases(kms, aliasRef.name, `alias ${aliasRef.name}`))
    report.previous = toKeyView(current.key)
    if (guard && !(await guard(current.key)) && expected)
      guardConflict(report, aliasRef.name, current.key.keyId, expected.input, origin ? undefined : '--expect-current', options.revertedBy)
    const findings = [
      ...aliasAccountFindings(aliasRef.arn?.account ?? options.expectAccount ?? requestedAccount(globals), current.key.accountId),
      ...orphanFindings(aliasRef.name, current.key.keyId, current.aliases),
    ]
    const name = aliasRef.name
    const keyId = current.key.keyId
    const recreate = [
      kmsAliasCommand(['create', name, '--to', keyId], region, globals),
      ...(current.key.keyState === 'Enabled' ? [] : ['--allow-disabled']),
    ].join(' ')
    return applyChange(step, {
      findings,
      dryRun: options.dryRun,
      yes: !asksByName,
      dryOutcome: 'would-delete',
      question: `Type ${name} to delete it:`,
      ask: (question) => ctx.prompt.confirmByName(question, name),
      declined: 'cancelled: the name typed did not match',
      verify: options.verify,
      move: {
        label: `Deleting ${name}`,
        write: {
          action: 'delete',
          expected: keyId,
          wanted: undefined,
          ...moveCall(kms, 'delete', name, undefined),
      },
      account: current.key.accountId || null,
      undo: recreate,
      outcome: 'deleted',
      confirmLabel: `Confirming ${name} is gone`,
      confirm: () => confirmAliasGone(kms, { aliasName: name, previousKeyId: keyId, ...pollTiming(ctx, options.verifyTimeout) }),
      expectation: { operation: 'DeleteAlias', aliasName: name, expected: `${name} gone from ${keyId}`, timeoutSeconds: options.verifyTimeout },
      },
    })
  })
}
