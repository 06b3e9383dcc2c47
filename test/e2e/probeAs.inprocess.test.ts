// --probe-as against moto through the fault proxy, in-process: moto's STS AssumeRole hands the role
// credentials of its own, which the proxy tells apart by the signing access key, so a failure only
// for the role's credentials (one moto cannot produce) comes from the proxy. Isolated: the SDK's
// STS client takes its endpoint from AWS_ENDPOINT_URL_STS only (process.env).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsConfig } from '../../src/kms/port.js'
import { journalOf, run } from '../helpers/run.js'
import { aliasOnNewKey, createKey, MOTO_ACCOUNT, motoUrl, REGION, targetOf, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const overProxy = (config: KmsConfig) => createKmsPort({ retryDelayMs: () => 0, ...config, region: config.region ?? REGION, endpointUrl: proxy.url })
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/app`
// The operator signs with the access key of vitest.config.ts; the assumed role with moto's.
const roleOnly = (accessKeyId: string) => accessKeyId !== 'testing'

beforeAll(() => {
  process.env.AWS_ENDPOINT_URL_STS = motoUrl()
})
afterAll(() => {
  delete process.env.AWS_ENDPOINT_URL_STS
})

describe('update --probe-as (moto STS credentials, fault proxy)', () => {
  it('probes as the operator and as the role, before and after the change; exit 0', async () => {
    const { alias } = await aliasOnNewKey('probe-as-ok')
    const next = await createKey()
    const r = await run(['update', alias, '--to', next, '--probe-as', ROLE, '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe.callers.map((c: { caller: string; after: { status: string } }) => `${c.caller} ${c.after.status}`)).toEqual([`operator ok`, `${ROLE} ok`])
    // Two callers, each the alias and the new key before, and the alias after.
    expect(proxy.calls('Encrypt')).toBe(6)
    expect(await targetOf(alias)).toBe(next)
  })

  it("a probe that fails after the change only for the role's credentials (fault proxy: AccessDenied to its access key) rolls back, exit 9", async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-as-after')
    const next = await createKey()
    proxy.before('UpdateAlias', [1], () => proxy.fault('Encrypt', 'access-denied', { accessKey: roleOnly }))
    const r = await run(['update', alias, '--to', next, '--probe-as', ROLE, '--probe-timeout', '1', '--json'], { kms: overProxy })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe.callers.map((c: { caller: string; after: { status: string } }) => `${c.caller} ${c.after.status}`)).toEqual([`operator ok`, `${ROLE} failed`])
    expect(doc.error.message).toContain(`Encrypt/Decrypt as ${ROLE} answered AccessDeniedException`)
    expect(await targetOf(alias)).toBe(keyId)
    expect((await journalOf(r.ctx)).map((e) => e.command)).toEqual(['update', 'update (rollback)'])
  })

  // Failed before the fix (PROBE_UNAVAILABLE, exit 0, the alias moved). moto's STS always lets the
  // role be assumed, so the failure is STS unreachable: a closed port on 127.0.0.1.
  it('a --probe-as role whose STS is unreachable ends the run before any write: exit 8, the hint names AWS_ENDPOINT_URL_STS', async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-as-sts-down')
    const next = await createKey()
    // A role of its own: the run's AssumeRole providers are cached by role, and the other tests' work.
    const unreachable = `arn:aws:iam::${MOTO_ACCOUNT}:role/sts-down`
    process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:9'
    try {
      const r = await run(['update', alias, '--to', next, '--probe-as', unreachable, '--max-attempts', '1'], { kms: overProxy })
      expect(r.code).toBe(8)
      expect(r.stderr).toBe(
        `error: --probe-as ${unreachable}: cannot reach STS (ECONNREFUSED) during AssumeRole\nhint: check the endpoint (AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL), the Region and the network\n`,
      )
      expect(proxy.calls('UpdateAlias')).toBe(0)
      expect(await targetOf(alias)).toBe(keyId)
      expect(await journalOf(r.ctx)).toEqual([])
    } finally {
      process.env.AWS_ENDPOINT_URL_STS = motoUrl()
    }
  })
})
