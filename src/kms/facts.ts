// Facts about KMS itself (kms-facts.md): quotas and what each key spec allows. The in-memory KMS
// and the preflight rules both read them here, so the two cannot disagree.

/** Aliases one key may have: KMS's default quota (kms-facts.md, quotas). */
export const ALIASES_PER_KEY_QUOTA = 50

export type KeyClass = 'symmetric' | 'asymmetric' | 'hmac'

/** KeyUsage values CreateKey allows for each KeySpec (kms-facts.md section 4). */
export const usagesBySpec: Readonly<Record<string, readonly string[]>> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  ML_DSA_44: ['SIGN_VERIFY'],
  ML_DSA_65: ['SIGN_VERIFY'],
  ML_DSA_87: ['SIGN_VERIFY'],
  ML_KEM_512: ['ENCAPSULATE_DECAPSULATE'],
  ML_KEM_768: ['ENCAPSULATE_DECAPSULATE'],
  ML_KEM_1024: ['ENCAPSULATE_DECAPSULATE'],
  SM2: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
}

/** The class UpdateAlias itself compares; undefined for a spec this version does not know. */
export function keyClassOf(keySpec: string | undefined): KeyClass | undefined {
  if (keySpec === undefined) return undefined
  if (keySpec === 'SYMMETRIC_DEFAULT') return 'symmetric'
  if (keySpec.startsWith('HMAC_')) return 'hmac'
  return keySpec in usagesBySpec ? 'asymmetric' : undefined
}

/** KeyUsage as reported, or inferred from the spec when only one usage is possible. */
export function effectiveKeyUsage(keySpec: string | undefined, keyUsage: string | undefined): string | undefined {
  if (keyUsage) return keyUsage
  const possible = keySpec === undefined ? undefined : usagesBySpec[keySpec]
  return possible?.length === 1 ? possible[0] : undefined
}
