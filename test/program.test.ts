import { describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { FakeKms } from './helpers/fakeKms.js'
import { testContext } from './helpers/testContext.js'
import { version } from '../src/version.js'

async function run(args: string[]) {
  const ctx = testContext()
  const code = await main(args, ctx)
  return { code, stdout: ctx.stdout(), stderr: ctx.stderr(), kmsBuilt: ctx.kmsConfigs.length }
}

const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab'
const ENDPOINT_HINT = 'hint: give an http:// or https:// URL, e.g. https://kms.eu-west-1.amazonaws.com or http://127.0.0.1:4566\n'
const KEY2 = '0987dcba-09fe-87dc-65ba-ab0987654321'

describe('parsing', () => {
  it('prints help on stdout and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: kms-alias [options] [command]')
    expect(r.stdout).toContain('update [options] <alias>')
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 internal error, 2 usage, 3 refused, 4 not found, 5 conflict,')
    expect(r.stderr).toBe('')
    expect(r.kmsBuilt).toBe(0)
  })

  it('shows the global options in a command help', async () => {
    const r = await run(['update', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--expect-current <key>')
    expect(r.stdout).toContain('Global Options:')
    expect(r.stdout).toContain('--endpoint-url <url>')
  })

  it("a typed word commander echoes in its error is shown escaped, not obeyed (failed before: ESC[2J reached stderr raw)", async () => {
    const r = await run(['lis\u001b[2Jt'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: unknown command 'lis\\x1b[2Jt'\n(add --help for usage)\n")
  })

  it('prints the version', async () => {
    const r = await run(['--version'])
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' })
  })

  it.each([
    [['update', 'alias/app'], "error: required option '--to <key>' not specified\n(add --help for usage)\n"],
    [['update', '--to', KEY], "error: missing required argument 'alias'\n(add --help for usage)\n"],
    [['update', 'alias/app', '--to', KEY, '--bogus'], "error: unknown option '--bogus'\n(add --help for usage)\n"],
    [['updat'], "error: unknown command 'updat'\n(Did you mean update?)\n(add --help for usage)\n"],
    [['update', 'alias/app', '--to', KEY, '-o', 'yaml'], "error: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are table, json, text.\n(add --help for usage)\n"],
    [['update', 'app', '--to', KEY], 'error: alias "app" is not an alias name\nhint: alias names start with "alias/" (did you mean alias/app?)\n'],
    [['update', 'alias/app', '--to', 'app'], 'error: --to "app" is not a key identifier\nhint: give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN\n'],
    // Issue 19 item 12: the hint's forms are all accepted now (alias/<name> is resolved at plan time, as with --regions).
    [['update', 'alias/app', '--to', KEY, '--expect-current', 'x'], 'error: --expect-current "x" is not a key identifier\nhint: give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN\n'],
    [['update', 'alias/app', '--to', KEY, '--verify-timeout', '0'], 'error: --verify-timeout must be a decimal number of seconds above 0 and at most 3600, not "0"\n'],
    [['update', 'alias/app', '--to', KEY, '--max-attempts', 'x'], 'error: --max-attempts must be a whole number from 1 to 20, not "x"\n'],
    // Plain decimal numbers within the documented bounds only (Number() took all of these before).
    [['update', 'alias/app', '--to', KEY, '--verify-timeout', '1e9'], 'error: --verify-timeout must be a decimal number of seconds above 0 and at most 3600, not "1e9"\n'],
    [['update', 'alias/app', '--to', KEY, '--verify-timeout', '0x10'], 'error: --verify-timeout must be a decimal number of seconds above 0 and at most 3600, not "0x10"\n'],
    [['update', 'alias/app', '--to', KEY, '--verify-timeout', '3601'], 'error: --verify-timeout must be a decimal number of seconds above 0 and at most 3600, not "3601"\n'],
    [['update', 'alias/app', '--to', KEY, '--timeout', ' 5'], 'error: --timeout must be a decimal number of seconds above 0 and at most 300, not " 5"\n'],
    [['update', 'alias/app', '--to', KEY, '--timeout', 'Infinity'], 'error: --timeout must be a decimal number of seconds above 0 and at most 300, not "Infinity"\n'],
    [['update', 'alias/app', '--to', KEY, '--max-attempts', '21'], 'error: --max-attempts must be a whole number from 1 to 20, not "21"\n'],
    [['apply', 'f.txt', '--rate', '1e2'], 'error: --rate must be a decimal number above 0 and at most 1000, not "1e2"\n'],
    [['update', 'alias/app', '--to', KEY, '--json', '-o', 'text'], 'error: --json conflicts with --output text\n'],
    // Repeated single-value options: commander alone would silently keep the last one (checked by
    // removing refuseRepeatedOptions: these cases then ran the command with KEY2).
    [['update', 'alias/app', '--to', KEY, '--to', KEY2], `error: --to was given twice ("${KEY}" and "${KEY2}"); give it once\n`],
    [['update', 'alias/app', '--to', KEY, '--expect-current', KEY, '--expect-current', KEY2], `error: --expect-current was given twice ("${KEY}" and "${KEY2}"); give it once\n`],
    [['update', 'alias/app', '--to', KEY, '--verify-timeout', '5', '--verify-timeout', '6'], 'error: --verify-timeout was given twice ("5" and "6"); give it once\n'],
    [['--region', 'us-east-1', 'update', 'alias/app', '--to', KEY, '--region', 'eu-west-1'], 'error: --region was given twice ("us-east-1" and "eu-west-1"); give it once\n'],
    [['list', '-o', 'json', '--output', 'text'], 'error: --output was given twice ("json" and "text"); give it once\n'],
    [['list', '--endpoint-url', 'notaurl'], 'error: --endpoint-url "notaurl" is not a KMS endpoint: it is not a URL\n' + ENDPOINT_HINT],
    [['list', '--endpoint-url', 'ftp://kms.example'], 'error: --endpoint-url "ftp://kms.example" is not a KMS endpoint: ftp is not http or https\n' + ENDPOINT_HINT],
    [['list', '--endpoint-url', 'memory:x'], 'error: --endpoint-url "memory:x" is not a KMS endpoint: memory is not http or https\n' + ENDPOINT_HINT],
    [['list', '--region', 'us-east'], 'error: --region "us-east" is not an AWS Region name\nhint: a Region name looks like us-east-1 or eu-west-2\n'],
    [['list', '--region', 'EU-WEST-1'], 'error: --region "EU-WEST-1" is not an AWS Region name\nhint: a Region name looks like us-east-1 or eu-west-2\n'],
    [['apply', 'f.txt', '--rate', '2', '--rate', '3'], 'error: --rate was given twice ("2" and "3"); give it once\n'],
  ])('%j is a usage error (exit 2) that calls nothing', async (args, stderr) => {
    const r = await run(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(stderr)
    expect(r.stdout).toBe('')
    expect(r.kmsBuilt).toBe(0)
  })

  it.each([
    ['AWS_ENDPOINT_URL_KMS', 'notaurl', 'it is not a URL'],
    ['AWS_ENDPOINT_URL', 'ftp://kms.example', 'ftp is not http or https'],
  ])('%s=%s is a usage error (exit 2) before any KMS client is built', async (name, value, problem) => {
    const ctx = testContext({ env: { [name]: value } })
    const code = await main(['list'], ctx)
    expect(code).toBe(2)
    expect(ctx.stderr()).toBe(`error: ${name} "${value}" is not a KMS endpoint: ${problem}\n${ENDPOINT_HINT}`)
    expect(ctx.stdout()).toBe('')
    expect(ctx.kmsConfigs).toEqual([])
  })

  it.each([
    [{ AWS_DEFAULT_REGION: 'eu-west-1' }, [], 'eu-west-1'],
    // AWS_REGION wins: the SDK reads it itself, so no Region is passed.
    [{ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-west-1' }, [], undefined],
    [{ AWS_DEFAULT_REGION: 'eu-west-1' }, ['--region', 'us-gov-west-1'], 'us-gov-west-1'],
    [{}, [], undefined],
  ])('Region for env %j and %j: %s (AWS_DEFAULT_REGION as the AWS CLI reads it)', async (env, args, region) => {
    const ctx = testContext({ kms: new FakeKms(), env })
    expect(await main(['list', ...args], ctx)).toBe(0)
    expect(ctx.kmsConfigs.map((c) => c.region)).toEqual([region])
  })

  it('takes http(s) endpoints and exactly memory: (the in-memory KMS) from the flag', async () => {
    for (const endpoint of ['memory:', 'https://kms.eu-west-1.amazonaws.com', 'http://127.0.0.1:4566/']) {
      const ctx = testContext({ kms: new FakeKms() })
      const code = await main(['list', '--endpoint-url', endpoint], ctx)
      expect(code).toBe(0)
      expect(ctx.kmsConfigs.map((c) => c.endpointUrl)).toEqual([endpoint])
    }
  })

  it('reports a bug as exit 1 with a short message, and the stack only with --debug', async () => {
    for (const debug of [false, true]) {
      const ctx = testContext()
      ctx.kms = async () => {
        throw new TypeError('boom')
      }
      const code = await main(['update', 'alias/app', '--to', KEY, ...(debug ? ['--debug'] : [])], ctx)
      expect(code).toBe(1)
      const lines = ctx.stderr().split('\n')
      expect(lines[0]).toBe('error: internal error: boom')
      if (debug) expect(lines[1]).toBe('TypeError: boom')
      else expect(lines.slice(1)).toEqual(['hint: this is a bug in kms-alias; run again with --debug for the stack trace', ''])
    }
  })
})
