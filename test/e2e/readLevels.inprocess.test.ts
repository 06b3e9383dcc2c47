// How many sequential round trips one update spends (issue 18 item 7), counted from the fault
// proxy's log of when each call arrived and was answered, with a latency added to every KMS call so
// that calls sent together overlap and calls that waited on another do not. 100 ms, not the bench's
// 50: calls sent together (and the guard read, sent once the lock file is made) must all arrive
// before the first of them is answered, also on a loaded machine. In-process: the real SDK
// adapter through the fault proxy to moto_server, main() on a test Context (its prompt answers).
import { UpdateAliasCommand } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsConfig } from '../../src/kms/port.js'
import { journalOf, run } from '../helpers/run.js'
import { aliasOnNewKey, createKey, moto, REGION, targetOf, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const LATENCY_MS = 100
const overProxy = (config: KmsConfig) => createKmsPort({ retryDelayMs: () => 0, ...config, region: config.region ?? REGION, endpointUrl: proxy.url })
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>
/**
 * The calls in the order they arrived, grouped by round trip: a call opens the next one when it
 * arrived after a call of the current one was answered (so it may have waited on that answer).
 */
const callsByLevel = () => {
  const levels: Array<{ operations: string[]; firstAnswer: number }> = []
  for (const r of proxy.requests().sort((a, b) => a.start - b.start)) {
    const current = levels.at(-1)
    if (!current || r.start >= current.firstAnswer) levels.push({ operations: [r.operation], firstAnswer: r.end ?? Infinity })
    else {
      current.operations.push(r.operation)
      current.firstAnswer = Math.min(current.firstAnswer, r.end ?? Infinity)
    }
  }
  return levels.map((l) => l.operations.sort())
}

describe('update: reads go out as early as they can (fault proxy: 100 ms added to every call)', () => {
  // Tried once each: before this change (the target's reads sent once it was described, the guard
  // read made by the write) this counted 5; with update reserving no guard read, 5; with the
  // target's reads by ID not started early, 4 round trips but the grouping below fails.
  // --no-probe: the preflight's reads are counted here; the use probe's round trips in the test after.
  it('update --yes --no-probe --to <key ID>: 4 sequential round trips, confirmation included', async () => {
    const { alias, keyId } = await aliasOnNewKey('levels-yes')
    const next = await createKey()
    proxy.latency(LATENCY_MS)
    const r = await run(['update', alias, '--to', next, '--yes', '--no-probe', '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toMatchObject({ outcome: 'updated', changed: true, verified: true })
    expect(proxy.levels()).toBe(4)
    expect(callsByLevel()).toEqual([
      ['DescribeKey', 'DescribeKey', 'GetKeyPolicy', 'ListAliases', 'ListGrants', 'ListResourceTags'],
      ['DescribeKey', 'GetKeyPolicy', 'GetKeyRotationStatus', 'GetKeyRotationStatus', 'ListAliases', 'ListGrants', 'ListResourceTags'],
      ['UpdateAlias'],
      ['ListAliases'],
    ])
    expect(await targetOf(alias)).toBe(next)
    expect((await journalOf(r.ctx)).map((e) => [e.previousKeyId, e.newKeyId, e.changed, e.verified])).toEqual([[keyId, next, true, true]])
  })

  it('update --no-probe --to <key ARN>: the target is read at the start as with a key ID (4 round trips)', async () => {
    const { alias } = await aliasOnNewKey('levels-arn')
    const next = await createKey()
    const arn = `arn:aws:kms:${REGION}:123456789012:key/${next}`
    proxy.latency(LATENCY_MS)
    const r = await run(['update', alias, '--to', arn, '--yes', '--no-probe'], { kms: overProxy })
    expect(r.code).toBe(0)
    expect(proxy.levels()).toBe(4)
    expect(await targetOf(alias)).toBe(next)
  })

  it('update --no-probe answered at a prompt: the guard read waits for the answer (5 round trips)', async () => {
    const { alias } = await aliasOnNewKey('levels-prompt')
    const next = await createKey()
    proxy.latency(LATENCY_MS)
    let callsWhenAsked = -1
    const r = await run(['update', alias, '--to', next, '--no-probe'], {
      kms: overProxy,
      tty: true,
      env: { NO_COLOR: '1' },
      answers: ['y'],
      onPrompt: () => (callsWhenAsked = proxy.requests().length),
    })
    expect(r.code).toBe(0)
    expect(proxy.levels()).toBe(5)
    // Nothing of the write was read before the person answered: the guard's DescribeKey comes after.
    const afterAnswer = proxy.requests().sort((a, b) => a.start - b.start).slice(callsWhenAsked).map((c) => c.operation)
    expect(afterAnswer).toEqual(['DescribeKey', 'UpdateAlias', 'ListAliases'])
    expect(await targetOf(alias)).toBe(next)
  })
})

describe('update with the use probe (fault proxy: 100 ms added to every call)', () => {
  // The probes before go out with the access reads once both keys are described (Encrypt, then
  // Decrypt: one round trip more); after the confirmation, Encrypt then Decrypt: two more.
  it('update --yes: 7 sequential round trips, the probes before beside the access reads', async () => {
    const { alias } = await aliasOnNewKey('levels-probe')
    const next = await createKey()
    proxy.latency(LATENCY_MS)
    const r = await run(['update', alias, '--to', next, '--yes', '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toMatchObject({ outcome: 'updated', probe: { before: 'ok', after: 'ok', attempts: 1 } })
    expect(proxy.levels()).toBe(7)
    expect(callsByLevel()).toEqual([
      ['DescribeKey', 'DescribeKey', 'GetKeyPolicy', 'ListAliases', 'ListGrants', 'ListResourceTags'],
      ['DescribeKey', 'Encrypt', 'Encrypt', 'GetKeyPolicy', 'GetKeyRotationStatus', 'GetKeyRotationStatus', 'ListAliases', 'ListGrants', 'ListResourceTags'],
      ['Decrypt', 'Decrypt'],
      ['UpdateAlias'],
      ['ListAliases'],
      ['Encrypt'],
      ['Decrypt'],
    ])
  })
})

describe('the guard read made early, under the alias lock (fault proxy hooks: another writer)', () => {
  // Tried once: with the guard read removed from the write (seen taken as expected), this exits 0
  // and overwrites the other writer's change.
  it('another writer acting before the guard read is caught (exit 5), never overwritten', async () => {
    const { alias } = await aliasOnNewKey('early-guard')
    const [next, theirs] = [await createKey(), await createKey()]
    // DescribeKey #1 and #2 are the plan (the alias, the target); #3 is the guard read.
    proxy.before('DescribeKey', [3], async () => {
      await moto().send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: theirs }))
    })
    const r = await run(['update', alias, '--to', next, '--yes', '--json'], { kms: overProxy })
    expect(r.code).toBe(5)
    expect(json(r.stdout)).toMatchObject({ outcome: 'conflict', changed: false })
    expect(proxy.calls('UpdateAlias')).toBe(0)
    expect(await targetOf(alias)).toBe(theirs)
  })

  // The window docs/safety.md describes: KMS has no conditional UpdateAlias, so a writer that is not
  // kms-alias on this machine (the console, another host) acting after the guard read answered and
  // before UpdateAlias lands is overwritten. The guard read now answers with the plan's last reads,
  // so the window is that level's slowest read plus the write's own trip; the lock keeps kms-alias
  // runs on this machine out of it. This pins what happens there: the write goes ahead, the journal
  // names the key the guard saw as the previous one, and the confirmation sees our key.
  it('a writer acting after the guard read answered is not caught: the window the guard cannot close', async () => {
    const { alias, keyId } = await aliasOnNewKey('early-guard-window')
    const [next, theirs] = [await createKey(), await createKey()]
    proxy.before('UpdateAlias', [1], async () => {
      await moto().send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: theirs }))
    })
    const r = await run(['update', alias, '--to', next, '--yes', '--json'], { kms: overProxy })
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toMatchObject({ outcome: 'updated', changed: true, verified: true })
    expect(await targetOf(alias)).toBe(next)
    expect((await journalOf(r.ctx)).map((e) => [e.previousKeyId, e.newKeyId])).toEqual([[keyId, next]])
  })
})
