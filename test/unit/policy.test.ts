import { describe, expect, it } from 'vitest'
import { comparePolicies, expandActions, KMS_ACTIONS, normalizeCondition, normalizePolicy, normalizePrincipals } from '../../src/preflight/policy.js'

const ACCT = '111122223333'
const ROOT = `arn:aws:iam::${ACCT}:root`
const APP = `arn:aws:iam::${ACCT}:role/app`
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements })
const allow = (principal: unknown, action: unknown, extra: object = {}) => ({ Effect: 'Allow', Principal: principal, Action: action, Resource: '*', ...extra })
const deny = (principal: unknown, action: unknown, extra: object = {}) => ({ Effect: 'Deny', Principal: principal, Action: action, Resource: '*', ...extra })

describe('normalizePrincipals', () => {
  it.each([
    ['"*"', '*', ['*']],
    ['{AWS: "*"}', { AWS: '*' }, ['*']],
    ['a bare account ID', { AWS: ACCT }, [ROOT]],
    ['the account root ARN', { AWS: ROOT }, [ROOT]],
    ['a one-element list', { AWS: [APP] }, [APP]],
    ['a list mixing forms, deduplicated and sorted', { AWS: [ROOT, APP, ACCT] }, [APP, ROOT]],
    ['a service', { Service: 'logs.us-east-1.amazonaws.com' }, ['logs.us-east-1.amazonaws.com']],
    ['a canonical user', { CanonicalUser: 'abc' }, ['canonical-user:abc']],
  ])('%s', (_name, principal, expected) => {
    expect(normalizePrincipals(principal)).toEqual(expected)
  })

  it('uses the key partition for a bare account ID', () => {
    expect(normalizePrincipals({ AWS: ACCT }, 'aws-cn')).toEqual([`arn:aws-cn:iam::${ACCT}:root`])
  })
})

describe('expandActions (over KMS_ACTIONS)', () => {
  it.each([
    ['kms:*', ['kms:*'], KMS_ACTIONS],
    ['*', ['*'], KMS_ACTIONS],
    ['kms:GenerateDataKey*', ['kms:GenerateDataKey*'], ['kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext']],
    ['kms:Describe*', ['kms:Describe*'], ['kms:DescribeCustomKeyStores', 'kms:DescribeKey']],
    ['kms:ReEncrypt*', ['kms:ReEncrypt*'], ['kms:ReEncryptFrom', 'kms:ReEncryptTo']],
    ['kms:*Mac', ['kms:*Mac'], ['kms:GenerateMac', 'kms:VerifyMac']],
    ['? matches one character', ['kms:Si?n'], ['kms:Sign']],
    ['lower case, in KMS spelling', ['KMS:decrypt'], ['kms:Decrypt']],
    ['a string equals a one-element list, duplicates merged', ['kms:Decrypt', 'kms:Decrypt'], ['kms:Decrypt']],
    ['other services dropped', ['s3:GetObject', 'iam:*'], []],
    ['an unknown kms action kept as written', ['kms:FutureThing'], ['kms:FutureThing']],
  ])('%s', (_name, actions, expected) => {
    expect(expandActions(actions)).toEqual(expected)
  })
})

describe('normalizeCondition', () => {
  it('equal conditions in other forms normalize to the same text', () => {
    const a = normalizeCondition({ StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': [ACCT] }, Bool: { 'aws:SecureTransport': true } })
    const b = normalizeCondition({ Bool: { 'aws:securetransport': 'true' }, StringEquals: { 'KMS:CallerAccount': ACCT, 'kms:viaservice': ['s3.us-east-1.amazonaws.com'] } })
    expect(a).toBe(b)
    expect(a).toBe('{"Bool":{"aws:securetransport":["true"]},"StringEquals":{"kms:calleraccount":["111122223333"],"kms:viaservice":["s3.us-east-1.amazonaws.com"]}}')
  })

  it('value lists compare as sets', () => {
    expect(normalizeCondition({ StringEquals: { 'aws:PrincipalTag/team': ['b', 'a'] } })).toBe(normalizeCondition({ StringEquals: { 'aws:PrincipalTag/team': ['a', 'b'] } }))
  })

  it('no condition is the empty string', () => {
    expect(normalizeCondition(undefined)).toBe('')
    expect(normalizeCondition({})).toBe('')
  })
})

describe('normalizePolicy', () => {
  it.each([
    ['NotAction', { Effect: 'Allow', Principal: '*', NotAction: 'kms:Decrypt', Resource: '*' }, 'statement 1 uses NotAction'],
    ['NotPrincipal', { Sid: 'x', Effect: 'Deny', NotPrincipal: { AWS: APP }, Action: 'kms:*', Resource: '*' }, 'statement "x" uses NotPrincipal'],
    ['NotResource', { Effect: 'Allow', Principal: '*', Action: 'kms:*', NotResource: 'x' }, 'statement 1 uses NotResource'],
    ['no Principal', { Effect: 'Allow', Action: 'kms:*', Resource: '*' }, 'statement 1 has no Principal'],
  ])('reports a statement with %s as one that cannot be compared', (_name, statement, reason) => {
    expect(normalizePolicy(policy(statement))).toEqual({ statements: [], uncomparable: [reason] })
  })

  it('accepts a single statement object as well as a list', () => {
    const one = normalizePolicy(JSON.stringify({ Statement: allow({ AWS: ACCT }, 'kms:Decrypt') }))
    expect(one.statements.map((s) => [s.principals, s.actions])).toEqual([[[ROOT], ['kms:Decrypt']]])
  })

  it('records alias condition keys, whatever their case', () => {
    const p = normalizePolicy(policy(allow('*', 'kms:Decrypt', { Condition: { 'ForAnyValue:StringLike': { 'KMS:ResourceAliases': 'alias/pay*' } } })))
    expect(p.statements[0]?.aliasConditions).toEqual([{ operator: 'ForAnyValue:StringLike', key: 'kms:ResourceAliases', values: ['alias/pay*'] }])
  })
})

describe('comparePolicies', () => {
  const compare = (current: object[], next: object[]) => comparePolicies(normalizePolicy(policy(...current)), normalizePolicy(policy(...next)))
  const missing = (principal: string, actions: string[], denied = false) => actions.map((action) => ({ principal, action, denied }))

  it.each([
    ['the same policy', [allow({ AWS: ACCT }, 'kms:*')], [allow({ AWS: ACCT }, 'kms:*')], []],
    ['account ID vs root ARN', [allow({ AWS: ACCT }, 'kms:*')], [allow({ AWS: ROOT }, 'kms:*')], []],
    ['string vs one-element list', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: [APP] }, ['kms:Decrypt'])], []],
    ['kms:* vs the expanded list', [allow({ AWS: APP }, 'kms:*')], [allow({ AWS: APP }, [...KMS_ACTIONS])], []],
    ['a wildcard covered by names', [allow({ AWS: APP }, 'kms:GenerateDataKey*')], [allow({ AWS: APP }, ['kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext'])], []],
    ['a narrower wildcard', [allow({ AWS: APP }, 'kms:GenerateDataKey*')], [allow({ AWS: APP }, 'kms:GenerateDataKey')], missing(APP, ['kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext'])],
    ['a principal left out', [allow({ AWS: ACCT }, 'kms:*'), allow({ AWS: APP }, ['kms:Decrypt', 'kms:Encrypt'])], [allow({ AWS: ACCT }, 'kms:*')], missing(APP, ['kms:Decrypt', 'kms:Encrypt'])],
    ['the account root does not stand in for a role (it only delegates to IAM)', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: ACCT }, 'kms:*')], missing(APP, ['kms:Decrypt'])],
    ['"*" on the new key covers every principal', [allow({ AWS: APP }, 'kms:Decrypt')], [allow('*', 'kms:Decrypt')], []],
    ['a Deny of the principal', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt'), deny({ AWS: APP }, 'kms:Decrypt')], missing(APP, ['kms:Decrypt'], true)],
    ['a Deny of "*"', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:*'), deny('*', 'kms:Decrypt')], missing(APP, ['kms:Decrypt'], true)],
    ['a Deny of the account root covers its roles', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt'), deny({ AWS: ACCT }, 'kms:Dec*')], missing(APP, ['kms:Decrypt'], true)],
    ['what the current key denies is not missing', [allow({ AWS: APP }, ['kms:Decrypt', 'kms:Encrypt']), deny({ AWS: APP }, 'kms:Encrypt')], [allow({ AWS: APP }, 'kms:Decrypt')], []],
    ['a Deny elsewhere does not matter', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt'), deny({ AWS: `arn:aws:iam::444455556666:role/x` }, 'kms:*')], []],
  ])('%s', (_name, current, next, expected) => {
    expect(compare(current, next).missing).toEqual(expected)
  })

  const via = (service: string) => ({ Condition: { StringEquals: { 'kms:ViaService': service } } })

  it.each([
    ['the same conditions in other forms', [allow({ AWS: APP }, 'kms:Decrypt', via('s3.us-east-1.amazonaws.com'))], [allow({ AWS: [APP] }, ['kms:Decrypt'], { Condition: { StringEquals: { 'KMS:VIASERVICE': ['s3.us-east-1.amazonaws.com'] } } })], []],
    ['different conditions', [allow({ AWS: APP }, 'kms:Decrypt', via('s3.us-east-1.amazonaws.com'))], [allow({ AWS: APP }, 'kms:Decrypt', via('sqs.us-east-1.amazonaws.com'))], ['kms:Decrypt']],
    ['an extra conditional Allow beside an unconditional one', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt'), allow('*', 'kms:Decrypt', via('s3.us-east-1.amazonaws.com'))], []],
    ['a condition added', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt', via('s3.us-east-1.amazonaws.com'))], ['kms:Decrypt']],
    ['a conditional Deny added', [allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt'), deny('*', 'kms:Decrypt', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } })], ['kms:Decrypt']],
  ])('conditions: %s', (_name, current, next, changed) => {
    const result = compare(current, next)
    expect(result.missing).toEqual([])
    expect(result.changedConditions.map((c) => c.action)).toEqual(changed)
  })

  it('describes both sides of a changed condition', () => {
    const result = compare([allow({ AWS: APP }, 'kms:Decrypt')], [allow({ AWS: APP }, 'kms:Decrypt', via('s3.us-east-1.amazonaws.com'))])
    expect(result.changedConditions).toEqual([
      { principal: APP, action: 'kms:Decrypt', current: ['Allow without conditions'], next: ['Allow if {"StringEquals":{"kms:viaservice":["s3.us-east-1.amazonaws.com"]}}'] },
    ])
  })
})
