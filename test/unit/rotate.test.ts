// rotate's pure rules and plan. The cases are written from the KMS developer guide
// (rotate-keys-manually.html, rotate-keys.html, multi-region-keys-overview.html; kms-facts.md
// sections 10 and 15), not from the code.
import { describe, expect, it } from 'vitest'
import type { KeyInfo } from '../../src/kms/port.js'
import { defaultKeyPolicy } from '../../src/kms/keyPolicy.js'
import { planRotation, reservedRotateFindings, rotatedDescription, rotateSupportFindings, type AccessSnapshot } from '../../src/preflight/rotate.js'
import { key } from '../helpers/fakeKms.js'

/** Overrides where undefined means "KMS did not report it" (the field is left out). */
type Over = { [K in keyof KeyInfo]?: KeyInfo[K] | undefined }
function keyWith(over: Over): KeyInfo {
  const k: Record<string, unknown> = { ...key(), ...over }
  for (const [name, value] of Object.entries(over)) if (value === undefined) delete k[name]
  return k as unknown as KeyInfo
}
const codes = (k: Over) => rotateSupportFindings(keyWith(k)).map((f) => `${f.severity} ${f.code}`)

describe('rotateSupportFindings', () => {
  it.each<[string, Over, string[]]>([
    ['symmetric, KMS material: rotates in place, so say so', { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' }, ['info ROTATES_IN_PLACE']],
    ['RSA signing', { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }, []],
    ['RSA encryption', { keySpec: 'RSA_4096', keyUsage: 'ENCRYPT_DECRYPT' }, []],
    ['ECC signing', { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }, []],
    ['HMAC, usage not reported (only one possible)', { keySpec: 'HMAC_256', keyUsage: undefined }, []],
    ['AWS managed', { keyManager: 'AWS' }, ['block ROTATE_UNSUPPORTED']],
    ['imported material', { origin: 'EXTERNAL', keySpec: 'SYMMETRIC_DEFAULT' }, ['block ROTATE_UNSUPPORTED']],
    ['CloudHSM key store', { origin: 'AWS_CLOUDHSM' }, ['block ROTATE_UNSUPPORTED']],
    ['external key store', { origin: 'EXTERNAL_KEY_STORE' }, ['block ROTATE_UNSUPPORTED']],
    ['origin not reported', { origin: undefined }, ['block ROTATE_UNSUPPORTED']],
    ['a spec this version does not know', { keySpec: 'FUTURE_SPEC_1' }, ['block ROTATE_UNSUPPORTED']],
    ['RSA with no usage reported (two possible)', { keySpec: 'RSA_2048', keyUsage: undefined }, ['block ROTATE_UNSUPPORTED']],
    ['multi-Region HMAC', { keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC', multiRegion: true }, ['warn REPLICAS_NOT_CREATED']],
    ['multi-Region symmetric', { multiRegion: true }, ['info ROTATES_IN_PLACE', 'warn REPLICAS_NOT_CREATED']],
    ['multi-Region with imported material: refused, no warning on top', { multiRegion: true, origin: 'EXTERNAL' }, ['block ROTATE_UNSUPPORTED']],
  ])('%s', (_name, k, expected) => {
    expect(codes(k)).toEqual(expected)
  })

  it('says what to do instead of a rotate it refuses', () => {
    const [imported] = rotateSupportFindings(key({ keyId: 'k-imp', origin: 'EXTERNAL' }))
    expect(imported?.message).toBe(
      'the key material of k-imp is imported (origin EXTERNAL): its replacement needs material that kms-alias cannot supply; create a key with --origin EXTERNAL, import new material into it, then run kms-alias update with --to that key',
    )
    const [hsm] = rotateSupportFindings(key({ keyId: 'k-hsm', origin: 'AWS_CLOUDHSM' }))
    expect(hsm?.message).toBe('k-hsm is in an AWS CloudHSM key store: create the new key in that key store (aws kms create-key --origin AWS_CLOUDHSM --custom-key-store-id …), then run kms-alias update with --to that key')
  })

  it('REPLICAS_NOT_CREATED names the other Regions of the key (primary and replicas), not its own', () => {
    const mrk = key({
      keyId: 'mrk-1',
      region: 'eu-west-1',
      multiRegion: true,
      keySpec: 'RSA_2048',
      keyUsage: 'SIGN_VERIFY',
      multiRegionConfiguration: {
        keyType: 'REPLICA',
        primary: { arn: 'arn:aws:kms:us-east-1:111122223333:key/mrk-1', region: 'us-east-1' },
        replicas: [
          { arn: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1', region: 'eu-west-1' },
          { arn: 'arn:aws:kms:ap-south-1:111122223333:key/mrk-1', region: 'ap-south-1' },
        ],
      },
    })
    expect(rotateSupportFindings(mrk)).toEqual([
      {
        code: 'REPLICAS_NOT_CREATED',
        severity: 'warn',
        message: 'mrk-1 is a multi-Region key, also in ap-south-1, us-east-1: the new key is made as a multi-Region key in eu-west-1 only, with no replicas; aliases of the same name in those Regions keep pointing to the old key',
      },
    ])
  })

  it('a reserved alias is refused by name, before any call', () => {
    expect(reservedRotateFindings('alias/aws/ebs').map((f) => f.code)).toEqual(['ROTATE_UNSUPPORTED'])
    expect(reservedRotateFindings('alias/app')).toEqual([])
  })
})

const snapshot = (over: Partial<AccessSnapshot> = {}): AccessSnapshot => ({
  policy: { ok: true, value: '{"Version":"2012-10-17","Statement":[]}' },
  grants: { ok: true, value: [{ grantId: 'g1', operations: ['Decrypt'] }] },
  tags: { ok: true, value: { team: 'payments', 'aws:cloudformation:stack-name': 'stack' } },
  ...over,
})
const NOW = new Date('2026-11-29T23:59:00Z')

describe('planRotation', () => {
  it('copies policy, tags (not aws:) and rotation; the planned key is the old one made new; both access snapshots are data', () => {
    const old = key({ keyId: 'old-1', description: 'payments', multiRegion: false })
    const plan = planRotation({ old, access: snapshot({ rotation: { ok: true, value: true } }), copyPolicy: true, copyTags: true, now: NOW })
    expect(plan.request).toEqual({
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      description: 'payments (rotated from old-1 on 2026-11-29)',
      policy: '{"Version":"2012-10-17","Statement":[]}',
      tags: { team: 'payments', 'kms-alias:rotated-from': 'old-1' },
    })
    expect(plan.enableRotation).toBe(true)
    expect(plan.tagsNotCopied).toEqual(['aws:cloudformation:stack-name'])
    expect(plan.planned).toMatchObject({ keyId: '(new key)', keyState: 'Enabled', keyManager: 'CUSTOMER', origin: 'AWS_KMS', region: old.region, accountId: old.accountId })
    expect(plan.plannedAccess).toEqual({
      policy: { ok: true, value: '{"Version":"2012-10-17","Statement":[]}' },
      grants: { ok: true, value: [] },
      tags: { ok: true, value: { team: 'payments', 'kms-alias:rotated-from': 'old-1' } },
      rotation: { ok: true, value: true },
    })
  })

  it('--no-copy-policy and --no-copy-tags: KMS default policy (compared as such), only the rotated-from tag', () => {
    const old = key({ keyId: 'old-2', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', accountId: '444455556666' })
    const plan = planRotation({ old, access: snapshot({ policy: { ok: false, error: 'denied' } }), copyPolicy: false, copyTags: false, description: 'new one', now: NOW })
    expect(plan.request).toEqual({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', description: 'new one', tags: { 'kms-alias:rotated-from': 'old-2' } })
    expect(plan.enableRotation).toBe(false)
    expect(plan.tagsNotCopied).toEqual([])
    expect(plan.plannedAccess.policy).toEqual({ ok: true, value: defaultKeyPolicy('444455556666') })
    expect(plan.plannedAccess.rotation).toBeUndefined()
  })

  it('a multi-Region key is replaced by a multi-Region key', () => {
    const plan = planRotation({ old: key({ multiRegion: true }), access: snapshot(), copyPolicy: true, copyTags: true, now: NOW })
    expect(plan.request.multiRegion).toBe(true)
    expect(plan.planned.multiRegion).toBe(true)
  })

  it('refuses to plan a copy of what was not read (a caller bug, never a silent default)', () => {
    expect(() => planRotation({ old: key(), access: snapshot({ tags: { ok: false, error: 'denied' } }), copyPolicy: true, copyTags: true, now: NOW })).toThrow('the tags to copy were not read')
  })
})

describe('rotatedDescription', () => {
  it.each<[string | undefined, string]>([
    ['payments', 'payments (rotated from k1 on 2026-11-29)'],
    ['', '(rotated from k1 on 2026-11-29)'],
    [undefined, '(rotated from k1 on 2026-11-29)'],
    // A second rotation replaces the note instead of stacking them.
    ['payments (rotated from k0 on 2025-11-29)', 'payments (rotated from k1 on 2026-11-29)'],
  ])('%j', (before, after) => {
    expect(rotatedDescription(before, 'k1', NOW)).toBe(after)
  })
})
