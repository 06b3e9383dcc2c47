import { describe, expect, it } from 'vitest'
import { resolveGlobalOptions } from '../../src/cli/globalOptions.js'
import { sessionOf } from '../../src/cli/session.js'
import { createUi } from '../../src/output/ui.js'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { defaultJournal, testContext, type TestContextOptions } from '../helpers/testContext.js'

const ROLE_A = { arn: 'arn:aws:iam::111122223333:role/a', sessionName: 'kms-alias' }
const ROLE_B = { arn: 'arn:aws:iam::444455556666:role/b', sessionName: 'kms-alias' }

function setUp(raw: Parameters<typeof resolveGlobalOptions>[0], options: TestContextOptions = {}) {
  const ctx = testContext({ kms: new FakeKms(), iam: { identityPolicies: async () => [] }, ...options })
  const globals = resolveGlobalOptions(raw, ctx)
  return { ctx, session: sessionOf(ctx, globals, createUi(ctx, globals)) }
}

describe('Session: every AWS port of a run from one set of settings', () => {
  it('builds nothing until a port is asked for (no SDK load for runs that need none)', () => {
    const { ctx } = setUp({ region: 'us-east-1', roleArn: ROLE_A.arn })
    expect(ctx.kmsConfigs).toEqual([])
    expect(ctx.iamConfigs).toEqual([])
  })

  it('a place replaces --region and --role-arn; the other settings stay', async () => {
    const { ctx, session } = setUp({ region: 'us-east-1', maxAttempts: 5, timeout: 9, roleArn: ROLE_A.arn })
    await session.kms()
    await session.kms({ region: 'eu-west-1' })
    await session.kms({ region: 'ap-southeast-2', role: ROLE_B })
    expect(ctx.kmsConfigs.map(({ region, role, maxAttempts, requestTimeoutMs }) => ({ region, role: role?.arn, maxAttempts, requestTimeoutMs }))).toEqual([
      { region: 'us-east-1', role: ROLE_A.arn, maxAttempts: 5, requestTimeoutMs: 9000 },
      { region: 'eu-west-1', role: ROLE_A.arn, maxAttempts: 5, requestTimeoutMs: 9000 },
      { region: 'ap-southeast-2', role: ROLE_B.arn, maxAttempts: 5, requestTimeoutMs: 9000 },
    ])
  })

  // Tried once: with the port cache in session.ts removed, ctx.kms is called four times here.
  it('one port per (Region, role): asking again for the same place returns the same port', async () => {
    const { ctx, session } = setUp({ region: 'us-east-1' }, { kms: () => new FakeKms() })
    const [first, again, explicit] = await Promise.all([session.kms(), session.kms(), session.kms({ region: 'us-east-1' })])
    const other = await session.kms({ region: 'us-east-1', role: ROLE_B })
    expect(again).toBe(first)
    expect(explicit).toBe(first)
    expect(other).not.toBe(first)
    expect(ctx.kmsConfigs.map((c) => [c.region, c.role?.arn ?? null])).toEqual([
      ['us-east-1', null],
      ['us-east-1', ROLE_B.arn],
    ])
  })

  // Issue 18 defect 4 at the seam (the e2e test in test/e2e/iamRole.e2e.test.ts shows it on two
  // moto accounts): before the session, the IAM port was opened without the role.
  it('IAM gets the same Region, profile, attempts, timeout and role as KMS; a partition\'s role replaces the run\'s', async () => {
    const { ctx, session } = setUp({ profile: 'ops', maxAttempts: 2, timeout: 4, roleArn: ROLE_A.arn }, { env: { AWS_DEFAULT_REGION: 'eu-central-1' } })
    await session.kms()
    await session.iam()
    await session.iam({ role: ROLE_B })
    const shared = { region: 'eu-central-1', profile: 'ops', maxAttempts: 2, requestTimeoutMs: 4000, signal: ctx.signal }
    expect(ctx.kmsConfigs).toEqual([{ ...shared, role: ROLE_A, env: ctx.env, warn: expect.any(Function) }])
    expect(ctx.iamConfigs).toEqual([
      { ...shared, role: ROLE_A, env: ctx.env, warn: expect.any(Function) },
      { ...shared, role: ROLE_B, env: ctx.env, warn: expect.any(Function) },
    ])
  })

  it('the SDK\'s warnings reach stderr through the run\'s log; --debug lines only with --debug', async () => {
    const quiet = setUp({})
    await quiet.session.kms()
    const config = quiet.ctx.kmsConfigs[0]
    config?.warn?.('both a profile and keys are set')
    expect(config?.debug).toBeUndefined()
    expect(quiet.ctx.stderr()).toBe('warning: both a profile and keys are set\n')

    const loud = setUp({ debug: true })
    await loud.session.iam()
    loud.ctx.iamConfigs[0]?.debug?.('GetAccountAuthorizationDetails (all pages): ok in 3 ms')
    expect(loud.ctx.stderr()).toBe('debug: GetAccountAuthorizationDetails (all pages): ok in 3 ms\n')
  })

  it('warns about a plain remote endpoint once, however many Regions are opened', async () => {
    const { ctx, session } = setUp({ endpointUrl: 'http://kms.example.test:4566' })
    await session.kms({ region: 'us-east-1' })
    await session.kms({ region: 'eu-west-1' })
    expect(ctx.stderr()).toBe('warning: http://kms.example.test:4566 is plain http:// and not on this machine: requests and responses cross the network unencrypted\n')
  })

  it('a malformed AWS_ENDPOINT_URL_KMS is a usage error at every port, and no port is built', async () => {
    const { ctx, session } = setUp({}, { env: { AWS_ENDPOINT_URL_KMS: 'ftp://kms.example.test' } })
    for (let i = 0; i < 2; i++) await expect(session.kms()).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('AWS_ENDPOINT_URL_KMS') })
    expect(ctx.kmsConfigs).toEqual([])
  })
})

describe('one session per run', () => {
  it('the same Context and options give the same session; options of another run give another', () => {
    const ctx = testContext({ kms: new FakeKms() })
    const globals = resolveGlobalOptions({ region: 'us-east-1' }, ctx)
    const ui = createUi(ctx, globals)
    expect(sessionOf(ctx, globals, ui)).toBe(sessionOf(ctx, globals, ui))
    expect(sessionOf(ctx, { ...globals }, ui)).not.toBe(sessionOf(ctx, globals, ui))
  })

  // Tried once: with sessionOf building a new session at each call, undo opened two KMS ports
  // (its account check and the change), each asking STS for the account on its own.
  it('undo: the account check and the change it makes share one KMS port', async () => {
    const old = key()
    const next = key()
    const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/keep': old.keyId } })
    const journal = defaultJournal()
    expect((await run(['update', 'alias/app', '--to', next.keyId, '--yes'], { kms, journal })).code).toBe(0)
    const undone = await run(['undo', '--last', '--yes'], { kms, journal })
    expect(undone.code).toBe(0)
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
    expect(undone.ctx.kmsConfigs.map((c) => c.region)).toEqual(['us-east-1'])
  })
})
