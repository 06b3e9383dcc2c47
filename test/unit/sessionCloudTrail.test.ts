// The CloudTrail port of a run (issue 21): built by the Session with the run's shared settings, one
// per (Region, role), on the run's clock; the in-memory trail with the in-memory KMS.
import { describe, expect, it } from 'vitest'
import { resolveGlobalOptions } from '../../src/cli/globalOptions.js'
import { sessionOf } from '../../src/cli/session.js'
import { createUi } from '../../src/output/ui.js'
import { FakeKms } from '../helpers/fakeKms.js'
import { testContext, type TestContextOptions } from '../helpers/testContext.js'

const ROLE = { arn: 'arn:aws:iam::444455556666:role/b', sessionName: 'kms-alias' }

function setUp(raw: Parameters<typeof resolveGlobalOptions>[0], options: TestContextOptions = {}) {
  const ctx = testContext({ kms: new FakeKms(), cloudtrail: () => ({ keyEvents: async () => ({ events: [], truncated: false, pages: 0 }) }), ...options })
  const globals = resolveGlobalOptions(raw, ctx)
  return { ctx, session: sessionOf(ctx, globals, createUi(ctx, globals)) }
}

describe('Session: the CloudTrail port', () => {
  it("shares KMS's settings, one port per (Region, role), on the run's clock; nothing is built before it is asked for", async () => {
    const { ctx, session } = setUp({ region: 'us-east-1', maxAttempts: 5 })
    expect(ctx.trailConfigs).toEqual([])
    const [a, b] = await Promise.all([session.cloudtrail(), session.cloudtrail({ region: 'us-east-1' })])
    expect(a).toBe(b)
    await session.cloudtrail({ region: 'eu-west-1', role: ROLE })
    expect(ctx.trailConfigs.map((c) => ({ region: c.region, role: c.role?.arn, maxAttempts: c.maxAttempts, inMemory: c.inMemory }))).toEqual([
      { region: 'us-east-1', role: undefined, maxAttempts: 5, inMemory: undefined },
      { region: 'eu-west-1', role: ROLE.arn, maxAttempts: 5, inMemory: undefined },
    ])
    expect(ctx.trailConfigs[0]?.clock.now()).toEqual(ctx.now())
  })

  it('--endpoint-url memory: asks for the in-memory trail', async () => {
    const { ctx, session } = setUp({ region: 'us-east-1', endpointUrl: 'memory:' })
    await session.cloudtrail()
    expect(ctx.trailConfigs.map((c) => c.inMemory)).toEqual([true])
  })

  // Failed before the fix: the port was built for AWS's CloudTrail, whose empty answer read as idleness of the emulated KMS's key.
  it('--endpoint-url without a CloudTrail endpoint: CloudTrail is not read (an error saying why), with one it is', async () => {
    const bare = setUp({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:4566' })
    await expect(bare.session.cloudtrail()).rejects.toMatchObject({
      message: "--endpoint-url http://127.0.0.1:4566 overrides KMS only, so CloudTrail's events would be about another KMS",
      hint: 'set AWS_ENDPOINT_URL_CLOUDTRAIL to the CloudTrail endpoint that logs that KMS',
    })
    expect(bare.ctx.trailConfigs).toEqual([])
    const ignored = setUp({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:4566' }, { env: { AWS_ENDPOINT_URL_CLOUDTRAIL: 'http://127.0.0.1:4567', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' } })
    await expect(ignored.session.cloudtrail()).rejects.toMatchObject({ exitCode: 2 })
    const set = setUp({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:4566' }, { env: { AWS_ENDPOINT_URL_CLOUDTRAIL: 'http://127.0.0.1:4567' } })
    await set.session.cloudtrail()
    expect(set.ctx.trailConfigs).toHaveLength(1)
  })

  it.each([
    ['AWS_ENDPOINT_URL_CLOUDTRAIL', 'ftp://127.0.0.1:1', 'AWS_ENDPOINT_URL_CLOUDTRAIL "ftp://127.0.0.1:1" is not a CloudTrail endpoint: ftp is not http or https'],
    ['AWS_ENDPOINT_URL', 'http://127.0.0.1:1/path', 'AWS_ENDPOINT_URL "http://127.0.0.1:1/path" is not a CloudTrail endpoint: it has a path (/path); a KMS endpoint is a scheme, a host and a port'],
  ])('a bad %s is a usage error before any port is built', async (name, value, message) => {
    const { ctx, session } = setUp({ region: 'us-east-1' }, { env: { [name]: value } })
    await expect(session.cloudtrail()).rejects.toMatchObject({ exitCode: 2, message })
    expect(ctx.trailConfigs).toEqual([])
  })
})
