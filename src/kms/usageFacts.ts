// KMS facts for usage and retire (issue 21; kms-facts.md section 16).

/**
 * The operations GetKeyLastUsage tracks: KMS's cryptographic operations (the KMS API reference's
 * KeyLastUsageTrackingOperation values).
 */
export const CRYPTO_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
  'Encapsulate',
  'Decapsulate',
])

/**
 * What counts as use of a key in CloudTrail: the cryptographic operations, and GetPublicKey, since
 * whoever fetched an asymmetric key's public key can encrypt or verify with it outside KMS, where
 * neither GetKeyLastUsage nor CloudTrail sees it.
 */
export const USE_OPERATIONS: ReadonlySet<string> = new Set([...CRYPTO_OPERATIONS, 'GetPublicKey'])
