// The use probe (issue 20): the smallest cryptographic round trip a key's KeyUsage allows, done
// through an alias or key ID as its callers would, to learn whether they can still use it and which
// key did the work. The engine runs it before and after a change; this file only performs it.
import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { CliError, InterruptedError } from '../errors.js'
import { parseArn } from './identifiers.js'
import type { KeyInfo, KmsPort } from './port.js'

export type ProbeOperation = 'Encrypt/Decrypt' | 'Sign/Verify' | 'GenerateMac/VerifyMac' | 'DeriveSharedSecret' | 'Encapsulate/Decapsulate'

export interface UseProbeResult {
  operation: ProbeOperation
  ok: boolean
  /**
   * The key that did the work, as a bare key ID (an ARN in the answer is reduced to its key ID;
   * moto's GenerateMac answers a bare ID), when the first call answered.
   */
  keyIdSeen: string | null
  /** Why it failed: KMS's error name (AccessDeniedException, DisabledException, KMSInvalidStateException, ...) and our translated message; null when ok. */
  error: { code: string; message: string } | null
  /** A failure that time does not change (DisabledException, KMSInvalidStateException, IncorrectKeyException, InvalidKeyUsageException). */
  lasting: boolean
}

/** The encryption context key of a probe's Encrypt: CloudTrail shows it, so a probe can be told from a caller's use. */
export const PROBE_CONTEXT_KEY = 'kms-alias:probe'

// Errors no retry changes. UnsupportedOperationException too: a key (or an in-memory KMS) that
// cannot do the operation will not learn it.
const LASTING = new Set([
  'DisabledException',
  'KMSInvalidStateException',
  'IncorrectKeyException',
  'InvalidKeyUsageException',
  'UnsupportedOperationException',
])

// The names of the probe's own verdicts, where KMS answered but the round trip did not hold.
const MISMATCH = 'ProbeMismatch'
const UNSUPPORTED_KEY = 'ProbeUnsupportedKey'

// Node's names of the curves of the key specs that allow KEY_AGREEMENT.
const AGREEMENT_CURVES: Readonly<Record<string, string>> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  SM2: 'SM2',
}

/** A round trip that did not hold although KMS answered every call. */
class ProbeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly lasting = code === UNSUPPORTED_KEY,
  ) {
    super(message)
  }
}

/**
 * Performs through `keyRef` (an alias name, or a key ID/ARN) the smallest round trip that `key`'s
 * KeyUsage allows (the issue's table), the encryption context {"kms-alias:probe": runId} where the
 * operation takes one. Never throws for a KMS or network failure (that is a result with ok false);
 * throws only the run's interruption (InterruptedError), a role that could not be assumed (a
 * CliError with `assumingRole`) and bugs.
 */
export async function probeUse(kms: KmsPort, keyRef: string, key: KeyInfo, runId: string): Promise<UseProbeResult> {
  // moto leaves KeyUsage out unless CreateKey named it; KMS's default is ENCRYPT_DECRYPT.
  const usage = key.keyUsage ?? 'ENCRYPT_DECRYPT'
  const operation = OPERATION_BY_USAGE[usage]
  if (!operation) return failed('Encrypt/Decrypt', null, UNSUPPORTED_KEY, `kms-alias cannot probe a key with KeyUsage ${usage}`, true)
  let keyIdSeen: string | null = null
  const seen = (answeredKeyId: string | undefined) => {
    keyIdSeen = answeredKeyId === undefined ? null : bareKeyId(answeredKeyId)
  }
  try {
    await ROUND_TRIPS[operation](kms, keyRef, key, runId, seen)
    return { operation, ok: true, keyIdSeen, error: null, lasting: false }
  } catch (error) {
    if (error instanceof InterruptedError) throw error
    if (error instanceof ProbeFailure) return failed(operation, keyIdSeen, error.code, error.message, error.lasting)
    // Credentials that could not be had are not an answer about the alias: the caller decides.
    if (error instanceof CliError && error.assumingRole !== undefined) throw error
    if (error instanceof CliError) {
      const code = error.awsCode ?? error.name
      return failed(operation, keyIdSeen, code, error.message, LASTING.has(code))
    }
    throw error
  }
}

/** The round trip each KeyUsage allows (the table). */
export const OPERATION_BY_USAGE: Readonly<Record<string, ProbeOperation>> = {
  ENCRYPT_DECRYPT: 'Encrypt/Decrypt',
  SIGN_VERIFY: 'Sign/Verify',
  GENERATE_VERIFY_MAC: 'GenerateMac/VerifyMac',
  KEY_AGREEMENT: 'DeriveSharedSecret',
  ENCAPSULATE_DECAPSULATE: 'Encapsulate/Decapsulate',
}

type RoundTrip = (kms: KmsPort, keyRef: string, key: KeyInfo, runId: string, seen: (keyId: string | undefined) => void) => Promise<void>

const ROUND_TRIPS: Record<ProbeOperation, RoundTrip> = {
  async 'Encrypt/Decrypt'(kms, keyRef, key, runId, seen) {
    const symmetric = (key.keySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT'
    const algorithm = symmetric ? 'SYMMETRIC_DEFAULT' : key.encryptionAlgorithms[0]
    if (!algorithm) throw new ProbeFailure(UNSUPPORTED_KEY, `${key.keyId} reports no encryption algorithm to probe with`)
    // Asymmetric encryption takes no encryption context.
    const context = symmetric ? { encryptionContext: { [PROBE_CONTEXT_KEY]: runId } } : {}
    const plaintext = new Uint8Array(randomBytes(32))
    const encrypted = await kms.encrypt({ keyRef, plaintext, encryptionAlgorithm: algorithm, ...context })
    seen(encrypted.keyId)
    const decrypted = await kms.decrypt({ keyRef, ciphertext: encrypted.ciphertext, encryptionAlgorithm: algorithm, ...context }).catch((error: unknown) => {
      // The same reference named another key a moment ago: the alias moved between the two calls
      // (its change still reaching the data plane), which time does settle. Rolling back on it
      // would undo a change that is only propagating.
      if (error instanceof CliError && error.awsCode === 'IncorrectKeyException') throw new ProbeFailure(error.awsCode, error.message, false)
      throw error
    })
    if (!sameBytes(decrypted.plaintext, plaintext)) throw new ProbeFailure(MISMATCH, `Decrypt through ${keyRef} did not return the plaintext Encrypt was given`)
  },
  async 'Sign/Verify'(kms, keyRef, key, runId, seen) {
    // ED25519_PH_SHA_512 signs only digests; any other algorithm of the key takes the message RAW.
    const raw = key.signingAlgorithms.find((a) => !a.includes('_PH_'))
    const algorithm = raw ?? key.signingAlgorithms[0]
    if (!algorithm) throw new ProbeFailure(UNSUPPORTED_KEY, `${key.keyId} reports no signing algorithm to probe with`)
    const text = probeMessage(runId)
    const message = new Uint8Array(raw ? text : createHash('sha512').update(text).digest())
    const messageType = raw ? 'RAW' : 'DIGEST'
    const signed = await kms.sign({ keyRef, message, messageType, signingAlgorithm: algorithm })
    seen(signed.keyId)
    const verified = await kms.verify({ keyRef, message, messageType, signature: signed.signature, signingAlgorithm: algorithm })
    // KMS answers an invalid signature with this error; moto answers SignatureValid false.
    if (!verified.signatureValid) throw new ProbeFailure('KMSInvalidSignatureException', `Verify through ${keyRef} found the signature Sign made invalid`)
  },
  async 'GenerateMac/VerifyMac'(kms, keyRef, key, runId, seen) {
    // moto reports no MacAlgorithms for HMAC keys: the spec names the only one (HMAC_256 -> HMAC_SHA_256).
    const fromSpec = key.keySpec?.startsWith('HMAC_') ? `HMAC_SHA_${key.keySpec.slice('HMAC_'.length)}` : undefined
    const algorithm = key.macAlgorithms[0] ?? fromSpec
    if (!algorithm) throw new ProbeFailure(UNSUPPORTED_KEY, `${key.keyId} reports no MAC algorithm to probe with`)
    const message = new Uint8Array(probeMessage(runId))
    const generated = await kms.generateMac({ keyRef, message, macAlgorithm: algorithm })
    seen(generated.keyId)
    const verified = await kms.verifyMac({ keyRef, message, mac: generated.mac, macAlgorithm: algorithm })
    if (!verified.macValid) throw new ProbeFailure('KMSInvalidMacException', `VerifyMac through ${keyRef} found the MAC GenerateMac made invalid`)
  },
  async DeriveSharedSecret(kms, keyRef, key, _runId, seen) {
    const curve = key.keySpec === undefined ? undefined : AGREEMENT_CURVES[key.keySpec]
    if (!curve) throw new ProbeFailure(UNSUPPORTED_KEY, `kms-alias cannot make a public key for a ${key.keySpec ?? 'key without KeySpec'} to probe key agreement`)
    // moto reports no KeyAgreementAlgorithms; ECDH is the only one KMS has.
    const algorithm = key.keyAgreementAlgorithms[0] ?? 'ECDH'
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve })
    const derived = await kms.deriveSharedSecret({
      keyRef,
      keyAgreementAlgorithm: algorithm,
      publicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    })
    seen(derived.keyId)
    // One call is the round trip: checking the secret would need GetPublicKey, a permission callers may lack.
    if (derived.sharedSecret.length === 0) throw new ProbeFailure(MISMATCH, `DeriveSharedSecret through ${keyRef} returned an empty secret`)
  },
  async 'Encapsulate/Decapsulate'(kms, keyRef, key, _runId, seen) {
    const algorithm = key.encapsulationAlgorithms?.[0] ?? 'ML_KEM'
    const encapsulated = await kms.encapsulate({ keyRef, encapsulationAlgorithm: algorithm })
    seen(encapsulated.keyId)
    const decapsulated = await kms.decapsulate({ keyRef, encapsulationAlgorithm: algorithm, ciphertext: encapsulated.ciphertext })
    if (!sameBytes(decapsulated.sharedSecret, encapsulated.sharedSecret)) {
      throw new ProbeFailure(MISMATCH, `Decapsulate through ${keyRef} did not return the shared secret Encapsulate made`)
    }
  },
}

/** What the probe signs or MACs: far below KMS's 4096-byte limit on messages, whatever the run id. */
const probeMessage = (runId: string) => Buffer.from(`${PROBE_CONTEXT_KEY} ${runId}`).subarray(0, 256)

function failed(operation: ProbeOperation, keyIdSeen: string | null, code: string, message: string, lasting: boolean): UseProbeResult {
  return { operation, ok: false, keyIdSeen, error: { code, message }, lasting }
}

/** A key ARN's key ID; a bare key ID (moto's GenerateMac and GetPublicKey answer one) as it is. */
export function bareKeyId(answered: string): string {
  const arn = parseArn(answered)
  return arn?.resource.startsWith('key/') ? arn.resource.slice('key/'.length) : answered
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
