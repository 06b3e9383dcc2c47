// Faults that make kms-alias wait, run in-process: the real SDK adapter, through the fault proxy, to
// moto_server, with main() on a test Context. The SDK's retry backoff is the adapter's retryDelayMs
// (none here) and the settle and confirmation reads wait on the Context's fake clock, so these
// take no real time waiting. Moved from the spawned e2e files (faults, apply, regionsWrite), each
// with its assertions: what they prove is the SDK's retries and the re-reads after a failure,
// which the process boundary does not change; the built CLI stays covered by the spawned tests.
import { UpdateAliasCommand } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsConfig } from '../../src/kms/port.js'
import { journalOf, run } from '../helpers/run.js'
import { aliasInRegions, aliasOnNewKey, createKey, mappingFile, motoIn, REGION, targetOf, uniqueAlias, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']

/** The SDK adapter through the fault proxy, in the Region a command asks for (this file's REGION by default), retrying at once. */
const overProxy = (config: KmsConfig) => createKmsPort({ retryDelayMs: () => 0, ...config, region: config.region ?? REGION, endpointUrl: proxy.url })
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>

describe('retries (fault proxy, in-process)', () => {
  it('throttled UpdateAlias is retried and succeeds', async () => {
    const { alias } = await aliasOnNewKey('f-throttle-ok')
    const next = await createKey()
    proxy.fault('UpdateAlias', 'throttle', { calls: [1, 2] })
    const r = await run(['update', alias, '--to', next, '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    expect(proxy.calls('UpdateAlias')).toBe(3)
    expect(json(r.stdout)).toMatchObject({ changed: true, verified: true })
    expect(await targetOf(alias)).toBe(next)
  })

  // Tried once: with retryDelayMs not handed to the SDK (sdkClientConfig without it), no delay is asked for and this fails.
  it("the SDK's retries wait what retryDelayMs says, asked once per retry, and keep --max-attempts", async () => {
    const { alias } = await aliasOnNewKey('f-retry-delays')
    const asked: number[] = []
    const kms = (config: KmsConfig) => overProxy({ ...config, retryDelayMs: (retry) => (asked.push(retry), 0) })
    proxy.fault('DescribeKey', 'internal')
    const r = await run(['show', alias, '--max-attempts', '4'], { kms })
    expect(r.code).toBe(8)
    expect(proxy.calls('DescribeKey')).toBe(4)
    expect(asked).toEqual([1, 2, 3])
  })

  it('exhausted retries exit 8 and say the alias did not change (re-read)', async () => {
    const { alias, keyId } = await aliasOnNewKey('f-throttle-fail')
    const next = await createKey()
    proxy.fault('UpdateAlias', 'throttle')
    const r = await run(['update', alias, '--to', next, '--json', '--max-attempts', '2'], { kms: overProxy })
    expect(r.code).toBe(8)
    expect(proxy.calls('UpdateAlias')).toBe(2)
    expect(json(r.stdout)).toMatchObject({ outcome: 'failed', changed: false, error: { code: 'AWS', awsCode: 'ThrottlingException' } })
    expect(r.stderr).toContain(`; ${alias} points to ${keyId} (unchanged)`)
    expect(await targetOf(alias)).toBe(keyId)
  })
})

describe('apply (fault proxy, in-process)', () => {
  it('rolls back a part-way failure; every alias is back where it was (fault proxy: UpdateAlias throttled)', async () => {
    const { alias: a, keyId: aKey } = await aliasOnNewKey('apply-rb-a')
    const { alias: c, keyId: cKey } = await aliasOnNewKey('apply-rb-c')
    const b = uniqueAlias('apply-rb-b')
    const next = await createKey()
    // a is UpdateAlias #1, c is #2 and its retries #3 and #4; the rollback of a is #5.
    proxy.fault('UpdateAlias', 'throttle', { calls: [2, 3, 4] })
    const r = await run(['apply', mappingFile([`${a} ${next}`, `${b} ${next}`, `${c} ${next}`]), '--json', '--max-attempts', '3'], { kms: overProxy })
    expect(r.code).toBe(8)
    expect(JSON.parse(r.stdout).changes.map((x: { action: string; status: string }) => `${x.action} ${x.status}`)).toEqual([
      'update rolled-back',
      'create rolled-back',
      'update failed',
    ])
    expect([await targetOf(a), await targetOf(b), await targetOf(c)]).toEqual([aKey, undefined, cKey])
    expect((await journalOf(r.ctx)).map((e) => `${e.command} ${e.action} ${e.alias}`)).toEqual([
      `apply update ${a}`,
      `apply create ${b}`,
      `apply (rollback) delete ${b}`,
      `apply (rollback) update ${a}`,
    ])
  })
})

describe('update --regions (fault proxy, in-process)', () => {
  type RegionDoc = { region: string; outcome: string; changed: boolean | null; verified: boolean }
  const regionsOf = (stdout: string) => JSON.parse(stdout).regions as RegionDoc[]

  it('a failure in the last Region rolls back the two changed before it (fault proxy: KMSInternalException on the third UpdateAlias)', async () => {
    const w = await aliasInRegions('upd-rollback', REGIONS)
    proxy.fault('UpdateAlias', 'internal', { calls: [3] })
    const r = await run(['update', w.name, '--to', `${w.name}-next`, '--regions', REGIONS.join(','), '--yes', '--json', '--no-journal', '--max-attempts', '1'], {
      kms: overProxy,
    })
    expect(r.code).toBe(8)
    expect(json(r.stdout)).toMatchObject({ outcome: 'failed', changed: false, error: { code: 'AWS', awsCode: 'KMSInternalException' } })
    expect(regionsOf(r.stdout).map((x) => `${x.region} ${x.outcome} ${x.changed} ${x.verified}`)).toEqual([
      'us-east-1 rolled-back false true',
      'eu-west-1 rolled-back false true',
      'ap-southeast-2 failed false false',
    ])
    // Changes in --regions order, then the rollback newest first.
    expect(proxy.calls('UpdateAlias')).toBe(5)
    expect(await w.targets()).toEqual(w.olds())
  })

  it('the rollback leaves alone a Region another writer moved meanwhile, and says so (exit 5) (fault proxy hook as the other writer)', async () => {
    const w = await aliasInRegions('upd-guard', REGIONS)
    const theirs = await createKey()
    // Just before the last Region's (failing) change, another writer moves the alias in us-east-1.
    proxy.before('UpdateAlias', [3], async () => {
      await motoIn('us-east-1').send(new UpdateAliasCommand({ AliasName: w.name, TargetKeyId: theirs }))
    })
    proxy.fault('UpdateAlias', 'internal', { calls: [3] })
    const r = await run(['update', w.name, '--to', `${w.name}-next`, '--regions', REGIONS.join(','), '--yes', '--json', '--no-journal', '--max-attempts', '1'], {
      kms: overProxy,
    })
    expect(r.code).toBe(5)
    expect(regionsOf(r.stdout).map((x) => `${x.region} ${x.outcome}`)).toEqual(['us-east-1 conflict', 'eu-west-1 rolled-back', 'ap-southeast-2 failed'])
    expect(JSON.parse(r.stdout).error.message).toMatch(/; not rolled back because another writer changed .* there since: us-east-1$/)
    // Only eu-west-1's rollback was sent: us-east-1's guard saw the other writer's key.
    expect(proxy.calls('UpdateAlias')).toBe(4)
    expect(await w.targets()).toEqual({ 'us-east-1': theirs, 'eu-west-1': w.keys['eu-west-1']?.old, 'ap-southeast-2': w.keys['ap-southeast-2']?.old })
  })
})
