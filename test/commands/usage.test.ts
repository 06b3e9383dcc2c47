import { describe, expect, it } from 'vitest'
import { createMemoryCloudTrail } from '../../src/cloudtrail/memory.js'
import type { CloudTrailConfig, CloudTrailPort } from '../../src/cloudtrail/port.js'
import { AccessError } from '../../src/errors.js'
import type { RecordedCall } from '../../src/kms/memoryTrail.js'
import { ACCOUNT, FakeKms, key, REGION } from '../helpers/fakeKms.js'
import { line, run } from '../helpers/run.js'

// The test context's clock starts here; the store's clock (tracking start, the trail) is set apart.
const NOW = new Date('2026-11-29T00:00:00Z')
const APP = `arn:aws:iam::${ACCOUNT}:role/app`
const BATCH = `arn:aws:sts::${ACCOUNT}:assumed-role/batch/nightly`

function world(options: { created?: string; trackingStart?: string; aliases?: Record<string, string> } = {}) {
  const k = key({ creationDate: new Date(options.created ?? '2026-06-01T00:00:00Z') })
  const kms = new FakeKms({ keys: [k], aliases: options.aliases ?? {}, now: () => new Date(options.trackingStart ?? '2026-01-01T00:00:00Z') })
  const call = (over: Partial<RecordedCall>) =>
    kms.store.trail.record({ eventName: 'Decrypt', eventTime: new Date('2026-11-20T10:00:00Z'), region: REGION, principal: APP, keyArn: k.arn, ...over })
  const trail = (config: Parameters<typeof createMemoryCloudTrail>[1]) => createMemoryCloudTrail(kms.store.trail, config)
  return { k, kms, call, trail }
}

describe('kms-alias usage', () => {
  // Failed before the fix (idle): AWS's CloudTrail, asked about the overridden KMS's key, answered nothing, read as no use.
  it('--endpoint-url without a CloudTrail endpoint: CloudTrail unread (a gap saying why), the verdict unknown, not idle', async () => {
    const { k, kms, trail } = world()
    const { code, stdout } = await run(['usage', k.keyId, '--json', '--endpoint-url', 'http://127.0.0.1:4566'], { kms, cloudtrail: trail, start: NOW })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.verdict).toBe('unknown')
    expect(report.reasons).toEqual([
      "CloudTrail could not be read: --endpoint-url http://127.0.0.1:4566 overrides KMS only, so CloudTrail's events would be about another KMS",
      'GetKeyLastUsage: never used since it was created on 2026-06-01 (KMS tracks use since 2026-01-01)',
    ])
  })

  it('an aliased key with callers: GetKeyLastUsage, a row per caller, failures apart, the aliases, in-use (JSON)', async () => {
    const { k, kms, call, trail } = world({ aliases: { 'alias/app': '' } })
    kms.aliases.set('alias/app', k.keyId)
    call({ eventName: 'Decrypt', keyIdRequested: 'alias/app', eventTime: new Date('2026-11-20T10:00:00Z') })
    call({ eventName: 'Encrypt', keyIdRequested: 'alias/app', eventTime: new Date('2026-11-21T10:00:00Z') })
    call({ eventName: 'Decrypt', keyIdRequested: k.keyId, eventTime: new Date('2026-11-22T10:00:00Z'), principal: BATCH, errorCode: 'AccessDeniedException' })
    // Outside the 30-day window: not read.
    call({ eventName: 'Decrypt', eventTime: new Date('2026-10-01T10:00:00Z'), principal: BATCH })
    const { code, stdout, stderr, ctx } = await run(['usage', 'alias/app', '--json'], { kms, cloudtrail: trail, start: NOW })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report).toEqual({
      key: { keyId: k.keyId, arn: k.arn, region: REGION, keyState: 'Enabled', keyManager: 'CUSTOMER', creationDate: '2026-06-01T00:00:00.000Z' },
      window: { since: '2026-10-30T00:00:00.000Z', until: '2026-11-29T00:00:00.000Z', days: 30 },
      lastUse: [
        {
          region: REGION,
          answer: 'used',
          operation: 'Encrypt',
          at: '2026-11-21T10:00:00.000Z',
          cloudTrailEventId: expect.any(String),
          trackingStart: '2026-01-01T00:00:00.000Z',
          text: 'last used by Encrypt on 2026-11-21T10:00:00.000Z (7 days ago)',
          error: null,
        },
      ],
      callers: [
        {
          principal: APP,
          via: [],
          operations: ['Decrypt', 'Encrypt'],
          count: 2,
          firstSeen: '2026-11-20T10:00:00.000Z',
          lastSeen: '2026-11-21T10:00:00.000Z',
          named: ['alias/app'],
          failures: {},
        },
        {
          principal: BATCH,
          via: [],
          operations: [],
          count: 0,
          firstSeen: '2026-11-22T10:00:00.000Z',
          lastSeen: '2026-11-22T10:00:00.000Z',
          named: ['key ID'],
          failures: { AccessDeniedException: 1 },
        },
      ],
      events: [{ region: REGION, read: 3, pages: 1, truncated: false, maxEvents: 1000, error: null }],
      aliases: [{ region: REGION, name: 'alias/app' }],
      grants: [],
      verdict: 'in-use',
      reasons: [
        'GetKeyLastUsage: last used by Encrypt on 2026-11-21T10:00:00.000Z (7 days ago)',
        'CloudTrail: 2 successful cryptographic calls by 1 caller since 2026-10-30',
        'alias/app points to the key: callers that name the alias use it',
      ],
      error: null,
      exitCode: 0,
    })
    // GetKeyLastUsage takes a key ID, never the alias; CloudTrail is asked on the run's clock.
    expect(kms.calls).toContain(`GetKeyLastUsage ${k.keyId}`)
    expect(ctx.trailConfigs.map((c) => c.clock.now().toISOString())).toEqual([NOW.toISOString()])
  })

  it('never used since creation, no alias, no call: idle (text)', async () => {
    const { k, kms, trail } = world({ created: '2026-06-01T00:00:00Z', trackingStart: '2026-01-01T00:00:00Z' })
    const { code, stdout, stderr } = await run(['usage', k.keyId, '--output', 'text'], { kms, cloudtrail: trail, start: NOW })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toBe(
      line('verdict', 'idle', 'GetKeyLastUsage: never used since it was created on 2026-06-01 (KMS tracks use since 2026-01-01); CloudTrail: no cryptographic or GetPublicKey call since 2026-10-30') +
        line('last-use', REGION, 'never-used', '-', '-'),
    )
  })

  it('older than the tracking, which began inside the window: unknown, exit 0', async () => {
    const { k, kms, trail } = world({ created: '2025-01-01T00:00:00Z', trackingStart: '2026-11-15T00:00:00Z' })
    const { code, stdout } = await run(['usage', k.keyId, '--json'], { kms, cloudtrail: trail, start: NOW })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.lastUse[0].answer).toBe('unknown')
    expect(report.verdict).toBe('unknown')
    expect(report.reasons[0]).toBe('GetKeyLastUsage: not used since KMS began tracking on 2026-11-15, but the key is older (created 2025-01-01): earlier use is unknown')
  })

  it('CloudTrail denied (a port that refuses): unknown with the reason, exit 0', async () => {
    const { k, kms } = world()
    const denied: CloudTrailPort = {
      keyEvents: async () => {
        throw new AccessError('CloudTrail LookupEvents was denied: AccessDeniedException: no', 'the caller needs cloudtrail:LookupEvents')
      },
    }
    const { code, stdout } = await run(['usage', k.keyId, '--json'], { kms, cloudtrail: denied, start: NOW })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.verdict).toBe('unknown')
    expect(report.events).toEqual([{ region: REGION, read: 0, pages: 0, truncated: false, maxEvents: 1000, error: 'CloudTrail LookupEvents was denied: AccessDeniedException: no' }])
    expect(report.reasons[0]).toBe('CloudTrail could not be read: CloudTrail LookupEvents was denied: AccessDeniedException: no')
  })

  // Failed before the fix: the table said "Callers (CloudTrail): none in the window" above "CloudTrail in us-east-1 could not be read".
  it('table view with CloudTrail denied: the callers section says not read and why, never "none"', async () => {
    const { k, kms } = world()
    const denied: CloudTrailPort = {
      keyEvents: async () => {
        throw new AccessError('CloudTrail LookupEvents was denied: AccessDeniedException: no', 'the caller needs cloudtrail:LookupEvents')
      },
    }
    const { code, stdout } = await run(['usage', k.keyId], { kms, cloudtrail: denied, start: NOW, tty: true, columns: 200, env: { NO_COLOR: '1' } })
    expect(code).toBe(0)
    expect(stdout).toContain('\nCallers (CloudTrail): not read: CloudTrail LookupEvents was denied: AccessDeniedException: no\n\nAliases: none\n')
    expect(stdout).not.toContain('none in the window')
    expect(stdout).not.toContain('CloudTrail in us-east-1 could not be read')
  })

  it('stops at --max-events and says so; pages of 50, paced at 2 a second on the injected clock', async () => {
    const { k, kms, call, trail } = world()
    for (let i = 0; i < 120; i++) call({ eventName: 'DescribeKey', eventTime: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 60_000) })
    const { code, stdout, ctx } = await run(['usage', k.keyId, '--json', '--max-events', '110'], { kms, cloudtrail: trail, start: NOW })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.events).toEqual([{ region: REGION, read: 110, pages: 3, truncated: true, maxEvents: 110, error: null }])
    expect(report.verdict).toBe('unknown')
    // Three pages at 2 a second: the clock was advanced (never slept for real) by 2 × 500 ms.
    expect(ctx.now().getTime() - NOW.getTime()).toBe(1000)
  })

  it('a key that does not exist: exit 4 and the failure document', async () => {
    const { kms, trail } = world()
    const { code, stdout, stderr } = await run(['usage', 'alias/nope', '--json'], { kms, cloudtrail: trail, start: NOW })
    expect(code).toBe(4)
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'NOT_FOUND' }, exitCode: 4 })
    expect(stderr).toMatch(/alias\/nope/)
  })

  // Failed before the fix: exit 4, "nope not found (Invalid keyId nope)", where update --to nope is exit 2 with the forms.
  it('a malformed key identifier is a usage error (exit 2, the forms in the hint), before any KMS call', async () => {
    const { kms, trail } = world()
    const { code, stderr } = await run(['usage', 'nope'], { kms, cloudtrail: trail, start: NOW })
    expect(code).toBe(2)
    expect(stderr).toBe(
      'error: key "nope" is not a key identifier\nhint: give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN\n',
    )
    expect(kms.calls).toEqual([])
  })

  it.each([
    ['--since 91d', ['--since', '91d'], '--since must be a duration such as 7d, 2w or 36h, above 0 and at most 90 days, not "91d"'],
    ['--since 0', ['--since', '0'], '--since must be a duration such as 7d, 2w or 36h, above 0 and at most 90 days, not "0"'],
    ['--max-events 0', ['--max-events', '0'], '--max-events must be a whole number from 1 to 100000, not "0"'],
  ])('%s is a usage error (exit 2)', async (_name, flags, message) => {
    const { k, kms, trail } = world()
    const { code, stderr } = await run(['usage', k.keyId, ...flags], { kms, cloudtrail: trail, start: NOW })
    expect(code).toBe(2)
    expect(stderr).toContain(message)
    expect(kms.calls).toEqual([])
  })

  it('table view on a terminal: last use, the callers table, aliases, grants and the verdict; a caller name from CloudTrail is shown escaped', async () => {
    const { k, kms, call, trail } = world()
    kms.aliases.set('alias/app', k.keyId)
    call({ eventName: 'Decrypt', keyIdRequested: 'alias/app', principal: `${APP}\u001b[2J` })
    const { code, stdout } = await run(['usage', k.keyId], { kms, cloudtrail: trail, start: NOW, tty: true, columns: 200, env: { NO_COLOR: '1' } })
    expect(code).toBe(0)
    expect(stdout).toContain(`${k.keyId} (us-east-1, Enabled)\nCloudTrail window: 2026-10-30T00:00:00.000Z to 2026-11-29T00:00:00.000Z (30 days)\n`)
    expect(stdout).toContain('Last use (GetKeyLastUsage)\n  us-east-1: last used by Decrypt on 2026-11-20T10:00:00.000Z (8 days ago)\n')
    expect(stdout).toContain(`${APP}\\x1b[2J`)
    expect(stdout).not.toContain('\u001b')
    expect(stdout).toContain('Aliases: alias/app\nGrants: none\n')
    expect(stdout).toMatch(/Verdict: in-use\n {2}- GetKeyLastUsage: last used by Decrypt/)
  })

  it('--regions: a multi-Region key read in each Region (tracked apart): last use, aliases and callers per Region; in-use anywhere is in-use', async () => {
    const mrk = 'mrk-1234abcd12ab34cd56ef1234567890ab'
    const east = new FakeKms({ keys: [key({ keyId: mrk, multiRegion: true, creationDate: new Date('2026-06-01T00:00:00Z') })], now: () => new Date('2026-01-01T00:00:00Z') })
    const west = new FakeKms({
      region: 'eu-west-1',
      keys: [key({ keyId: mrk, region: 'eu-west-1', multiRegion: true, creationDate: new Date('2026-06-01T00:00:00Z') })],
      aliases: { 'alias/app': mrk },
      now: () => new Date('2026-01-01T00:00:00Z'),
    })
    const westArn = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${mrk}`
    west.store.trail.record({ eventName: 'Decrypt', eventTime: new Date('2026-11-28T00:00:00Z'), region: 'eu-west-1', principal: APP, keyIdRequested: 'alias/app', keyArn: westArn })
    const kms = (config: { region?: string }) => (config.region === 'eu-west-1' ? west : east)
    const cloudtrail = (config: CloudTrailConfig) => createMemoryCloudTrail((config.region === 'eu-west-1' ? west : east).store.trail, config)
    const { code, stdout } = await run(['usage', mrk, '--regions', 'eu-west-1', '--json'], { kms, cloudtrail, start: NOW })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.lastUse.map((u: { region: string; answer: string }) => [u.region, u.answer])).toEqual([
      [REGION, 'never-used'],
      ['eu-west-1', 'used'],
    ])
    expect(report.aliases).toEqual([{ region: 'eu-west-1', name: 'alias/app' }])
    expect(report.callers.map((c: { principal: string; count: number }) => [c.principal, c.count])).toEqual([[APP, 1]])
    expect(report.verdict).toBe('in-use')
    expect(report.reasons).toEqual([
      'eu-west-1: GetKeyLastUsage: last used by Decrypt on 2026-11-28T00:00:00.000Z (1 day ago)',
      'eu-west-1: CloudTrail: 1 successful cryptographic call by 1 caller since 2026-10-30',
      'eu-west-1: alias/app points to the key: callers that name the alias use it',
    ])
    // Each Region's CloudTrail was read by that Region's key ARN.
    expect(west.calls).toContain(`GetKeyLastUsage ${mrk}`)
  })

  it('--regions naming a Region without a replica: exit 4', async () => {
    const { k, kms, trail } = world()
    const other = new FakeKms({ region: 'eu-west-1' })
    const { code, stderr } = await run(['usage', k.keyId, '--regions', 'eu-west-1'], {
      kms: (config) => (config.region === 'eu-west-1' ? other : kms),
      cloudtrail: trail,
      start: NOW,
    })
    expect(code).toBe(4)
    expect(stderr).toBe(`error: ${k.keyId} has no replica in eu-west-1\nhint: pass only Regions the multi-Region key is replicated to\n`)
  })
})
