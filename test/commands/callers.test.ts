// --callers on update, update --regions and apply (issue 21), on the in-memory KMS and its trail.
// The new key's policy denies a recent caller of the current key: the access preflight alone does
// not see it (the policies are compared principal by principal, and the caller is allowed on the
// current key through its account), so without --callers the change goes through; with it, it is
// refused. That is the mechanism: remove the callers check from the planner and these fail.
import { describe, expect, it } from 'vitest'
import { createMemoryCloudTrail } from '../../src/cloudtrail/memory.js'
import type { CloudTrailConfig, CloudTrailPort } from '../../src/cloudtrail/port.js'
import { AccessError } from '../../src/errors.js'
import type { KmsConfig } from '../../src/kms/port.js'
import { ACCOUNT, FakeKms, key } from '../helpers/fakeKms.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../helpers/run.js'

const NOW = new Date('2026-11-29T00:00:00Z')
const APP_ROLE = `arn:aws:iam::${ACCOUNT}:role/app`
const APP_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/app/worker-1`
const denyApp = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    { Sid: 'not app', Effect: 'Deny', Principal: { AWS: APP_ROLE }, Action: 'kms:Decrypt', Resource: '*' },
  ],
})

function world(region = 'us-east-1') {
  const old = key({ region })
  const next = key({ region })
  const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId }, policies: { [next.keyId]: denyApp }, region, now: () => NOW })
  kms.store.trail.record({ eventName: 'Decrypt', eventTime: new Date('2026-11-25T00:00:00Z'), region, principal: APP_SESSION, keyIdRequested: 'alias/app', keyArn: old.arn })
  return { old, next, kms }
}
const trailOf = (kms: FakeKms) => (config: Parameters<typeof createMemoryCloudTrail>[1]) => createMemoryCloudTrail(kms.store.trail, config)
const codes = (findings: { code: string; severity: string }[]) => findings.filter((f) => f.code.includes('CALLER')).map((f) => `${f.code}:${f.severity}`)

describe('update --callers', () => {
  it('without --callers the change goes through (the access preflight does not see the caller)', async () => {
    const { next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--yes', '--json'], { kms, cloudtrail: trailOf(kms), start: NOW })
    expect(r.code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(next.keyId)
  })

  it('with --callers a recent caller the new key denies blocks: RECENT_CALLER_NOT_ALLOWED, exit 3, the alias unchanged', async () => {
    const { old, next, kms } = world()
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--callers', '--yes', '--json'], { kms, cloudtrail: trailOf(kms), start: NOW })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.filter((f: { code: string }) => f.code === 'RECENT_CALLER_NOT_ALLOWED')).toEqual([
      {
        code: 'RECENT_CALLER_NOT_ALLOWED',
        severity: 'block',
        message: `${APP_ROLE} used the current key in the last 30 days, but the key policy and grants of ${next.keyId} would not allow: Decrypt (last 2026-11-25T00:00:00.000Z; on the new key: a Deny) (pass --allow-access-change once it has access)`,
      },
    ])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })

  it('--callers=3d: a window that ends before the call sees nobody; --allow-access-change makes it a warning', async () => {
    const short = world()
    const r1 = await run(['update', 'alias/app', '--to', short.next.keyId, '--callers=3d', '--yes', '--json'], { kms: short.kms, cloudtrail: trailOf(short.kms), start: NOW })
    expect(r1.code).toBe(0)
    expect(codes(JSON.parse(r1.stdout).findings)).toEqual([])
    const allowed = world()
    const r2 = await run(['update', 'alias/app', '--to', allowed.next.keyId, '--callers', '--allow-access-change', '--yes', '--json'], {
      kms: allowed.kms,
      cloudtrail: trailOf(allowed.kms),
      start: NOW,
    })
    expect(r2.code).toBe(0)
    expect(codes(JSON.parse(r2.stdout).findings)).toEqual(['RECENT_CALLER_NOT_ALLOWED:warn'])
  })

  it('CloudTrail unreadable: CALLERS_UNCHECKED warns, the change is made', async () => {
    const { next, kms } = world()
    const denied: CloudTrailPort = {
      keyEvents: async () => {
        throw new AccessError('CloudTrail LookupEvents was denied: AccessDeniedException: no')
      },
    }
    const r = await run(['update', 'alias/app', '--to', next.keyId, '--callers', '--yes', '--json'], { kms, cloudtrail: denied, start: NOW })
    expect(r.code).toBe(0)
    const [finding] = JSON.parse(r.stdout).findings.filter((f: { code: string }) => f.code === 'CALLERS_UNCHECKED')
    expect(finding).toEqual({
      code: 'CALLERS_UNCHECKED',
      severity: 'warn',
      message: 'recent callers were not all checked: CloudTrail could not be read (CloudTrail LookupEvents was denied: AccessDeniedException: no)',
    })
  })

  it('update --regions --callers: each Region checks its own callers through its own CloudTrail port', async () => {
    const east = world('us-east-1')
    const west = world('eu-west-1')
    // Only eu-west-1's caller exists: us-east-1 has none.
    east.kms.store.trail.events.length = 0
    east.kms.store.trail.lastUse.clear()
    const kms = (config: KmsConfig) => (config.region === 'eu-west-1' ? west.kms : east.kms)
    const cloudtrail = (config: CloudTrailConfig) =>
      createMemoryCloudTrail((config.region === 'eu-west-1' ? west : east).kms.store.trail, config)
    for (const w of [east, west]) w.kms.aliases.set('alias/app-next', w.next.keyId)
    const args = ['update', 'alias/app', '--to', 'alias/app-next', '--regions', 'us-east-1,eu-west-1', '--callers', '--yes', '--json']
    const r = await run(args, { kms, cloudtrail, start: NOW })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    type RegionDoc = { region: string; findings: { code: string; severity: string }[] }
    const byRegion = Object.fromEntries(doc.regions.map((g: RegionDoc) => [g.region, codes(g.findings)]))
    expect(byRegion).toEqual({ 'us-east-1': [], 'eu-west-1': ['RECENT_CALLER_NOT_ALLOWED:block'] })
    expect(r.ctx.trailConfigs.map((c) => c.region ?? 'us-east-1').sort()).toEqual(['eu-west-1', 'us-east-1'])
  })
})

describe('apply --callers', () => {
  it('an entry whose new key denies a recent caller is refused: exit 3, nothing changed', async () => {
    const { old, next, kms } = world()
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-callers-')), 'map.txt')
    writeFileSync(file, `alias/app ${next.keyId}\n`)
    const r = await run(['apply', file, '--callers', '--yes', '--json'], { kms, cloudtrail: trailOf(kms), start: NOW })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(codes(doc.changes[0].findings)).toEqual(['RECENT_CALLER_NOT_ALLOWED:block'])
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
  })
})
