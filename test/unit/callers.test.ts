// --callers: recent callers against the new key's policy and grants. The policies are written by
// hand from the KMS developer guide's rules (an account root delegates to IAM; a Deny wins; a
// grant gives its operations to its grantee), not copied from the code.
import { describe, expect, it } from 'vitest'
import type { TrailEvent } from '../../src/cloudtrail/port.js'
import type { GrantInfo } from '../../src/kms/port.js'
import { callerFindings, policyPrincipal, type CallerCheckInput } from '../../src/preflight/callers.js'

const ACCT = '111122223333'
const ROOT = `arn:aws:iam::${ACCT}:root`
const APP = `arn:aws:iam::${ACCT}:role/app`
const SESSION = `arn:aws:sts::${ACCT}:assumed-role/app/i-0abc`
const statement = (effect: 'Allow' | 'Deny', principal: string, action: string | string[]) => ({ Effect: effect, Principal: { AWS: principal }, Action: action, Resource: '*' })
const policy = (...statements: object[]) => ({ ok: true as const, value: JSON.stringify({ Version: '2012-10-17', Statement: statements }) })
const grants = (...g: GrantInfo[]) => ({ ok: true as const, value: g })
const rootOnly = policy(statement('Allow', ROOT, 'kms:*'))
const appByName = policy(statement('Allow', ROOT, 'kms:*'), statement('Allow', APP, ['kms:Encrypt', 'kms:Decrypt']))
const decrypt = (principal: string, over: Partial<TrailEvent> = {}): TrailEvent => ({
  eventId: 'e',
  eventName: 'Decrypt',
  eventTime: new Date('2026-11-20T00:00:00Z'),
  principal,
  ...over,
})
const events = (...e: TrailEvent[]) => ({ ok: true as const, value: { events: e, truncated: false } })

function input(over: Partial<CallerCheckInput>): CallerCheckInput {
  return {
    events: events(decrypt(SESSION)),
    current: { policy: appByName, grants: grants() },
    target: { policy: appByName, grants: grants() },
    targetKeyId: 'k2',
    partition: 'aws',
    windowDays: 30,
    allowAccessChange: false,
    ...over,
  }
}
const codes = (f: { code: string; severity: string }[]) => f.map((x) => `${x.code}:${x.severity}`)

describe('callerFindings', () => {
  it('an assumed-role session is its role', () => expect(policyPrincipal(SESSION)).toBe(APP))

  it.each<[string, Partial<CallerCheckInput>, string[]]>([
    ['the new key names the caller too', {}, []],
    ['the new key allows only its account (IAM decides), the current one named the caller', { target: { policy: rootOnly, grants: grants() } }, ['RECENT_CALLER_NOT_ALLOWED:block']],
    ['both keys allow only the account: IAM decided before and decides after', { current: { policy: rootOnly, grants: grants() }, target: { policy: rootOnly, grants: grants() } }, []],
    ['the new key denies the caller', { target: { policy: policy(statement('Allow', APP, 'kms:*'), statement('Deny', APP, 'kms:Decrypt')), grants: grants() } }, ['RECENT_CALLER_NOT_ALLOWED:block']],
    ['the new key allows nobody of that account', { target: { policy: policy(statement('Allow', 'arn:aws:iam::444455556666:root', 'kms:*')), grants: grants() } }, ['RECENT_CALLER_NOT_ALLOWED:block']],
    [
      'a grant on the new key gives the caller Decrypt',
      { target: { policy: rootOnly, grants: grants({ grantId: 'g', granteePrincipal: APP, operations: ['Decrypt'] }) } },
      [],
    ],
    [
      'a grant for other operations only',
      { target: { policy: rootOnly, grants: grants({ grantId: 'g', granteePrincipal: APP, operations: ['Encrypt'] }) } },
      ['RECENT_CALLER_NOT_ALLOWED:block'],
    ],
    ['--allow-access-change: a warning', { target: { policy: rootOnly, grants: grants() }, allowAccessChange: true }, ['RECENT_CALLER_NOT_ALLOWED:warn']],
    ['only failed calls and reads: nothing to check', { target: { policy: rootOnly, grants: grants() }, events: events(decrypt(APP, { errorCode: 'AccessDeniedException' }), decrypt(APP, { eventName: 'DescribeKey' })) }, []],
    ['CloudTrail unreadable', { events: { ok: false, error: 'denied' } }, ['CALLERS_UNCHECKED:warn']],
    ['--max-events cut the window', { events: { ok: true, value: { events: [decrypt(SESSION)], truncated: true } } }, ['CALLERS_UNCHECKED:warn']],
    ["the new key's policy unreadable", { target: { policy: { ok: false, error: 'AccessDenied' }, grants: grants() } }, ['CALLERS_UNCHECKED:warn']],
  ])('%s', (_name, over, expected) => {
    expect(codes(callerFindings(input(over)))).toEqual(expected)
  })

  it('names the caller, the operations and the last time', () => {
    const [finding] = callerFindings(input({ target: { policy: rootOnly, grants: grants() }, events: events(decrypt(SESSION), decrypt(SESSION, { eventName: 'Encrypt', eventTime: new Date('2026-11-21T00:00:00Z') })) }))
    expect(finding?.message).toBe(
      `${APP} used the current key in the last 30 days, but the key policy and grants of k2 would not allow: Decrypt (last 2026-11-20T00:00:00.000Z; on the new key: only IAM could (the current key allows it by name or grant)), Encrypt (last 2026-11-21T00:00:00.000Z; on the new key: only IAM could (the current key allows it by name or grant)) (pass --allow-access-change once it has access)`,
    )
  })
})
