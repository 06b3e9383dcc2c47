import type { Context } from '../cli/context.js'
import { CliError, Exit, NotFoundError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { checkAccount } from '../engine/account.js'
import { isReservedAlias, parseAliasRef } from '../kms/identifiers.js'
import { describeWithAliases } from '../kms/lookups.js'
import type { AliasEntry, KeyInfo, KmsPort } from '../kms/port.js'
import { renderShowJson, renderShowTable, renderShowText, toKeyDetails, type AliasDetails } from '../output/showView.js'
import { createUi, type Ui } from '../output/ui.js'
import { withFailureDocument } from '../output/failureView.js'
import { aliasRegionRefusals } from '../preflight/local.js'
import { escapeDeep } from '../output/escape.js'
import { sessionOf } from '../cli/session.js'

export interface ShowOptions {
  alias: string
}

/** Describes an alias's key and lists the key's other aliases. */
export async function runShow(options: ShowOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  return withFailureDocument(ui, ctx.signal, () => show(options, ctx, ui, globals))
}

async function show(options: ShowOptions, ctx: Context, ui: Ui, globals: GlobalOptions): Promise<number> {
  const aliasRef = parseAliasRef(options.alias, 'alias')
  const kms = await sessionOf(ctx, globals, ui).kms()
  const region = await kms.region()
  // Exit 3, as update, create, delete, rotate and list --key refuse an ARN of another Region: the
  // identifier is well formed (not a usage error), it names a place this run does not act in.
  const [otherRegion] = aliasRegionRefusals(aliasRef, region)
  if (otherRegion) throw new CliError(`refused (${otherRegion.code}): ${otherRegion.message}`, Exit.Refused)
  const { key, aliases } = await ui.progress(`Describing ${aliasRef.name}`, () =>
    isReservedAlias(aliasRef.name) ? lookUpReserved(kms, aliasRef.name) : describeWithAliases(kms, aliasRef.name, `alias ${aliasRef.name}`),
  )
  const entry = aliases.find((a) => a.name === aliasRef.name)
  if (!entry) throw new NotFoundError(`alias ${aliasRef.name} not found in ${region}`)
  // With --role-arn the alias must be in the role's account; the alias ARN says which it is in.
  await checkAccount(kms, globals, [entry.arn, key?.arn])
  const details: AliasDetails = {
    alias: aliasRef.name,
    arn: entry.arn ?? null,
    region,
    targetKeyId: key?.keyId ?? entry.targetKeyId ?? null,
    lastUpdated: entry.lastUpdated?.toISOString() ?? null,
    key: key ? toKeyDetails(key) : null,
    otherAliases: aliases
      .filter((a) => a.name !== aliasRef.name && a.targetKeyId !== undefined && a.targetKeyId === (key?.keyId ?? entry.targetKeyId))
      .map((a) => a.name)
      .sort(),
  }
  if (ui.format === 'json') ui.write(renderShowJson(details))
  else if (ui.format === 'text') ui.write(renderShowText(escapeDeep(details)))
  else ui.write(renderShowTable(escapeDeep(details), ui.out, ui.width))
  return Exit.Ok
}

interface LookUp {
  key: KeyInfo | undefined
  aliases: AliasEntry[]
}


/**
 * DescribeKey on alias/aws/<service> can create that AWS managed key, so a reserved alias is found
 * through ListAliases, and its key described only if it already has one.
 */
async function lookUpReserved(kms: KmsPort, aliasName: string): Promise<LookUp> {
  const aliases = await kms.listAliases()
  const targetKeyId = aliases.find((a) => a.name === aliasName)?.targetKeyId
  const key = targetKeyId
    ? await kms.describeKey(targetKeyId).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined
        throw error
      })
    : undefined
  return { key, aliases }
}
