import { UsageError } from '../errors.js'

/** An alias as the user named it: `alias/x`, or an alias ARN (which also pins Region and account). */
export interface AliasRef {
  name: string
  arn?: ParsedArn
}

/** A key as the user named it. Aliases are resolved with DescribeKey before use. */
export type KeyRef = { kind: 'key'; keyId: string; arn?: ParsedArn; input: string } | { kind: 'alias'; alias: AliasRef; input: string }

export interface ParsedArn {
  partition: string
  region: string
  account: string
  resource: string
}

const ALIAS_MAX_LENGTH = 256
// The developer guide's rule (stricter than the API model, which also allows ':').
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/
const KEY_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const MULTI_REGION_KEY_ID = /^mrk-[0-9a-fA-F]{32}$/
const KMS_ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(.+)$/

export const RESERVED_ALIAS_PREFIX = 'alias/aws/'

// Every AWS Region name has this shape: us-east-1, eu-central-2, us-gov-west-1, cn-north-1,
// us-isob-east-1, eusc-de-east-1. Anything else is a typo that would send requests to a host that
// does not exist.
export const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/

export function isReservedAlias(name: string): boolean {
  return name.startsWith(RESERVED_ALIAS_PREFIX)
}

export function isKeyId(value: string): boolean {
  return KEY_UUID.test(value) || MULTI_REGION_KEY_ID.test(value)
}

/** Splits a KMS ARN; undefined when it is not one. */
export function parseArn(value: string): ParsedArn | undefined {
  const match = KMS_ARN.exec(value)
  if (!match) return undefined
  const [, partition, region, account, resource] = match as unknown as [string, string, string, string, string]
  return { partition, region, account, resource }
}

function aliasNameProblem(name: string): string | undefined {
  if (name.length > ALIAS_MAX_LENGTH) return `alias names are at most ${ALIAS_MAX_LENGTH} characters`
  if (name === 'alias/') return 'the alias name after "alias/" is empty'
  if (!ALIAS_NAME.test(name)) return 'alias names may contain only letters, digits, "/", "_" and "-" after "alias/"'
  return undefined
}

/** Parses `alias/name` or an alias ARN; anything else is a usage error naming `what`. */
export function parseAliasRef(input: string, what = 'alias'): AliasRef {
  const value = input.trim()
  if (value.startsWith('arn:')) {
    const arn = parseArn(value)
    if (!arn || !arn.resource.startsWith('alias/')) {
      throw new UsageError(`${what} ${shown(input)} is not an alias ARN`, 'an alias ARN looks like arn:aws:kms:us-east-1:111122223333:alias/name')
    }
    const problem = aliasNameProblem(arn.resource)
    if (problem) throw new UsageError(`${what} ${shown(input)} is malformed: ${problem}`)
    return { name: arn.resource, arn }
  }
  if (value === '') throw new UsageError(`${what} is empty`, 'an alias is alias/<name> or an alias ARN')
  if (!value.startsWith('alias/')) throw new UsageError(`${what} ${shown(input)} is not an alias name`, notAliasHint(value))
  const problem = aliasNameProblem(value)
  if (problem) throw new UsageError(`${what} ${shown(input)} is malformed: ${problem}`)
  return { name: value }
}

/** Why a value is not an alias name, with a suggestion only where the suggestion is one. */
function notAliasHint(value: string): string {
  if (isKeyId(value)) return 'that looks like a key ID; an alias is alias/<name> or an alias ARN'
  // `Alias/payments`: the prefix is case-sensitive, the rest is the name.
  const wrongCase = value.toLowerCase().startsWith('alias/')
  const suggestion = `alias/${wrongCase ? value.slice('alias/'.length) : value}`
  const usable = aliasNameProblem(suggestion) === undefined
  if (wrongCase) return `the "alias/" prefix is lower case${usable ? ` (did you mean ${suggestion}?)` : ''}`
  return `alias names start with "alias/"${usable ? ` (did you mean ${suggestion}?)` : ''}`
}

const SHOWN_MAX = 80

/**
 * A value as it may appear in a message: quoted, control characters escaped (a binary file must not
 * drive the terminal), and cut short when long.
 */
export function shown(value: string): string {
  const cut = value.length > SHOWN_MAX ? `${value.slice(0, SHOWN_MAX)}…` : value
  // eslint-disable-next-line no-control-regex
  return `"${cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`
}

/** Parses a key ID, `mrk-` ID, key ARN, alias name or alias ARN. */
export function parseKeyRef(input: string, what = 'key'): KeyRef {
  const value = input.trim()
  if (isKeyId(value)) return { kind: 'key', keyId: value, input: value }
  if (value.startsWith('alias/')) return { kind: 'alias', alias: parseAliasRef(value, what), input: value }
  if (value.startsWith('arn:')) {
    const arn = parseArn(value)
    if (arn?.resource.startsWith('alias/')) return { kind: 'alias', alias: parseAliasRef(value, what), input: value }
    const keyId = arn?.resource.startsWith('key/') ? arn.resource.slice('key/'.length) : undefined
    if (arn && keyId && isKeyId(keyId)) return { kind: 'key', keyId, arn, input: value }
    throw new UsageError(
      `${what} ${shown(input)} is not a key ARN or alias ARN`,
      'a key ARN looks like arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    )
  }
  throw new UsageError(
    `${what} ${shown(input)} is not a key identifier`,
    'give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN',
  )
}

/** A key reference that must name a key, not an alias (for compare-and-swap guards). */
export function parseKeyIdRef(input: string, what: string): Extract<KeyRef, { kind: 'key' }> {
  const ref = parseKeyRef(input, what)
  if (ref.kind !== 'key') throw new UsageError(`${what} must be a key ID or key ARN, not an alias`, 'aliases move; a guard must name the key itself')
  return ref
}
