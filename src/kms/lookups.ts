import { NotFoundError } from '../errors.js'
import type { KeyRef } from './identifiers.js'
import type { AliasEntry, KeyInfo, KmsPort } from './port.js'

export interface DescribedKey {
  key: KeyInfo
  aliases: AliasEntry[]
}

/** DescribeKey, then the key's aliases (one page: a key has at most 50). */
export async function describeWithAliases(kms: KmsPort, keyRef: string, label: string): Promise<DescribedKey> {
  const key = await describe(kms, keyRef, label)
  return { key, aliases: await kms.listAliases({ keyId: key.keyId }) }
}

/** A key to describe, and how a NotFound names it ("alias alias/x", "--to 1234…"). */
export interface KeyLookup {
  ref: string
  label: string
}

/**
 * describeWithAliases for each lookup, concurrently, plus `whenDescribed`: work that needs only the
 * described keys (the access preflight's reads). It starts as soon as every DescribeKey has answered,
 * so its calls go out beside the ListAliases calls instead of one round trip after them. Resolves
 * when all of it has. A failed lookup is reported before a failure of `whenDescribed`, as when the
 * two ran one after the other.
 */
export async function describeThen<const L extends readonly KeyLookup[], T>(
  kms: KmsPort,
  lookups: L,
  whenDescribed: (keys: { -readonly [I in keyof L]: KeyInfo }) => Promise<T>,
): Promise<[{ -readonly [I in keyof L]: DescribedKey }, T]> {
  const keys = lookups.map((l) => describe(kms, l.ref, l.label))
  const described = Promise.all(
    keys.map(async (pending) => {
      const key = await pending
      return { key, aliases: await kms.listAliases({ keyId: key.keyId }) }
    }),
  )
  const after = Promise.all(keys).then((all) => whenDescribed(all as { -readonly [I in keyof L]: KeyInfo }))
  const [all, result] = await Promise.allSettled([described, after])
  if (all.status === 'rejected') throw all.reason
  if (result.status === 'rejected') throw result.reason
  return [all.value as { -readonly [I in keyof L]: DescribedKey }, result.value]
}

async function describe(kms: KmsPort, keyRef: string, label: string): Promise<KeyInfo> {
  try {
    return await kms.describeKey(keyRef)
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`${label} not found in ${await kms.region()}`, error.hint)
    throw error
  }
}

/** The key the alias points to now, or undefined when the alias does not exist. */
export async function currentTarget(kms: KmsPort, aliasName: string): Promise<string | undefined> {
  try {
    return (await kms.describeKey(aliasName)).keyId
  } catch (error) {
    if (error instanceof NotFoundError) return undefined
    throw error
  }
}

/** Whether a guard like --expect-current names this key (by ID, or by its exact ARN). */
export function matchesKey(expected: Extract<KeyRef, { kind: 'key' }>, key: KeyInfo): boolean {
  return expected.keyId === key.keyId && (expected.arn === undefined || expected.input === key.arn)
}
