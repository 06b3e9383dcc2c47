import { describe, expect, it } from 'vitest'
import { effectiveKeyUsage, keyClassOf, usagesBySpec } from '../../src/preflight/keySpecs.js'
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

// Written out by hand from kms-facts.md section 4, independently of src/preflight/keySpecs.ts.
const CLASS_OF: Record<string, 'symmetric' | 'hmac' | 'asymmetric'> = {
  SYMMETRIC_DEFAULT: 'symmetric',
  HMAC_224: 'hmac', HMAC_256: 'hmac', HMAC_384: 'hmac', HMAC_512: 'hmac',
  RSA_2048: 'asymmetric', RSA_3072: 'asymmetric', RSA_4096: 'asymmetric',
  ECC_NIST_P256: 'asymmetric', ECC_NIST_P384: 'asymmetric', ECC_NIST_P521: 'asymmetric',
  ECC_NIST_EDWARDS25519: 'asymmetric', ECC_SECG_P256K1: 'asymmetric',
  ML_DSA_44: 'asymmetric', ML_DSA_65: 'asymmetric', ML_DSA_87: 'asymmetric',
  ML_KEM_512: 'asymmetric', ML_KEM_768: 'asymmetric', ML_KEM_1024: 'asymmetric',
  SM2: 'asymmetric',
}
const USAGES: Record<string, string[]> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  HMAC_224: ['GENERATE_VERIFY_MAC'], HMAC_256: ['GENERATE_VERIFY_MAC'], HMAC_384: ['GENERATE_VERIFY_MAC'], HMAC_512: ['GENERATE_VERIFY_MAC'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'], ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'], ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'], ECC_SECG_P256K1: ['SIGN_VERIFY'],
  ML_DSA_44: ['SIGN_VERIFY'], ML_DSA_65: ['SIGN_VERIFY'], ML_DSA_87: ['SIGN_VERIFY'],
  ML_KEM_512: ['ENCAPSULATE_DECAPSULATE'], ML_KEM_768: ['ENCAPSULATE_DECAPSULATE'], ML_KEM_1024: ['ENCAPSULATE_DECAPSULATE'],
  SM2: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
}
const COMBOS = Object.entries(USAGES).flatMap(([spec, usages]) => usages.map((usage) => ({ spec, usage })))
const bare = (spec: string, usage: string) => key({ keySpec: spec, keyUsage: usage, encryptionAlgorithms: [], signingAlgorithms: [], macAlgorithms: [] })

describe('key spec data', () => {
  it('knows exactly the specs and usages of kms-facts.md', () => {
    expect(usagesBySpec).toEqual(USAGES)
  })
  it.each(Object.entries(CLASS_OF))('%s is %s', (spec, cls) => {
    expect(keyClassOf(spec)).toBe(cls)
  })
  it('has no class for an unknown spec', () => {
    expect(keyClassOf('QUANTUM_9000')).toBeUndefined()
    expect(keyClassOf(undefined)).toBeUndefined()
  })
  it.each(Object.entries(USAGES))('infers the usage of %s only when it is the only one', (spec, usages) => {
    expect(effectiveKeyUsage(spec, undefined)).toBe(usages.length === 1 ? usages[0] : undefined)
    expect(effectiveKeyUsage(spec, 'SIGN_VERIFY')).toBe('SIGN_VERIFY')
  })
})

describe('compatibility over every KeySpec/KeyUsage pair', () => {
  const pairs = COMBOS.flatMap((from) => COMBOS.map((to) => [from, to] as const))
  it(`covers all ${COMBOS.length * COMBOS.length} ordered pairs`, () => {
    expect(COMBOS).toHaveLength(28)
    expect(pairs).toHaveLength(784)
  })
  it.each(pairs.map(([f, t]) => [`${f.spec}/${f.usage}`, `${t.spec}/${t.usage}`, f, t]))('%s -> %s', (_a, _b, from, to) => {
    let expected: string[]
    if (CLASS_OF[from.spec] !== CLASS_OF[to.spec]) expected = ['block:KEY_CLASS_MISMATCH']
    else if (from.usage !== to.usage) expected = ['block:KEY_USAGE_MISMATCH']
    else if (from.spec !== to.spec) expected = ['block:KEY_SPEC_MISMATCH']
    else expected = []
    expect(codes(compatibilityFindings(bare(from.spec, from.usage), bare(to.spec, to.usage), strict))).toEqual(expected)
  })
})

describe('compatibility: the cases the issue names', () => {
  const rsaSign = (spec: string, algorithms: string[]) => key({ keySpec: spec, keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: algorithms })
  const RSA_SIGNING = ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512']
  const ecc = (spec: string, alg: string) => key({ keySpec: spec, keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: [alg] })
  const cases: Array<[string, KeyInfo, KeyInfo, typeof strict, string[]]> = [
    ['RSA_4096 to RSA_2048 signing', rsaSign('RSA_4096', RSA_SIGNING), rsaSign('RSA_2048', RSA_SIGNING), strict, ['block:KEY_SPEC_MISMATCH']],
    ['P-256 to P-384 drops ECDSA_SHA_256', ecc('ECC_NIST_P256', 'ECDSA_SHA_256'), ecc('ECC_NIST_P384', 'ECDSA_SHA_384'), strict, ['block:KEY_SPEC_MISMATCH', 'block:ALGORITHMS_DROPPED']],
    ['P-256 to P-384 with --allow-spec-change', ecc('ECC_NIST_P256', 'ECDSA_SHA_256'), ecc('ECC_NIST_P384', 'ECDSA_SHA_384'), { ...strict, allowSpecChange: true }, ['warn:KEY_SPEC_MISMATCH', 'warn:ALGORITHMS_DROPPED']],
    ['RSA to ECC signing', rsaSign('RSA_2048', RSA_SIGNING), ecc('ECC_NIST_P256', 'ECDSA_SHA_256'), strict, ['block:KEY_SPEC_MISMATCH', 'block:ALGORITHMS_DROPPED']],
    ['same spec, fewer algorithms', rsaSign('RSA_2048', RSA_SIGNING), rsaSign('RSA_2048', RSA_SIGNING.slice(0, 3)), strict, ['block:ALGORITHMS_DROPPED']],
    ['same spec, more algorithms', rsaSign('RSA_2048', RSA_SIGNING.slice(0, 3)), rsaSign('RSA_2048', RSA_SIGNING), strict, []],
    ['HMAC_256 to HMAC_512', key({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC', encryptionAlgorithms: [], macAlgorithms: ['HMAC_SHA_256'] }), key({ keySpec: 'HMAC_512', keyUsage: 'GENERATE_VERIFY_MAC', encryptionAlgorithms: [], macAlgorithms: ['HMAC_SHA_512'] }), strict, ['block:KEY_SPEC_MISMATCH', 'block:ALGORITHMS_DROPPED']],
    ['symmetric to RSA encryption', key(), key({ keySpec: 'RSA_2048', encryptionAlgorithms: ['RSAES_OAEP_SHA_256'] }), { allowSpecChange: true, allowDisabled: true }, ['block:KEY_CLASS_MISMATCH']],
    ['RSA encrypt to RSA sign', key({ keySpec: 'RSA_2048' }), rsaSign('RSA_2048', RSA_SIGNING), { ...strict, allowSpecChange: true }, ['block:KEY_USAGE_MISMATCH']],
  ]
  it.each(cases)('%s', (_name, current, target, overrides, expected) => {
    expect(codes(compatibilityFindings(current, target, overrides))).toEqual(expected)
  })

  it('names the dropped algorithms', () => {
    const [finding] = compatibilityFindings(rsaSign('RSA_2048', RSA_SIGNING), rsaSign('RSA_2048', RSA_SIGNING.slice(0, 4)), strict)
    expect(finding?.message).toBe('the new key does not support RSASSA_PKCS1_V1_5_SHA_384, RSASSA_PKCS1_V1_5_SHA_512, which the current key does (pass --allow-spec-change once callers are ready)')
  })

  it('infers a missing KeyUsage where the spec allows only one (moto omits it)', () => {
    const current = key({ keySpec: 'HMAC_256', keyUsage: undefined, encryptionAlgorithms: [] })
    const target = key({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC', encryptionAlgorithms: [] })
    expect(compatibilityFindings(current, target, strict)).toEqual([])
  })

  it('refuses when a missing KeyUsage cannot be inferred', () => {
    const current = rsaSign('RSA_2048', [])
    const target = key({ keyId: 'k-new', keySpec: 'RSA_2048', keyUsage: undefined, encryptionAlgorithms: [] })
    expect(compatibilityFindings(current, target, { allowSpecChange: true, allowDisabled: true })).toEqual([
      { code: 'KEY_USAGE_UNKNOWN', severity: 'block', message: 'KMS did not report the KeyUsage of the new key (k-new) and RSA_2048 allows more than one, so the keys cannot be compared' },
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
