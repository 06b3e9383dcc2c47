// The in-memory KMS's cryptographic operations (Encrypt, Decrypt, Sign, Verify, GenerateMac,
// VerifyMac, DeriveSharedSecret, GetPublicKey, Encapsulate, Decapsulate), with real cryptography
// from node:crypto and the key-state and key-usage refusals KMS answers on them, so that a use probe
// against `--endpoint-url memory:` (the demo) succeeds and fails where KMS would.
//
// What Node.js 20's crypto cannot do is answered as KMS answers an operation a key cannot perform
// (UnsupportedOperationException), with the reason: ML-KEM (Encapsulate/Decapsulate), ML-DSA, SM2,
// and MessageType DIGEST (KMS signs a digest as given; node:crypto only signs what it hashes).
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as signWith,
  timingSafeEqual,
  verify as verifyWith,
  type KeyObject,
} from 'node:crypto'
import type { Partition } from './memory.js'
import { KmsErrorResponse } from './memoryErrors.js'
import type { KeyInfo, KmsPort } from './port.js'

/** The crypto methods of KmsPort. */
export type CryptoOperations = Pick<
  KmsPort,
  'encrypt' | 'decrypt' | 'sign' | 'verify' | 'generateMac' | 'verifyMac' | 'deriveSharedSecret' | 'getPublicKey' | 'encapsulate' | 'decapsulate'
>

/** What the in-memory KMS lends its crypto operations: its call wrapper, key lookup and Region. */
export interface CryptoHost {
  /** Runs one operation as the in-memory KMS runs every operation (errors translated, --debug line). */
  call<T>(operation: string, subject: string, work: () => T): Promise<T>
  /** A key by key ID, key ARN, alias name or alias ARN, as DescribeKey finds it. */
  findKey(keyRef: string): KeyInfo
  partition(): Partition
}

/** EncapsulationAlgorithms DescribeKey reports for a spec (ML-KEM keys only). */
export function encapsulationAlgorithmsOf(keySpec: string, keyUsage: string): { encapsulationAlgorithms?: string[] } {
  return keyUsage === 'ENCAPSULATE_DECAPSULATE' && keySpec.startsWith('ML_KEM_') ? { encapsulationAlgorithms: ['ML_KEM'] } : {}
}

// KMS's limits (API reference of each operation): plaintext and messages of 1 to 4096 bytes.
const MAX_MESSAGE_BYTES = 4096

const error = (name: string, message: string) => new KmsErrorResponse(name, 400, message)
const validation = (message: string) => error('ValidationException', message)
const unsupported = (message: string) => error('UnsupportedOperationException', message)
const invalidCiphertext = () => error('InvalidCiphertextException', '')

type Material = { kind: 'secret'; secret: Buffer } | { kind: 'pair'; privateKey: KeyObject; publicKey: KeyObject; curve?: string }

// Node's names of the curves of the ECC key specs.
const CURVE_BY_SPEC: Readonly<Record<string, string>> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
}

// Material lives beside the partition, not in it: seeded keys (the demo's, the tests') get theirs
// on first use, and an RSA-4096 key that is never used costs no key generation.
const materials = new WeakMap<Partition, Map<string, Material>>()

function materialOf(partition: Partition, key: KeyInfo, operation: string): Material {
  let byKey = materials.get(partition)
  if (!byKey) {
    byKey = new Map()
    materials.set(partition, byKey)
  }
  let material = byKey.get(key.keyId)
  if (!material) {
    material = generate(key, operation)
    byKey.set(key.keyId, material)
  }
  return material
}

function generate(key: KeyInfo, operation: string): Material {
  const spec = key.keySpec ?? 'SYMMETRIC_DEFAULT'
  if (spec === 'SYMMETRIC_DEFAULT') return { kind: 'secret', secret: randomBytes(32) }
  if (spec.startsWith('HMAC_')) return { kind: 'secret', secret: randomBytes(Number(spec.slice('HMAC_'.length)) / 8) }
  if (spec.startsWith('RSA_')) {
    const pair = generateKeyPairSync('rsa', { modulusLength: Number(spec.slice('RSA_'.length)) })
    return { kind: 'pair', ...pair }
  }
  if (spec === 'ECC_NIST_EDWARDS25519') return { kind: 'pair', ...generateKeyPairSync('ed25519') }
  const curve = CURVE_BY_SPEC[spec]
  if (curve) return { kind: 'pair', ...generateKeyPairSync('ec', { namedCurve: curve }), curve }
  throw unsupported(`the in-memory KMS cannot perform ${operation} with a ${spec} key: Node.js 20's crypto has no ${family(spec)}`)
}

const family = (spec: string) => (spec.startsWith('ML_KEM_') ? 'ML-KEM' : spec.startsWith('ML_DSA_') ? 'ML-DSA' : spec === 'SM2' ? 'SM2 as KMS uses it' : spec)

/** The refusals KMS answers before it uses a key: its state, then its KeyUsage (kms-facts.md section 3). */
function checkUsable(key: KeyInfo, usage: string, operation: string): void {
  if (key.keyState === 'Disabled') throw error('DisabledException', `${key.arn} is disabled.`)
  if (key.keyState === 'PendingDeletion' || key.keyState === 'PendingReplicaDeletion') throw error('KMSInvalidStateException', `${key.arn} is pending deletion.`)
  if (key.keyState !== undefined && key.keyState !== 'Enabled') throw error('KMSInvalidStateException', `${key.arn} is ${key.keyState}.`)
  // KMS's default KeyUsage; moto (and a seeded key) may leave it out.
  const keyUsage = key.keyUsage ?? 'ENCRYPT_DECRYPT'
  if (keyUsage !== usage) throw error('InvalidKeyUsageException', `${key.arn} key usage is ${keyUsage} which is not valid for ${operation}.`)
}

function checkAlgorithm(key: KeyInfo, offered: readonly string[], algorithm: string, operation: string): void {
  if (!offered.includes(algorithm)) {
    throw error('InvalidKeyUsageException', `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec ?? 'SYMMETRIC_DEFAULT'} for ${operation}.`)
  }
}

function checkLength(bytes: Uint8Array, field: string): void {
  if (bytes.length < 1 || bytes.length > MAX_MESSAGE_BYTES) {
    throw validation(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length between 1 and ${MAX_MESSAGE_BYTES}`)
  }
}

// The symmetric ciphertext blob of the in-memory KMS: like KMS's, it names the key that made it, so
// that Decrypt needs no KeyId and refuses another key's (IncorrectKeyException).
//   MAGIC | key ID length (1 byte) | key ID | IV (12) | GCM tag (16) | ciphertext
const MAGIC = Buffer.from('kmsA')
const IV_BYTES = 12
const TAG_BYTES = 16

/** The key ID a symmetric ciphertext of the in-memory KMS names; undefined for anything else. */
function parseBlob(blob: Uint8Array): { keyId: string; iv: Buffer; tag: Buffer; body: Buffer } | undefined {
  const bytes = Buffer.from(blob)
  if (bytes.length < MAGIC.length + 1 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined
  const idLength = bytes[MAGIC.length] ?? 0
  let at = MAGIC.length + 1
  const keyId = bytes.subarray(at, at + idLength).toString('utf8')
  at += idLength
  if (bytes.length < at + IV_BYTES + TAG_BYTES) return undefined
  const iv = bytes.subarray(at, at + IV_BYTES)
  const tag = bytes.subarray(at + IV_BYTES, at + IV_BYTES + TAG_BYTES)
  return { keyId, iv, tag, body: bytes.subarray(at + IV_BYTES + TAG_BYTES) }
}

// The encryption context is authenticated, not encrypted, and its order does not matter (as in KMS).
const additionalData = (context: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))

const OAEP_HASH: Readonly<Record<string, string>> = { RSAES_OAEP_SHA_1: 'sha1', RSAES_OAEP_SHA_256: 'sha256' }

/** node:crypto's way to make or check a signature of each KMS signing algorithm (RAW messages). */
function signatureScheme(algorithm: string): { hash: string | null; options: Record<string, unknown> } | undefined {
  const hash = /_SHA_(\d{3})$/.exec(algorithm)?.[1]
  if (algorithm.startsWith('RSASSA_PKCS1_V1_5_SHA_') && hash) return { hash: `sha${hash}`, options: { padding: constants.RSA_PKCS1_PADDING } }
  // KMS's PSS: MGF1 with the same hash, a salt as long as the digest.
  if (algorithm.startsWith('RSASSA_PSS_SHA_') && hash)
    return { hash: `sha${hash}`, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } }
  // KMS's ECDSA signatures are DER-encoded (ANSI X9.62).
  if (algorithm.startsWith('ECDSA_SHA_') && hash) return { hash: `sha${hash}`, options: { dsaEncoding: 'der' } }
  if (algorithm === 'ED25519_SHA_512') return { hash: null, options: {} }
  return undefined
}

/** The crypto methods of the in-memory KMS, run through `host`. */
export function cryptoOperations(host: CryptoHost): CryptoOperations {
  const { call } = host
  const material = (key: KeyInfo, operation: string) => materialOf(host.partition(), key, operation)
  const pairOf = (key: KeyInfo, operation: string) => {
    const m = material(key, operation)
    if (m.kind !== 'pair') throw unsupported(`${key.arn} is not an asymmetric key; it has no key pair for ${operation}`)
    return m
  }
  const secretOf = (key: KeyInfo, operation: string) => {
    const m = material(key, operation)
    if (m.kind !== 'secret') throw error('InvalidKeyUsageException', `${key.arn} has no secret key for ${operation}`)
    return m.secret
  }
  /** The key a signing request names, its scheme and pair, once every refusal has been checked. */
  const signing = (keyRef: string, algorithm: string, messageType: string | undefined, message: Uint8Array, operation: string) => {
    const key = host.findKey(keyRef)
    checkUsable(key, 'SIGN_VERIFY', operation)
    checkAlgorithm(key, key.signingAlgorithms, algorithm, operation)
    checkLength(message, 'message')
    if (messageType === 'DIGEST') throw unsupported(`the in-memory KMS signs RAW messages only: Node.js's crypto cannot ${operation} a digest as given`)
    const scheme = signatureScheme(algorithm)
    if (!scheme) throw unsupported(`the in-memory KMS cannot perform ${operation} with ${algorithm}: Node.js 20's crypto has no ${family(key.keySpec ?? algorithm)}`)
    return { key, scheme, pair: pairOf(key, operation) }
  }

  return {
    encrypt: (request) =>
      call('Encrypt', request.keyRef, () => {
        const key = host.findKey(request.keyRef)
        checkUsable(key, 'ENCRYPT_DECRYPT', 'Encrypt')
        const algorithm = request.encryptionAlgorithm ?? 'SYMMETRIC_DEFAULT'
        checkAlgorithm(key, key.encryptionAlgorithms, algorithm, 'Encrypt')
        checkLength(request.plaintext, 'plaintext')
        if (algorithm === 'SYMMETRIC_DEFAULT') {
          const iv = randomBytes(IV_BYTES)
          const cipher = createCipheriv('aes-256-gcm', secretOf(key, 'Encrypt'), iv)
          cipher.setAAD(additionalData(request.encryptionContext))
          const body = Buffer.concat([cipher.update(request.plaintext), cipher.final()])
          const id = Buffer.from(key.keyId, 'utf8')
          const ciphertext = Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body])
          return { keyId: key.arn, ciphertext: new Uint8Array(ciphertext) }
        }
        // UNCONFIRMED: KMS's answer to an encryption context on an asymmetric key.
        if (request.encryptionContext && Object.keys(request.encryptionContext).length > 0)
          throw validation('EncryptionContext is supported only with symmetric encryption keys')
        const oaepHash = OAEP_HASH[algorithm]
        if (!oaepHash) throw unsupported(`the in-memory KMS cannot encrypt with ${algorithm}: Node.js 20's crypto has no ${family(key.keySpec ?? algorithm)}`)
        const { publicKey } = pairOf(key, 'Encrypt')
        try {
          const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, request.plaintext)
          return { keyId: key.arn, ciphertext: new Uint8Array(ciphertext) }
        } catch {
          // Longer than the key and padding allow (190 bytes for RSA_2048 with SHA-256).
          throw validation(`Plaintext is too long for ${key.keySpec ?? ''} with ${algorithm}`)
        }
      }),
    decrypt: (request) =>
      call('Decrypt', request.keyRef ?? '(key of the ciphertext)', () => {
        const blob = parseBlob(request.ciphertext)
        const named = request.keyRef === undefined ? undefined : host.findKey(request.keyRef)
        // Without a KeyId only a symmetric ciphertext says which key made it.
        const key = named ?? (blob ? host.findKey(blob.keyId) : undefined)
        if (!key) throw invalidCiphertext()
        checkUsable(key, 'ENCRYPT_DECRYPT', 'Decrypt')
        const algorithm = request.encryptionAlgorithm ?? 'SYMMETRIC_DEFAULT'
        checkAlgorithm(key, key.encryptionAlgorithms, algorithm, 'Decrypt')
        if (algorithm === 'SYMMETRIC_DEFAULT') {
          if (!blob) throw invalidCiphertext()
          if (blob.keyId !== key.keyId)
            throw error('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.')
          try {
            const decipher = createDecipheriv('aes-256-gcm', secretOf(key, 'Decrypt'), blob.iv)
            decipher.setAAD(additionalData(request.encryptionContext))
            decipher.setAuthTag(blob.tag)
            return { keyId: key.arn, plaintext: new Uint8Array(Buffer.concat([decipher.update(blob.body), decipher.final()])) }
          } catch {
            // A tampered ciphertext or another encryption context.
            throw invalidCiphertext()
          }
        }
        const oaepHash = OAEP_HASH[algorithm]
        if (!oaepHash) throw unsupported(`the in-memory KMS cannot decrypt with ${algorithm}: Node.js 20's crypto has no ${family(key.keySpec ?? algorithm)}`)
        const { privateKey } = pairOf(key, 'Decrypt')
        try {
          const plaintext = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, request.ciphertext)
          return { keyId: key.arn, plaintext: new Uint8Array(plaintext) }
        } catch {
          // Another key's ciphertext cannot be told from a damaged one: an RSA ciphertext names no key.
          throw invalidCiphertext()
        }
      }),
    sign: (request) =>
      call('Sign', request.keyRef, () => {
        const { key, scheme, pair } = signing(request.keyRef, request.signingAlgorithm, request.messageType, request.message, 'Sign')
        const signature = signWith(scheme.hash, request.message, { key: pair.privateKey, ...scheme.options })
        return { keyId: key.arn, signature: new Uint8Array(signature) }
      }),
    verify: (request) =>
      call('Verify', request.keyRef, () => {
        const { key, scheme, pair } = signing(request.keyRef, request.signingAlgorithm, request.messageType, request.message, 'Verify')
        let valid: boolean
        try {
          valid = verifyWith(scheme.hash, request.message, { key: pair.publicKey, ...scheme.options }, request.signature)
        } catch {
          valid = false
        }
        // KMS answers an invalid signature with an error, not with SignatureValid false.
        if (!valid) throw error('KMSInvalidSignatureException', '')
        return { keyId: key.arn, signatureValid: true }
      }),
    generateMac: (request) =>
      call('GenerateMac', request.keyRef, () => {
        const key = host.findKey(request.keyRef)
        checkUsable(key, 'GENERATE_VERIFY_MAC', 'GenerateMac')
        checkAlgorithm(key, key.macAlgorithms, request.macAlgorithm, 'GenerateMac')
        checkLength(request.message, 'message')
        return { keyId: key.arn, mac: new Uint8Array(macOf(secretOf(key, 'GenerateMac'), request.macAlgorithm, request.message)) }
      }),
    verifyMac: (request) =>
      call('VerifyMac', request.keyRef, () => {
        const key = host.findKey(request.keyRef)
        checkUsable(key, 'GENERATE_VERIFY_MAC', 'VerifyMac')
        checkAlgorithm(key, key.macAlgorithms, request.macAlgorithm, 'VerifyMac')
        checkLength(request.message, 'message')
        const expected = macOf(secretOf(key, 'VerifyMac'), request.macAlgorithm, request.message)
        const given = Buffer.from(request.mac)
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw error('KMSInvalidMacException', '')
        return { keyId: key.arn, macValid: true }
      }),
    deriveSharedSecret: (request) =>
      call('DeriveSharedSecret', request.keyRef, () => {
        const key = host.findKey(request.keyRef)
        checkUsable(key, 'KEY_AGREEMENT', 'DeriveSharedSecret')
        checkAlgorithm(key, key.keyAgreementAlgorithms, request.keyAgreementAlgorithm, 'DeriveSharedSecret')
        const pair = pairOf(key, 'DeriveSharedSecret')
        let peer: KeyObject
        try {
          peer = createPublicKey({ key: Buffer.from(request.publicKey), format: 'der', type: 'spki' })
        } catch {
          throw validation('PublicKey is not a DER-encoded X.509 SubjectPublicKeyInfo')
        }
        // UNCONFIRMED: KMS's error code for a public key on another curve.
        if (peer.asymmetricKeyType !== 'ec' || peer.asymmetricKeyDetails?.namedCurve !== pair.curve)
          throw validation(`PublicKey is not on the curve of ${key.keySpec ?? 'the key'}`)
        return { keyId: key.arn, sharedSecret: new Uint8Array(diffieHellman({ privateKey: pair.privateKey, publicKey: peer })) }
      }),
    getPublicKey: (keyRef) =>
      call('GetPublicKey', keyRef, () => {
        const key = host.findKey(keyRef)
        if (key.keyState === 'Disabled') throw error('DisabledException', `${key.arn} is disabled.`)
        if (key.keyState !== undefined && key.keyState !== 'Enabled') throw error('KMSInvalidStateException', `${key.arn} is ${key.keyState}.`)
        const spec = key.keySpec ?? 'SYMMETRIC_DEFAULT'
        if (spec === 'SYMMETRIC_DEFAULT' || spec.startsWith('HMAC_')) throw unsupported(`${key.arn} is not an asymmetric key; it has no public key`)
        const publicKey = pairOf(key, 'GetPublicKey').publicKey.export({ type: 'spki', format: 'der' })
        return { keyId: key.arn, publicKey: new Uint8Array(publicKey), keySpec: key.keySpec, keyUsage: key.keyUsage }
      }),
    encapsulate: (request) =>
      call('Encapsulate', request.keyRef, () => {
        const key = host.findKey(request.keyRef)
        checkUsable(key, 'ENCAPSULATE_DECAPSULATE', 'Encapsulate')
        checkAlgorithm(key, key.encapsulationAlgorithms ?? [], request.encapsulationAlgorithm, 'Encapsulate')
        throw unsupported(`the in-memory KMS cannot perform Encapsulate with a ${key.keySpec ?? ''} key: Node.js 20's crypto has no ML-KEM`)
      }),
    decapsulate: (request) =>
      call('Decapsulate', request.keyRef, () => {
        const key = host.findKey(request.keyRef)
        checkUsable(key, 'ENCAPSULATE_DECAPSULATE', 'Decapsulate')
        checkAlgorithm(key, key.encapsulationAlgorithms ?? [], request.encapsulationAlgorithm, 'Decapsulate')
        throw unsupported(`the in-memory KMS cannot perform Decapsulate with a ${key.keySpec ?? ''} key: Node.js 20's crypto has no ML-KEM`)
      }),
  }
}

function macOf(secret: Buffer, algorithm: string, message: Uint8Array): Buffer {
  return createHmac(`sha${algorithm.slice('HMAC_SHA_'.length)}`, secret).update(message).digest()
}
