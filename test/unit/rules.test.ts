import { describe, expect, it } from 'vitest'
import { effectiveKeyUsage, keyClassOf, usagesBySpec } from '../../src/kms/facts.js'
import {
  alreadyTargetFindings,
  compatibilityFindings,
  contextFindings,
  targetFindings,
  updatePreflight,
  type Finding,
  type UpdatePreflightInput,
} from '../../src/preflight/rules.js'
import { ACCOUNT, key, REGION } from '../helpers/fakeKms.js'
import type { AliasEntry, KeyInfo } from '../../src/kms/port.js'

const codes = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.code}`)
const strict = { allowSpecChange: false, allowDisabled: false }

// Facts from the AWS KMS documentation, written here by hand and shaped unlike the code's table:
// - the KeyUsage values each KeySpec allows: API Reference, CreateKey, request parameter KeyUsage;
// - the algorithms each spec offers for each usage: Developer Guide, "Supported cryptographic
//   algorithms" (supported-algorithms.html); ML-KEM's encapsulation algorithms are not in the
//   KeyMetadata lists the preflight compares, so its row lists none.
// - the key types UpdateAlias compares (symmetric encryption, HMAC, asymmetric): API Reference,
//   UpdateAlias. See kms-facts.md sections 4 and 5.
type Algorithms = { encryption?: string[]; signing?: string[]; mac?: string[]; keyAgreement?: string[] }
const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']
const RSA_SIGNING = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
]
const ECDH = { keyAgreement: ['ECDH'] }
const DOCUMENTED: Record<string, Record<string, Algorithms>> = {
  SYMMETRIC_DEFAULT: { ENCRYPT_DECRYPT: { encryption: ['SYMMETRIC_DEFAULT'] } },
  HMAC_224: { GENERATE_VERIFY_MAC: { mac: ['HMAC_SHA_224'] } },
  HMAC_256: { GENERATE_VERIFY_MAC: { mac: ['HMAC_SHA_256'] } },
  HMAC_384: { GENERATE_VERIFY_MAC: { mac: ['HMAC_SHA_384'] } },
  HMAC_512: { GENERATE_VERIFY_MAC: { mac: ['HMAC_SHA_512'] } },
  RSA_2048: { ENCRYPT_DECRYPT: { encryption: RSA_ENCRYPTION }, SIGN_VERIFY: { signing: RSA_SIGNING } },
  RSA_3072: { ENCRYPT_DECRYPT: { encryption: RSA_ENCRYPTION }, SIGN_VERIFY: { signing: RSA_SIGNING } },
  RSA_4096: { ENCRYPT_DECRYPT: { encryption: RSA_ENCRYPTION }, SIGN_VERIFY: { signing: RSA_SIGNING } },
  ECC_NIST_P256: { SIGN_VERIFY: { signing: ['ECDSA_SHA_256'] }, KEY_AGREEMENT: ECDH },
  ECC_NIST_P384: { SIGN_VERIFY: { signing: ['ECDSA_SHA_384'] }, KEY_AGREEMENT: ECDH },
  ECC_NIST_P521: { SIGN_VERIFY: { signing: ['ECDSA_SHA_512'] }, KEY_AGREEMENT: ECDH },
  ECC_NIST_EDWARDS25519: { SIGN_VERIFY: { signing: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] } },
  ECC_SECG_P256K1: { SIGN_VERIFY: { signing: ['ECDSA_SHA_256'] } },
  ML_DSA_44: { SIGN_VERIFY: { signing: ['ML_DSA_SHAKE_256'] } },
  ML_DSA_65: { SIGN_VERIFY: { signing: ['ML_DSA_SHAKE_256'] } },
  ML_DSA_87: { SIGN_VERIFY: { signing: ['ML_DSA_SHAKE_256'] } },
  ML_KEM_512: { ENCAPSULATE_DECAPSULATE: {} },
  ML_KEM_768: { ENCAPSULATE_DECAPSULATE: {} },
  ML_KEM_1024: { ENCAPSULATE_DECAPSULATE: {} },
  SM2: { ENCRYPT_DECRYPT: { encryption: ['SM2PKE'] }, SIGN_VERIFY: { signing: ['SM2DSA'] }, KEY_AGREEMENT: ECDH },
}
const SYMMETRIC_SPECS = ['SYMMETRIC_DEFAULT']
const HMAC_SPECS = ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512']

/** A key as DescribeKey reports it for `spec` and `usage`, with the documented algorithm lists (moto leaves KeyUsage out). */
function described(spec: string, usage: string, { reportsUsage = true } = {}): KeyInfo {
  const algorithms = DOCUMENTED[spec]?.[usage]
  if (!algorithms) throw new Error(`${spec} does not allow ${usage} (test data error)`)
  return key({
    keySpec: spec,
    keyUsage: reportsUsage ? usage : undefined,
    encryptionAlgorithms: algorithms.encryption ?? [],
    signingAlgorithms: algorithms.signing ?? [],
    macAlgorithms: algorithms.mac ?? [],
    keyAgreementAlgorithms: algorithms.keyAgreement ?? [],
  })
}

describe('key spec data against the documentation', () => {
  it('allows exactly the documented usages for each spec', () => {
    const documentedUsages = Object.fromEntries(Object.entries(DOCUMENTED).map(([spec, byUsage]) => [spec, Object.keys(byUsage)]))
    expect(usagesBySpec).toEqual(documentedUsages)
  })
  it.each(Object.keys(DOCUMENTED))('%s has the key type UpdateAlias compares', (spec) => {
    const documented = SYMMETRIC_SPECS.includes(spec) ? 'symmetric' : HMAC_SPECS.includes(spec) ? 'hmac' : 'asymmetric'
    expect(keyClassOf(spec)).toBe(documented)
  })
  it('has no class for an unknown spec', () => {
    expect(keyClassOf('QUANTUM_9000')).toBeUndefined()
    expect(keyClassOf(undefined)).toBeUndefined()
  })
  it.each([
    ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
    ['HMAC_384', 'GENERATE_VERIFY_MAC'],
    ['ECC_NIST_EDWARDS25519', 'SIGN_VERIFY'],
    ['ECC_SECG_P256K1', 'SIGN_VERIFY'],
    ['ML_DSA_65', 'SIGN_VERIFY'],
    ['ML_KEM_512', 'ENCAPSULATE_DECAPSULATE'],
    ['RSA_2048', undefined],
    ['ECC_NIST_P384', undefined],
    ['SM2', undefined],
  ])('infers the KeyUsage of %s when KMS leaves it out: %s', (spec, usage) => {
    expect(effectiveKeyUsage(spec, undefined)).toBe(usage)
    expect(effectiveKeyUsage(spec, 'SIGN_VERIFY')).toBe('SIGN_VERIFY')
  })
})

describe('compatibility of documented keys', () => {
  const allSpecUsages = Object.entries(DOCUMENTED).flatMap(([spec, byUsage]) => Object.keys(byUsage).map((usage) => [spec, usage] as const))
  it.each(allSpecUsages)('a %s %s key can replace another of its kind', (spec, usage) => {
    expect(compatibilityFindings(described(spec, usage), described(spec, usage), strict)).toEqual([])
  })

  // Each outcome below is written by hand from what the two keys offer callers.
  type SpecUsage = [spec: string, usage: string]
  const [CLASS, USAGE, SPEC, DROPPED] = ['block:KEY_CLASS_MISMATCH', 'block:KEY_USAGE_MISMATCH', 'block:KEY_SPEC_MISMATCH', 'block:ALGORITHMS_DROPPED']
  const [SPEC_WARN, DROPPED_WARN] = ['warn:KEY_SPEC_MISMATCH', 'warn:ALGORITHMS_DROPPED']
  const pairs: Array<[string, SpecUsage, SpecUsage, string[]]> = [
    ['symmetric to RSA_2048 encryption', ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['RSA_2048', 'ENCRYPT_DECRYPT'], [CLASS]],
    ['symmetric to HMAC_256', ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['HMAC_256', 'GENERATE_VERIFY_MAC'], [CLASS]],
    ['HMAC_256 to RSA_2048 signing', ['HMAC_256', 'GENERATE_VERIFY_MAC'], ['RSA_2048', 'SIGN_VERIFY'], [CLASS]],
    ['SM2 encryption to symmetric', ['SM2', 'ENCRYPT_DECRYPT'], ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], [CLASS]],
    ['RSA_2048 encryption to RSA_2048 signing', ['RSA_2048', 'ENCRYPT_DECRYPT'], ['RSA_2048', 'SIGN_VERIFY'], [USAGE]],
    ['P-256 signing to P-256 key agreement', ['ECC_NIST_P256', 'SIGN_VERIFY'], ['ECC_NIST_P256', 'KEY_AGREEMENT'], [USAGE]],
    ['ML-DSA-44 signing to ML-KEM-512', ['ML_DSA_44', 'SIGN_VERIFY'], ['ML_KEM_512', 'ENCAPSULATE_DECAPSULATE'], [USAGE]],
    ['SM2 key agreement to SM2 signing', ['SM2', 'KEY_AGREEMENT'], ['SM2', 'SIGN_VERIFY'], [USAGE]],
    ['RSA_4096 signing to RSA_2048 signing (same algorithms)', ['RSA_4096', 'SIGN_VERIFY'], ['RSA_2048', 'SIGN_VERIFY'], [SPEC]],
    ['RSA_2048 encryption to RSA_3072 encryption', ['RSA_2048', 'ENCRYPT_DECRYPT'], ['RSA_3072', 'ENCRYPT_DECRYPT'], [SPEC]],
    ['P-256 signing to secp256k1 (both ECDSA_SHA_256)', ['ECC_NIST_P256', 'SIGN_VERIFY'], ['ECC_SECG_P256K1', 'SIGN_VERIFY'], [SPEC]],
    ['ML-DSA-44 to ML-DSA-87', ['ML_DSA_44', 'SIGN_VERIFY'], ['ML_DSA_87', 'SIGN_VERIFY'], [SPEC]],
    ['ML-KEM-768 to ML-KEM-1024', ['ML_KEM_768', 'ENCAPSULATE_DECAPSULATE'], ['ML_KEM_1024', 'ENCAPSULATE_DECAPSULATE'], [SPEC]],
    ['P-256 key agreement to P-521 key agreement (both ECDH)', ['ECC_NIST_P256', 'KEY_AGREEMENT'], ['ECC_NIST_P521', 'KEY_AGREEMENT'], [SPEC]],
    ['P-256 signing to P-384 signing', ['ECC_NIST_P256', 'SIGN_VERIFY'], ['ECC_NIST_P384', 'SIGN_VERIFY'], [SPEC, DROPPED]],
    ['Ed25519 to P-256 signing', ['ECC_NIST_EDWARDS25519', 'SIGN_VERIFY'], ['ECC_NIST_P256', 'SIGN_VERIFY'], [SPEC, DROPPED]],
    ['RSA_2048 signing to P-256 signing', ['RSA_2048', 'SIGN_VERIFY'], ['ECC_NIST_P256', 'SIGN_VERIFY'], [SPEC, DROPPED]],
    ['ML-DSA-65 to P-384 signing', ['ML_DSA_65', 'SIGN_VERIFY'], ['ECC_NIST_P384', 'SIGN_VERIFY'], [SPEC, DROPPED]],
    ['SM2 encryption to RSA_2048 encryption', ['SM2', 'ENCRYPT_DECRYPT'], ['RSA_2048', 'ENCRYPT_DECRYPT'], [SPEC, DROPPED]],
    ['HMAC_512 to HMAC_224', ['HMAC_512', 'GENERATE_VERIFY_MAC'], ['HMAC_224', 'GENERATE_VERIFY_MAC'], [SPEC, DROPPED]],
  ]
  it.each(pairs)('%s', (_name, current, target, expected) => {
    expect(codes(compatibilityFindings(described(...current), described(...target), strict))).toEqual(expected)
  })

  it.each([
    ['P-256 to P-384 signing', ['ECC_NIST_P256', 'SIGN_VERIFY'], ['ECC_NIST_P384', 'SIGN_VERIFY'], [SPEC_WARN, DROPPED_WARN]],
    ['RSA_3072 to RSA_4096 encryption', ['RSA_3072', 'ENCRYPT_DECRYPT'], ['RSA_4096', 'ENCRYPT_DECRYPT'], [SPEC_WARN]],
    ['symmetric to HMAC_256 stays refused', ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['HMAC_256', 'GENERATE_VERIFY_MAC'], [CLASS]],
  ] satisfies Array<[string, SpecUsage, SpecUsage, string[]]>)('with --allow-spec-change: %s', (_name, current, target, expected) => {
    const overrides = { allowSpecChange: true, allowDisabled: false }
    expect(codes(compatibilityFindings(described(...current), described(...target), overrides))).toEqual(expected)
  })

  it.each([
    ['ECC_NIST_EDWARDS25519 without KeyUsage (only SIGN_VERIFY exists)', 'ECC_NIST_EDWARDS25519', []],
    ['ECC_NIST_P256 without KeyUsage (SIGN_VERIFY or KEY_AGREEMENT)', 'ECC_NIST_P256', ['block:KEY_USAGE_UNKNOWN']],
  ] as const)('a current key reported %s', (_name, spec, expected) => {
    const current = described(spec, 'SIGN_VERIFY', { reportsUsage: false })
    expect(codes(compatibilityFindings(current, described(spec, 'SIGN_VERIFY'), strict))).toEqual(expected)
  })
})

describe('compatibility: algorithm lists of one spec', () => {
  const rsaSign = (algorithms: string[]) => ({ ...described('RSA_2048', 'SIGN_VERIFY'), signingAlgorithms: algorithms })
  it.each([
    ['fewer algorithms', RSA_SIGNING, RSA_SIGNING.slice(0, 3), ['block:ALGORITHMS_DROPPED']],
    ['more algorithms', RSA_SIGNING.slice(0, 3), RSA_SIGNING, []],
  ])('same spec, %s', (_name, from, to, expected) => {
    expect(codes(compatibilityFindings(rsaSign(from), rsaSign(to), strict))).toEqual(expected)
  })

  it('names the dropped algorithms', () => {
    const [finding] = compatibilityFindings(rsaSign(RSA_SIGNING), rsaSign(RSA_SIGNING.slice(0, 4)), strict)
    expect(finding?.message).toBe(
      'the new key does not support RSASSA_PKCS1_V1_5_SHA_384, RSASSA_PKCS1_V1_5_SHA_512, which the current key does (pass --allow-spec-change once callers are ready)',
    )
  })

  it('refuses when the new key has no KeyUsage and its spec allows more than one', () => {
    const target = { ...described('RSA_2048', 'SIGN_VERIFY', { reportsUsage: false }), keyId: 'k-new' }
    expect(compatibilityFindings(described('RSA_2048', 'SIGN_VERIFY'), target, { allowSpecChange: true, allowDisabled: true })).toEqual([
      {
        code: 'KEY_USAGE_UNKNOWN',
        severity: 'block',
        message: 'KMS did not report the KeyUsage of the new key (k-new) and RSA_2048 allows more than one, so the keys cannot be compared',
      },
    ])
  })
})

describe('target rules', () => {
  const here = { region: REGION, account: ACCOUNT }
  const at = (k: KeyInfo, typed: { typedRegion?: string; typedAccount?: string } = {}) => ({ region: k.region, account: k.accountId, ...typed })
  const rows: Array<[string, KeyInfo, { typedRegion?: string; typedAccount?: string }, boolean, string[]]> = [
    ['Enabled', key(), {}, false, []],
    ['Disabled', key({ keyState: 'Disabled' }), {}, false, ['block:TARGET_NOT_ENABLED']],
    ['Disabled with --allow-disabled', key({ keyState: 'Disabled' }), {}, true, ['warn:TARGET_NOT_ENABLED']],
    ['PendingImport', key({ keyState: 'PendingImport' }), {}, false, ['block:TARGET_NOT_ENABLED']],
    ['Unavailable', key({ keyState: 'Unavailable' }), {}, false, ['block:TARGET_NOT_ENABLED']],
    ['Creating', key({ keyState: 'Creating' }), {}, false, ['block:TARGET_NOT_ENABLED']],
    ['Updating', key({ keyState: 'Updating' }), {}, false, ['block:TARGET_NOT_ENABLED']],
    ['PendingDeletion, even with --allow-disabled', key({ keyState: 'PendingDeletion' }), {}, true, ['block:TARGET_PENDING_DELETION']],
    ['PendingReplicaDeletion', key({ keyState: 'PendingReplicaDeletion' }), {}, true, ['block:TARGET_PENDING_DELETION']],
    ['AWS managed', key({ keyManager: 'AWS' }), {}, false, ['block:TARGET_AWS_MANAGED']],
    ['described in another Region', key({ region: 'eu-west-1' }), {}, false, ['block:TARGET_OTHER_REGION']],
    ['typed ARN names another Region', key(), { typedRegion: 'eu-west-1' }, false, ['block:TARGET_OTHER_REGION']],
    ['described in another account', key({ accountId: '999988887777' }), {}, false, ['block:TARGET_OTHER_ACCOUNT']],
    ['typed ARN names another account', key(), { typedAccount: '999988887777' }, false, ['block:TARGET_OTHER_ACCOUNT']],
  ]
  it.each(rows)('%s', (_name, target, typed, allowDisabled, expected) => {
    expect(codes(targetFindings(target, at(target, typed), here, { allowDisabled }))).toEqual(expected)
  })
})

describe('context warnings', () => {
  const aliases = (n: number, keyId: string): AliasEntry[] => Array.from({ length: n }, (_, i) => ({ name: `alias/a${i}`, targetKeyId: keyId }))
  const base = () => {
    const current = key()
    const target = key()
    return { aliasName: 'alias/app', current, target, aliasesOnCurrent: [{ name: 'alias/app' }, { name: 'alias/other' }], aliasesOnTarget: [] as AliasEntry[] }
  }
  it('says nothing for a like-for-like key that keeps another alias', () => {
    expect(contextFindings(base())).toEqual([])
  })
  it('warns when multi-Region, origin or expiry differ', () => {
    const input = base()
    input.target = key({ multiRegion: true, origin: 'EXTERNAL', validTo: new Date('2027-01-01T00:00:00Z') })
    expect(codes(contextFindings(input))).toEqual(['warn:MULTI_REGION_DIFFERS', 'warn:ORIGIN_DIFFERS', 'warn:KEY_MATERIAL_EXPIRES'])
    expect(contextFindings(input)[2]?.message).toBe("the new key's imported key material expires at 2027-01-01T00:00:00.000Z")
  })
  it('warns when the alias is the last one on the old key', () => {
    const input = { ...base(), aliasesOnCurrent: [{ name: 'alias/app' }] }
    expect(codes(contextFindings(input))).toEqual(['warn:PREVIOUS_KEY_ORPHANED'])
  })
  it.each([[44, []], [45, ['warn:ALIAS_QUOTA_NEAR']], [50, ['warn:ALIAS_QUOTA_NEAR']]] as const)('new key with %i aliases', (n, expected) => {
    const input = base()
    expect(codes(contextFindings({ ...input, aliasesOnTarget: aliases(n, input.target.keyId) }))).toEqual(expected)
  })
})

describe('updatePreflight', () => {
  const input = (overrides: Partial<UpdatePreflightInput> = {}): UpdatePreflightInput => {
    const current = key()
    const target = key()
    return {
      aliasName: 'alias/app',
      current,
      target,
      targetLocation: { region: target.region, account: target.accountId },
      aliasesOnCurrent: [{ name: 'alias/app' }, { name: 'alias/keep' }],
      aliasesOnTarget: [],
      overrides: strict,
      ...overrides,
    }
  }
  it('finds nothing for a safe change', () => {
    expect(updatePreflight(input())).toEqual([])
  })
  it('refuses any alias under alias/aws/ and nothing else', () => {
    expect(updatePreflight(input({ aliasName: 'alias/aws/custom', target: key({ keyState: 'Disabled' }) }))).toEqual([
      { code: 'RESERVED_ALIAS', severity: 'block', message: 'alias/aws/custom is under alias/aws/, which is reserved for AWS managed keys' },
    ])
  })
  it('reports ALREADY_TARGET alone when the alias already points there', () => {
    const same = key({ keyState: 'Disabled' })
    expect(codes(updatePreflight(input({ current: same, target: same })))).toEqual(['info:ALREADY_TARGET'])
  })
  it('ALREADY_TARGET is the same rule for create (alreadyTargetFindings)', () => {
    expect(alreadyTargetFindings('alias/app', 'k1', 'k1')).toEqual([{ code: 'ALREADY_TARGET', severity: 'info', message: 'alias/app already points to k1' }])
    expect(alreadyTargetFindings('alias/app', 'k1', 'k2')).toEqual([])
    expect(alreadyTargetFindings('alias/app', undefined, 'k2')).toEqual([])
  })
  it('refuses an alias ARN that names another account', () => {
    expect(codes(updatePreflight(input({ expectedAccount: '999988887777' })))).toEqual(['block:ALIAS_OTHER_ACCOUNT'])
  })
  it('puts target, compatibility and context findings together', () => {
    const target = key({ keyState: 'Disabled', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [] })
    expect(codes(updatePreflight(input({ target, aliasesOnCurrent: [{ name: 'alias/app' }] })))).toEqual([
      'block:TARGET_NOT_ENABLED',
      'block:KEY_CLASS_MISMATCH',
      'warn:PREVIOUS_KEY_ORPHANED',
    ])
  })
})
