// One contract for KmsPort, run against every implementation: the SDK adapter on moto_server, the
// in-memory KMS, and the tests' recording wrapper over it (test/helpers/fakeKms.ts, which must not
// change what it wraps), for the behaviour where moto and AWS agree. Where moto accepts what AWS refuses, the in-memory
// KMS refuses, and those refusals are tested on their own in memory.test.ts.
import { createPublicKey, randomUUID, verify } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConflictError, Exit, KmsRefusedError, NotFoundError, UsageError } from '../../src/errors.js'
import { createKmsPort } from '../../src/kms/client.js'
import { createMemoryKms, MEMORY_ACCOUNT, MemoryKmsStore } from '../../src/kms/memory.js'
import type { AliasEntry, KmsPort } from '../../src/kms/port.js'
import { bareKeyId } from '../../src/kms/useProbe.js'
import { MOTO_ACCOUNT, motoUrl, REGION } from '../e2e/harness.js'
import { ACCOUNT as FAKE_ACCOUNT, FakeKms } from '../helpers/fakeKms.js'

interface Subject {
  port: KmsPort
  account: string
}

const subjects: [string, () => Subject][] = [
  ['the SDK adapter on moto_server', () => ({ port: createKmsPort({ region: REGION, endpointUrl: motoUrl() }), account: MOTO_ACCOUNT })],
  ['the in-memory KMS', () => ({ port: createMemoryKms(new MemoryKmsStore()), account: MEMORY_ACCOUNT })],
  ['the recording wrapper of the tests (FakeKms)', () => ({ port: new FakeKms({ region: REGION }), account: FAKE_ACCOUNT })],
]

const MISSING_KEY = '0000dead-0000-4000-8000-00000000dead'
const aliasName = (label: string) => `alias/contract-${label}-${randomUUID().slice(0, 8)}`
const symmetric = { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' }
const rsaSigning = (keySpec: string) => ({ keySpec, keyUsage: 'SIGN_VERIFY' })

describe.each(subjects)('KmsPort contract: %s', (_name, make) => {
  let kms: KmsPort
  let account: string
  const keyArn = (keyId: string) => `arn:aws:kms:${REGION}:${account}:key/${keyId}`
  const aliasArn = (name: string) => `arn:aws:kms:${REGION}:${account}:${name}`
  const targetOf = async (name: string) => (await kms.listAliases()).find((a) => a.name === name)?.targetKeyId

  beforeAll(() => {
    ;({ port: kms, account } = make())
  })

  it('CreateKey returns the metadata DescribeKey reports, with the algorithms of the spec', async () => {
    const cases = [
      [symmetric, { encryptionAlgorithms: ['SYMMETRIC_DEFAULT'], signingAlgorithms: [] }],
      [
        rsaSigning('RSA_2048'),
        {
          encryptionAlgorithms: [],
          signingAlgorithms: [
            'RSASSA_PKCS1_V1_5_SHA_256',
            'RSASSA_PKCS1_V1_5_SHA_384',
            'RSASSA_PKCS1_V1_5_SHA_512',
            'RSASSA_PSS_SHA_256',
            'RSASSA_PSS_SHA_384',
            'RSASSA_PSS_SHA_512',
          ],
        },
      ],
      [rsaSigning('ECC_NIST_P384'), { encryptionAlgorithms: [], signingAlgorithms: ['ECDSA_SHA_384'] }],
    ] as const
    for (const [request, algorithms] of cases) {
      const created = await kms.createKey({ ...request, description: 'contract' })
      const expected = {
        keyId: created.keyId,
        arn: keyArn(created.keyId),
        accountId: account,
        region: REGION,
        keySpec: request.keySpec,
        keyUsage: request.keyUsage,
        keyState: 'Enabled',
        keyManager: 'CUSTOMER',
        origin: 'AWS_KMS',
        multiRegion: false,
        description: 'contract',
        ...algorithms,
        macAlgorithms: [],
        keyAgreementAlgorithms: [],
      }
      expect(created).toMatchObject(expected)
      expect(await kms.describeKey(created.keyId)).toMatchObject(expected)
    }
  })

  it('DescribeKey takes a key ID, a key ARN, an alias name and an alias ARN', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const name = aliasName('describe')
    await kms.createAlias(name, keyId)
    for (const ref of [keyId, keyArn(keyId), name, aliasArn(name)]) expect((await kms.describeKey(ref)).keyId).toBe(keyId)
  })

  it('a missing key or alias is NotFound (exit 4) with KMS’s own words', async () => {
    const name = aliasName('missing')
    const failures = [
      [() => kms.describeKey(MISSING_KEY), `${MISSING_KEY} not found in ${REGION} (Key '${keyArn(MISSING_KEY)}' does not exist)`],
      [() => kms.describeKey(name), `${name} not found in ${REGION} (Alias ${aliasArn(name)} is not found.)`],
      [() => kms.describeKey('not-a-key'), `not-a-key not found in ${REGION} (Invalid keyId not-a-key)`],
      [() => kms.deleteAlias(name), `${name} not found in ${REGION} (Alias ${aliasArn(name)} is not found.)`],
      [() => kms.createAlias(name, MISSING_KEY), `${name} -> ${MISSING_KEY} not found in ${REGION} (Key '${keyArn(MISSING_KEY)}' does not exist)`],
      [() => kms.listAliases({ keyId: MISSING_KEY }), `KeyId=${MISSING_KEY} not found in ${REGION} (Key '${keyArn(MISSING_KEY)}' does not exist)`],
      [() => kms.getKeyPolicy(MISSING_KEY), `${MISSING_KEY} not found in ${REGION} (Key '${keyArn(MISSING_KEY)}' does not exist)`],
    ] as const
    for (const [call, message] of failures) {
      const error = await call().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NotFoundError)
      expect(error).toMatchObject({ exitCode: Exit.NotFound, message })
    }
  })

  it('CreateAlias makes an alias that ListAliases shows, filtered by key ID or key ARN', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const name = aliasName('create')
    await kms.createAlias(name, keyId)
    const entry = { name, arn: aliasArn(name), targetKeyId: keyId }
    expect(await kms.listAliases({ keyId })).toEqual([expect.objectContaining(entry)])
    expect(await kms.listAliases({ keyId: keyArn(keyId) })).toEqual([expect.objectContaining(entry)])
    expect((await kms.listAliases()).filter((a) => a.name === name)).toEqual([expect.objectContaining(entry)])
  })

  it('listAliasPages gives what listAliases gives, and listKeys names every key (audit)', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const name = aliasName('pages')
    await kms.createAlias(name, keyId)
    // This file's aliases only: other files write to the same moto_server meanwhile.
    const ours = (aliases: AliasEntry[]) => aliases.filter((a) => a.name.startsWith('alias/contract-')).map((a) => `${a.name} ${a.targetKeyId}`)
    const paged: string[] = []
    for await (const page of kms.listAliasPages()) paged.push(...ours(page))
    const whole = ours(await kms.listAliases())
    expect(paged.sort()).toEqual(whole.sort())
    expect(paged).toContain(`${name} ${keyId}`)
    expect(await kms.listKeys()).toContain(keyId)
  })

  it('CreateAlias of an alias that exists is a conflict (exit 5) and changes nothing', async () => {
    const [first, second] = [await kms.createKey(symmetric), await kms.createKey(symmetric)]
    const name = aliasName('exists')
    await kms.createAlias(name, first.keyId)
    const error = await kms.createAlias(name, second.keyId).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConflictError)
    expect(error).toMatchObject({ exitCode: Exit.Conflict, message: `${name} already exists in ${REGION}` })
    expect(await targetOf(name)).toBe(first.keyId)
  })

  it('UpdateAlias repoints within a class: ListAliases shows it on the new key only', async () => {
    const [from, to] = [await kms.createKey(symmetric), await kms.createKey(symmetric)]
    const name = aliasName('update')
    await kms.createAlias(name, from.keyId)
    await kms.updateAlias(name, to.keyId)
    expect((await kms.listAliases({ keyId: to.keyId })).map((a) => a.name)).toEqual([name])
    expect(await kms.listAliases({ keyId: from.keyId })).toEqual([])
  })

  it('UpdateAlias accepts what KMS accepts: a Disabled target, and RSA_4096 to RSA_2048', async () => {
    const [current, disabled] = [await kms.createKey(symmetric), await kms.createKey(symmetric)]
    await kms.disableKey(disabled.keyId)
    expect((await kms.describeKey(disabled.keyId)).keyState).toBe('Disabled')
    const name = aliasName('disabled')
    await kms.createAlias(name, current.keyId)
    await kms.updateAlias(name, disabled.keyId)
    expect(await targetOf(name)).toBe(disabled.keyId)

    const [big, small] = [await kms.createKey(rsaSigning('RSA_4096')), await kms.createKey(rsaSigning('RSA_2048'))]
    const signing = aliasName('spec')
    await kms.createAlias(signing, big.keyId)
    await kms.updateAlias(signing, small.keyId)
    expect(await targetOf(signing)).toBe(small.keyId)
  })

  it('UpdateAlias refuses a missing alias or key (exit 4) and an alias as target (exit 2), and changes nothing', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const name = aliasName('update-refused')
    await kms.createAlias(name, keyId)
    await expect(kms.updateAlias(aliasName('none'), keyId)).rejects.toBeInstanceOf(NotFoundError)
    await expect(kms.updateAlias(name, MISSING_KEY)).rejects.toMatchObject({ exitCode: Exit.NotFound })
    await expect(kms.updateAlias(name, name)).rejects.toBeInstanceOf(UsageError)
    expect(await targetOf(name)).toBe(keyId)
  })

  it('DeleteAlias removes the alias and never the key', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const name = aliasName('delete')
    await kms.createAlias(name, keyId)
    await kms.deleteAlias(name)
    expect(await targetOf(name)).toBeUndefined()
    expect((await kms.describeKey(keyId)).keyState).toBe('Enabled')
  })

  it('refuses alias/aws/ebs (exit 3) and malformed names (exit 2)', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const reserved = await kms.createAlias('alias/aws/ebs', keyId).catch((e: unknown) => e)
    expect(reserved).toBeInstanceOf(KmsRefusedError)
    expect((reserved as Error).message).toMatch(/^KMS refused CreateAlias alias\/aws\/ebs -> [0-9a-f-]+: NotAuthorizedException/)
    for (const bad of ['payments', 'alias/a:b', aliasArn('alias/as-arn')]) {
      await expect(kms.createAlias(bad, keyId)).rejects.toMatchObject({
        exitCode: Exit.Usage,
        message: expect.stringMatching(/^KMS rejected CreateAlias .* as malformed: /),
      })
    }
    expect(await kms.listAliases({ keyId })).toEqual([])
  })

  // Issue 21: the key-state calls retire and its undo make (real on moto too).
  it('DisableKey, EnableKey, ScheduleKeyDeletion (answers the deletion date), CancelKeyDeletion (leaves the key Disabled)', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const state = async () => (await kms.describeKey(keyId)).keyState
    await kms.disableKey(keyId)
    expect(await state()).toBe('Disabled')
    await kms.enableKey(keyId)
    expect(await state()).toBe('Enabled')
    await kms.disableKey(keyId)
    const { deletionDate } = await kms.scheduleKeyDeletion(keyId, 7)
    expect(await state()).toBe('PendingDeletion')
    const days = ((deletionDate?.getTime() ?? 0) - Date.now()) / 86_400_000
    expect(Math.round(days)).toBe(7)
    await kms.cancelKeyDeletion(keyId)
    expect(await state()).toBe('Disabled')
  })

  it('reads the key policy, tags, grants and rotation status, and turns rotation on', async () => {
    const policy = {
      Version: '2012-10-17',
      Id: 'contract',
      Statement: [{ Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
    }
    const tagged = await kms.createKey({ ...symmetric, policy: JSON.stringify(policy), tags: { team: 'payments', env: 'prod' } })
    expect(JSON.parse(await kms.getKeyPolicy(tagged.keyId))).toEqual(policy)
    expect(await kms.listResourceTags(tagged.keyId)).toEqual({ team: 'payments', env: 'prod' })
    expect(await kms.listGrants(tagged.keyId)).toEqual([])

    const plain = await kms.createKey(symmetric)
    expect(JSON.parse(await kms.getKeyPolicy(plain.keyId))).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
    })
    expect(await kms.listResourceTags(plain.keyId)).toEqual({})
    expect(await kms.getKeyRotationStatus(plain.keyId)).toBe(false)
    await kms.enableKeyRotation(plain.keyId)
    expect(await kms.getKeyRotationStatus(plain.keyId)).toBe(true)
  })
})

// The crypto operations of the use probe, where moto and KMS agree. Where they do not (moto answers
// an invalid signature with SignatureValid false, accepts crypto calls on a disabled key and lacks
// DeriveSharedSecret), see memoryCrypto.test.ts and useProbe.moto.test.ts.
describe.each(subjects)('KmsPort contract, crypto operations: %s', (_name, make) => {
  let kms: KmsPort
  let account: string
  const keyArn = (keyId: string) => `arn:aws:kms:${REGION}:${account}:key/${keyId}`
  const message = new Uint8Array(Buffer.from('contract message'))

  beforeAll(() => {
    ;({ port: kms, account } = make())
  })

  it('Encrypt and Decrypt through an alias, with an encryption context; Decrypt without KeyId; both answer the key ARN', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const name = aliasName('encrypt')
    await kms.createAlias(name, keyId)
    const context = { 'kms-alias:probe': 'contract' }
    const encrypted = await kms.encrypt({ keyRef: name, plaintext: message, encryptionContext: context })
    expect(encrypted.keyId).toBe(keyArn(keyId))
    const decrypted = await kms.decrypt({ keyRef: name, ciphertext: encrypted.ciphertext, encryptionContext: context })
    expect(decrypted).toEqual({ keyId: keyArn(keyId), plaintext: message })
    expect(await kms.decrypt({ ciphertext: encrypted.ciphertext, encryptionContext: context })).toEqual({ keyId: keyArn(keyId), plaintext: message })
  })

  it('Decrypt under another encryption context is InvalidCiphertextException (exit 8)', async () => {
    const { keyId } = await kms.createKey(symmetric)
    const { ciphertext } = await kms.encrypt({ keyRef: keyId, plaintext: message, encryptionContext: { a: '1' } })
    const error = await kms.decrypt({ keyRef: keyId, ciphertext, encryptionContext: { a: '2' } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ exitCode: Exit.Aws, awsCode: 'InvalidCiphertextException' })
  })

  it('RSA encryption round trip with RSAES_OAEP_SHA_256', async () => {
    const { keyId } = await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })
    const { ciphertext } = await kms.encrypt({ keyRef: keyId, plaintext: message, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })
    expect((await kms.decrypt({ keyRef: keyId, ciphertext, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })).plaintext).toEqual(message)
  })

  it.each([
    ['RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256', 'sha256'],
    ['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256'],
    ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512'],
  ] as const)('Sign with %s %s: Verify accepts it, and it verifies locally with the public key of GetPublicKey', async (keySpec, algorithm, hash) => {
    const { keyId } = await kms.createKey({ keySpec, keyUsage: 'SIGN_VERIFY' })
    const signed = await kms.sign({ keyRef: keyId, message, signingAlgorithm: algorithm })
    expect(signed.keyId).toBe(keyArn(keyId))
    const verified = await kms.verify({ keyRef: keyId, message, signature: signed.signature, signingAlgorithm: algorithm })
    expect(verified).toEqual({ keyId: keyArn(keyId), signatureValid: true })
    const published = await kms.getPublicKey(keyId)
    // moto's GetPublicKey answers a bare key ID where KMS answers the ARN.
    expect(bareKeyId(published.keyId ?? '')).toBe(keyId)
    expect(published).toMatchObject({ keySpec, keyUsage: 'SIGN_VERIFY' })
    const publicKey = createPublicKey({ key: Buffer.from(published.publicKey), format: 'der', type: 'spki' })
    expect(verify(hash, message, publicKey, signed.signature)).toBe(true)
  })

  it('GenerateMac and VerifyMac (moto answers a bare key ID); a changed MAC is KMSInvalidMacException', async () => {
    const { keyId } = await kms.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' })
    const generated = await kms.generateMac({ keyRef: keyId, message, macAlgorithm: 'HMAC_SHA_256' })
    expect(bareKeyId(generated.keyId ?? '')).toBe(keyId)
    expect(generated.mac).toHaveLength(32)
    expect((await kms.verifyMac({ keyRef: keyId, message, mac: generated.mac, macAlgorithm: 'HMAC_SHA_256' })).macValid).toBe(true)
    const changed = Uint8Array.from(generated.mac, (byte, i) => (i === 0 ? byte ^ 1 : byte))
    const error = await kms.verifyMac({ keyRef: keyId, message, mac: changed, macAlgorithm: 'HMAC_SHA_256' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ exitCode: Exit.Aws, awsCode: 'KMSInvalidMacException' })
  })
})
