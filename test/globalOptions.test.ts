import { describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { FakeKms } from './helpers/fakeKms.js'
import { testContext } from './helpers/testContext.js'

const ENDPOINT_HINT = 'hint: give an http:// or https:// URL, e.g. https://kms.eu-west-1.amazonaws.com or http://127.0.0.1:4566\n'

// Before: each of these was taken; the SDK then sent every KMS call to the path (or with the
// query), where an HTML 404 came back as "SyntaxError: Unexpected token '<' …".
describe('an endpoint URL with a path, a query or a fragment is a usage error (exit 2), nothing built', () => {
  const cases = [
    ['http://127.0.0.1:4566/kms', 'it has a path (/kms); a KMS endpoint is a scheme, a host and a port'],
    ['https://kms.eu-west-1.amazonaws.com/v1/', 'it has a path (/v1/); a KMS endpoint is a scheme, a host and a port'],
    ['http://127.0.0.1:4566/?region=eu-west-1', 'it has a query; a KMS endpoint is a scheme, a host and a port'],
    ['http://127.0.0.1:4566?', 'it has a query; a KMS endpoint is a scheme, a host and a port'],
    ['http://127.0.0.1:4566/#top', 'it has a fragment; a KMS endpoint is a scheme, a host and a port'],
  ] as const

  it.each(cases)('--endpoint-url %s', async (value, problem) => {
    const ctx = testContext({ kms: new FakeKms() })
    expect(await main(['list', '--endpoint-url', value], ctx)).toBe(2)
    expect(ctx.stderr()).toBe(`error: --endpoint-url "${value}" is not a KMS endpoint: ${problem}\n${ENDPOINT_HINT}`)
    expect(ctx.stdout()).toBe('')
    expect(ctx.kmsConfigs).toEqual([])
  })

  it.each(cases.flatMap(([value, problem]) => [['AWS_ENDPOINT_URL_KMS', value, problem] as const, ['AWS_ENDPOINT_URL', value, problem] as const]))(
    '%s=%s',
    async (name, value, problem) => {
      const ctx = testContext({ kms: new FakeKms(), env: { [name]: value } })
      expect(await main(['show', 'alias/app'], ctx)).toBe(2)
      expect(ctx.stderr()).toBe(`error: ${name} "${value}" is not a KMS endpoint: ${problem}\n${ENDPOINT_HINT}`)
      expect(ctx.kmsConfigs).toEqual([])
    },
  )

  it('a trailing slash alone is no path', async () => {
    const ctx = testContext({ kms: new FakeKms(), env: { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:4566/' } })
    expect(await main(['list'], ctx)).toBe(0)
    expect(ctx.kmsConfigs).toHaveLength(1)
  })
})

describe('AWS_MAX_ATTEMPTS obeys the rule of --max-attempts', () => {
  // Before: "abc" (and the others) reached the SDK, which used its default of 3 without a word.
  it.each(['abc', '0', '21', '1e2', ' 3', '-1'])('AWS_MAX_ATTEMPTS=%j is a usage error (exit 2) before any client is built', async (value) => {
    const ctx = testContext({ kms: new FakeKms(), env: { AWS_MAX_ATTEMPTS: value } })
    expect(await main(['list', '--json'], ctx)).toBe(2)
    expect(ctx.stderr()).toBe(`error: AWS_MAX_ATTEMPTS must be a whole number from 1 to 20, not "${value}"\n`)
    // Under --json the failure is also the one document on stdout.
    expect(JSON.parse(ctx.stdout())).toEqual({
      error: { code: 'USAGE', message: `AWS_MAX_ATTEMPTS must be a whole number from 1 to 20, not "${value}"` },
      exitCode: 2,
    })
    expect(ctx.kmsConfigs).toEqual([])
  })

  it.each([
    [{ AWS_MAX_ATTEMPTS: '4' }, []],
    [{ AWS_MAX_ATTEMPTS: '' }, []],
    // The flag wins over the variable, so the SDK never reads it.
    [{ AWS_MAX_ATTEMPTS: 'abc' }, ['--max-attempts', '2']],
  ] as const)('env %j with %j runs', async (env, args) => {
    const ctx = testContext({ kms: new FakeKms(), env })
    expect(await main(['list', ...args], ctx)).toBe(0)
    expect(ctx.kmsConfigs).toHaveLength(1)
  })
})
