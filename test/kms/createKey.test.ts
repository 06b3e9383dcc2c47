// The SDK adapter's CreateKey as rotate uses it (aws-sdk-client-mock): one call with the policy,
// tags and description, MultiRegion only when asked, and never BypassPolicyLockoutSafetyCheck.
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import { createMemoryKms, MemoryKmsStore } from '../../src/kms/memory.js'

const kmsMock = mockClient(KMSClient)
beforeEach(() => kmsMock.reset())
afterEach(() => kmsMock.reset())

const metadata = (KeyId: string) => ({
  KeyMetadata: { KeyId, Arn: `arn:aws:kms:us-east-1:111122223333:key/${KeyId}`, KeySpec: 'RSA_2048' as const, KeyUsage: 'SIGN_VERIFY' as const, KeyState: 'Enabled' as const, Origin: 'AWS_KMS' as const },
})

describe('createKey (SDK adapter)', () => {
  it('sends the policy, tags, description and MultiRegion in one CreateKey, and returns the key as plain data', async () => {
    const inputs: unknown[] = []
    kmsMock.on(CreateKeyCommand).callsFake((input: object) => {
      inputs.push({ ...input })
      return metadata('mrk-0123456789abcdef0123456789abcdef')
    })
    const kms = createKmsPort({ region: 'us-east-1' })
    const created = await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', description: 'd', policy: '{"Version":"2012-10-17"}', tags: { team: 'a', 'kms-alias:rotated-from': 'k1' }, multiRegion: true })
    expect(inputs).toEqual([
      {
        KeySpec: 'RSA_2048',
        KeyUsage: 'SIGN_VERIFY',
        Description: 'd',
        Policy: '{"Version":"2012-10-17"}',
        Tags: [
          { TagKey: 'team', TagValue: 'a' },
          { TagKey: 'kms-alias:rotated-from', TagValue: 'k1' },
        ],
        MultiRegion: true,
      },
    ])
    expect(created).toMatchObject({ keyId: 'mrk-0123456789abcdef0123456789abcdef', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', accountId: '111122223333', region: 'us-east-1' })
  })

  it('leaves out what was not asked for (KMS default policy, single-Region)', async () => {
    const inputs: unknown[] = []
    kmsMock.on(CreateKeyCommand).callsFake((input: object) => {
      inputs.push({ ...input })
      return metadata('1234abcd-12ab-34cd-56ef-1234567890ab')
    })
    await createKmsPort({ region: 'us-east-1' }).createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' })
    expect(inputs).toEqual([{ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }])
  })
})

describe('createKey (in-memory KMS)', () => {
  it('a multi-Region request makes an mrk- primary with no replicas; DescribeKey agrees', async () => {
    const kms = createMemoryKms(new MemoryKmsStore())
    const created = await kms.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', multiRegion: true })
    expect(created.keyId).toMatch(/^mrk-[0-9a-f]{32}$/)
    expect(created).toMatchObject({ multiRegion: true, multiRegionConfiguration: { keyType: 'PRIMARY', primary: { arn: created.arn, region: 'us-east-1' }, replicas: [] } })
    expect(await kms.describeKey(created.keyId)).toEqual(created)
    expect((await kms.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' })).multiRegion).toBe(false)
  })
})
