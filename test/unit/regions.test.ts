import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { parseRegions, skewedAliases } from '../../src/cli/regions.js'
import { parseRoleOptions, roleAccount } from '../../src/cli/roles.js'

/** The message of the usage error `fn` throws. */
function usageMessage(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as UsageError).message
  }
  throw new Error('expected a usage error')
}

describe('parseRegions', () => {
  it.each([
    ['us-east-1', ['us-east-1']],
    ['us-east-1,eu-west-1', ['us-east-1', 'eu-west-1']],
    [' us-east-1 , eu-west-1 ', ['us-east-1', 'eu-west-1']],
    ['eu-west-1,us-east-1,eu-west-1', ['eu-west-1', 'us-east-1']],
    ['us-gov-west-1,cn-north-1,eusc-de-east-1', ['us-gov-west-1', 'cn-north-1', 'eusc-de-east-1']],
  ])('%j', (value, expected) => {
    expect(parseRegions(value)).toEqual(expected)
  })

  it.each([
    ['us-east-1,', '--regions "us-east-1," has an empty entry'],
    ['', '--regions "" has an empty entry'],
    ['us-east-1,Europe', '--regions: "Europe" is not a Region name'],
    ['us-east-1;eu-west-1', '--regions: "us-east-1;eu-west-1" is not a Region name'],
  ])('%j is a usage error', (value, message) => {
    expect(usageMessage(() => parseRegions(value))).toBe(message)
  })
})

describe('skewedAliases', () => {
  const K1 = '1234abcd-12ab-34cd-56ef-1234567890ab'
  const K2 = '0987dcba-09fe-87dc-65ba-ab0987654321'
  const MRK = 'mrk-1234abcd12ab34cd56ef1234567890ab'
  it.each([
    ['the same key ID in every Region', [['alias/a', K1], ['alias/a', K1]], []],
    ['replicas of one mrk- key are not skew', [['alias/a', MRK], ['alias/a', MRK], ['alias/a', MRK]], []],
    ['different key IDs are skew', [['alias/a', K1], ['alias/a', K2]], ['alias/a']],
    ['an mrk- key in one Region and another key elsewhere', [['alias/a', MRK], ['alias/a', K1]], ['alias/a']],
    ['an alias in one Region only is not skew', [['alias/a', K1], ['alias/b', K2]], []],
    ['an alias without a target is left out of the comparison', [['alias/a', K1], ['alias/a', null]], []],
  ] as const)('%s', (_, rows, expected) => {
    expect([...skewedAliases(rows.map(([alias, targetKeyId]) => ({ alias, targetKeyId })))]).toEqual(expected)
  })
})

describe('parseRoleOptions', () => {
  const ARN = 'arn:aws:iam::222233334444:role/kms-alias-operator'
  it.each([
    [{}, undefined],
    [{ roleArn: ARN }, { arn: ARN, sessionName: 'kms-alias' }],
    [{ roleArn: ARN, roleSessionName: 'ci@deploy-42', externalId: 'Tenant-7:ops/2027' }, { arn: ARN, sessionName: 'ci@deploy-42', externalId: 'Tenant-7:ops/2027' }],
    [{ roleArn: 'arn:aws-us-gov:iam::222233334444:role/path/to/ops' }, { arn: 'arn:aws-us-gov:iam::222233334444:role/path/to/ops', sessionName: 'kms-alias' }],
  ])('%j', (raw, expected) => {
    expect(parseRoleOptions(raw)).toEqual(expected)
  })

  it.each([
    [{ roleSessionName: 'x1' }, '--role-session-name needs --role-arn'],
    [{ externalId: 'abc' }, '--external-id needs --role-arn'],
    [{ roleArn: 'arn:aws:iam::2222:role/ops' }, '--role-arn "arn:aws:iam::2222:role/ops" is not an IAM role ARN'],
    [{ roleArn: 'arn:aws:iam::222233334444:user/ops' }, '--role-arn "arn:aws:iam::222233334444:user/ops" is not an IAM role ARN'],
    [{ roleArn: 'ops' }, '--role-arn "ops" is not an IAM role ARN'],
    [{ roleArn: ARN, roleSessionName: 'a' }, '--role-session-name "a" is not a session name'],
    [{ roleArn: ARN, roleSessionName: 'has space' }, '--role-session-name "has space" is not a session name'],
    [{ roleArn: ARN, roleSessionName: 'x'.repeat(65) }, `--role-session-name "${'x'.repeat(65)}" is not a session name`],
    [{ roleArn: ARN, externalId: 'no spaces allowed' }, '--external-id is not an external ID'],
  ])('%j is a usage error', (raw, message) => {
    expect(usageMessage(() => parseRoleOptions(raw))).toBe(message)
  })

  it('roleAccount reads the account of a role ARN', () => {
    expect(roleAccount(ARN)).toBe('222233334444')
    expect(roleAccount('nonsense')).toBeUndefined()
  })
})
