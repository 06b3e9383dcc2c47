// The demo as a newcomer runs it: the built CLI, an environment with no AWS variables and an empty
// HOME, no emulator. Two preloads make any network connection and any load of the AWS SDK fail
// loudly, so a run that passes made neither.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, type CliResult } from './harness.js'

const NO_NETWORK = new URL('../support/noNetwork.js', import.meta.url).href
const NO_AWS_SDK = new URL('../support/noAwsSdk.js', import.meta.url).href
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

function isolated(args: string[], env: Record<string, string>, preloads = [NO_NETWORK, NO_AWS_SDK]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...preloads.flatMap((p) => ['--import', p]), BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

/** No AWS variable, no ~/.aws (HOME is empty), and a TMPDIR of its own to see what is left in it. */
function emptyEnvironment() {
  const env = { HOME: mkdtempSync(join(tmpdir(), 'kms-alias-demo-home-')), TMPDIR: mkdtempSync(join(tmpdir(), 'kms-alias-demo-tmp-')) }
  return { env, leftovers: () => [...readdirSync(env.HOME), ...readdirSync(env.TMPDIR)] }
}

describe('kms-alias demo with no AWS configuration and no network', () => {
  it('table view: shows the refusal and the undo command, exits 0, leaves no file behind', async () => {
    const { env, leftovers } = emptyEnvironment()
    const r = await isolated(['demo', '--output', 'table', '--no-color'], env)
    expect(r.stderr).not.toMatch(/NETWORK ACCESS|AWS SDK was loaded/)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/│ key spec +│ RSA_4096 +│ RSA_2048 +│ ✗ blocked │/)
    expect(r.stdout).toContain('✗ block KEY_SPEC_MISMATCH the key spec changes from RSA_4096 to RSA_2048')
    expect(r.stderr).toContain('error: refused by the preflight: KEY_SPEC_MISMATCH\n')
    expect(r.stdout).toMatch(new RegExp(`\nUndo: kms-alias update alias/demo/payments --to ${UUID} --expect-current ${UUID} --region us-east-1 --endpoint-url memory:\n`))
    expect(leftovers()).toEqual([])
  })

  it('JSON view: the refused step and the undo command in one document', async () => {
    const { env } = emptyEnvironment()
    const r = await isolated(['demo', '--json'], env)
    expect(r.stderr).not.toMatch(/NETWORK ACCESS|AWS SDK was loaded/)
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.steps[2].output).toMatchObject({ outcome: 'refused', exitCode: 3, findings: [{ code: 'KEY_SPEC_MISMATCH', severity: 'block' }, { code: 'OLD_ARTIFACTS_NEED_OLD_KEY' }] })
    const [, , payments, paymentsNext] = doc.steps[0].output.keys.map((k: { keyId: string }) => k.keyId)
    expect(doc.steps[3].output.undo).toBe(`kms-alias update alias/demo/payments --to ${payments} --expect-current ${paymentsNext} --region us-east-1 --endpoint-url memory:`)
    expect(doc.steps[5].output).toMatchObject({ outcome: 'updated', target: { keyId: payments } })
  })

  // The checks above are only as good as the preloads: each must catch what it guards against.
  it('the preloads catch a connection and a load of the SDK', async () => {
    const aws = { AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' }
    const connects = await isolated(['list', '--endpoint-url', 'http://127.0.0.1:9', '--max-attempts', '1', '--timeout', '1'], aws, [NO_NETWORK])
    expect(connects.stderr).toContain('NETWORK ACCESS: net.')
    expect(connects.code).not.toBe(0)
    const loadsSdk = await isolated(['list'], aws, [NO_AWS_SDK])
    expect(loadsSdk.stderr).toContain('the AWS SDK was loaded: @aws-sdk/client-kms')
    expect(loadsSdk.code).toBe(1)
  })
})
