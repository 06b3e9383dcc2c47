import type { Context } from '../cli/context.js'
import { ConflictError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { requestedAccount } from '../engine/account.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { parseAliasRef, parseKeyRef } from '../kms/identifiers.js'
import { currentTarget, describeWithAliases } from '../kms/lookups.js'
import { toKeyView } from '../output/keyView.js'
import { localRefusals } from '../preflight/local.js'
import { createFindings } from '../preflight/plan.js'
import { aliasAccountFindings, alreadyTargetFindings, hasBlock } from '../preflight/rules.js'
import { applyChange, pollTiming, refuse, runChange, type ChangeOrigin } from '../engine/run.js'
import { kmsAliasCommand } from '../output/shell.js'
import { moveCall } from '../engine/steps.js'

export interface CreateOptions {
  alias: string
  to: string
  dryRun: boolean
  allowDisabled: boolean
  verify: boolean
  verifyTimeout: number
  /** The account the alias must be in (undo knows it from the journal). */
  expectAccount?: string
}

/** Creates an alias: local checks, target preflight, CreateAlias, confirmation. */
export async function runCreate(options: CreateOptions, ctx: Context, globals: GlobalOptions, origin?: ChangeOrigin): Promise<number> {
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const targetRef = parseKeyRef(options.to, '--to')
  return runChange(ctx, globals, { action: 'create', alias: aliasRef.name, dryRun: options.dryRun, ...origin }, async (step) => {
    const { kms, region, ui, report, plan } = step
    const local = localRefusals(aliasRef, region, targetRef)
    if (local.length > 0) return refuse(report, local, plan)

    const [existing, target] = await ui.progress(`Preflight: checking ${aliasRef.name} and describing ${targetRef.input}`, () =>
      Promise.all([currentTarget(kms, aliasRef.name), describeWithAliases(kms, targetRef.input, `--to ${targetRef.input}`)]),
    )
    report.target = toKeyView(target.key)
    const already = [
      ...aliasAccountFindings(aliasRef.arn?.account ?? options.expectAccount, target.key.accountId),
      ...alreadyTargetFindings(aliasRef.name, existing, target.key.keyId),
    ]
    const isAlready = already.some((f) => f.code === 'ALREADY_TARGET') && !hasBlock(already)
    if (existing !== undefined && !isAlready) {
      report.outcome = 'conflict'
      throw new ConflictError(
        `${aliasRef.name} already exists in ${region} (it points to ${existing})`,
        `to point it to another key, use kms-alias update ${aliasRef.name} --to ${targetRef.input}`,
      )
    }

    const findings = isAlready
      ? already
      : createFindings({
          aliasRef,
          targetRef,
          target,
          region,
          expectAccount: options.expectAccount ?? requestedAccount(globals),
          overrides: { allowDisabled: options.allowDisabled },
        })
    const name = aliasRef.name
    const keyId = target.key.keyId
    return applyChange(step, {
      findings,
      ...(isAlready ? { already: { verified: target.aliases.some((a) => a.name === name) } } : {}),
      dryRun: options.dryRun,
      // create asks no question: it changes nothing a caller uses yet.
      yes: true,
      dryOutcome: 'would-create',
      question: '',
      verify: options.verify,
      move: {
        label: `Creating ${name}`,
        write: {
          action: 'create',
          expected: undefined,
          wanted: keyId,
          ...moveCall(kms, 'create', name, keyId),
      },
      account: target.key.accountId || null,
      // Guarded like update's: run after someone repointed the alias, it deletes nothing (exit 5).
      undo: kmsAliasCommand(['delete', name, '--yes', '--expect-current', keyId], region, globals),
      outcome: 'created',
      confirmLabel: `Confirming ${name} with ListAliases`,
      confirm: () => confirmAliasTarget(kms, { aliasName: name, expectedKeyId: keyId, previousKeyId: undefined, ...pollTiming(ctx, options.verifyTimeout) }),
      expectation: { operation: 'CreateAlias', aliasName: name, expected: `${name} on ${keyId}`, timeoutSeconds: options.verifyTimeout },
      },
    })
  })
}
