// The in-memory KMS's cryptography and its refusals on crypto calls. The cryptography is checked
// from outside, with node:crypto and the public key GetPublicKey gives (a KMS-made signature verifies
// locally, a locally made RSA ciphertext decrypts in KMS, both ECDH sides agree), so a fake that
// only echoes would fail. The refusals are KMS's (kms-facts.md section 3 and the API reference of
// each operation), which moto does not enforce on crypto calls.
import { constants, createPublicKey, diffieHellman, generateKeyPairSync, publicEncrypt, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Exit } from '../../src/errors.js'
import { createMemoryKms, MEMORY_ACCOUNT, MemoryKmsStore, type MemoryKms } from '../../src/kms/memory.js'
import type { KeyInfo } from '../../src/kms/port.js'
import { probeUse } from '../../src/kms/useProbe.js'

const MESSAGE = new Uint8Array(Buffer.from('the message'))
const arnOf = (keyId: string) => `arn:aws:kms:us-east-1:${MEMORY_ACCOUNT}:key/${keyId}`

function memory() {
  const store = new MemoryKmsStore()
  return { store, kms: createMemoryKms(store) }
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as Error & { exitCode: number; awsCode?: string })

describe('in-memory KMS cryptography, checked with node:crypto', () => {
  it.each([
    ['RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256', 'sha256', { padding: constants.RSA_PKCS1_PADDING }],
    ['RSA_3072', 'RSASSA_PSS_SHA_384', 'sha384', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }],
    ['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256', { dsaEncoding: 'der' }],
    ['ECC_NIST_P384', 'ECDSA_SHA_384', 'sha384', { dsaEncoding: 'der' }],
    ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'sha256', { dsaEncoding: 'der' }],
    ['ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', null, {}],
  ] as const)('%s %s: the signature verifies with the public key from GetPublicKey, and in Verify', async (keySpec, algorithm, hash, options) => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec, keyUsage: 'SIGN_VERIFY' })
    const { signature, keyId: answered } = await kms.sign({ keyRef: keyId, message: MESSAGE, signingAlgorithm: algorithm })
    expect(answered).toBe(arnOf(keyId))
    const published = await kms.getPublicKey(keyId)
    expect(published).toMatchObject({ keyId: arnOf(keyId), keySpec, keyUsage: 'SIGN_VERIFY' })
    const publicKey = createPublicKey({ key: Buffer.from(published.publicKey), format: 'der', type: 'spki' })
    // The salt length of KMS's PSS is the digest's (48 bytes for SHA-384); checked: 32 does not verify.
    expect(verify(hash, MESSAGE, { key: publicKey, ...options }, signature)).toBe(true)
    expect(await kms.verify({ keyRef: keyId, message: MESSAGE, signature, signingAlgorithm: algorithm })).toEqual({ keyId: arnOf(keyId), signatureValid: true })
  })

  it('RSA OAEP: a ciphertext made locally with the public key decrypts in KMS, with SHA-1 and SHA-256', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })
    const publicKey = createPublicKey({ key: Buffer.from((await kms.getPublicKey(keyId)).publicKey), format: 'der', type: 'spki' })
    for (const [algorithm, oaepHash] of [['RSAES_OAEP_SHA_1', 'sha1'], ['RSAES_OAEP_SHA_256', 'sha256']] as const) {
      const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, MESSAGE)
      expect(await kms.decrypt({ keyRef: keyId, ciphertext, encryptionAlgorithm: algorithm })).toEqual({ keyId: arnOf(keyId), plaintext: MESSAGE })
    }
  })

  it('ECDH: DeriveSharedSecret gives the secret the other party computes from the public key of GetPublicKey', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'ECC_NIST_P384', keyUsage: 'KEY_AGREEMENT' })
    const local = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
    const derived = await kms.deriveSharedSecret({
      keyRef: keyId,
      keyAgreementAlgorithm: 'ECDH',
      publicKey: new Uint8Array(local.publicKey.export({ type: 'spki', format: 'der' })),
    })
    const kmsPublic = createPublicKey({ key: Buffer.from((await kms.getPublicKey(keyId)).publicKey), format: 'der', type: 'spki' })
    expect(Buffer.from(derived.sharedSecret)).toEqual(diffieHellman({ privateKey: local.privateKey, publicKey: kmsPublic }))
    expect(derived.sharedSecret).toHaveLength(48)
  })

  it('symmetric: AES-GCM, a new ciphertext every time; Decrypt takes the key from the ciphertext when no KeyId is given', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    const context = { purpose: 'test' }
    const first = await kms.encrypt({ keyRef: keyId, plaintext: MESSAGE, encryptionContext: context })
    const second = await kms.encrypt({ keyRef: keyId, plaintext: MESSAGE, encryptionContext: context })
    expect(Buffer.from(first.ciphertext).equals(Buffer.from(second.ciphertext))).toBe(false)
    expect(await kms.decrypt({ ciphertext: first.ciphertext, encryptionContext: context })).toEqual({ keyId: arnOf(keyId), plaintext: MESSAGE })
  })

  it('HMAC: VerifyMac accepts the MAC of GenerateMac and answers a changed one with KMSInvalidMacException', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC' })
    const { mac } = await kms.generateMac({ keyRef: keyId, message: MESSAGE, macAlgorithm: 'HMAC_SHA_384' })
    expect(mac).toHaveLength(48)
    expect(await kms.verifyMac({ keyRef: keyId, message: MESSAGE, mac, macAlgorithm: 'HMAC_SHA_384' })).toEqual({ keyId: arnOf(keyId), macValid: true })
    const changed = Uint8Array.from(mac, (byte, i) => (i === 0 ? byte ^ 1 : byte))
    expect(await failure(kms.verifyMac({ keyRef: keyId, message: MESSAGE, mac: changed, macAlgorithm: 'HMAC_SHA_384' }))).toMatchObject({
      exitCode: Exit.Aws,
      awsCode: 'KMSInvalidMacException',
    })
  })
})

describe('in-memory KMS: what KMS refuses on crypto calls', () => {
  it('a symmetric ciphertext under another encryption context, changed, or decrypted with another key', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    const other = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    const { ciphertext } = await kms.encrypt({ keyRef: keyId, plaintext: MESSAGE, encryptionContext: { a: '1' } })
    const changed = Uint8Array.from(ciphertext, (byte, i) => (i === ciphertext.length - 1 ? byte ^ 1 : byte))
    expect(await failure(kms.decrypt({ ciphertext, encryptionContext: { a: '2' } }))).toMatchObject({ awsCode: 'InvalidCiphertextException', exitCode: Exit.Aws })
    expect(await failure(kms.decrypt({ ciphertext }))).toMatchObject({ awsCode: 'InvalidCiphertextException' })
    expect(await failure(kms.decrypt({ ciphertext: changed, encryptionContext: { a: '1' } }))).toMatchObject({ awsCode: 'InvalidCiphertextException' })
    expect(await failure(kms.decrypt({ keyRef: other.keyId, ciphertext, encryptionContext: { a: '1' } }))).toMatchObject({
      awsCode: 'IncorrectKeyException',
      message: `Decrypt ${other.keyId} failed: IncorrectKeyException: The key ID in the request does not identify a CMK that can perform this operation.`,
    })
  })

  it('a signature of another message is KMSInvalidSignatureException, not SignatureValid false (as moto answers)', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' })
    const { signature } = await kms.sign({ keyRef: keyId, message: MESSAGE, signingAlgorithm: 'ECDSA_SHA_256' })
    const verifying = kms.verify({ keyRef: keyId, message: new Uint8Array([1]), signature, signingAlgorithm: 'ECDSA_SHA_256' })
    expect(await failure(verifying)).toMatchObject({ awsCode: 'KMSInvalidSignatureException', exitCode: Exit.Aws })
  })

  it.each([
    ['Encrypt with a signing key', 'RSA_2048', 'SIGN_VERIFY', (kms: MemoryKms, keyId: string) => kms.encrypt({ keyRef: keyId, plaintext: MESSAGE, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })],
    ['Sign with an encryption key', 'RSA_2048', 'ENCRYPT_DECRYPT', (kms: MemoryKms, keyId: string) => kms.sign({ keyRef: keyId, message: MESSAGE, signingAlgorithm: 'RSASSA_PSS_SHA_256' })],
    ['GenerateMac with a symmetric key', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', (kms: MemoryKms, keyId: string) => kms.generateMac({ keyRef: keyId, message: MESSAGE, macAlgorithm: 'HMAC_SHA_256' })],
    ['DeriveSharedSecret with a signing key', 'ECC_NIST_P256', 'SIGN_VERIFY', (kms: MemoryKms, keyId: string) => kms.deriveSharedSecret({ keyRef: keyId, keyAgreementAlgorithm: 'ECDH', publicKey: new Uint8Array(1) })],
    ['Encapsulate with a symmetric key', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', (kms: MemoryKms, keyId: string) => kms.encapsulate({ keyRef: keyId, encapsulationAlgorithm: 'ML_KEM' })],
    ['Encrypt of an RSA key with the default SYMMETRIC_DEFAULT', 'RSA_2048', 'ENCRYPT_DECRYPT', (kms: MemoryKms, keyId: string) => kms.encrypt({ keyRef: keyId, plaintext: MESSAGE })],
    ['GenerateMac of an HMAC_256 key with HMAC_SHA_512', 'HMAC_256', 'GENERATE_VERIFY_MAC', (kms: MemoryKms, keyId: string) => kms.generateMac({ keyRef: keyId, message: MESSAGE, macAlgorithm: 'HMAC_SHA_512' })],
  ])('%s: InvalidKeyUsageException (exit 8)', async (_name, keySpec, keyUsage, run) => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec, keyUsage })
    expect(await failure(run(kms, keyId))).toMatchObject({ awsCode: 'InvalidKeyUsageException', exitCode: Exit.Aws })
  })

  it('Encrypt of an RSA key names the key usage in KMS’s words', async () => {
    const { kms } = memory()
    const { keyId } = await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' })
    expect((await failure(kms.encrypt({ keyRef: keyId, plaintext: MESSAGE, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })))?.message).toBe(
      `Encrypt ${keyId} failed: InvalidKeyUsageException: ${arnOf(keyId)} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
    )
  })

  // Tried once: with memoryCrypto.ts's key-state check (checkUsable's first three lines) removed,
  // every row of this table fails (the calls succeed on keys KMS would refuse).
  it.each([
    ['Disabled', 'DisabledException', Exit.Refused],
    ['PendingDeletion', 'KMSInvalidStateException', Exit.Refused],
    ['PendingImport', 'KMSInvalidStateException', Exit.Refused],
    ['Unavailable', 'KMSInvalidStateException', Exit.Refused],
  ])('a %s key: every crypto call answers %s (exit %i)', async (keyState, awsCode, exitCode) => {
    const { store, kms } = memory()
    const made = {
      symmetric: await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' }),
      signing: await kms.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }),
      mac: await kms.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }),
      agreement: await kms.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'KEY_AGREEMENT' }),
    }
    const { ciphertext } = await kms.encrypt({ keyRef: made.symmetric.keyId, plaintext: MESSAGE })
    const { signature } = await kms.sign({ keyRef: made.signing.keyId, message: MESSAGE, signingAlgorithm: 'ECDSA_SHA_256' })
    const { mac } = await kms.generateMac({ keyRef: made.mac.keyId, message: MESSAGE, macAlgorithm: 'HMAC_SHA_256' })
    const peer = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }))
    // The state is written into the store, as KMS would have set it (PendingImport and Unavailable have no call here).
    const keys = store.partition('us-east-1').keys
    for (const key of Object.values(made)) keys.set(key.keyId, { ...key, keyState })

    const calls = [
      kms.encrypt({ keyRef: made.symmetric.keyId, plaintext: MESSAGE }),
      kms.decrypt({ ciphertext }),
      kms.sign({ keyRef: made.signing.keyId, message: MESSAGE, signingAlgorithm: 'ECDSA_SHA_256' }),
      kms.verify({ keyRef: made.signing.keyId, message: MESSAGE, signature, signingAlgorithm: 'ECDSA_SHA_256' }),
      kms.getPublicKey(made.signing.keyId),
      kms.generateMac({ keyRef: made.mac.keyId, message: MESSAGE, macAlgorithm: 'HMAC_SHA_256' }),
      kms.verifyMac({ keyRef: made.mac.keyId, message: MESSAGE, mac, macAlgorithm: 'HMAC_SHA_256' }),
      kms.deriveSharedSecret({ keyRef: made.agreement.keyId, keyAgreementAlgorithm: 'ECDH', publicKey: peer }),
    ]
    for (const call of calls) expect(await failure(call)).toMatchObject({ awsCode, exitCode })
  })

  it('what Node.js 20 cannot do is UnsupportedOperationException: ML-DSA signing, a DIGEST message, a symmetric key’s public key', async () => {
    const { kms } = memory()
    const mlDsa = await kms.createKey({ keySpec: 'ML_DSA_65', keyUsage: 'SIGN_VERIFY' })
    const ecdsa = await kms.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' })
    const symmetric = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    const refusals = [
      kms.sign({ keyRef: mlDsa.keyId, message: MESSAGE, signingAlgorithm: 'ML_DSA_SHAKE_256' }),
      kms.sign({ keyRef: ecdsa.keyId, message: new Uint8Array(32), messageType: 'DIGEST', signingAlgorithm: 'ECDSA_SHA_256' }),
      kms.getPublicKey(symmetric.keyId),
    ]
    for (const refusal of refusals) expect(await failure(refusal)).toMatchObject({ awsCode: 'UnsupportedOperationException', exitCode: Exit.Aws })
  })
})

describe('probeUse on the in-memory KMS: refusals become results', () => {
  it('a key pending deletion: KMSInvalidStateException, lasting', async () => {
    const { kms } = memory()
    const key = await kms.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' })
    await kms.createAlias('alias/mac', key.keyId)
    await kms.scheduleKeyDeletion(key.keyId, 7)
    expect(await probeUse(kms, 'alias/mac', key, 'run-1')).toEqual({
      operation: 'GenerateMac/VerifyMac',
      ok: false,
      keyIdSeen: null,
      error: { code: 'KMSInvalidStateException', message: `KMS refused GenerateMac alias/mac: KMSInvalidStateException: ${arnOf(key.keyId)} is pending deletion.` },
      lasting: true,
    })
  })

  it('an alias now on a key of another usage than the probe was planned for: InvalidKeyUsageException, lasting', async () => {
    const { store, kms } = memory()
    const planned: KeyInfo = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    const signing = await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' })
    // Another writer moved the alias (UpdateAlias itself refuses a usage change, so it is written into the store).
    store.partition('us-east-1').aliases.set('alias/app', signing.keyId)
    expect(await probeUse(kms, 'alias/app', planned, 'run-1')).toMatchObject({
      operation: 'Encrypt/Decrypt',
      ok: false,
      keyIdSeen: null,
      error: { code: 'InvalidKeyUsageException' },
      lasting: true,
    })
  })
})
