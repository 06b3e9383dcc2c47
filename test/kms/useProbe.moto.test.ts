// probeUse through the SDK adapter against moto_server (5.2.1): every row of issue 20's table that
// moto performs, and what it does not, said in the test's name and proven elsewhere (the in-memory
// KMS in useProbe.memory.test.ts, aws-sdk-client-mock in useProbe.sdkMock.test.ts). Failures moto
// cannot produce (AccessDenied, a wrong signature) come from the fault proxy.
import { CreateKeyCommand, type KeySpec, type KeyUsageType } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsPort } from '../../src/kms/port.js'
import { probeUse } from '../../src/kms/useProbe.js'
import { createAlias, moto, MOTO_ACCOUNT, motoUrl, REGION, uniqueAlias, useFaultProxy } from '../e2e/harness.js'

const RUN = 'run-moto-0001'
// One attempt: moto's missing operations answer HTTP 500, which the SDK would retry with real waits.
const port = (endpointUrl = motoUrl()) => createKmsPort({ region: REGION, endpointUrl, maxAttempts: 1 })
const arnOf = (keyId: string) => `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${keyId}`

/** A moto key of `keySpec`/`keyUsage` behind a new alias, and its metadata as DescribeKey reports it. */
async function aliasedKey(kms: KmsPort, keySpec: string, keyUsage: string) {
  const created = await kms.createKey({ keySpec, keyUsage })
  const alias = uniqueAlias(`probe-${keySpec.toLowerCase().replaceAll('_', '-')}`)
  await createAlias(alias, created.keyId)
  return { alias, key: await kms.describeKey(created.keyId) }
}

describe('probeUse on moto_server: the rows moto performs', () => {
  it.each([
    ['ENCRYPT_DECRYPT, symmetric', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Encrypt/Decrypt'],
    ['ENCRYPT_DECRYPT, RSA', 'RSA_2048', 'ENCRYPT_DECRYPT', 'Encrypt/Decrypt'],
    ['SIGN_VERIFY, RSA', 'RSA_2048', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, ECC P-256', 'ECC_NIST_P256', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, ECC P-384', 'ECC_NIST_P384', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, ECC P-521', 'ECC_NIST_P521', 'SIGN_VERIFY', 'Sign/Verify'],
    ['SIGN_VERIFY, secp256k1', 'ECC_SECG_P256K1', 'SIGN_VERIFY', 'Sign/Verify'],
    ['GENERATE_VERIFY_MAC, HMAC_224', 'HMAC_224', 'GENERATE_VERIFY_MAC', 'GenerateMac/VerifyMac'],
    ['GENERATE_VERIFY_MAC, HMAC_256', 'HMAC_256', 'GENERATE_VERIFY_MAC', 'GenerateMac/VerifyMac'],
    ['GENERATE_VERIFY_MAC, HMAC_384', 'HMAC_384', 'GENERATE_VERIFY_MAC', 'GenerateMac/VerifyMac'],
    ['GENERATE_VERIFY_MAC, HMAC_512', 'HMAC_512', 'GENERATE_VERIFY_MAC', 'GenerateMac/VerifyMac'],
  ])('%s: ok through the alias, the key seen is the alias target', async (_row, keySpec, keyUsage, operation) => {
    const kms = port()
    const { alias, key } = await aliasedKey(kms, keySpec, keyUsage)
    expect(await probeUse(kms, alias, key, RUN)).toEqual({ operation, ok: true, keyIdSeen: key.keyId, error: null, lasting: false })
  })

  it('moto answers Encrypt with a key ARN and GenerateMac with a bare key ID (and reports no MacAlgorithms): keyIdSeen is the bare key ID in both', async () => {
    const kms = port()
    const symmetric = await aliasedKey(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')
    const hmac = await aliasedKey(kms, 'HMAC_256', 'GENERATE_VERIFY_MAC')
    const message = new Uint8Array([1, 2, 3])
    expect((await kms.encrypt({ keyRef: symmetric.alias, plaintext: message })).keyId).toBe(arnOf(symmetric.key.keyId))
    expect((await kms.generateMac({ keyRef: hmac.alias, message, macAlgorithm: 'HMAC_SHA_256' })).keyId).toBe(hmac.key.keyId)
    expect(hmac.key.macAlgorithms).toEqual([])

    expect(await probeUse(kms, symmetric.alias, symmetric.key, RUN)).toMatchObject({ ok: true, keyIdSeen: symmetric.key.keyId })
    expect(await probeUse(kms, hmac.alias, hmac.key, RUN)).toMatchObject({ ok: true, keyIdSeen: hmac.key.keyId })
  })

  it('moto leaves KeyUsage out when CreateKey did not name it: the probe takes KMS’s default, ENCRYPT_DECRYPT', async () => {
    const kms = port()
    const made = await moto().send(new CreateKeyCommand({}))
    const keyId = made.KeyMetadata?.KeyId ?? ''
    const alias = uniqueAlias('probe-default-usage')
    await createAlias(alias, keyId)
    const key = await kms.describeKey(keyId)
    expect(key.keyUsage).toBeUndefined()
    expect(await probeUse(kms, alias, key, RUN)).toEqual({ operation: 'Encrypt/Decrypt', ok: true, keyIdSeen: keyId, error: null, lasting: false })
  })
})

describe('probeUse on moto_server: the rows moto 5.2.1 cannot perform', () => {
  it('KEY_AGREEMENT: moto lacks DeriveSharedSecret (HTTP 500, an HTML page) and reports no KeyAgreementAlgorithms; the probe fails without throwing (row proven on the in-memory KMS and with aws-sdk-client-mock)', async () => {
    const kms = port()
    const { alias, key } = await aliasedKey(kms, 'ECC_NIST_P256', 'KEY_AGREEMENT')
    expect(key.keyAgreementAlgorithms).toEqual([])
    expect(await probeUse(kms, alias, key, RUN)).toEqual({
      operation: 'DeriveSharedSecret',
      ok: false,
      keyIdSeen: null,
      error: {
        code: 'AwsError',
        message: `KMS at ${motoUrl()} answered DeriveSharedSecret ${alias} with HTTP 500 and a body that is not JSON (text/html) (1 attempt)`,
      },
      lasting: false,
    })
  })

  it.each([
    ['SIGN_VERIFY, Ed25519 (row proven on the in-memory KMS)', 'ECC_NIST_EDWARDS25519', 'SIGN_VERIFY'],
    ['ENCAPSULATE_DECAPSULATE, ML-KEM (row proven with aws-sdk-client-mock)', 'ML_KEM_768', 'ENCAPSULATE_DECAPSULATE'],
  ])('%s: moto refuses the key spec at CreateKey', async (_row, keySpec, keyUsage) => {
    const refusal = await moto()
      .send(new CreateKeyCommand({ KeySpec: keySpec as KeySpec, KeyUsage: keyUsage as KeyUsageType }))
      .catch((e: unknown) => e)
    expect(refusal).toMatchObject({ name: 'ValidationException', message: expect.stringContaining(`Value '${keySpec}' at 'KeySpec' failed to satisfy constraint`) })
  })
})

describe('probeUse on moto_server through the fault proxy: failures moto does not produce', () => {
  const proxy = useFaultProxy()

  it('AccessDenied on Encrypt (fault proxy): ok false, not lasting (authorization can lag), no key seen', async () => {
    const { alias, key } = await aliasedKey(port(), 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')
    proxy.fault('Encrypt', 'access-denied')
    expect(await probeUse(port(proxy.url), alias, key, RUN)).toEqual({
      operation: 'Encrypt/Decrypt',
      ok: false,
      keyIdSeen: null,
      error: {
        code: 'AccessDeniedException',
        message: 'Encrypt was denied: AccessDeniedException: User is not authorized to perform this operation.',
      },
      lasting: false,
    })
    expect(proxy.calls('Decrypt')).toBe(0)
  })

  it('AccessDenied on Decrypt only (fault proxy): ok false, and the key that encrypted is seen', async () => {
    const { alias, key } = await aliasedKey(port(), 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')
    proxy.fault('Decrypt', 'access-denied')
    expect(await probeUse(port(proxy.url), alias, key, RUN)).toMatchObject({
      ok: false,
      keyIdSeen: key.keyId,
      error: { code: 'AccessDeniedException' },
      lasting: false,
    })
  })

  it('a signature Verify finds invalid (fault proxy rewrites Sign; moto answers SignatureValid false where KMS throws KMSInvalidSignatureException): ok false', async () => {
    const { alias, key } = await aliasedKey(port(), 'ECC_NIST_P256', 'SIGN_VERIFY')
    // Another message's signature by the same key: well-formed, but not for the probe's message.
    const other = await port().sign({ keyRef: key.keyId, message: new Uint8Array([9]), signingAlgorithm: 'ECDSA_SHA_256' })
    proxy.rewrite<{ Signature: string }, unknown>('Sign', {}, (answer) => ({ ...answer, Signature: Buffer.from(other.signature).toString('base64') }))
    expect(await probeUse(port(proxy.url), alias, key, RUN)).toEqual({
      operation: 'Sign/Verify',
      ok: false,
      keyIdSeen: key.keyId,
      error: { code: 'KMSInvalidSignatureException', message: `Verify through ${alias} found the signature Sign made invalid` },
      lasting: false,
    })
  })

  it('another writer moves the alias between Encrypt and Decrypt (fault proxy hook): moto answers the Decrypt with AccessDeniedException where KMS answers IncorrectKeyException; not lasting either way', async () => {
    const kms = port()
    const { alias, key } = await aliasedKey(kms, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')
    const next = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    proxy.before('Decrypt', [1], () => kms.updateAlias(alias, next.keyId))
    expect(await probeUse(port(proxy.url), alias, key, RUN)).toMatchObject({
      operation: 'Encrypt/Decrypt',
      ok: false,
      keyIdSeen: key.keyId,
      error: { code: 'AccessDeniedException' },
      lasting: false,
    })
  })
})
