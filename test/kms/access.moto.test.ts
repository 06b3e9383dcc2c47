// The adapter's access reads against moto_server, and the IAM adapter against moto's IAM.
import { CreateGrantCommand, EnableKeyRotationCommand, TagResourceCommand } from '@aws-sdk/client-kms'
import { CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, GetAccountAuthorizationDetailsCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam'
import { mockClient } from 'aws-sdk-client-mock'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccessError, AwsError, NotFoundError } from '../../src/errors.js'
import { createIamPort } from '../../src/iam/client.js'
import { createKmsPort } from '../../src/kms/client.js'
import { createKey, moto, MOTO_ACCOUNT, motoUrl, REGION } from '../e2e/harness.js'

const port = () => createKmsPort({ region: REGION, endpointUrl: motoUrl() })

describe('KMS adapter access reads (moto)', () => {
  it("GetKeyPolicy returns the key's default policy document", async () => {
    const keyId = await createKey()
    expect(JSON.parse(await port().getKeyPolicy(keyId))).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
    })
  })

  it('ListGrants maps every grant field the preflight compares', async () => {
    const keyId = await createKey()
    const grantee = `arn:aws:iam::${MOTO_ACCOUNT}:role/worker`
    const made = await moto().send(new CreateGrantCommand({ KeyId: keyId, Name: 'worker', GranteePrincipal: grantee, RetiringPrincipal: grantee, Operations: ['Decrypt', 'Encrypt'], Constraints: { EncryptionContextEquals: { app: 'pay' } } }))
    expect(await port().listGrants(keyId)).toEqual([
      { grantId: made.GrantId, name: 'worker', granteePrincipal: grantee, retiringPrincipal: grantee, operations: ['Decrypt', 'Encrypt'], constraints: { encryptionContextEquals: { app: 'pay' } } },
    ])
  })

  it('ListResourceTags returns a tag map; GetKeyRotationStatus the rotation flag', async () => {
    const keyId = await createKey()
    const kms = port()
    expect([await kms.listResourceTags(keyId), await kms.getKeyRotationStatus(keyId)]).toEqual([{}, false])
    await moto().send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'pay' }, { TagKey: 'env', TagValue: '' }] }))
    await moto().send(new EnableKeyRotationCommand({ KeyId: keyId }))
    expect([await kms.listResourceTags(keyId), await kms.getKeyRotationStatus(keyId)]).toEqual([{ team: 'pay', env: '' }, true])
  })

  it('a missing key is NotFoundError for GetKeyPolicy, ListResourceTags and GetKeyRotationStatus', async () => {
    const missing = '11111111-2222-4333-8444-555555555555'
    const kms = port()
    for (const read of [kms.getKeyPolicy, kms.listResourceTags, kms.getKeyRotationStatus]) {
      await expect(read(missing)).rejects.toBeInstanceOf(NotFoundError)
    }
    // moto 5.2.1 answers ListGrants on a missing key with an HTML 500 (a KeyError), not
    // NotFoundException; the preflight only lists grants of keys it has just described.
    await expect(kms.listGrants(missing)).rejects.toMatchObject({
      name: 'AwsError',
      message: expect.stringMatching(new RegExp(`^KMS at http://[^ ]+ answered ListGrants ${missing} with HTTP 500 and a body that is not JSON \\(text/html\\)`)),
    })
  })
})

describe('IAM adapter', () => {
  it('reads inline and customer managed policies from moto, decoded (AWS_ENDPOINT_URL_IAM)', async () => {
    const iam = new IAMClient({ region: REGION, endpoint: motoUrl(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
    const id = randomUUID().slice(0, 8)
    const doc = (resource: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: resource }] })
    await iam.send(new CreateUserCommand({ UserName: `u-${id}` }))
    await iam.send(new PutUserPolicyCommand({ UserName: `u-${id}`, PolicyName: 'inline', PolicyDocument: doc(`arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${id}`) }))
    await iam.send(new CreateRoleCommand({ RoleName: `r-${id}`, AssumeRolePolicyDocument: '{}' }))
    const managed = await iam.send(new CreatePolicyCommand({ PolicyName: `p-${id}`, PolicyDocument: doc('*') }))
    const saved = process.env.AWS_ENDPOINT_URL_IAM
    process.env.AWS_ENDPOINT_URL_IAM = motoUrl()
    try {
      const policies = await createIamPort({ region: REGION }).identityPolicies()
      expect(policies.filter((p) => p.source.includes(id))).toEqual([
        { source: `user/u-${id}, inline policy inline`, document: doc(`arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${id}`) },
        { source: `managed policy ${managed.Policy?.Arn}`, document: doc('*') },
      ])
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_IAM
      else process.env.AWS_ENDPOINT_URL_IAM = saved
    }
  })

  describe('(aws-sdk-client-mock)', () => {
    // Created here, not at collection time: mockClient patches every IAMClient until restored.
    let iamMock: ReturnType<typeof mockClient>
    beforeAll(() => {
      iamMock = mockClient(IAMClient)
    })
    afterAll(() => iamMock.restore())

    it('pages with Marker, leaves out AWS managed policies, and keeps only default versions', async () => {
      const inputs: unknown[] = []
      const pages = [
        { IsTruncated: true, Marker: 'm1', RoleDetailList: [{ RoleName: 'a', RolePolicyList: [{ PolicyName: 'x', PolicyDocument: '%7B%7D' }] }] },
        { IsTruncated: false, Policies: [{ Arn: 'arn:p', PolicyVersionList: [{ IsDefaultVersion: false, Document: '%7B%22old%22%3A1%7D' }, { IsDefaultVersion: true, Document: '%7B%22new%22%3A1%7D' }] }] },
      ]
      iamMock.reset()
      iamMock.on(GetAccountAuthorizationDetailsCommand).callsFake((input: object) => {
        inputs.push({ ...input })
        return pages.shift()
      })
      expect(await createIamPort({ region: REGION }).identityPolicies()).toEqual([
        { source: 'role/a, inline policy x', document: '{}' },
        { source: 'managed policy arn:p', document: '{"new":1}' },
      ])
      const filter = ['User', 'Role', 'Group', 'LocalManagedPolicy']
      expect(inputs).toEqual([{ Filter: filter, MaxItems: 1000 }, { Filter: filter, MaxItems: 1000, Marker: 'm1' }])
    })

    it.each([
      ['AccessDenied', AccessError, 'GetAccountAuthorizationDetails was denied: AccessDenied: not allowed'],
      ['ServiceFailure', AwsError, 'GetAccountAuthorizationDetails failed: ServiceFailure: not allowed'],
    ])('translates %s', async (name, type, message) => {
      iamMock.reset()
      iamMock.on(GetAccountAuthorizationDetailsCommand).rejects(Object.assign(new Error('not allowed'), { name, $metadata: {} }))
      const failure = await createIamPort({ region: REGION }).identityPolicies().catch((e: unknown) => e)
      expect(failure).toBeInstanceOf(type)
      expect(failure).toMatchObject({ message })
    })
  })
})
