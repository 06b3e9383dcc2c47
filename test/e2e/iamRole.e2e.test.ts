// Issue 18, defect 4: `--iam` with `--role-arn` must read the IAM policies of the role's account.
// Two moto accounts: moto keeps separate KMS and IAM state per account, and credentials from STS
// AssumeRole of a role in account 222233334444 land in that account's state.
import { randomUUID } from 'node:crypto'
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam'
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers'
import { describe, expect, it } from 'vitest'
import { cli, cliEnv, motoUrl, MOTO_ACCOUNT, REGION } from './harness.js'

const OTHER_ACCOUNT = '222233334444'
const ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/kms-alias-operator`
const testing = { accessKeyId: 'testing', secretAccessKey: 'testing' }

/** Clients of our own, in moto's default account or (through the role) in the other one. */
function clientsIn(account: 'caller' | 'role') {
  const credentials =
    account === 'role'
      ? fromTemporaryCredentials({ params: { RoleArn: ROLE, RoleSessionName: 'e2e-fixtures' }, masterCredentials: testing, clientConfig: { region: REGION, endpoint: motoUrl() } })
      : testing
  return {
    kms: new KMSClient({ region: REGION, endpoint: motoUrl(), credentials }),
    iam: new IAMClient({ region: REGION, endpoint: motoUrl(), credentials }),
  }
}

/** A role in that account whose inline policy pins `keyArn` (what KEY_ARN_PINNED looks for). */
async function rolePinning(iam: IAMClient, keyArn: string): Promise<string> {
  const role = `kms-alias-e2e-${randomUUID().slice(0, 8)}`
  await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }))
  const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn }] }
  await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'use-key', PolicyDocument: JSON.stringify(document) }))
  return role
}

describe('--iam with --role-arn reads the role account\'s IAM (two moto accounts; STS and IAM on loopback)', () => {
  // Failed before the fix (issue 18 defect 4): the IAM client was opened without the role, so the
  // finding named the caller's role (account 123456789012) instead of the role account's.
  it('KEY_ARN_PINNED names the IAM role of the role\'s account, not the one in the caller\'s', async () => {
    const there = clientsIn('role')
    const here = clientsIn('caller')
    const create = async () => (await there.kms.send(new CreateKeyCommand({ KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata?.KeyId ?? ''
    const current = await create()
    const next = await create()
    const alias = `alias/e2e-iam-role-${randomUUID().slice(0, 8)}`
    await there.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: current }))
    await there.kms.send(new CreateAliasCommand({ AliasName: `${alias}-keep`, TargetKeyId: current }))
    const currentArn = `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/${current}`
    // Both accounts hold a role pinning the same key ARN: only the account read tells them apart.
    const theirs = await rolePinning(there.iam, currentArn)
    const ours = await rolePinning(here.iam, currentArn)

    const env = cliEnv({ AWS_ENDPOINT_URL_IAM: motoUrl() })
    const r = await cli(['update', alias, '--to', next, '--dry-run', '--json', '--iam', '--role-arn', ROLE], env)
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
    expect((JSON.parse(r.stdout) as { findings: unknown[] }).findings).toEqual([
      {
        code: 'KEY_ARN_PINNED',
        severity: 'warn',
        message: `IAM policies name the current key's ARN and not the new key's, so callers under them will not follow the alias: role/${theirs}, inline policy use-key`,
      },
    ])
    expect(r.stdout).not.toContain(ours)
    expect(MOTO_ACCOUNT).not.toBe(OTHER_ACCOUNT)
  })
})
