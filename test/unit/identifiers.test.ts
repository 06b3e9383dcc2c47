import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { parseAliasRef, parseKeyIdRef, parseKeyRef } from '../../src/kms/identifiers.js'

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab'
const MRK = 'mrk-1234abcd12ab34cd56ef1234567890ab'

function usageMessage(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    const e = error as UsageError
    return e.hint ? `${e.message} | ${e.hint}` : e.message
  }
  throw new Error('expected a usage error')
}

describe('parseAliasRef', () => {
  it.each([
    ['alias/payments', { name: 'alias/payments' }],
    ['alias/team_a/payments-2027', { name: 'alias/team_a/payments-2027' }],
    ['arn:aws:kms:eu-west-1:111122223333:alias/payments', { name: 'alias/payments', arn: { partition: 'aws', region: 'eu-west-1', account: '111122223333', resource: 'alias/payments' } }],
    ['arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/x', { name: 'alias/x', arn: { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '111122223333', resource: 'alias/x' } }],
  ])('accepts %s', (input, expected) => {
    expect(parseAliasRef(input)).toEqual(expected)
  })

  it.each([
    ['payments', 'alias "payments" is not an alias name | alias names start with "alias/" (did you mean alias/payments?)'],
    [KEY_ID, `alias "${KEY_ID}" is not an alias name | that looks like a key ID; an alias is alias/<name> or an alias ARN`],
    ['alias/', 'alias "alias/" is malformed: the alias name after "alias/" is empty'],
    ['alias/pay:ments', 'alias "alias/pay:ments" is malformed: alias names may contain only letters, digits, "/", "_" and "-" after "alias/"'],
    ['alias/pay ments', 'alias "alias/pay ments" is malformed: alias names may contain only letters, digits, "/", "_" and "-" after "alias/"'],
    [`alias/${'a'.repeat(251)}`, `alias "alias/${'a'.repeat(74)}…" is malformed: alias names are at most 256 characters`],
    // The suggestions fit the input: the prefix's case, nothing to add to an empty or hopeless name.
    ['Alias/payments', 'alias "Alias/payments" is not an alias name | the "alias/" prefix is lower case (did you mean alias/payments?)'],
    ['ALIAS/', 'alias "ALIAS/" is not an alias name | the "alias/" prefix is lower case'],
    ['', 'alias is empty | an alias is alias/<name> or an alias ARN'],
    ['   ', 'alias is empty | an alias is alias/<name> or an alias ARN'],
    ['pay ments', 'alias "pay ments" is not an alias name | alias names start with "alias/"'],
    // Control characters (a binary apply file) are escaped, never sent to the terminal as they are.
    ['\u001b[2Jx\u0000', 'alias "\\u001b[2Jx\\u0000" is not an alias name | alias names start with "alias/"'],
    ['arn:aws:kms:us-east-1:111122223333:key/' + KEY_ID, `alias "arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}" is not an alias ARN | an alias ARN looks like arn:aws:kms:us-east-1:111122223333:alias/name`],
    ['arn:aws:kms:us-east-1:1234:alias/x', 'alias "arn:aws:kms:us-east-1:1234:alias/x" is not an alias ARN | an alias ARN looks like arn:aws:kms:us-east-1:111122223333:alias/name'],
  ])('rejects %s', (input, message) => {
    expect(usageMessage(() => parseAliasRef(input))).toBe(message)
  })

  it('accepts a 256-character name', () => {
    const name = `alias/${'a'.repeat(250)}`
    expect(parseAliasRef(name).name).toHaveLength(256)
  })
})

describe('parseKeyRef', () => {
  it.each([
    [KEY_ID, { kind: 'key', keyId: KEY_ID, input: KEY_ID }],
    [MRK, { kind: 'key', keyId: MRK, input: MRK }],
    [`arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`, { kind: 'key', keyId: KEY_ID, input: `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`, arn: { partition: 'aws', region: 'us-east-1', account: '111122223333', resource: `key/${KEY_ID}` } }],
    ['alias/next', { kind: 'alias', alias: { name: 'alias/next' }, input: 'alias/next' }],
    ['arn:aws:kms:us-east-1:111122223333:alias/next', { kind: 'alias', alias: { name: 'alias/next', arn: { partition: 'aws', region: 'us-east-1', account: '111122223333', resource: 'alias/next' } }, input: 'arn:aws:kms:us-east-1:111122223333:alias/next' }],
  ])('accepts %s', (input, expected) => {
    expect(parseKeyRef(input)).toEqual(expected)
  })

  it.each([
    ['1234', '--to "1234" is not a key identifier | give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN'],
    ['next', '--to "next" is not a key identifier | give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN'],
    ['mrk-123', '--to "mrk-123" is not a key identifier | give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN'],
    ['arn:aws:kms:us-east-1:111122223333:key/nope', '--to "arn:aws:kms:us-east-1:111122223333:key/nope" is not a key ARN or alias ARN | a key ARN looks like arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['arn:aws:s3:::bucket', '--to "arn:aws:s3:::bucket" is not a key ARN or alias ARN | a key ARN looks like arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['alias/bad name', '--to "alias/bad name" is malformed: alias names may contain only letters, digits, "/", "_" and "-" after "alias/"'],
  ])('rejects %s', (input, message) => {
    expect(usageMessage(() => parseKeyRef(input, '--to'))).toBe(message)
  })

  it('refuses an alias where a guard needs the key itself', () => {
    expect(usageMessage(() => parseKeyIdRef('alias/x', '--expect-current'))).toBe('--expect-current must be a key ID or key ARN, not an alias | aliases move; a guard must name the key itself')
    expect(parseKeyIdRef(KEY_ID, '--expect-current').keyId).toBe(KEY_ID)
  })
})
