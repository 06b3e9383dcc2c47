import { NotFoundError } from '../errors.js'
import type { KeyRef } from './identifiers.js'
import type { AliasEntry, KeyInfo, KmsPort } from './port.js'

export interface DescribedKey {
  key: KeyInfo
  aliases: AliasEntry[]
}

/** DescribeKey, then the key's aliases (one page: a key has at most 50). */
export async function describeWithAliases(kms: KmsPort, keyRef: string, label: string): Promise<DescribedKey> {
  let key: KeyInfo
  try {
    key = await kms.describeKey(keyRef)
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`${label} not found in ${await kms.region()}`, error.hint)
    throw error
  }
  return { key, aliases: await kms.listAliases({ keyId: key.keyId }) }
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
