import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { aliasOnNewKey, cli, cliEnv, motoUrl } from './harness.js'

/** A loopback port with nothing listening: requests sent there fail at once, and stay local. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

let files: { config: string; credentials: string }
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-alias-profiles-'))
  files = { config: join(dir, 'config'), credentials: join(dir, 'credentials') }
  // The default profile points at a dead loopback port in another Region: a run that used it
  // instead of --profile's settings fails there (and never leaves this machine).
  writeFileSync(
    files.config,
    [
      '[default]',
      'region = eu-west-1',
      `endpoint_url = http://127.0.0.1:${await closedPort()}`,
      '',
      '[profile emu]',
      'region = us-east-1',
      `endpoint_url = ${motoUrl()}`,
      'aws_access_key_id = testing',
      'aws_secret_access_key = testing',
      '',
    ].join('\n'),
  )
  writeFileSync(files.credentials, '')
})

/** No Region or endpoint from the environment: only the profiles say where to go. */
const profileEnv = (extra: Record<string, string | undefined> = {}) =>
  cliEnv({ AWS_REGION: undefined, AWS_ENDPOINT_URL_KMS: undefined, AWS_CONFIG_FILE: files.config, AWS_SHARED_CREDENTIALS_FILE: files.credentials, ...extra })

describe('profiles (temporary AWS_CONFIG_FILE)', () => {
  it('--profile takes the profile\'s endpoint_url, Region and credentials, as AWS_PROFILE does', async () => {
    // Tried without setting AWS_PROFILE from --profile: the SDK took the endpoint of [default]
    // (exit 8, ECONNREFUSED) while the Region and credentials came from [profile emu].
    const { alias, keyId } = await aliasOnNewKey('profile')
    const r = await cli(['list', '--profile', 'emu', '--key', keyId, '--json'], profileEnv())
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).map((a: { alias: string }) => a.alias)).toEqual([alias, `${alias}-keep`])
    // cliEnv also sets AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: the SDK's multi-line warning about
    // that comes through our stderr as one explained line (before: the raw SDK text).
    expect(r.stderr).toBe(
      "warning: both a profile (emu) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set: the profile's credentials are used and the variables ignored; unset one of them\n",
    )
    const viaEnv = await cli(['list', '--key', keyId, '--json'], profileEnv({ AWS_PROFILE: 'emu', AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }))
    expect(viaEnv).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(viaEnv.stdout)).toEqual(JSON.parse(r.stdout))
  })

  it('a profile that does not exist is "profile not found" (exit 7), not "no Region"', async () => {
    for (const [args, env] of [
      [['--profile', 'nope'], profileEnv()],
      [[], profileEnv({ AWS_PROFILE: 'nope' })],
    ] as const) {
      const r = await cli(['list', ...args], env)
      expect(r).toEqual({
        code: 7,
        stdout: '',
        stderr: `error: profile "nope" not found in ${files.config} or ${files.credentials}\nhint: check --profile and AWS_PROFILE (aws configure list-profiles lists the profiles)\n`,
      })
    }
  })

  it('a Region that is not a Region name says so (exit 7 from the environment)', async () => {
    const r = await cli(['list'], cliEnv({ AWS_REGION: 'useast1' }))
    expect(r).toEqual({
      code: 7,
      stdout: '',
      stderr: 'error: "useast1" is not an AWS Region name\nhint: a Region name looks like us-east-1 or eu-west-2; pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in the profile\n',
    })
  })

  it('reads AWS_DEFAULT_REGION when AWS_REGION is not set, as the AWS CLI does', async () => {
    // Before: "no AWS Region is configured" (exit 7), though `aws kms` in the same shell worked.
    const { keyId } = await aliasOnNewKey('default-region')
    const r = await cli(['list', '--key', keyId, '--json'], cliEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: 'us-east-1' }))
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(r.stdout)).toHaveLength(2)
  })
})
