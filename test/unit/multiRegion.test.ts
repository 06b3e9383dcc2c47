// The replica-set rules run on stubbed DescribeKey answers: moto's multi-Region keys are flawed
// (a replica shares the primary's aliases, and the primary reports itself as REPLICA once a replica
// was described), so the emulator cannot stand in for KMS here.
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { parseKeyRef } from '../../src/kms/identifiers.js'
import type { KeyInfo } from '../../src/kms/port.js'
import { keyRegions, regionNotCoveredFindings, replicaRegionsFindings, resolvePerRegion } from '../../src/preflight/multiRegion.js'
import { key } from '../helpers/fakeKms.js'

const MRK_OLD = 'mrk-11111111111111111111111111111111'
const MRK_NEW = 'mrk-22222222222222222222222222222222'
const SINGLE = '1234abcd-12ab-34cd-56ef-1234567890ab'
const ACCOUNT = '111122223333'
const arnOf = (region: string, keyId: string) => `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`

/** A multi-Region key as DescribeKey reports it in `region`: primary first, then replicas. */
function mrk(keyId: string, region: string, primary: string, replicas: string[]): KeyInfo {
  return key({
    keyId,
    region,
    arn: arnOf(region, keyId),
    multiRegion: true,
    multiRegionConfiguration: {
      keyType: region === primary ? 'PRIMARY' : 'REPLICA',
      primary: { arn: arnOf(primary, keyId), region: primary },
      replicas: replicas.map((r) => ({ arn: arnOf(r, keyId), region: r })),
    },
  })
}

describe('resolvePerRegion (pure, for --to and --expect-current over several Regions)', () => {
  const regions = ['us-east-1', 'eu-west-1']
  it.each([
    ['an alias name resolves in each Region', 'alias/payments-next', [{ region: 'us-east-1', keyRef: 'alias/payments-next' }, { region: 'eu-west-1', keyRef: 'alias/payments-next' }]],
    ['an mrk- ID names each Region\'s replica', MRK_NEW, [{ region: 'us-east-1', keyRef: MRK_NEW }, { region: 'eu-west-1', keyRef: MRK_NEW }]],
  ])('%s', (_, input, expected) => {
    expect(resolvePerRegion(parseKeyRef(input, '--to'), regions, '--to')).toEqual(expected)
  })

  it.each([
    ['a single-Region key ID', SINGLE, `--to ${SINGLE} is a single-Region key, which exists in one Region only; it cannot name a key in 2 Regions`, 'give an mrk- multi-Region key ID or an alias/<name> that exists in every Region'],
    ['a key ARN', arnOf('us-east-1', SINGLE), `--to ${arnOf('us-east-1', SINGLE)} is a key ARN, which names one Region (us-east-1); it cannot name a key in 2 Regions`, 'give an mrk- multi-Region key ID or an alias/<name> that exists in every Region'],
    ['an mrk- key ARN', arnOf('eu-west-1', MRK_NEW), `--to ${arnOf('eu-west-1', MRK_NEW)} is a key ARN, which names one Region (eu-west-1); it cannot name a key in 2 Regions`, `use the multi-Region key ID: --to ${MRK_NEW}`],
    ['an alias ARN', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/next`, `--to arn:aws:kms:us-east-1:${ACCOUNT}:alias/next is an alias ARN, which names one Region (us-east-1); with several Regions give the alias name`, 'use --to alias/next'],
  ])('%s with more than one Region is a usage error', (_, input, message, hint) => {
    let thrown: unknown
    try {
      resolvePerRegion(parseKeyRef(input, '--to'), regions, '--to')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(UsageError)
    expect(thrown).toMatchObject({ message, hint })
  })

  it.each([SINGLE, arnOf('eu-west-1', SINGLE), `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/next`])('with one Region, %s is used as typed', (input) => {
    expect(resolvePerRegion(parseKeyRef(input, '--expect-current'), ['eu-west-1'], '--expect-current')).toEqual([{ region: 'eu-west-1', keyRef: input }])
  })

  it('names the flag it resolves', () => {
    expect(() => resolvePerRegion(parseKeyRef(SINGLE, '--expect-current'), regions, '--expect-current')).toThrow(/^--expect-current /)
  })
})

describe('keyRegions (stubbed DescribeKey answers; moto reports replica sets wrongly)', () => {
  it.each([
    ['a single-Region key', key({ region: 'eu-west-1' }), ['eu-west-1']],
    ['a primary with two replicas', mrk(MRK_OLD, 'us-east-1', 'us-east-1', ['eu-west-1', 'ap-southeast-2']), ['ap-southeast-2', 'eu-west-1', 'us-east-1']],
    ['a replica, as described in its own Region', mrk(MRK_OLD, 'eu-west-1', 'us-east-1', ['eu-west-1']), ['eu-west-1', 'us-east-1']],
    ['a multi-Region key without a configuration', key({ keyId: MRK_OLD, multiRegion: true, region: 'us-west-2' }), ['us-west-2']],
  ])('%s', (_, k, expected) => {
    expect(keyRegions(k)).toEqual(expected)
  })
})

describe('REPLICA_REGIONS_DIFFER (stubbed DescribeKey answers; moto multi-Region keys are flawed)', () => {
  const current = mrk(MRK_OLD, 'us-east-1', 'us-east-1', ['eu-west-1', 'ap-southeast-2'])
  it.each([
    ['the new key is replicated everywhere the old one is', mrk(MRK_NEW, 'us-east-1', 'us-east-1', ['eu-west-1', 'ap-southeast-2']), ['us-east-1', 'eu-west-1', 'ap-southeast-2'], []],
    ['the new key lacks a replica where the alias does not exist', mrk(MRK_NEW, 'us-east-1', 'us-east-1', ['eu-west-1']), ['us-east-1', 'eu-west-1'], []],
    ['the new key lacks a replica where the alias exists', mrk(MRK_NEW, 'us-east-1', 'us-east-1', ['eu-west-1']), ['us-east-1', 'eu-west-1', 'ap-southeast-2'], ['ap-southeast-2']],
    ['the new key is single-Region', key({ region: 'us-east-1' }), ['us-east-1', 'eu-west-1'], ['eu-west-1']],
  ])('%s', (_, target, aliasRegions, uncovered) => {
    const findings = replicaRegionsFindings({ current, target, aliasRegions })
    expect(findings).toEqual(
      uncovered.length === 0
        ? []
        : [{
            code: 'REPLICA_REGIONS_DIFFER',
            severity: 'warn',
            message: `the current key ${MRK_OLD} has replicas where the alias exists in ${uncovered.join(', ')}, but the new key ${target.keyId} is not replicated there; the alias cannot point to the same key in every Region`,
          }],
    )
  })

  it('says nothing when the current key is single-Region', () => {
    expect(replicaRegionsFindings({ current: key(), target: key(), aliasRegions: ['us-east-1', 'eu-west-1'] })).toEqual([])
  })
})

describe('REGION_NOT_COVERED (stubbed DescribeKey answers; moto multi-Region keys are flawed)', () => {
  const current = mrk(MRK_OLD, 'us-east-1', 'us-east-1', ['eu-west-1', 'ap-southeast-2'])
  it.each([
    ['every replica Region is requested', ['us-east-1', 'eu-west-1', 'ap-southeast-2'], ['us-east-1', 'eu-west-1', 'ap-southeast-2'], undefined],
    ['a left-out Region has no alias', ['us-east-1', 'eu-west-1'], ['us-east-1', 'eu-west-1'], undefined],
    ['one Region with the alias is left out', ['us-east-1', 'eu-west-1'], ['us-east-1', 'eu-west-1', 'ap-southeast-2'], `the alias also exists in ap-southeast-2, where the current key ${MRK_OLD} has replicas, but the change leaves that Region out (add it to --regions, or use --all-regions)`],
    ['two Regions are left out', ['us-east-1'], ['us-east-1', 'eu-west-1', 'ap-southeast-2'], `the alias also exists in ap-southeast-2, eu-west-1, where the current key ${MRK_OLD} has replicas, but the change leaves those Regions out (add them to --regions, or use --all-regions)`],
  ])('%s', (_, requestedRegions, aliasRegions, message) => {
    expect(regionNotCoveredFindings({ current, requestedRegions, aliasRegions })).toEqual(message === undefined ? [] : [{ code: 'REGION_NOT_COVERED', severity: 'warn', message }])
  })

  it('says nothing for a single-Region key', () => {
    expect(regionNotCoveredFindings({ current: key(), requestedRegions: [], aliasRegions: ['us-east-1'] })).toEqual([])
  })
})
