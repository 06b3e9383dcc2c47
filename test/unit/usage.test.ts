import { describe, expect, it } from 'vitest'
import type { TrailEvent } from '../../src/cloudtrail/port.js'
import {
  checkFindings,
  describeLastUse,
  disableFindings,
  lastUseOf,
  formatDays,
  namedBy,
  refusedCallers,
  scheduleFindings,
  summarizeCallers,
  usageVerdict,
  type LastUse,
  type RetireKeyFacts,
  type VerdictInput,
} from '../../src/preflight/usage.js'
import { key } from '../helpers/fakeKms.js'

const NOW = new Date('2026-11-29T00:00:00Z')
const d = (iso: string) => new Date(iso)
const APP = 'arn:aws:iam::111122223333:role/app'
const BATCH = 'arn:aws:sts::111122223333:assumed-role/batch/job-1'
let n = 0
const event = (over: Partial<TrailEvent>): TrailEvent => ({ eventId: `e${++n}`, eventName: 'Decrypt', eventTime: d('2026-11-20T10:00:00Z'), principal: APP, ...over })

// The three answers as the KMS API reference states them (kms-facts.md section 16): written from the
// documentation, not from the code.
describe('lastUseOf: GetKeyLastUsage in words', () => {
  it.each<[string, Parameters<typeof lastUseOf>[0], LastUse['answer'], string]>([
    [
      'KeyLastUsage present: used',
      { keyId: 'k', lastUsage: { operation: 'Decrypt', timestamp: d('2026-11-28T12:00:00Z') }, trackingStartDate: d('2026-01-01T00:00:00Z'), keyCreationDate: d('2025-01-01T00:00:00Z') },
      'used',
      'last used by Decrypt on 2026-11-28T12:00:00.000Z (less than a day ago)',
    ],
    [
      'empty, created after tracking began: never used',
      { keyId: 'k', trackingStartDate: d('2026-01-01T00:00:00Z'), keyCreationDate: d('2026-03-01T00:00:00Z') },
      'never-used',
      'never used since it was created on 2026-03-01 (KMS tracks use since 2026-01-01)',
    ],
    [
      'empty, created the very moment tracking began: never used (on or after)',
      { keyId: 'k', trackingStartDate: d('2026-01-01T00:00:00Z'), keyCreationDate: d('2026-01-01T00:00:00Z') },
      'never-used',
      'never used since it was created on 2026-01-01 (KMS tracks use since 2026-01-01)',
    ],
    [
      'empty, created before tracking began: unknown',
      { keyId: 'k', trackingStartDate: d('2026-01-01T00:00:00Z'), keyCreationDate: d('2025-06-01T00:00:00Z') },
      'unknown',
      'not used since KMS began tracking on 2026-01-01, but the key is older (created 2025-06-01): earlier use is unknown',
    ],
    ['empty, no tracking date: unknown', { keyId: 'k', keyCreationDate: d('2025-06-01T00:00:00Z') }, 'unknown', 'KMS did not say since when it tracks use: unknown'],
    [
      'KeyLastUsage present without a Timestamp: still used, time unknown',
      { keyId: 'k', lastUsage: { operation: 'Sign' }, trackingStartDate: d('2026-01-01T00:00:00Z'), keyCreationDate: d('2026-03-01T00:00:00Z') },
      'used',
      'last used by Sign, at a time KMS did not say',
    ],
  ])('%s', (_name, answer, expected, words) => {
    const use = lastUseOf(answer)
    expect(use.answer).toBe(expected)
    expect(describeLastUse(use, NOW)).toBe(words)
  })
})

describe('namedBy: how the caller named the key', () => {
  it.each([
    ['alias/app', 'alias/app'],
    ['arn:aws:kms:us-east-1:111122223333:alias/app', 'alias/app'],
    ['arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'key ARN'],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', 'key ID'],
    [undefined, undefined],
  ])('%s -> %s', (requested, expected) => expect(namedBy(requested)).toBe(expected))
})

describe('summarizeCallers', () => {
  it('one row per principal, failures counted apart by error, services and names collected, most active first', () => {
    const rows = summarizeCallers([
      event({ eventName: 'Decrypt', eventTime: d('2026-11-21T00:00:00Z'), keyIdRequested: 'alias/app' }),
      event({ eventName: 'Encrypt', eventTime: d('2026-11-19T00:00:00Z'), keyIdRequested: 'alias/app', invokedBy: 's3.amazonaws.com' }),
      event({ eventName: 'Decrypt', eventTime: d('2026-11-22T00:00:00Z'), errorCode: 'AccessDeniedException', keyIdRequested: '1234' }),
      event({ principal: BATCH, eventName: 'DescribeKey', eventTime: d('2026-11-18T00:00:00Z') }),
    ])
    expect(rows).toEqual([
      {
        principal: APP,
        via: ['s3.amazonaws.com'],
        operations: ['Decrypt', 'Encrypt'],
        count: 2,
        firstSeen: '2026-11-19T00:00:00.000Z',
        lastSeen: '2026-11-22T00:00:00.000Z',
        named: ['alias/app', 'key ID'],
        failures: { AccessDeniedException: 1 },
        cryptographic: true,
      },
      {
        principal: BATCH,
        via: [],
        operations: ['DescribeKey'],
        count: 1,
        firstSeen: '2026-11-18T00:00:00.000Z',
        lastSeen: '2026-11-18T00:00:00.000Z',
        named: [],
        failures: {},
        cryptographic: false,
      },
    ])
  })
})

describe('usageVerdict', () => {
  const since = d('2026-10-30T00:00:00Z')
  const used = (iso: string): VerdictInput['lastUse'] => ({ value: { answer: 'used', operation: 'Decrypt', at: d(iso), cloudTrailEventId: null, trackingStart: null } })
  const never: VerdictInput['lastUse'] = { value: { answer: 'never-used', created: d('2026-05-01T00:00:00Z'), trackingStart: d('2026-01-01T00:00:00Z') } }
  const olderThanTracking = (tracking: string): VerdictInput['lastUse'] => ({ value: { answer: 'unknown', created: d('2025-01-01T00:00:00Z'), trackingStart: d(tracking) } })
  const quiet: VerdictInput['trail'] = { value: { events: [event({ eventName: 'DescribeKey' })], truncated: false } }
  it.each<[string, VerdictInput['lastUse'], VerdictInput['trail'], string[], string, string[]]>([
    [
      'used within the window',
      used('2026-11-25T00:00:00Z'),
      quiet,
      [],
      'in-use',
      ['GetKeyLastUsage: last used by Decrypt on 2026-11-25T00:00:00.000Z (4 days ago)'],
    ],
    ['never used, CloudTrail quiet', never, quiet, [], 'idle', ['GetKeyLastUsage: never used since it was created on 2026-05-01 (KMS tracks use since 2026-01-01)', 'CloudTrail: no cryptographic or GetPublicKey call since 2026-10-30']],
    [
      'used before the window only',
      used('2026-09-01T00:00:00Z'),
      quiet,
      [],
      'idle',
      ['GetKeyLastUsage: last used by Decrypt on 2026-09-01T00:00:00.000Z (89 days ago), before the window', 'CloudTrail: no cryptographic or GetPublicKey call since 2026-10-30'],
    ],
    ['older than tracking, tracking began before the window: the window is covered', olderThanTracking('2026-01-01T00:00:00Z'), quiet, [], 'idle', [
      'GetKeyLastUsage: no use since KMS began tracking on 2026-01-01',
      'CloudTrail: no cryptographic or GetPublicKey call since 2026-10-30',
    ]],
    ['older than tracking, tracking began inside the window: unknown', olderThanTracking('2026-11-15T00:00:00Z'), quiet, [], 'unknown', [
      'GetKeyLastUsage: not used since KMS began tracking on 2026-11-15, but the key is older (created 2025-01-01): earlier use is unknown',
      'CloudTrail: no cryptographic or GetPublicKey call since 2026-10-30',
    ]],
    ['CloudTrail unreadable, no use known: unknown', never, { error: 'denied' }, [], 'unknown', [
      'CloudTrail could not be read: denied',
      'GetKeyLastUsage: never used since it was created on 2026-05-01 (KMS tracks use since 2026-01-01)',
    ]],
    ['GetKeyLastUsage unreadable, CloudTrail shows use: in-use wins', { error: 'denied' }, { value: { events: [event({}), event({ principal: BATCH })], truncated: false } }, [], 'in-use', [
      'CloudTrail: 2 successful cryptographic calls by 2 callers since 2026-10-30',
    ]],
    ['callers refused by a disabled key: still needed', never, { value: { events: [event({ errorCode: 'DisabledException' })], truncated: false } }, [], 'in-use', [
      `CloudTrail: 1 call refused because the key is not enabled (${APP}): something still needs it`,
    ]],
    ['--max-events reached with no use seen: unknown', never, { value: { events: [event({ eventName: 'DescribeKey' })], truncated: true } }, [], 'unknown', [
      'CloudTrail: --max-events was reached before the start of the window; older events were not read',
      'GetKeyLastUsage: never used since it was created on 2026-05-01 (KMS tracks use since 2026-01-01)',
    ]],
    ['an alias on the key', never, quiet, ['alias/app'], 'in-use', ['alias/app points to the key: callers that name the alias use it']],
    ['used at a time KMS did not say: in-use, never idle', { value: { answer: 'used', operation: 'Sign', at: null, cloudTrailEventId: null, trackingStart: null } }, quiet, [], 'in-use', [
      'GetKeyLastUsage: last used by Sign, at a time KMS did not say',
    ]],
    // Failed before the fix (idle): GetKeyLastUsage does not track GetPublicKey, and the verdict counted only cryptographic calls.
    ['only GetPublicKey calls: in-use (the public key works outside KMS)', never, { value: { events: [event({ eventName: 'GetPublicKey' })], truncated: false } }, [], 'in-use', [
      'CloudTrail: 1 successful GetPublicKey call by 1 caller since 2026-10-30: the public key may be in use outside KMS',
    ]],
  ])('%s', (_name, lastUse, trail, aliases, verdict, reasons) => {
    const result = usageVerdict({ lastUse, trail, aliases, since, now: NOW })
    expect(result.verdict).toBe(verdict)
    expect(result.reasons).toEqual(reasons)
  })
})

describe('retire refusals', () => {
  const facts = (over: Partial<RetireKeyFacts> = {}, keyOver = {}): RetireKeyFacts => ({ key: key({ keyId: 'k1', ...keyOver }), aliases: [], aliasesUnread: [], grants: 0, ...over })
  const idle = { used: [], gaps: [] }
  const options = { idleForDays: 30, allowUnknownUsage: false }
  const codes = (findings: { code: string; severity: string }[]) => findings.map((f) => `${f.code}:${f.severity}`)

  it.each<[string, RetireKeyFacts, { used: string[]; gaps: string[] }, typeof options, string[]]>([
    ['idle, no alias: nothing to refuse', facts(), idle, options, []],
    ['an alias still points at it', facts({ aliases: ['alias/app'] }), idle, options, ['KEY_HAS_ALIASES:block']],
    ['another Region of a multi-Region key has an alias', facts({ aliases: ['eu-west-1: alias/app'] }), idle, options, ['KEY_HAS_ALIASES:block']],
    ['used within --idle-for', facts(), { used: ['CloudTrail: 3 calls'], gaps: [] }, options, ['KEY_RECENTLY_USED:block']],
    ['use unknown', facts(), { used: [], gaps: ['GetKeyLastUsage: unknown'] }, options, ['LAST_USE_UNKNOWN:block']],
    ['use unknown with --allow-unknown-usage', facts(), { used: [], gaps: ['x'] }, { ...options, allowUnknownUsage: true }, ['LAST_USE_UNKNOWN:warn']],
    // Failed before the fix: an unread alias list was only a gap, so this flag let the disable go ahead.
    [
      'aliases unread, even with --allow-unknown-usage: a block no flag lifts',
      facts({ aliasesUnread: ['ListAliases failed: throttled'] }),
      { used: [], gaps: ['the aliases could not be read: throttled'] },
      { ...options, allowUnknownUsage: true },
      ['ALIASES_UNKNOWN:block', 'LAST_USE_UNKNOWN:warn'],
    ],
    [
      'a multi-Region primary with replicas',
      facts({}, { multiRegion: true, multiRegionConfiguration: { keyType: 'PRIMARY', replicas: [{ arn: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1', region: 'eu-west-1' }] } }),
      idle,
      options,
      ['KEY_HAS_REPLICAS:block'],
    ],
    ['AWS managed', facts({}, { keyManager: 'AWS' }), idle, options, ['KEY_AWS_MANAGED:block']],
    ['pending deletion', facts({}, { keyState: 'PendingDeletion' }), idle, options, ['KEY_PENDING_DELETION:block']],
    ['grants: a warning', facts({ grants: 2 }), idle, options, ['KEY_HAS_GRANTS:warn']],
    // Failed before the fix: a failed ListGrants read as no grant, silently.
    ['grants unread: a warning', facts({ grantsUnread: 'denied' }), idle, options, ['GRANTS_UNKNOWN:warn']],
  ])('--disable: %s', (_name, f, evidence, opts, expected) => {
    expect(codes(disableFindings(f, evidence, opts))).toEqual(expected)
  })

  const disabled = { keyState: 'Disabled' }
  const since = d('2026-11-01T00:00:00Z')
  it.each<[string, RetireKeyFacts, Date | null, Parameters<typeof checkFindings>[2], string[]]>([
    ['clean soak', facts({}, disabled), since, { value: [] }, []],
    ['a caller refused since', facts({}, disabled), since, { value: [{ principal: APP, count: 2, lastSeen: '2026-11-20T00:00:00.000Z', operations: ['Decrypt'] }] }, ['KEY_STILL_NEEDED:block']],
    ['not disabled', facts(), since, { value: [] }, ['KEY_NOT_DISABLED:block']],
    ['disable time unknown', facts({}, disabled), null, { value: [] }, ['SOAK_UNKNOWN:block']],
    ['CloudTrail unreadable', facts({}, disabled), since, { error: 'denied' }, ['SOAK_UNCHECKED:block']],
    ['no disable time and CloudTrail not read whole (--max-events): unchecked, not unknown', facts({}, disabled), null, { error: '--max-events 10 was reached' }, ['SOAK_UNCHECKED:block']],
    // Failed before the fix: KEY_NOT_DISABLED ("retire --disable comes first"), though an AWS managed key can never be disabled.
    ['AWS managed, enabled: the --disable refusal, not "--disable comes first"', facts({}, { keyManager: 'AWS' }), null, { value: [] }, ['KEY_AWS_MANAGED:block']],
  ])('--check: %s', (_name, f, at, refused, expected) => {
    expect(codes(checkFindings(f.key, at, refused))).toEqual(expected)
  })

  it.each<[string, RetireKeyFacts, Date | null, Parameters<typeof checkFindings>[2], string[]]>([
    ['disabled 28 days, clean', facts({}, disabled), since, { value: [] }, []],
    ['disabled 5 days ago: soak too short', facts({}, disabled), d('2026-11-24T00:00:00Z'), { value: [] }, ['SOAK_TOO_SHORT:block']],
    ['an alias', facts({ aliases: ['alias/app'] }, disabled), since, { value: [] }, ['KEY_HAS_ALIASES:block']],
    ['still needed', facts({}, disabled), since, { value: [{ principal: APP, count: 1, lastSeen: 'x', operations: ['Decrypt'] }] }, ['KEY_STILL_NEEDED:block']],
    ['not disabled', facts(), since, { value: [] }, ['KEY_NOT_DISABLED:block']],
    ['disable time unknown', facts({}, disabled), null, { value: [] }, ['SOAK_UNKNOWN:block']],
    ['CloudTrail unreadable', facts({}, disabled), since, { error: 'denied' }, ['SOAK_UNCHECKED:block']],
    ['AWS managed', facts({}, { ...disabled, keyManager: 'AWS' }), since, { value: [] }, ['KEY_AWS_MANAGED:block']],
    ['aliases unread', facts({ aliasesUnread: ['ListAliases in eu-west-1 failed: throttled'] }, disabled), since, { value: [] }, ['ALIASES_UNKNOWN:block']],
  ])('--schedule-deletion (soak 7d): %s', (_name, f, at, refused, expected) => {
    expect(codes(scheduleFindings(f, at, refused, { soakDays: 7, now: NOW }))).toEqual(expected)
  })

  // Failed before the fix: "--soak 0.041666666666666664d".
  it('SOAK_TOO_SHORT names the durations as the flags take them (1h, 7d), not as fractions of a day', () => {
    const hour = 1 / 24
    const at = new Date(NOW.getTime() - 30 * 60_000)
    const [soakShort] = scheduleFindings(facts({}, disabled), at, { value: [] }, { soakDays: hour, now: NOW })
    expect(soakShort?.message).toBe(`k1 was disabled on ${at.toISOString()}, 0d ago, less than the --soak 1h: wait, then kms-alias retire k1 --check`)
    const [daysShort] = scheduleFindings(facts({}, disabled), d('2026-11-24T00:00:00Z'), { value: [] }, { soakDays: 7, now: NOW })
    expect(daysShort?.message).toBe('k1 was disabled on 2026-11-24T00:00:00.000Z, 5d ago, less than the --soak 7d: wait, then kms-alias retire k1 --check')
    expect([formatDays(hour), formatDays(36 / 24), formatDays(30), formatDays(0.5 / 24)]).toEqual(['1h', '36h', '30d', '0.5h'])
  })

  it('refusedCallers: only DisabledException at or after the disable time, by principal', () => {
    const rows = refusedCallers(
      [
        event({ errorCode: 'DisabledException', eventTime: d('2026-11-20T00:00:00Z') }),
        event({ errorCode: 'DisabledException', eventName: 'Encrypt', eventTime: d('2026-11-21T00:00:00Z') }),
        event({ errorCode: 'DisabledException', eventTime: d('2026-10-01T00:00:00Z'), principal: BATCH }),
        event({ errorCode: 'AccessDeniedException', principal: BATCH }),
      ],
      since,
    )
    expect(rows).toEqual([{ principal: APP, count: 2, lastSeen: '2026-11-21T00:00:00.000Z', operations: ['Decrypt', 'Encrypt'] }])
  })
})
