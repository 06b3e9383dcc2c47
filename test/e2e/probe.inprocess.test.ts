// The use probe (issue 20) against moto_server through the fault proxy, in-process (the Context's
// fake clock: --probe-timeout is never waited for). moto performs Encrypt and Decrypt but enforces
// no key policy or key state on them, so what a real KMS answers after an alias change comes from
// the proxy: AccessDenied or KMSInvalidState to the probes after UpdateAlias, and Encrypt answers
// that still name the old key. Each rollback shows the alias back on its old key in moto and the
// journal holding the change and its rollback.
import { describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsConfig } from '../../src/kms/port.js'
import { journalOf, run } from '../helpers/run.js'
import { aliasInRegions, aliasOnNewKey, createKey, mappingFile, MOTO_ACCOUNT, REGION, targetOf, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
const overProxy = (config: KmsConfig) => createKmsPort({ retryDelayMs: () => 0, ...config, region: config.region ?? REGION, endpointUrl: proxy.url })
const arnOf = (keyId: string, region = REGION) => `arn:aws:kms:${region}:${MOTO_ACCOUNT}:key/${keyId}`

/** From the moment UpdateAlias arrives (the change), every Encrypt is answered with `kind`. */
function failUseAfterUpdate(kind: 'access-denied' | 'invalid-state', options: { region?: string; updateCall?: number } = {}) {
  proxy.before('UpdateAlias', [options.updateCall ?? 1], () => proxy.fault('Encrypt', kind, options.region ? { region: options.region } : {}))
}

describe('update (fault proxy to moto, in-process)', () => {
  it('AccessDenied on the probe after UpdateAlias (fault proxy): retried to --probe-timeout, rolled back, exit 9; moto has the old key again', async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-denied')
    const next = await createKey()
    failUseAfterUpdate('access-denied')
    const r = await run(['update', alias, '--to', next, '--probe-timeout', '5', '--json'], { kms: overProxy })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'rolled-back', changed: false, error: { code: 'USE_FAILED' } })
    expect(doc.probe).toMatchObject({ before: 'ok', after: 'failed', rolledBack: true, attempts: 6 })
    expect(doc.error.message).toBe(
      `the change was made and confirmed, but using ${alias} failed: Encrypt/Decrypt answered AccessDeniedException (Encrypt was denied: AccessDeniedException: User is not authorized to perform this operation.) after 6 attempts; it was rolled back`,
    )
    expect(await targetOf(alias)).toBe(keyId)
    expect(proxy.calls('UpdateAlias')).toBe(2)
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.command, e.previousKeyId, e.newKeyId, e.reverts, e.verified])).toEqual([
      ['update', keyId, next, null, true],
      ['update (rollback)', next, keyId, journal[0]?.id, true],
    ])
  })

  it('KMSInvalidStateException on the probe after UpdateAlias (fault proxy): no retry (time does not change it), rolled back, exit 9', async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-invalid-state')
    const next = await createKey()
    failUseAfterUpdate('invalid-state')
    const r = await run(['update', alias, '--to', next, '--json'], { kms: overProxy })
    expect(r.code).toBe(9)
    expect(JSON.parse(r.stdout).probe).toMatchObject({ after: 'failed', attempts: 1, rolledBack: true })
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('Encrypt answered by the old key for a while (fault proxy rewrites its KeyId): waits with the backoff until the new key answers, exit 0', async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-lag')
    const next = await createKey()
    // Encrypt #1 and #2 are the probes before the change; #3 and #4 the first two after it.
    proxy.rewrite('Encrypt', { calls: [3, 4] }, (answer: { KeyId: string }) => ({ ...answer, KeyId: arnOf(keyId) }))
    const r = await run(['update', alias, '--to', next, '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ before: 'ok', after: 'ok', attempts: 3, keyIdSeen: next })
    expect(doc.findings).toEqual([])
    expect(await targetOf(alias)).toBe(next)
  })

  it('the old key still answering at --probe-timeout (fault proxy): PROBE_STALE, exit 0, the change stays', async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-stale')
    const next = await createKey()
    proxy.rewrite('Encrypt', { calls: Array.from({ length: 20 }, (_, i) => i + 3) }, (answer: { KeyId: string }) => ({ ...answer, KeyId: arnOf(keyId) }))
    const r = await run(['update', alias, '--to', next, '--probe-timeout', '3', '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.probe).toMatchObject({ after: 'stale', keyIdSeen: keyId })
    expect(doc.findings.map((f: { code: string; severity: string }) => `${f.severity} ${f.code}`)).toEqual(['warn PROBE_STALE'])
    expect(await targetOf(alias)).toBe(next)
  })
})

describe('apply, --regions and rotate (fault proxy to moto, in-process)', () => {
  it('apply: the probes after the run fail (fault proxy: AccessDenied from the last UpdateAlias on): the whole run is rolled back, exit 9', async () => {
    const a = await aliasOnNewKey('probe-apply-a')
    const b = await aliasOnNewKey('probe-apply-b')
    const next = await createKey()
    failUseAfterUpdate('access-denied', { updateCall: 2 })
    const r = await run(['apply', mappingFile([`${a.alias} ${next}`, `${b.alias} ${next}`]), '--yes', '--probe-timeout', '1', '--json'], { kms: overProxy })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.changes.map((c: { status: string; probe: { after: string } }) => `${c.status} ${c.probe.after}`)).toEqual(['rolled-back failed', 'rolled-back failed'])
    expect([await targetOf(a.alias), await targetOf(b.alias)]).toEqual([a.keyId, b.keyId])
    expect((await journalOf(r.ctx)).map((e) => `${e.command} ${e.alias} ${e.newKeyId === next ? 'forward' : 'back'}`)).toEqual([
      `apply ${a.alias} forward`,
      `apply ${b.alias} forward`,
      `apply (rollback) ${b.alias} back`,
      `apply (rollback) ${a.alias} back`,
    ])
  })

  it('update --regions: the probe fails in eu-west-1 only (fault proxy, requests signed for it): us-east-1 and eu-west-1 rolled back, ap-southeast-2 not attempted, exit 9', async () => {
    const w = await aliasInRegions('probe-regions', REGIONS)
    failUseAfterUpdate('access-denied', { region: 'eu-west-1', updateCall: 2 })
    const r = await run(['update', w.name, '--to', `${w.name}-next`, '--regions', REGIONS.join(','), '--yes', '--probe-timeout', '1', '--json'], { kms: overProxy })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc.regions.map((g: { region: string; outcome: string }) => `${g.region} ${g.outcome}`)).toEqual([
      'us-east-1 rolled-back',
      'eu-west-1 rolled-back',
      'ap-southeast-2 not-attempted',
    ])
    expect(await w.targets()).toEqual(w.olds())
    expect((await journalOf(r.ctx)).map((e) => `${e.command} ${e.region}`)).toEqual([
      'update us-east-1',
      'update eu-west-1',
      'update (rollback) eu-west-1',
      'update (rollback) us-east-1',
    ])
  })

  it('rotate: the probe through the alias fails after the move (fault proxy): rolled back, the new key disabled, exit 9', async () => {
    const { alias, keyId } = await aliasOnNewKey('probe-rotate')
    failUseAfterUpdate('access-denied')
    const r = await run(['rotate', alias, '--yes', '--probe-timeout', '1', '--json'], { kms: overProxy })
    expect(r.code).toBe(9)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'rolled-back', probe: { after: 'failed', rolledBack: true }, unusedKey: { disabled: true } })
    expect(await targetOf(alias)).toBe(keyId)
    const journal = await journalOf(r.ctx)
    expect(journal.map((e) => [e.command, e.previousKeyId, e.newKeyId])).toEqual([
      ['rotate', keyId, doc.createdKeyId],
      ['rotate (rollback)', doc.createdKeyId, keyId],
    ])
  })
})
