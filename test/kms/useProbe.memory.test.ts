// probeUse on the in-memory KMS: every row of issue 20's table with real cryptography (node:crypto),
// and the key-state refusals KMS answers on crypto calls, which moto does not enforce.
import { describe, expect, it } from 'vitest'
import { InterruptedError } from '../../src/errors.js'
import { createMemoryKms, MEMORY_ACCOUNT, MemoryKmsStore, type MemoryKms } from '../../src/kms/memory.js'
import { probeUse } from '../../src/kms/useProbe.js'

const RUN = 'run-0001'
const arnOf = (keyId: string) => `arn:aws:kms:us-east-1:${MEMORY_ACCOUNT}:key/${keyId}`

async function aliased(keySpec: string, keyUsage: string, kms: MemoryKms = createMemoryKms(new MemoryKmsStore())) {
  const key = await kms.createKey({ keySpec, keyUsage })
  const alias = `alias/probe-${keySpec.toLowerCase()}-${keyUsage.toLowerCase()}`
  await kms.createAlias(alias, key.keyId)
  return { kms, key, alias }
}

describe('probeUse on the in-memory KMS: every row of the table', () => {
  it.each([
    ['ENCRYPT_DECRYPT, symmetric', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Encrypt/Decrypt'],
    ['ENCRYPT_DECRYPT, RSA', 'RSA_2048', 'ENCRYPT_DECRYPT', 'Encrypt/Decrypt'],
    ['SIGN_VERIFY, RSA', 'RSA_2048', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, ECC P-256', 'ECC_NIST_P256', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, ECC P-384', 'ECC_NIST_P384', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, ECC P-521', 'ECC_NIST_P521', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, secp256k1', 'ECC_SECG_P256K1', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, Ed25519', 'ECC_NIST_EDWARDS25519', 'SIGN_VERIFY', 'Sign/Verify'],
    ['GENERATE_VERIFY_MAC, HMAC_224', 'HMAC_224', 'GENERATE_VERIFY_MAC', 'GenerateMac/VerifyMac'],
    ['GENERATE_VERIFY_MAC, HMAC_512', 'HMAC_512', 'GENERATE_VERIFY_MAC', 'GenerateMac/VerifyMac'],
    ['KEY_AGREEMENT, ECC P-256', 'ECC_NIST_P256', 'KEY_AGREEMENT', 'DeriveSharedSecret'],
    ['KEY_AGREEMENT, ECC P-521', 'ECC_NIST_P521', 'KEY_AGREEMENT', 'DeriveSharedSecret'],
  ])('%s: ok through the alias, the key seen is the alias target', async (_row, keySpec, keyUsage, operation) => {
    const { kms, key, alias } = await aliased(keySpec, keyUsage)
    expect(await probeUse(kms, alias, key, RUN)).toEqual({ operation, ok: true, keyIdSeen: key.keyId, error: null, lasting: false })
    // By key ARN too (the target is probed by its key ID or ARN before the change).
    expect(await probeUse(kms, key.arn, key, RUN)).toMatchObject({ ok: true, keyIdSeen: key.keyId })
  })

  // Tried once: without the clipping of the message, both probes fail (ValidationException: over 4096 bytes).
  it.each([
    ['ECC_NIST_P256', 'SIGN_VERIFY'],
    ['HMAC_256', 'GENERATE_VERIFY_MAC'],
  ])('%s %s: a run id of 5000 characters still makes a message within KMS’s 4096-byte limit', async (keySpec, keyUsage) => {
    const { kms, key, alias } = await aliased(keySpec, keyUsage)
    expect(await probeUse(kms, alias, key, 'r'.repeat(5000))).toMatchObject({ ok: true, keyIdSeen: key.keyId })
  })

  it('ENCAPSULATE_DECAPSULATE, ML-KEM: Node 20 has no ML-KEM, so the in-memory KMS answers UnsupportedOperationException (lasting)', async () => {
    const { kms, key, alias } = await aliased('ML_KEM_768', 'ENCAPSULATE_DECAPSULATE')
    expect(key.encapsulationAlgorithms).toEqual(['ML_KEM'])
    expect(await probeUse(kms, alias, key, RUN)).toEqual({
      operation: 'Encapsulate/Decapsulate',
      ok: false,
      keyIdSeen: null,
      error: {
        code: 'UnsupportedOperationException',
        message: `Encapsulate ${alias} failed: UnsupportedOperationException: the in-memory KMS cannot perform Encapsulate with a ML_KEM_768 key: Node.js 20's crypto has no ML-KEM`,
      },
      lasting: true,
    })
  })
})

describe('probeUse on the in-memory KMS: key state and usage refusals', () => {
  // Tried once: without memoryCrypto.ts's key-state check this test fails (Encrypt succeeds).
  it('a disabled key answers DisabledException: ok false, lasting, nothing seen', async () => {
    const { kms, key, alias } = await aliased('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')
    await kms.disableKey(key.keyId)
    expect(await probeUse(kms, alias, key, RUN)).toEqual({
      operation: 'Encrypt/Decrypt',
      ok: false,
      keyIdSeen: null,
      error: { code: 'DisabledException', message: `KMS refused Encrypt ${alias}: DisabledException: ${arnOf(key.keyId)} is disabled.` },
      lasting: true,
    })
  })

  // Failed before memory.ts passed its signal to translateError: every aborted in-memory call was
  // reported as SIGINT (exit 130), whatever signal stopped the run.
  it('the run’s interruption is thrown as it was given (SIGTERM stays SIGTERM), not reported as a failed probe', async () => {
    const store = new MemoryKmsStore()
    const controller = new AbortController()
    const { key, alias } = await aliased('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', createMemoryKms(store))
    const stopped = new InterruptedError('SIGTERM')
    controller.abort(stopped)
    const kms = createMemoryKms(store, { signal: controller.signal })
    await expect(probeUse(kms, alias, key, RUN)).rejects.toBe(stopped)
  })

  // Tried once: with probeUse's IncorrectKeyException case removed, this test fails (lasting true).
  it('an alias moved between Encrypt and Decrypt (another writer, through a wrapper of the port): IncorrectKeyException, not lasting, the encrypting key seen', async () => {
    const { kms, key, alias } = await aliased('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')
    const next = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    const racing: MemoryKms = {
      ...kms,
      encrypt: async (request) => {
        const answer = await kms.encrypt(request)
        await kms.updateAlias(alias, next.keyId)
        return answer
      },
    }
    expect(await probeUse(racing, alias, key, RUN)).toEqual({
      operation: 'Encrypt/Decrypt',
      ok: false,
      keyIdSeen: key.keyId,
      error: {
        code: 'IncorrectKeyException',
        message: `Decrypt ${alias} failed: IncorrectKeyException: The key ID in the request does not identify a CMK that can perform this operation.`,
      },
      lasting: false,
    })
  })
})
