// probeUse and the adapter's crypto calls with aws-sdk-client-mock: the rows moto 5.2.1 cannot
// perform (DeriveSharedSecret, Encapsulate/Decapsulate), the requests the adapter sends, and KMS's
// refusals (which moto never answers on crypto calls) with the error name kept for the probe.
import {
  DecapsulateCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncapsulateCommand,
  EncryptCommand,
  KMSClient,
  KMSServiceException,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms'
import { mockClient } from 'aws-sdk-client-mock'
import { createPublicKey } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AccessError, AwsError, Exit, KmsRefusedError } from '../../src/errors.js'
import { createKmsPort } from '../../src/kms/client.js'
import type { KeyInfo } from '../../src/kms/port.js'
import { probeUse } from '../../src/kms/useProbe.js'

const kmsMock = mockClient(KMSClient)
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab'
const ARN = `arn:aws:kms:us-east-1:111122223333:key/${KEY}`
const RUN = 'run-mock-0001'
const serviceError = (name: string, message: string) => new KMSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message })

beforeEach(() => kmsMock.reset())
afterEach(() => kmsMock.reset())

const port = () => createKmsPort({ region: 'us-east-1' })
const keyInfo = (overrides: Partial<KeyInfo>): KeyInfo => ({
  keyId: KEY,
  arn: ARN,
  accountId: '111122223333',
  region: 'us-east-1',
  keySpec: 'SYMMETRIC_DEFAULT',
  keyUsage: 'ENCRYPT_DECRYPT',
  keyState: 'Enabled',
  multiRegion: false,
  encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
  signingAlgorithms: [],
  macAlgorithms: [],
  keyAgreementAlgorithms: [],
  ...overrides,
})

describe('probeUse through the adapter, rows moto lacks (aws-sdk-client-mock)', () => {
  it('KEY_AGREEMENT: DeriveSharedSecret through the alias with a public key made locally on the key’s curve (P-384), ECDH', async () => {
    let sent: { KeyId?: string; KeyAgreementAlgorithm?: string; PublicKey?: Uint8Array } = {}
    kmsMock.on(DeriveSharedSecretCommand).callsFake((input: typeof sent) => {
      sent = input
      return { KeyId: ARN, SharedSecret: new Uint8Array(48).fill(7), KeyAgreementAlgorithm: 'ECDH' }
    })
    const key = keyInfo({ keySpec: 'ECC_NIST_P384', keyUsage: 'KEY_AGREEMENT', encryptionAlgorithms: [], keyAgreementAlgorithms: ['ECDH'] })
    expect(await probeUse(port(), 'alias/app', key, RUN)).toEqual({ operation: 'DeriveSharedSecret', ok: true, keyIdSeen: KEY, error: null, lasting: false })
    expect(sent.KeyId).toBe('alias/app')
    expect(sent.KeyAgreementAlgorithm).toBe('ECDH')
    const publicKey = createPublicKey({ key: Buffer.from(sent.PublicKey ?? []), format: 'der', type: 'spki' })
    expect(publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'secp384r1' })
  })

  it('ENCAPSULATE_DECAPSULATE: Encapsulate, then Decapsulate of its ciphertext; the shared secrets must agree', async () => {
    const ciphertext = new Uint8Array(1088).fill(3)
    const secret = new Uint8Array(32).fill(5)
    kmsMock.on(EncapsulateCommand).resolves({ KeyId: ARN, SharedSecret: secret, SharedSecretCiphertextBlob: ciphertext, EncapsulationAlgorithm: 'ML_KEM' })
    kmsMock.on(DecapsulateCommand).resolves({ KeyId: ARN, SharedSecret: secret, EncapsulationAlgorithm: 'ML_KEM' })
    const key = keyInfo({ keySpec: 'ML_KEM_768', keyUsage: 'ENCAPSULATE_DECAPSULATE', encryptionAlgorithms: [], encapsulationAlgorithms: ['ML_KEM'] })
    expect(await probeUse(port(), 'alias/app', key, RUN)).toEqual({ operation: 'Encapsulate/Decapsulate', ok: true, keyIdSeen: KEY, error: null, lasting: false })
    expect(kmsMock.commandCalls(EncapsulateCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/app', EncapsulationAlgorithm: 'ML_KEM' })
    expect(kmsMock.commandCalls(DecapsulateCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/app', EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: ciphertext })
  })

  it('ENCAPSULATE_DECAPSULATE: a Decapsulate that returns another secret is a failed round trip (ProbeMismatch)', async () => {
    kmsMock.on(EncapsulateCommand).resolves({ KeyId: ARN, SharedSecret: new Uint8Array(32).fill(5), SharedSecretCiphertextBlob: new Uint8Array(8) })
    kmsMock.on(DecapsulateCommand).resolves({ KeyId: ARN, SharedSecret: new Uint8Array(32).fill(6) })
    const key = keyInfo({ keySpec: 'ML_KEM_512', keyUsage: 'ENCAPSULATE_DECAPSULATE', encryptionAlgorithms: [] })
    expect(await probeUse(port(), 'alias/app', key, RUN)).toEqual({
      operation: 'Encapsulate/Decapsulate',
      ok: false,
      keyIdSeen: KEY,
      error: { code: 'ProbeMismatch', message: 'Decapsulate through alias/app did not return the shared secret Encapsulate made' },
      lasting: false,
    })
  })
})

describe('the requests the probe sends (aws-sdk-client-mock)', () => {
  it('symmetric: Encrypt and Decrypt through the alias with the encryption context {"kms-alias:probe": run id}', async () => {
    let plaintext: Uint8Array = new Uint8Array()
    kmsMock.on(EncryptCommand).callsFake((input: { Plaintext: Uint8Array }) => {
      plaintext = input.Plaintext
      return { KeyId: ARN, CiphertextBlob: new Uint8Array([1, 2, 3]) }
    })
    kmsMock.on(DecryptCommand).callsFake(() => ({ KeyId: ARN, Plaintext: plaintext }))
    expect(await probeUse(port(), 'alias/app', keyInfo({}), RUN)).toMatchObject({ ok: true, keyIdSeen: KEY })
    expect(plaintext).toHaveLength(32)
    const context = { 'kms-alias:probe': RUN }
    expect(kmsMock.commandCalls(EncryptCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/app', Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', EncryptionContext: context })
    expect(kmsMock.commandCalls(DecryptCommand)[0]?.args[0].input).toEqual({
      KeyId: 'alias/app',
      CiphertextBlob: new Uint8Array([1, 2, 3]),
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      EncryptionContext: context,
    })
  })

  it('RSA encryption: the key’s first encryption algorithm, no encryption context; a plaintext that does not come back fails', async () => {
    kmsMock.on(EncryptCommand).resolves({ KeyId: ARN, CiphertextBlob: new Uint8Array(256) })
    kmsMock.on(DecryptCommand).resolves({ KeyId: ARN, Plaintext: new Uint8Array(32) })
    const key = keyInfo({ keySpec: 'RSA_3072', encryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] })
    expect(await probeUse(port(), 'alias/app', key, RUN)).toMatchObject({ ok: false, error: { code: 'ProbeMismatch' } })
    const sent = kmsMock.commandCalls(EncryptCommand)[0]?.args[0].input
    expect(sent).toMatchObject({ KeyId: 'alias/app', EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })
    expect(sent).not.toHaveProperty('EncryptionContext')
  })

  it('signing: RAW with the key’s first signing algorithm; Ed25519 keys skip ED25519_PH_SHA_512, which signs digests only', async () => {
    kmsMock.on(SignCommand).resolves({ KeyId: ARN, Signature: new Uint8Array(64) })
    kmsMock.on(VerifyCommand).resolves({ KeyId: ARN, SignatureValid: true })
    const key = keyInfo({ keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: ['ED25519_PH_SHA_512', 'ED25519_SHA_512'] })
    expect(await probeUse(port(), 'alias/app', key, RUN)).toMatchObject({ operation: 'Sign/Verify', ok: true, keyIdSeen: KEY })
    const message = new Uint8Array(Buffer.from(`kms-alias:probe ${RUN}`))
    expect(kmsMock.commandCalls(SignCommand)[0]?.args[0].input).toEqual({ KeyId: 'alias/app', Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' })
  })
})

describe('KMS refusals on crypto calls keep their error name (aws-sdk-client-mock)', () => {
  // Tried once: without translateError's awsCode, the DisabledException, KMSInvalidStateException
  // and AccessDeniedException rows fail (their errors would carry no KMS name).
  it.each([
    ['DisabledException', Exit.Refused, true, KmsRefusedError],
    ['KMSInvalidStateException', Exit.Refused, true, KmsRefusedError],
    // Not lasting here: on the probe's own Decrypt it means the alias moved since Encrypt.
    ['IncorrectKeyException', Exit.Aws, false, AwsError],
    ['InvalidKeyUsageException', Exit.Aws, true, AwsError],
    ['AccessDeniedException', Exit.Access, false, AccessError],
    ['ThrottlingException', Exit.Aws, false, AwsError],
  ] as const)('%s: the adapter throws exit %i with awsCode, and the probe reports it (lasting: %s)', async (name, exitCode, lasting, type) => {
    kmsMock.on(EncryptCommand).resolves({ KeyId: ARN, CiphertextBlob: new Uint8Array([1]) })
    kmsMock.on(DecryptCommand).rejects(serviceError(name, 'refused'))
    const thrown = await port()
      .decrypt({ keyRef: 'alias/app', ciphertext: new Uint8Array([1]) })
      .catch((e: unknown) => e)
    expect(thrown).toBeInstanceOf(type)
    expect(thrown).toMatchObject({ exitCode, awsCode: name })
    expect(await probeUse(port(), 'alias/app', keyInfo({}), RUN)).toEqual({
      operation: 'Encrypt/Decrypt',
      ok: false,
      keyIdSeen: KEY,
      error: { code: name, message: (thrown as Error).message },
      lasting,
    })
  })
})
