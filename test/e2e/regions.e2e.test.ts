// Regions and accounts against moto_server: moto keeps Regions apart, and STS AssumeRole of a role
// in another account gives credentials whose calls land in that account's own state. Plain keys
// only: moto's multi-Region keys are flawed (see test/unit/multiRegion.test.ts).
import { randomUUID } from 'node:crypto'
import { CreateAliasCommand, CreateKeyCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms'
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers'
import { describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import { cli, cliEnv, motoUrl, MOTO_ACCOUNT, REGION } from './harness.js'

const OTHER_ACCOUNT = '222233334444'
const ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/kms-alias-operator`
const testing = { accessKeyId: 'testing', secretAccessKey: 'testing' }

/** A client of our own in `region`, in moto's default account or (through the role) the other one. */
function kmsIn(region: string, viaRole = false): KMSClient {
  const credentials = viaRole
    ? fromTemporaryCredentials({ params: { RoleArn: ROLE, RoleSessionName: 'e2e-fixtures' }, masterCredentials: testing, clientConfig: { region, endpoint: motoUrl() } })
    : testing
  return new KMSClient({ region, endpoint: motoUrl(), credentials })
}

async function keyAndAlias(client: KMSClient, alias: string): Promise<string> {
  const keyId = (await client.send(new CreateKeyCommand({ KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata?.KeyId ?? ''
  await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }))
  return keyId
}

async function targetIn(client: KMSClient, alias: string): Promise<string | undefined> {
  return (await client.send(new ListAliasesCommand({}))).Aliases?.find((a) => a.AliasName === alias)?.TargetKeyId
}

const sym = ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', 'CUSTOMER']
const row = (...fields: string[]) => `${fields.join('\t')}\n`

describe('list --regions against moto_server', () => {
  it('reads three Regions: one row per alias and Region, skew where the keys differ', async () => {
    const prefix = `alias/e2e-regions-${randomUUID().slice(0, 8)}`
    const [east, west, sydney] = [kmsIn('us-east-1'), kmsIn('eu-west-1'), kmsIn('ap-southeast-2')]
    // "shared" exists in every Region on that Region's own key: different key IDs, so skew.
    const sharedEast = await keyAndAlias(east, `${prefix}/shared`)
    const sharedWest = await keyAndAlias(west, `${prefix}/shared`)
    const sharedSydney = await keyAndAlias(sydney, `${prefix}/shared`)
    const onlyWest = await keyAndAlias(west, `${prefix}/west-only`)

    const r = await cli(['list', '--regions', 'us-east-1,eu-west-1,ap-southeast-2', '--prefix', prefix])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      row(`${prefix}/shared`, 'us-east-1', sharedEast, ...sym, 'true') +
        row(`${prefix}/shared`, 'eu-west-1', sharedWest, ...sym, 'true') +
        row(`${prefix}/shared`, 'ap-southeast-2', sharedSydney, ...sym, 'true') +
        row(`${prefix}/west-only`, 'eu-west-1', onlyWest, ...sym, 'false'),
    )

    const json = await cli(['list', '--regions', 'ap-southeast-2,eu-west-1', '--prefix', `${prefix}/west-only`, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual([
      { alias: `${prefix}/west-only`, region: 'eu-west-1', arn: `arn:aws:kms:eu-west-1:${MOTO_ACCOUNT}:${prefix}/west-only`, targetKeyId: onlyWest, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', keyState: 'Enabled', keyManager: 'CUSTOMER', lastUpdated: null, skew: false },
    ])
  })
})

describe('--role-arn against moto_server (STS on loopback through AWS_ENDPOINT_URL_STS)', () => {
  const env = () => cliEnv({ AWS_ENDPOINT_URL_STS: motoUrl() })

  it('lists and updates in the role\'s account, not in the caller\'s', async () => {
    const alias = `alias/e2e-role-${randomUUID().slice(0, 8)}`
    const other = kmsIn(REGION, true)
    const oldKey = await keyAndAlias(other, alias)
    await other.send(new CreateAliasCommand({ AliasName: `${alias}-keep`, TargetKeyId: oldKey }))
    const newKey = (await other.send(new CreateKeyCommand({ KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata?.KeyId ?? ''

    const own = await cli(['list', '--prefix', alias, '--json'], env())
    expect(own).toMatchObject({ code: 0, stdout: '[]\n' })

    const listed = await cli(['list', '--prefix', alias, '--json', '--role-arn', ROLE], env())
    expect(listed.stderr).toBe('')
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout).map((r: { alias: string; arn: string }) => r.arn)).toEqual([`arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:${alias}`, `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:${alias}-keep`])

    const updated = await cli(['update', alias, '--to', newKey, '--yes', '--json', '--role-arn', ROLE, '--role-session-name', 'e2e-change', '--no-journal'], env())
    expect(updated.stderr).toBe('')
    expect(updated.code).toBe(0)
    expect(JSON.parse(updated.stdout)).toMatchObject({ outcome: 'updated', changed: true, verified: true })
    expect(await targetIn(other, alias)).toBe(newKey)
    expect(await targetIn(kmsIn(REGION), alias)).toBeUndefined()
  })

  it('--debug logs one AssumeRole shared by the ports of every Region, and nothing of the credentials', async () => {
    // Tried: with the roleProviders cache in client.ts bypassed, each Region assumes the role
    // itself and this shows two AssumeRole lines.
    const r = await cli(['list', '--regions', 'us-east-1,eu-west-1', '--prefix', 'alias/none-such', '--role-arn', ROLE, '--debug'], env())
    expect(r.code).toBe(0)
    const lines = r.stderr.split('\n').filter(Boolean).map((l) => l.replace(/ in \d+ ms$/, ' in N ms'))
    expect(lines.sort()).toEqual([`debug: AssumeRole ${ROLE}: ok in N ms`, 'debug: ListAliases (all): ok in N ms', 'debug: ListAliases (all): ok in N ms'])
  })

  it('accountId() asks STS GetCallerIdentity with the same credentials as KMS', async () => {
    const base = { region: 'eu-west-1', endpointUrl: motoUrl() }
    process.env.AWS_ENDPOINT_URL_STS = motoUrl()
    try {
      expect(await createKmsPort(base).accountId()).toBe(MOTO_ACCOUNT)
      expect(await createKmsPort({ ...base, role: { arn: ROLE, sessionName: 'kms-alias' } }).accountId()).toBe(OTHER_ACCOUNT)
    } finally {
      delete process.env.AWS_ENDPOINT_URL_STS
    }
  })
})
