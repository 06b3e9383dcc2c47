import type { Context } from '../cli/context.js'
import { AccessError, CliError, Exit, NotFoundError, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { checkAccount } from '../engine/account.js'
import { mapWithLimit } from '../kms/concurrency.js'
import { inEveryRegion } from '../kms/regional.js'
import { isReservedAlias, parseArn, parseKeyRef, type KeyRef } from '../kms/identifiers.js'
import type { AliasEntry, KeyInfo, KmsPort } from '../kms/port.js'
import {
  renderListJson,
  renderListTable,
  renderListText,
  renderRegionalListJson,
  renderRegionalListTable,
  renderRegionalListText,
  type AliasRow,
  type RegionalAliasRow,
} from '../output/listView.js'
import { createUi, type Ui } from '../output/ui.js'
import { withFailureDocument } from '../output/failureView.js'
import { escapeDeep } from '../output/escape.js'
import { resolvePerRegion } from '../preflight/multiRegion.js'
import { skewedAliases } from '../cli/regions.js'
import type { Spinner } from '../output/spinner.js'
import { sessionOf } from '../cli/session.js'

export interface ListOptions {
  key?: string
  prefix?: string
  all: boolean
  /** --regions: read each of these Regions (concurrently) instead of the one Region. */
  regions?: string[]
}

// DescribeKey's quota is high (2000/s), but a list should not crowd out other work on the account.
const DESCRIBE_CONCURRENCY = 8

/** Lists aliases (every page) and describes each distinct target key once, in one Region or several. */
export async function runList(options: ListOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const ui = createUi(ctx, globals)
  return withFailureDocument(ui, ctx.signal, async () => {
    const keyRef = options.key === undefined ? undefined : parseKeyRef(options.key, '--key')
    if (options.prefix !== undefined && !options.prefix.startsWith('alias/')) {
      throw new UsageError(`--prefix "${options.prefix}" does not start with "alias/"`, `did you mean --prefix alias/${options.prefix}?`)
    }
    if (options.regions !== undefined) {
      if (globals.region !== undefined) throw new UsageError('--region and --regions cannot be used together', 'list every Region in --regions')
      return listRegions(options, options.regions, keyRef, ctx, ui, globals)
    }
    return listRegion(options, keyRef, ctx, ui, globals)
  })
}

async function listRegion(options: ListOptions, keyRef: KeyRef | undefined, ctx: Context, ui: Ui, globals: GlobalOptions): Promise<number> {
  const kms = await sessionOf(ctx, globals, ui).kms()
  const region = await kms.region()

  if (keyRef) refuseOtherRegion(keyRef, region)
  const rows = await ui.progress(`Listing aliases in ${region}`, (spinner) => readRegion(kms, region, options, keyRef, ui, spinner, globals))

  if (ui.format === 'json') ui.write(renderListJson(rows))
  else if (ui.format === 'text') ui.write(renderListText(escapeDeep(rows)))
  else if (rows.length === 0)
    ui.note(`No aliases in ${region}${options.prefix ? ` starting with ${options.prefix}` : ''}${options.key ? ` on ${options.key}` : ''}.`)
  else ui.write(renderListTable(escapeDeep(rows), ui.out, ui.width))
  return Exit.Ok
}

/** --regions: every Region is read at the same time, each through its own port. */
async function listRegions(options: ListOptions, regions: string[], keyRef: KeyRef | undefined, ctx: Context, ui: Ui, globals: GlobalOptions): Promise<number> {
  const keyRefs = keyRef === undefined ? undefined : resolvePerRegion(keyRef, regions, '--key')
  const session = sessionOf(ctx, globals, ui)
  const perRegion = await ui.progress(`Listing aliases in ${regions.join(', ')}`, (spinner) => {
    let done = 0
    return inEveryRegion(
      regions.map((region) => ({ region })),
      (partition) => session.kms(partition),
      async (kms, { region }) => {
        const regional = keyRefs?.find((r) => r.region === region)
        const rows = await readRegion(kms, region, options, regional === undefined ? undefined : parseKeyRef(regional.keyRef, '--key'), ui, undefined, globals)
        spinner.text(`Listed ${++done}/${regions.length} Regions`)
        return rows
      },
    )
  })
  const rows = perRegion.flatMap((regionRows, index) => regionRows.map((row) => ({ ...row, region: regions[index] as string })))
  const skewed = skewedAliases(rows)
  const all: RegionalAliasRow[] = rows
    .map(({ alias, region, ...rest }) => ({ alias, region, ...rest, skew: skewed.has(alias) }))
    // Stable sort by name keeps each alias's Regions in --regions order, side by side.
    .sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0))

  if (ui.format === 'json') ui.write(renderRegionalListJson(all))
  else if (ui.format === 'text') ui.write(renderRegionalListText(escapeDeep(all)))
  else if (all.length === 0)
    ui.note(`No aliases in ${regions.join(', ')}${options.prefix ? ` starting with ${options.prefix}` : ''}${options.key ? ` on ${options.key}` : ''}.`)
  else {
    ui.write(renderRegionalListTable(escapeDeep(all), ui.out, ui.width))
    if (skewed.size > 0)
      ui.note(`${skewed.size} alias${skewed.size === 1 ? '' : 'es'} point${skewed.size === 1 ? 's' : ''} to different keys in different Regions (skew).`)
  }
  return Exit.Ok
}

/** One Region's rows; with --role-arn, first checks that the account is the role's. */
async function readRegion(
  kms: KmsPort,
  region: string,
  options: ListOptions,
  keyRef: KeyRef | undefined,
  ui: Ui,
  spinner: Spinner | undefined,
  globals: GlobalOptions,
): Promise<AliasRow[]> {
  const listed = keyRef === undefined ? await kms.listAliases() : await aliasesOfKey(kms, keyRef, region)
  // The alias ARNs name the account; an empty list leaves it to GetCallerIdentity.
  await checkAccount(
    kms,
    globals,
    listed.map((a) => a.arn),
  )
  const entries = listed
    .filter((a) => options.all || !isReservedAlias(a.name))
    .filter((a) => options.prefix === undefined || a.name.startsWith(options.prefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const keyIds = [...new Set(entries.flatMap((a) => (a.targetKeyId ? [a.targetKeyId] : [])))]
  let described = 0
  const keys = await mapWithLimit(keyIds, DESCRIBE_CONCURRENCY, async (id) => {
    const key = await describeOrNull(kms, id, region, (line) => ui.warn(line))
    spinner?.text(`Describing keys ${++described}/${keyIds.length}`)
    return key
  })
  const byId = new Map(keyIds.map((id, i) => [id, keys[i]]))
  return entries.map((a): AliasRow => {
    const key = a.targetKeyId ? byId.get(a.targetKeyId) : undefined
    return {
      alias: a.name,
      arn: a.arn ?? null,
      targetKeyId: a.targetKeyId ?? null,
      keySpec: key?.keySpec ?? null,
      keyUsage: key?.keyUsage ?? null,
      keyState: key?.keyState ?? null,
      keyManager: key?.keyManager ?? null,
      lastUpdated: a.lastUpdated?.toISOString() ?? null,
    }
  })
}

/**
 * ListAliases filters by key ID only (moto and KMS take the key-ID part of an ARN), so a typed ARN
 * of another Region would list this Region's aliases of the same key ID: refused, as update does.
 */
function refuseOtherRegion(keyRef: KeyRef, region: string): void {
  const arn = keyRef.kind === 'key' ? keyRef.arn : keyRef.alias.arn
  if (arn && arn.region !== region) {
    throw new CliError(`--key ${keyRef.input} is in ${arn.region}, but requests go to ${region}`, Exit.Refused, `pass --region ${arn.region} to list there`)
  }
}

/** The aliases of the key --key names, in this account and Region only. */
async function aliasesOfKey(kms: KmsPort, keyRef: KeyRef, region: string): Promise<AliasEntry[]> {
  const notFound = () => new NotFoundError(`--key ${keyRef.input} not found in ${region}`)
  if (keyRef.kind === 'alias' && isReservedAlias(keyRef.alias.name)) {
    // DescribeKey on alias/aws/<service> can create that AWS managed key: ListAliases only, as show does.
    const all = await kms.listAliases()
    const entry = all.find((a) => a.name === keyRef.alias.name)
    if (!entry) throw notFound()
    if (!entry.targetKeyId) throw new NotFoundError(`--key ${keyRef.input} has no key yet in ${region} (AWS creates it when a service first uses it)`)
    refuseOtherAccount(keyRef, entry.arn ? parseArn(entry.arn)?.account : undefined)
    return all.filter((a) => a.targetKeyId === entry.targetKeyId)
  }
  const typedArn = keyRef.kind === 'key' ? keyRef.arn : keyRef.alias.arn
  let keyId = keyRef.kind === 'key' ? keyRef.keyId : undefined
  if (keyId === undefined || typedArn) {
    // The bare name or ID resolves in the credentials' own account; its ARN says which that is.
    const key = await kms.describeKey(keyRef.kind === 'key' ? keyRef.keyId : keyRef.alias.name).catch((error: unknown) => {
      throw error instanceof NotFoundError ? notFound() : error
    })
    refuseOtherAccount(keyRef, key.accountId)
    keyId = key.keyId
  }
  return kms.listAliases({ keyId }).catch((error: unknown) => {
    throw error instanceof NotFoundError ? notFound() : error
  })
}

function refuseOtherAccount(keyRef: KeyRef, actual: string | undefined): void {
  const typed = (keyRef.kind === 'key' ? keyRef.arn : keyRef.alias.arn)?.account
  if (typed === undefined || actual === undefined || typed === actual) return
  throw new CliError(
    `--key ${keyRef.input} is in account ${typed}, but these credentials act on account ${actual}`,
    Exit.Refused,
    'list with credentials of that account (a profile or role there)',
  )
}

/** A key that cannot be described (deleted, or not ours to read) leaves its columns empty. */
async function describeOrNull(kms: KmsPort, keyId: string, region: string, warn: (line: string) => void): Promise<KeyInfo | undefined> {
  try {
    return await kms.describeKey(keyId)
  } catch (error) {
    if (error instanceof NotFoundError) warn(`cannot describe key ${keyId}: not found in ${region}; its columns are empty`)
    else if (error instanceof AccessError) warn(`cannot describe key ${keyId}: access denied; its columns are empty`)
    else throw error
    return undefined
  }
}
