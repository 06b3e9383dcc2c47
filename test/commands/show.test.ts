import { describe, expect, it } from 'vitest'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

describe('show', () => {
  const k = key({ keySpec: 'RSA_4096', keyUsage: 'SIGN_VERIFY', signingAlgorithms: ['RSASSA_PSS_SHA_512'], encryptionAlgorithms: [], description: 'payments signing', creationDate: new Date('2026-01-02T03:04:05Z') })
  const world = () => new FakeKms({ keys: [k], aliases: { 'alias/sign': k.keyId, 'alias/sign-b': k.keyId, 'alias/sign-a': k.keyId } })

  it('prints the key metadata and every other alias of the key', async () => {
    const r = await run(['show', 'alias/sign', '--json'], { kms: world() })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      alias: 'alias/sign',
      arn: 'arn:aws:kms:us-east-1:111122223333:alias/sign',
      region: 'us-east-1',
      targetKeyId: k.keyId,
      lastUpdated: null,
      key: {
        keyId: k.keyId,
        arn: k.arn,
        accountId: '111122223333',
        keySpec: 'RSA_4096',
        keyUsage: 'SIGN_VERIFY',
        keyState: 'Enabled',
        keyManager: 'CUSTOMER',
        origin: 'AWS_KMS',
        multiRegion: false,
        description: 'payments signing',
        creationDate: '2026-01-02T03:04:05.000Z',
        validTo: null,
        encryptionAlgorithms: [],
        signingAlgorithms: ['RSASSA_PSS_SHA_512'],
        macAlgorithms: [],
        keyAgreementAlgorithms: [],
      },
      otherAliases: ['alias/sign-a', 'alias/sign-b'],
    })
  })

  it('prints one tab-separated line when piped', async () => {
    const r = await run(['show', 'alias/sign'], { kms: world() })
    expect(r.stdout).toBe(`alias/sign\t${k.keyId}\tRSA_4096\tSIGN_VERIFY\tEnabled\tCUSTOMER\talias/sign-a,alias/sign-b\n`)
  })

  // Before: exit 2 (a usage error), where update, create, delete, rotate and list --key exit 3.
  it('refuses an alias ARN of another Region with exit 3, as update does, before any KMS call', async () => {
    const kms = world()
    const arn = `arn:aws:kms:eu-west-1:${k.accountId}:alias/sign`
    const r = await run(['show', arn], { kms })
    expect(r).toEqual(
      expect.objectContaining({
        code: 3,
        stdout: '',
        stderr: 'error: refused (ALIAS_OTHER_REGION): the alias ARN is in eu-west-1 but requests go to us-east-1; pass --region eu-west-1 to act there\n',
      }),
    )
    expect(kms.calls).toEqual([])
    const update = await run(['update', arn, '--to', k.keyId], { kms })
    expect(update.code).toBe(r.code)
  })

  it('exits 4 for a missing alias', async () => {
    expect(await run(['show', 'alias/nope'], { kms: world() })).toMatchObject({ code: 4, stdout: '', stderr: 'error: alias alias/nope not found in us-east-1\n' })
  })

  it('finds a reserved alias through ListAliases, never DescribeKey on its name', async () => {
    const kms = world()
    kms.aliases.set('alias/aws/s3', k.keyId)
    const r = await run(['show', 'alias/aws/s3', '--json'], { kms })
    expect(r.code).toBe(0)
    expect(kms.calls).toEqual(['ListAliases (all)', `DescribeKey ${k.keyId}`])
  })
})
