// update --regions / --all-regions on fake KMS ports, one per Region. The replica-set rules are
// tested here with fake multi-Region keys: moto's multi-Region keys share one alias table between
// primary and replicas, so they cannot show them (see test/unit/multiRegion.test.ts).
import { describe, expect, it } from 'vitest'
import type { KeyInfo, KmsConfig } from '../../src/kms/port.js'
import { ACCOUNT, FakeKms, holdListAliases, key, throttled, type FakeKmsOptions } from '../helpers/fakeKms.js'
import { journalOf, line, run } from '../helpers/run.js'

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const
type Region = (typeof REGIONS)[number]

/** In each Region: alias/app (and alias/app-keep) on an old key, and alias/app-next on a new one. */
function world(options: Partial<Record<Region, FakeKmsOptions>> = {}, regions: readonly string[] = REGIONS) {
  const places = Object.fromEntries(
    regions.map((region) => {
      const old = key({ region })
      const next = key({ region })
      const kms = new FakeKms({
        keys: [old, next],
        aliases: { 'alias/app': old.keyId, 'alias/app-keep': old.keyId, 'alias/app-next': next.keyId },
        region,
        ...options[region as Region],
      })
      return [region, { old, next, kms }]
    }),
  ) as Record<string, { old: KeyInfo; next: KeyInfo; kms: FakeKms }>
  const port = (config: KmsConfig) => {
    const place = places[config.region ?? 'us-east-1']
    if (!place) throw new Error(`no fake port for ${config.region}`)
    return place.kms
  }
  const targets = () => Object.fromEntries(Object.entries(places).map(([region, p]) => [region, p.kms.aliases.get('alias/app')]))
  return { places, port, targets }
}

const all = REGIONS.join(',')

describe('update --regions (fake KMS port per Region)', () => {
  it('plans three Regions, changes and confirms each, one journal line per Region sharing a runId', async () => {
    const { places, port, targets } = world()
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', all, '--yes', '--json'], { kms: port })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({
      action: 'update',
      alias: 'alias/app',
      region: null,
      outcome: 'updated',
      dryRun: false,
      changed: true,
      verified: true,
      findings: [],
      error: null,
      exitCode: 0,
    })
    expect(doc.runId).toMatch(/^run-[0-9a-f]{16}$/)
    const journal = await journalOf(r.ctx)
    expect(doc.regions).toEqual(
      REGIONS.map((region, i) => ({
        region,
        previous: expect.objectContaining({ keyId: places[region]?.old.keyId }),
        target: expect.objectContaining({ keyId: places[region]?.next.keyId }),
        findings: [],
        outcome: 'updated',
        changed: true,
        verified: true,
        journalId: journal[i]?.id,
        // Each Region probed through its own port, before and after its change.
        probe: expect.objectContaining({ before: 'ok', after: 'ok', attempts: 1, keyIdSeen: places[region]?.next.keyId, rolledBack: null }),
        error: null,
      })),
    )
    expect(journal.map((e) => [e.region, e.account, e.alias, e.previousKeyId, e.newKeyId, e.command, e.runId, e.verified])).toEqual(
      REGIONS.map((region) => [region, ACCOUNT, 'alias/app', places[region]?.old.keyId, places[region]?.next.keyId, 'update', doc.runId, true]),
    )
    expect(targets()).toEqual(Object.fromEntries(REGIONS.map((region) => [region, places[region]?.next.keyId])))
    expect(doc.undo).toBe(
      REGIONS.map(
        (region) => `kms-alias update alias/app --to ${places[region]?.old.keyId} --expect-current ${places[region]?.next.keyId} --region ${region}`,
      ).join(' && '),
    )
  })

  it('text view: one line per Region (outcome, alias, region, previous, new, changed, verified)', async () => {
    const { places, port } = world({}, ['us-east-1', 'eu-west-1'])
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', 'us-east-1,eu-west-1', '--yes'], { kms: port })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      line('updated', 'alias/app', 'us-east-1', places['us-east-1']?.old.keyId as string, places['us-east-1']?.next.keyId as string, 'true', 'true') +
        line('updated', 'alias/app', 'eu-west-1', places['eu-west-1']?.old.keyId as string, places['eu-west-1']?.next.keyId as string, 'true', 'true'),
    )
    expect(r.stderr).toBe('')
  })

  it('a block in one Region refuses the whole change (exit 3): nothing changed anywhere', async () => {
    const { places, port, targets } = world()
    const before = targets()
    const west = places['eu-west-1'] as { next: KeyInfo; kms: FakeKms }
    west.kms.keys.set(west.next.keyId, { ...west.next, keyState: 'Disabled' })
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', all, '--yes', '--json'], { kms: port })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.outcome).toBe('refused')
    expect(doc.regions.map((x: { region: string; outcome: string }) => `${x.region} ${x.outcome}`)).toEqual([
      'us-east-1 not-attempted',
      'eu-west-1 refused',
      'ap-southeast-2 not-attempted',
    ])
    expect(doc.error).toEqual({
      code: 'REFUSED',
      message: 'refused by the preflight: eu-west-1 TARGET_NOT_ENABLED; nothing was changed in any Region',
      hint: 'see the findings',
    })
    expect(Object.values(places).flatMap((p) => p.kms.mutations())).toEqual([])
    expect(targets()).toEqual(before)
  })

  it('a failure in the last Region rolls back the others, newest first, and exits with its code (fake port throttled in ap-southeast-2)', async () => {
    const { places, port, targets } = world({ 'ap-southeast-2': { failures: { UpdateAlias: { error: throttled(), applied: false } } } })
    const before = targets()
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', all, '--yes', '--json'], { kms: port })
    expect(r.code).toBe(8)
    const doc = JSON.parse(r.stdout)
    expect(doc.outcome).toBe('failed')
    expect(doc.changed).toBe(false)
    const south = places['ap-southeast-2'] as { old: KeyInfo }
    expect(doc.error).toEqual({
      code: 'AWS',
      awsCode: 'ThrottlingException',
      message: `ap-southeast-2: UpdateAlias failed (3 attempts): ThrottlingException: Rate exceeded; alias/app points to ${south.old.keyId} (unchanged)`,
    })
    expect(
      doc.regions.map((x: { region: string; outcome: string; changed: boolean; verified: boolean }) => `${x.region} ${x.outcome} ${x.changed} ${x.verified}`),
    ).toEqual(['us-east-1 rolled-back false true', 'eu-west-1 rolled-back false true', 'ap-southeast-2 failed false false'])
    expect(targets()).toEqual(before)
    const east = places['us-east-1'] as { old: KeyInfo; next: KeyInfo; kms: FakeKms }
    expect(east.kms.mutations()).toEqual([`UpdateAlias alias/app ${east.next.keyId}`, `UpdateAlias alias/app ${east.old.keyId}`])
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => `${e.region} ${e.command} ${e.reverts === null ? '-' : 'reverts'} ${e.runId === doc.runId}`)).toEqual([
      'us-east-1 update - true',
      'eu-west-1 update - true',
      'eu-west-1 update (rollback) reverts true',
      'us-east-1 update (rollback) reverts true',
    ])
  })

  it('--expect-current that does not hold in one Region is a conflict (exit 5): nothing changed anywhere', async () => {
    const { places, port, targets } = world()
    const before = targets()
    // alias/app-keep points to the old key everywhere except in eu-west-1.
    ;(places['eu-west-1'] as { kms: FakeKms; next: KeyInfo }).kms.aliases.set('alias/app-keep', (places['eu-west-1'] as { next: KeyInfo }).next.keyId)
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--expect-current', 'alias/app-keep', '--regions', all, '--yes', '--json'], {
      kms: port,
    })
    expect(r.code).toBe(5)
    expect(JSON.parse(r.stdout).error.message).toBe(
      `alias/app points to ${places['eu-west-1']?.old.keyId} in eu-west-1, not alias/app-keep (--expect-current); nothing was changed in any Region`,
    )
    expect(Object.values(places).flatMap((p) => p.kms.mutations())).toEqual([])
    expect(targets()).toEqual(before)
    // Where the guard does not hold, no access read is sent.
    expect(places['eu-west-1']?.kms.calls.filter((c) => /^(GetKeyPolicy|ListGrants|ListResourceTags|GetKeyRotationStatus) /.test(c))).toEqual([])
  })

  it("a Region's access reads start while its preflight ListAliases calls are still waiting", async () => {
    const { places, port } = world({}, ['eu-west-1'])
    const held = holdListAliases(places['eu-west-1']?.kms as FakeKms, 2, ['getKeyPolicy', 'getKeyPolicy'])
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', 'eu-west-1', '--dry-run', '--json'], { kms: port })
    held.done()
    // Tried once: with accessPreflight awaited after describeWithAliases (as before describeThen) this is 0.
    expect(held.readsWhileListing()).toBe(2)
    expect(r.code).toBe(0)
  })

  it.each([
    [
      'a single-Region key ID',
      ['--to', '00000000-0000-4000-8000-0000000000ff'],
      '--to 00000000-0000-4000-8000-0000000000ff is a single-Region key, which exists in one Region only; it cannot name a key in 3 Regions',
    ],
    ['--region with --regions', ['--to', 'alias/app-next', '--region', 'us-east-1'], '--region and --regions cannot be used together'],
    [
      'an alias ARN',
      ['--to', 'alias/app-next'],
      'arn:aws:kms:us-east-1:111122223333:alias/app is an alias ARN, which names one Region (us-east-1); with several Regions give the alias name',
    ],
  ])('%s is a usage error (exit 2) before any call', async (name, args, message) => {
    const { places, port } = world()
    const alias = name === 'an alias ARN' ? 'arn:aws:kms:us-east-1:111122223333:alias/app' : 'alias/app'
    const r = await run(['update', alias, ...args, '--regions', all, '--yes'], { kms: port })
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe(`error: ${message}`)
    expect(Object.values(places).flatMap((p) => p.kms.calls)).toEqual([])
  })
})

describe('update --regions with multi-Region keys (fake ports with stubbed DescribeKey answers; moto cannot model replicas)', () => {
  const MRK_OLD = 'mrk-0123456789abcdef0123456789abcdef'
  const MRK_NEW = 'mrk-fedcba9876543210fedcba9876543210'
  /** A replica of `keyId` in `region`, with the replica set `regions` (the first is the primary). */
  const replica = (keyId: string, region: string, regions: readonly string[]) =>
    key({
      keyId,
      region,
      multiRegion: true,
      multiRegionConfiguration: {
        keyType: region === regions[0] ? 'PRIMARY' : 'REPLICA',
        primary: { arn: `arn:aws:kms:${regions[0]}:${ACCOUNT}:key/${keyId}`, region: regions[0] as string },
        replicas: regions.slice(1).map((r) => ({ arn: `arn:aws:kms:${r}:${ACCOUNT}:key/${keyId}`, region: r })),
      },
    })
  /** The old key in all three Regions, the new one only in `newIn`; alias/app on the old key everywhere. */
  function replicated(newIn: readonly string[]) {
    const ports = Object.fromEntries(
      REGIONS.map((region) => {
        const keys = [replica(MRK_OLD, region, REGIONS), ...(newIn.includes(region) ? [replica(MRK_NEW, region, newIn)] : [])]
        return [region, new FakeKms({ keys, aliases: { 'alias/app': MRK_OLD, 'alias/app-keep': MRK_OLD }, region })]
      }),
    ) as Record<string, FakeKms>
    return { ports, port: (config: KmsConfig) => ports[config.region ?? 'us-east-1'] as FakeKms }
  }

  it("--all-regions is the current key's replica set, and an mrk- --to resolves to each Region's replica", async () => {
    const { ports, port } = replicated(REGIONS)
    const r = await run(['update', 'alias/app', '--to', MRK_NEW, '--all-regions', '--yes', '--json'], { kms: port })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.regions.map((x: { region: string; outcome: string }) => `${x.region} ${x.outcome}`)).toEqual([
      'ap-southeast-2 updated',
      'eu-west-1 updated',
      'us-east-1 updated',
    ])
    expect(doc.findings).toEqual([])
    expect(Object.values(ports).map((p) => p.aliases.get('alias/app'))).toEqual([MRK_NEW, MRK_NEW, MRK_NEW])
  })

  it('warns REGION_NOT_COVERED for a replica Region --regions leaves out where the alias exists, and REPLICA_REGIONS_DIFFER where the new key has no replica', async () => {
    const { ports, port } = replicated(['us-east-1', 'eu-west-1'])
    const r = await run(['update', 'alias/app', '--to', MRK_NEW, '--regions', 'us-east-1,eu-west-1', '--dry-run', '--json'], { kms: port })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.outcome).toBe('would-update')
    expect(doc.findings.map((f: { code: string; severity: string }) => `${f.severity} ${f.code}`)).toEqual([
      'warn REPLICA_REGIONS_DIFFER',
      'warn REGION_NOT_COVERED',
    ])
    expect(doc.findings[1].message).toBe(
      `the alias also exists in ap-southeast-2, where the current key ${MRK_OLD} has replicas, but the change leaves that Region out (add it to --regions, or use --all-regions)`,
    )
    // The Region left out is only read (is the alias there?), never changed.
    expect(ports['ap-southeast-2']?.calls).toEqual(['DescribeKey alias/app'])
    expect(Object.values(ports).flatMap((p) => p.mutations())).toEqual([])
  })

  it('--all-regions on a single-Region key is a usage error (exit 2) naming --regions', async () => {
    const { port } = world()
    const r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--all-regions', '--yes'], { kms: port })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /^error: alias\/app points to [0-9a-f-]+, a single-Region key in us-east-1: --all-regions means every Region of a multi-Region key's replica set\nhint: name the Regions with --regions r1,r2,…\n$/,
    )
  })
})
