import type { Context } from '../cli/context.js'
import { CliError, Exit, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import type { IdentityPolicy } from '../iam/port.js'
import { isReservedAlias, parseKeyRef, type KeyRef } from '../kms/identifiers.js'
import { describeThen } from '../kms/lookups.js'
import { renderFindings } from '../output/changeView.js'
import { renderCompareJson, renderCompareTable, renderCompareText, toCompareSide, type CompareReport } from '../output/compareView.js'
import { createUi, type Ui } from '../output/ui.js'
import { withFailureDocument } from '../output/failureView.js'
import { escapeDeep } from '../output/escape.js'
import { accessFindings, type Read } from '../preflight/access.js'
import { readKeyAccess } from '../preflight/accessPreflight.js'
import { targetLocation } from '../preflight/local.js'
import { hasBlock, updatePreflight } from '../preflight/rules.js'
import { sessionOf } from '../cli/session.js'

export interface CompareOptions {
  current: string
  next: string
  iam: boolean
  allowSpecChange: boolean
  allowDisabled: boolean
  allowAccessChange: boolean
}

/** Read-only: both keys side by side and the findings `update <current> --to <new>` would produce. */
export async function runCompare(options: CompareOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  return withFailureDocument(ui, ctx.signal, () => compare(options, ctx, ui, globals))
}

async function compare(options: CompareOptions, ctx: Context, ui: Ui, globals: GlobalOptions): Promise<number> {
  const currentRef = parseKeyRef(options.current, '<current>')
  const nextRef = parseKeyRef(options.next, '<new>')
  for (const ref of [currentRef, nextRef]) {
    // DescribeKey on alias/aws/<service> can create that AWS managed key: compare must not write.
    if (ref.kind === 'alias' && isReservedAlias(ref.alias.name))
      throw new UsageError(`${ref.input} is an AWS managed alias; compare does not describe those (DescribeKey could create the key)`)
  }
  const aliasName = currentRef.kind === 'alias' ? currentRef.alias.name : undefined
  const session = sessionOf(ctx, globals, ui)
  const kms = await session.kms()
  const region = await kms.region()
  // A typed ARN of another Region would be looked up here by its key ID or name: refused, as in update.
  for (const [label, ref] of [['<current>', currentRef], ['<new>', nextRef]] as const) {
    const typed = (ref.kind === 'key' ? ref.arn : ref.alias.arn)?.region
    if (typed !== undefined && typed !== region)
      throw new CliError(`${label} ${ref.input} is in ${typed}, but requests go to ${region}`, Exit.Refused, `pass --region ${typed} to compare there`)
  }

  const { current, target, currentAccess, targetAccess, iam } = await ui.progress(`Reading ${currentRef.input} and ${nextRef.input}`, async () => {
    const iamRead: Promise<Read<IdentityPolicy[]>> | undefined = options.iam
      ? session
          .iam()
          .then((port) => port.identityPolicies())
          .then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }),
          )
      : undefined
    // Each key's policy, grants, tags and rotation are read as soon as both keys are described, beside ListAliases.
    const lookups = [
      { ref: currentRef.input, label: `<current> ${currentRef.input}` },
      { ref: nextRef.input, label: `<new> ${nextRef.input}` },
    ] as const
    const [[current, target], [currentAccess, targetAccess]] = await describeThen(kms, lookups, ([currentKey, targetKey]) =>
      Promise.all([readKeyAccess(kms, currentKey), readKeyAccess(kms, targetKey)]),
    )
    return { current, target, currentAccess, targetAccess, iam: await iamRead }
  })

  const preflight = updatePreflight({
    aliasName: aliasName ?? '',
    expectedAccount: aliasRefAccount(currentRef),
    current: current.key,
    target: target.key,
    targetLocation: targetLocation(target.key, nextRef),
    aliasesOnCurrent: current.aliases,
    aliasesOnTarget: target.aliases,
    overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled },
  })
  const findings =
    current.key.keyId === target.key.keyId
      ? [{ code: 'ALREADY_TARGET' as const, severity: 'info' as const, message: `both name the same key, ${target.key.keyId}` }]
      : [
          // Whether the key is left without aliases depends on which alias moves: only with an alias.
          ...preflight.filter((f) => aliasName !== undefined || f.code !== 'PREVIOUS_KEY_ORPHANED'),
          ...accessFindings({
            aliasName,
            current: current.key,
            target: target.key,
            currentAccess,
            targetAccess,
            ...(iam ? { iam } : {}),
            allowAccessChange: options.allowAccessChange,
          }),
        ]
  const allowed = !hasBlock(findings)
  const report: CompareReport = {
    region,
    alias: aliasName ?? null,
    current: toCompareSide(
      current.key,
      current.aliases.map((a) => a.name),
      currentAccess,
    ),
    new: toCompareSide(
      target.key,
      target.aliases.map((a) => a.name),
      targetAccess,
    ),
    findings,
    allowed,
    exitCode: allowed ? Exit.Ok : Exit.Refused,
  }
  if (ui.format === 'json') ui.write(renderCompareJson(report))
  else if (ui.format === 'text') {
    ui.write(renderCompareText(escapeDeep(report)))
    for (const line of renderFindings(escapeDeep(findings), ui.err, 'update')) ui.note(line)
  } else ui.write(renderCompareTable(escapeDeep(report), ui.out, ui.width))
  return report.exitCode
}

const aliasRefAccount = (ref: KeyRef) => (ref.kind === 'alias' ? ref.alias.arn?.account : undefined)
