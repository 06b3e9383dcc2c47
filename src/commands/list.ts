import type { Context } from '../context.js'
import { AccessError, Exit, NotFoundError, UsageError } from '../errors.js'
import type { GlobalOptions } from '../globalOptions.js'
import { mapWithLimit } from '../kms/concurrency.js'
import { currentTarget } from '../kms/lookups.js'
import { isReservedAlias, parseKeyRef } from '../kms/identifiers.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import { renderListJson, renderListTable, renderListText, type AliasRow } from '../output/listView.js'
import { createUi } from '../output/ui.js'

export interface ListOptions {
  key?: string
  prefix?: string
  all: boolean
}

// DescribeKey's quota is high (2000/s), but a list should not crowd out other work on the account.
const DESCRIBE_CONCURRENCY = 8

/** Lists aliases (every page) and describes each distinct target key once. */
export async function runList(options: ListOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const keyRef = options.key === undefined ? undefined : parseKeyRef(options.key, '--key')
  if (options.prefix !== undefined && !options.prefix.startsWith('alias/')) {
    throw new UsageError(`--prefix "${options.prefix}" does not start with "alias/"`, `did you mean --prefix alias/${options.prefix}?`)
  }
  const ui = createUi(ctx, globals)
  const kms = await ui.openKms()
  const region = await kms.region()

  const rows = await ui.progress(`Listing aliases in ${region}`, async (spinner) => {
    const keyId = keyRef === undefined ? undefined : keyRef.kind === 'key' ? keyRef.input : await resolveKeyId(kms, keyRef.alias.name, options.key ?? '')
    const entries = (await kms.listAliases(keyId === undefined ? {} : { keyId }))
      .filter((a) => options.all || !isReservedAlias(a.name))
      .filter((a) => options.prefix === undefined || a.name.startsWith(options.prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const keyIds = [...new Set(entries.flatMap((a) => (a.targetKeyId ? [a.targetKeyId] : [])))]
    let described = 0
    const keys = await mapWithLimit(keyIds, DESCRIBE_CONCURRENCY, async (id) => {
      const key = await describeOrNull(kms, id, (line) => ui.warn(line))
      spinner.text(`Describing keys ${++described}/${keyIds.length}`)
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
  })

  if (ui.format === 'json') ui.write(renderListJson(rows))
  else if (ui.format === 'text') ui.write(renderListText(rows))
  else if (rows.length === 0) ui.note(`No aliases in ${region}${options.prefix ? ` starting with ${options.prefix}` : ''}${options.key ? ` on ${options.key}` : ''}.`)
  else ui.write(renderListTable(rows, ui.out))
  return Exit.Ok
}

async function resolveKeyId(kms: KmsPort, aliasName: string, typed: string): Promise<string> {
  const keyId = await currentTarget(kms, aliasName)
  if (keyId === undefined) throw new NotFoundError(`--key ${typed} not found in ${await kms.region()}`)
  return keyId
}

/** A key that cannot be described (deleted, or not ours to read) leaves its columns empty. */
async function describeOrNull(kms: KmsPort, keyId: string, warn: (line: string) => void): Promise<KeyInfo | undefined> {
  try {
    return await kms.describeKey(keyId)
  } catch (error) {
    if (!(error instanceof NotFoundError) && !(error instanceof AccessError)) throw error
    warn(`cannot describe ${keyId}: ${error.message}`)
    return undefined
  }
}
