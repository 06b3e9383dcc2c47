// The audit's rules (issue 23), table-driven on partitions written by hand: every code, and each
// boundary (--within days, days left before deletion, alias/aws/* never skew, a replica Region not
// read named as such). Key states and the replica set are the KMS developer guide's (key-state.html,
// multi-region-keys-overview.html), not read from the code.
import { describe, expect, it } from 'vitest'
import {
  accountSkewFindings,
  auditFindings,
  failsOn,
  keyStateFindings,
  keyWithoutAliasFindings,
  partitionFindings,
  regionSkewFindings,
  replicaFindings,
  type AuditKey,
  type AuditLevel,
  type FailOn,
  type PartitionFacts,
} from '../../src/preflight/audit.js'

const NOW = new Date('2026-12-01T00:00:00Z')
const DAY = 86_400_000
const A1 = '111122223333'
const A2 = '444455556666'
const MRK = 'mrk-1234abcd12ab34cd56ef1234567890ab'
const at = { account: A1, region: 'us-east-1' }
const options = { now: NOW, withinDays: 30 }

function auditKey(overrides: Partial<AuditKey> = {}): AuditKey {
  return {
    keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    keyState: 'Enabled',
    keyManager: 'CUSTOMER',
    validTo: null,
    deletionDate: null,
    multiRegion: false,
    regions: ['us-east-1'],
    ...overrides,
  }
}

function partition(
  region: string,
  aliases: Record<string, AuditKey | string>,
  account: string | null = A1,
  extra: Partial<PartitionFacts> = {},
): PartitionFacts {
  const facts: PartitionFacts = { account, region, aliases: new Map(), keys: new Map(), ...extra }
  for (const [name, target] of Object.entries(aliases)) {
    const keyId = typeof target === 'string' ? target : target.keyId
    facts.aliases.set(name, keyId)
    if (typeof target !== 'string') facts.keys.set(keyId, target)
  }
  return facts
}

const codes = (findings: { code: string; region: string; alias: string | null }[]) => findings.map((f) => `${f.code} ${f.region} ${f.alias ?? '-'}`)

describe('keyStateFindings', () => {
  it.each([
    ['Enabled', {}, []],
    ['Disabled', { keyState: 'Disabled' }, ['ALIAS_ON_DISABLED_KEY']],
    ['PendingDeletion', { keyState: 'PendingDeletion', deletionDate: new Date(NOW.getTime() + 7 * DAY) }, ['ALIAS_ON_PENDING_DELETION']],
    ['PendingImport', { keyState: 'PendingImport' }, ['ALIAS_ON_UNUSABLE_KEY']],
    ['Unavailable (custom key store disconnected)', { keyState: 'Unavailable' }, ['ALIAS_ON_UNUSABLE_KEY']],
    ['PendingReplicaDeletion', { keyState: 'PendingReplicaDeletion' }, ['ALIAS_ON_UNUSABLE_KEY']],
    ['Updating', { keyState: 'Updating' }, ['ALIAS_ON_UNUSABLE_KEY']],
    ['Creating is not in the table', { keyState: 'Creating' }, []],
  ] as const)('%s', (_, overrides, expected) => {
    const findings = keyStateFindings('alias/app', auditKey(overrides as Partial<AuditKey>), at, options)
    expect(findings.map((f) => f.code)).toEqual(expected)
    for (const f of findings) expect(f.level).toBe('error')
  })

  it.each([
    // Whole days left, rounded up: a deletion a day and a second away has 2 days left.
    [7 * DAY, 7, 'on 2026-12-08T00:00:00.000Z (7 days left)'],
    [DAY + 1000, 2, '(2 days left)'],
    [DAY, 1, '(1 day left)'],
    [1000, 1, '(1 day left)'],
  ])('pending deletion in %i ms: %i days left', (inMs, daysLeft, text) => {
    const deletionDate = new Date(NOW.getTime() + inMs)
    const [finding] = keyStateFindings('alias/app', auditKey({ keyState: 'PendingDeletion', deletionDate }), at, options)
    expect(finding).toMatchObject({ daysLeft, deletionDate: deletionDate.toISOString() })
    expect(finding?.message).toContain(text)
  })

  // Failed before the fix: a date already past gave "(0 days left)" or "(-2 days left)".
  it.each([
    ['just now', 0, 0],
    ['two days ago', -2 * DAY, -2],
  ])('pending deletion whose date has passed (%s): says so, no days left', (_, inMs, daysLeft) => {
    const deletionDate = new Date(NOW.getTime() + inMs)
    const [finding] = keyStateFindings('alias/app', auditKey({ keyState: 'PendingDeletion', deletionDate }), at, options)
    expect(finding).toMatchObject({ daysLeft, deletionDate: deletionDate.toISOString() })
    expect(finding?.message).toBe(
      `alias/app points to 1234abcd-12ab-34cd-56ef-1234567890ab, scheduled for deletion on ${deletionDate.toISOString()}: the deletion date has passed, and KMS deletes it within a day: every call through alias/app fails from then on`,
    )
  })

  it('pending deletion without a DeletionDate says so, not a guess', () => {
    const [finding] = keyStateFindings('alias/app', auditKey({ keyState: 'PendingDeletion' }), at, options)
    expect(finding).toMatchObject({ daysLeft: null, deletionDate: null })
    expect(finding?.message).toContain('on a date DescribeKey did not give')
  })

  it.each([
    ['expired yesterday', -DAY, 30, 'expired on'],
    ['expires now', 0, 30, 'expired on'],
    ['expires in exactly --within days', 30 * DAY, 30, 'expires on'],
    ['expires a second after --within days', 30 * DAY + 1000, 30, null],
    ['--within 0: only what has expired', DAY, 0, null],
    ['--within 90', 60 * DAY, 90, 'expires on'],
  ])('imported material: %s', (_, inMs, withinDays, text) => {
    const validTo = new Date(NOW.getTime() + inMs)
    const findings = keyStateFindings('alias/app', auditKey({ validTo }), at, { now: NOW, withinDays })
    if (text === null) expect(findings).toEqual([])
    else {
      expect(findings.map((f) => f.code)).toEqual(['ALIAS_ON_UNUSABLE_KEY'])
      expect(findings[0]?.message).toContain(text)
      expect(findings[0]?.validTo).toBe(validTo.toISOString())
    }
  })
})

describe('partitionFindings', () => {
  it('PARTITION_UNREADABLE is an error of its own, with nothing else from that partition', () => {
    const p = partition('eu-west-1', {}, A1, { unreadable: 'AccessDeniedException: not authorized' })
    expect(partitionFindings(p, options)).toEqual([
      {
        code: 'PARTITION_UNREADABLE',
        level: 'error',
        account: A1,
        region: 'eu-west-1',
        alias: null,
        keyId: null,
        message: 'eu-west-1 in account 111122223333 could not be read: AccessDeniedException: not authorized',
      },
    ])
  })

  it('KEY_UNREADABLE once per key, naming each alias on it; alias/aws/* targets are not judged', () => {
    const p = partition('us-east-1', { 'alias/a': 'k-hidden', 'alias/b': 'k-hidden', 'alias/aws/ebs': 'k-managed' })
    p.keys.set('k-hidden', { keyId: 'k-hidden', unreadable: 'access denied' })
    const findings = partitionFindings(p, options)
    expect(codes(findings)).toEqual(['KEY_UNREADABLE us-east-1 alias/a'])
    expect(findings[0]?.message).toBe('k-hidden (named by alias/a, alias/b) could not be described: access denied; its aliases were not checked')
  })
})

describe('partitionFindings with many unreadable keys', () => {
  // Failed before the fix: each unreadable key scanned every alias again (n + 1 passes over the
  // aliases, quadratic: 25 s for 16,000 aliases); now one pass, whatever the number of such keys.
  it('one pass over the aliases, however many keys are unreadable', () => {
    let passes = 0
    class CountingMap<K, V> extends Map<K, V> {
      override [Symbol.iterator]() {
        passes += 1
        return super[Symbol.iterator]()
      }
      override entries() {
        passes += 1
        return super.entries()
      }
    }
    const p = partition('us-east-1', {})
    p.aliases = new CountingMap()
    for (let i = 0; i < 2000; i++) {
      p.aliases.set(`alias/a${i}`, `k${i % 1000}`)
      p.keys.set(`k${i % 1000}`, { keyId: `k${i % 1000}`, unreadable: 'throttled' })
    }
    const findings = partitionFindings(p, options)
    expect(findings).toHaveLength(1000)
    expect(findings[999]?.message).toBe('k999 (named by alias/a999, alias/a1999) could not be described: throttled; its aliases were not checked')
    expect(passes).toBe(1)
  })
})

describe('keyWithoutAliasFindings (--keys)', () => {
  it.each([
    ['an enabled customer managed key no alias names', {}, false, ['KEY_WITHOUT_ALIAS']],
    ['named by an alias', {}, true, []],
    ['disabled', { keyState: 'Disabled' }, false, []],
    ['pending deletion', { keyState: 'PendingDeletion' }, false, []],
    ['AWS managed', { keyManager: 'AWS' }, false, []],
  ] as const)('%s', (_, overrides, named, expected) => {
    const lone = auditKey({ keyId: 'k-lone', ...(overrides as Partial<AuditKey>) })
    const p = partition('us-east-1', named ? { 'alias/x': lone } : {}, A1, { allKeys: ['k-lone'] })
    p.keys.set('k-lone', lone)
    expect(keyWithoutAliasFindings(p).map((f) => `${f.code} ${f.level}`)).toEqual(expected.map((c) => `${c} info`))
  })

  it('only with --keys (allKeys read)', () => {
    const p = partition('us-east-1', {})
    p.keys.set('k-lone', auditKey({ keyId: 'k-lone' }))
    expect(partitionFindings(p, options)).toEqual([])
  })
})

describe('replicaFindings', () => {
  const mrk = (regions: string[]) => auditKey({ keyId: MRK, multiRegion: true, regions })

  it('the alias in the primary Region, missing in a replica Region that was read', () => {
    const key = mrk(['eu-west-1', 'us-east-1'])
    const findings = replicaFindings([partition('us-east-1', { 'alias/pay': key }), partition('eu-west-1', {})])
    expect(findings).toEqual([
      {
        code: 'ALIAS_MISSING_IN_REPLICA_REGION',
        level: 'warn',
        account: A1,
        region: 'eu-west-1',
        alias: 'alias/pay',
        keyId: MRK,
        message: `alias/pay points to ${MRK} in us-east-1, but eu-west-1 holds a replica of that key and has no alias/pay`,
        presentIn: ['us-east-1'],
        notRead: [],
      },
    ])
  })

  it('present in every Region of the replica set: nothing', () => {
    const key = mrk(['eu-west-1', 'us-east-1'])
    expect(replicaFindings([partition('us-east-1', { 'alias/pay': key }), partition('eu-west-1', { 'alias/pay': key })])).toEqual([])
  })

  it('a replica Region outside --regions is named as not read, not guessed', () => {
    const key = mrk(['ap-southeast-2', 'eu-west-1', 'us-east-1'])
    const findings = replicaFindings([partition('us-east-1', { 'alias/pay': key }), partition('eu-west-1', {})])
    expect(codes(findings)).toEqual(['ALIAS_MISSING_IN_REPLICA_REGION eu-west-1 alias/pay'])
    expect(findings[0]?.notRead).toEqual(['ap-southeast-2'])
    expect(findings[0]?.message).toContain('; not read, so not checked: ap-southeast-2')
  })

  it('only unread replica Regions left: REPLICA_REGION_NOT_READ (info), once per alias', () => {
    const key = mrk(['ap-southeast-2', 'eu-west-1', 'us-east-1'])
    const findings = replicaFindings([partition('us-east-1', { 'alias/pay': key }), partition('eu-west-1', { 'alias/pay': key })])
    expect(findings.map((f) => [f.code, f.level, f.region, f.notRead])).toEqual([['REPLICA_REGION_NOT_READ', 'info', 'eu-west-1', ['ap-southeast-2']]])
  })

  it('an unreadable replica Region is not read either (its own PARTITION_UNREADABLE says why)', () => {
    const key = mrk(['eu-west-1', 'us-east-1'])
    const findings = replicaFindings([partition('us-east-1', { 'alias/pay': key }), partition('eu-west-1', {}, A1, { unreadable: 'denied' })])
    expect(findings.map((f) => [f.code, f.notRead])).toEqual([['REPLICA_REGION_NOT_READ', ['eu-west-1']]])
  })

  it('the same Region in another account is not the replica', () => {
    const key = mrk(['eu-west-1', 'us-east-1'])
    const findings = replicaFindings([partition('us-east-1', { 'alias/pay': key }, A1), partition('eu-west-1', {}, A2)])
    expect(findings.map((f) => f.code)).toEqual(['REPLICA_REGION_NOT_READ'])
  })

  it('single-Region keys have no replica set', () => {
    expect(replicaFindings([partition('us-east-1', { 'alias/pay': auditKey() }), partition('eu-west-1', {})])).toEqual([])
  })
})

describe('regionSkewFindings', () => {
  const sym = (keyId: string, region: string) => auditKey({ keyId, regions: [region] })

  it.each([
    ['different keys in two Regions', { 'us-east-1': sym('k1', 'us-east-1'), 'eu-west-1': sym('k2', 'eu-west-1') }, 2],
    ['the replicas of one multi-Region key', { 'us-east-1': auditKey({ keyId: MRK, multiRegion: true }), 'eu-west-1': auditKey({ keyId: MRK, multiRegion: true }) }, 0],
    ['a different KeyUsage', { 'us-east-1': sym('k1', 'us-east-1'), 'eu-west-1': auditKey({ keyId: 'k2', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }) }, 2],
    ['in one Region only', { 'us-east-1': sym('k1', 'us-east-1') }, 0],
  ])('%s', (_, byRegion, count) => {
    const partitions = Object.entries(byRegion).map(([region, key]) => partition(region, { 'alias/app': key }))
    const findings = regionSkewFindings(partitions)
    expect(findings).toHaveLength(count)
    for (const f of findings) expect(f).toMatchObject({ code: 'ALIAS_REGION_SKEW', level: 'warn', alias: 'alias/app' })
  })

  it('names every Region and key in each finding', () => {
    const findings = regionSkewFindings([partition('us-east-1', { 'alias/app': sym('k1', 'us-east-1') }), partition('eu-west-1', { 'alias/app': sym('k2', 'eu-west-1') })])
    expect(findings.map((f) => [f.region, f.keyId, f.message])).toEqual([
      ['us-east-1', 'k1', 'alias/app resolves to different keys in different Regions: us-east-1 k1 (SYMMETRIC_DEFAULT ENCRYPT_DECRYPT), eu-west-1 k2 (SYMMETRIC_DEFAULT ENCRYPT_DECRYPT)'],
      ['eu-west-1', 'k2', 'alias/app resolves to different keys in different Regions: us-east-1 k1 (SYMMETRIC_DEFAULT ENCRYPT_DECRYPT), eu-west-1 k2 (SYMMETRIC_DEFAULT ENCRYPT_DECRYPT)'],
    ])
  })

  it('alias/aws/* is AWS managed: never skew, whatever its keys', () => {
    expect(regionSkewFindings([partition('us-east-1', { 'alias/aws/ebs': 'k1' }), partition('eu-west-1', { 'alias/aws/ebs': 'k2' })])).toEqual([])
  })

  it('Regions of different accounts are not compared for Region skew', () => {
    expect(regionSkewFindings([partition('us-east-1', { 'alias/app': 'k1' }, A1), partition('eu-west-1', { 'alias/app': 'k2' }, A2)])).toEqual([])
  })
})

describe('accountSkewFindings', () => {
  it.each([
    ['same spec and usage in both accounts (key IDs always differ)', auditKey({ keyId: 'k2' }), 0],
    ['another KeySpec', auditKey({ keyId: 'k2', keySpec: 'RSA_2048' }), 2],
    ['another KeyUsage', auditKey({ keyId: 'k2', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }), 2],
  ])('%s', (_, other, count) => {
    const findings = accountSkewFindings([partition('us-east-1', { 'alias/app': auditKey({ keyId: 'k1' }) }, A1), partition('us-east-1', { 'alias/app': other }, A2)])
    expect(findings.map((f) => [f.code, f.account])).toEqual(count === 0 ? [] : [['ALIAS_ACCOUNT_SKEW', A1], ['ALIAS_ACCOUNT_SKEW', A2]])
  })

  it('one account: never account skew', () => {
    expect(accountSkewFindings([partition('us-east-1', { 'alias/app': auditKey({ keyId: 'k1' }) }), partition('eu-west-1', { 'alias/app': auditKey({ keyId: 'k2', keySpec: 'RSA_2048' }) })])).toEqual([])
  })

  // Failed before the fix: all places of all accounts were compared together, so A1 and A2, which
  // agree, were reported beside A3 (3 findings), and A1's own Region skew counted as account skew.
  const A3 = '777788889999'
  const sym = (keyId: string) => auditKey({ keyId })
  const rsa = (keyId: string) => auditKey({ keyId, keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' })
  it.each([
    ['two accounts agree, a third differs: only the third', [[A1, 'us-east-1', sym('k1')], [A2, 'us-east-1', sym('k2')], [A3, 'us-east-1', rsa('k3')]], [A3]],
    ['the odd account in two Regions: both its places', [[A1, 'us-east-1', sym('k1')], [A2, 'us-east-1', sym('k2')], [A3, 'us-east-1', rsa('k3')], [A3, 'eu-west-1', rsa('k4')]], [A3, A3]],
    ['two accounts, two kinds, no majority: both', [[A1, 'us-east-1', sym('k1')], [A2, 'us-east-1', rsa('k2')]], [A1, A2]],
    ['a difference inside one account is Region skew, not account skew', [[A1, 'us-east-1', sym('k1')], [A1, 'eu-west-1', rsa('k2')], [A2, 'us-east-1', sym('k3')]], []],
    ['same kind in every account, several Regions each', [[A1, 'us-east-1', sym('k1')], [A1, 'eu-west-1', sym('k2')], [A2, 'us-east-1', sym('k3')]], []],
  ] as const)('accounts are compared, not places: %s', (_, places, reported) => {
    const findings = accountSkewFindings(places.map(([account, region, key]) => partition(region, { 'alias/app': key }, account)))
    expect(findings.map((f) => f.account)).toEqual(reported)
  })

  it('the message names each kind with its accounts', () => {
    const [finding] = accountSkewFindings([partition('us-east-1', { 'alias/app': sym('k1') }, A1), partition('us-east-1', { 'alias/app': sym('k2') }, A2), partition('us-east-1', { 'alias/app': rsa('k3') }, A3)])
    expect(finding).toMatchObject({
      code: 'ALIAS_ACCOUNT_SKEW',
      level: 'warn',
      account: A3,
      region: 'us-east-1',
      alias: 'alias/app',
      keyId: 'k3',
      message: `alias/app resolves to keys of different KeySpec or KeyUsage in different accounts: ${A1}, ${A2} (SYMMETRIC_DEFAULT ENCRYPT_DECRYPT); ${A3} (RSA_2048 SIGN_VERIFY)`,
    })
  })

  it('alias/aws/* never', () => {
    const findings = accountSkewFindings([
      partition('us-east-1', { 'alias/aws/ebs': auditKey({ keyId: 'k1' }) }, A1),
      partition('us-east-1', { 'alias/aws/ebs': auditKey({ keyId: 'k2', keySpec: 'RSA_2048' }) }, A2),
    ])
    expect(findings).toEqual([])
  })
})

describe('auditFindings', () => {
  it('errors first, then warnings, then info; by code, account, Region, alias', () => {
    const findings = auditFindings(
      [
        partition('us-east-1', { 'alias/b': auditKey({ keyId: 'k1', keyState: 'Disabled' }), 'alias/a': auditKey({ keyId: 'k2', keyState: 'Disabled' }) }),
        partition('eu-west-1', { 'alias/a': auditKey({ keyId: 'k3' }) }),
        partition('ap-south-1', {}, A1, { unreadable: 'denied' }),
      ],
      options,
    )
    expect(codes(findings)).toEqual([
      'ALIAS_ON_DISABLED_KEY us-east-1 alias/a',
      'ALIAS_ON_DISABLED_KEY us-east-1 alias/b',
      'PARTITION_UNREADABLE ap-south-1 -',
      'ALIAS_REGION_SKEW eu-west-1 alias/a',
      'ALIAS_REGION_SKEW us-east-1 alias/a',
    ])
  })
})

describe('failsOn', () => {
  it.each([
    ['error', 'error', true],
    ['warn', 'error', false],
    ['info', 'error', false],
    ['error', 'warn', true],
    ['warn', 'warn', true],
    ['info', 'warn', false],
    ['error', 'never', false],
  ] as const)('a %s finding under --fail-on %s fails: %s', (level: AuditLevel, failOn: FailOn, fails) => {
    expect(failsOn(level, failOn)).toBe(fails)
  })
})
