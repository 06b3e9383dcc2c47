import { describe, expect, it } from 'vitest'
import { canAnimate } from '../../src/cli/context.js'
import { confirmAliasTarget } from '../../src/kms/confirm.js'
import { FakeKms, key } from '../helpers/fakeKms.js'

function setup(staleReads: number) {
  const old = key()
  const next = key()
  const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId }, staleReads })
  let now = 0
  const sleeps: number[] = []
  const options = {
    aliasName: 'alias/app',
    expectedKeyId: next.keyId,
    previousKeyId: old.keyId,
    timeoutMs: 30_000,
    now: () => new Date(now),
    sleep: async (ms: number) => {
      sleeps.push(ms)
      now += ms
    },
  }
  return { kms, old, next, options, sleeps }
}

describe('confirmAliasTarget', () => {
  it('confirms on the first read when ListAliases is current', async () => {
    const { kms, next, options, sleeps } = setup(0)
    await kms.updateAlias('alias/app', next.keyId)
    expect(await confirmAliasTarget(kms, options)).toEqual({ status: 'confirmed', reads: 1 })
    expect(sleeps).toEqual([])
  })

  it('waits through stale reads with a doubling backoff', async () => {
    const { kms, next, options, sleeps } = setup(3)
    await kms.updateAlias('alias/app', next.keyId)
    // Stale ListAliases reads; DescribeKey in between sees the new key (no lag there).
    expect(await confirmAliasTarget(kms, options)).toEqual({ status: 'confirmed', reads: 4 })
    expect(sleeps).toEqual([250, 500, 1000])
  })

  it('gives up at the timeout and says what it last saw', async () => {
    const { kms, next, options, sleeps } = setup(1000)
    await kms.updateAlias('alias/app', next.keyId)
    const result = await confirmAliasTarget(kms, { ...options, timeoutMs: 4_000 })
    // Reads at 0, 250, 750, 1750, 3750 and a last one at the deadline (4000).
    expect(result).toEqual({ status: 'timeout', lastSeenKeyId: next.keyId, reads: 6 })
    expect(sleeps).toEqual([250, 500, 1000, 2000, 250])
  })

  it('reports a third key at once', async () => {
    const { kms, options } = setup(0)
    const third = key()
    kms.keys.set(third.keyId, third)
    kms.aliases.set('alias/app', third.keyId)
    expect(await confirmAliasTarget(kms, options)).toEqual({ status: 'other-target', keyId: third.keyId, reads: 1 })
  })

  it('reports a deleted alias at once', async () => {
    const { kms, options } = setup(0)
    kms.aliases.delete('alias/app')
    expect(await confirmAliasTarget(kms, options)).toEqual({ status: 'gone', reads: 1 })
  })
})

describe('canAnimate (when a spinner may be shown on stderr)', () => {
  it.each([
    ['a sized terminal', { isTTY: true, columns: 80 }, {}, true],
    ['not a terminal', { isTTY: false, columns: 80 }, {}, false],
    ['a terminal that reports 0 columns (script, expect)', { isTTY: true, columns: 0 }, {}, false],
    ['a terminal that reports no size', { isTTY: true }, {}, false],
    ['TERM=dumb (no cursor control)', { isTTY: true, columns: 80 }, { TERM: 'dumb' }, false],
    ['KMS_ALIAS_NO_SPINNER=1', { isTTY: true, columns: 80 }, { KMS_ALIAS_NO_SPINNER: '1' }, false],
    ['KMS_ALIAS_NO_SPINNER=0', { isTTY: true, columns: 80 }, { KMS_ALIAS_NO_SPINNER: '0' }, true],
  ] as const)('%s', (_name, stream, env, expected) => {
    expect(canAnimate(stream, env)).toBe(expected)
  })
})
