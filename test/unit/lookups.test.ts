import { describe, expect, it } from 'vitest'
import { AccessError, NotFoundError } from '../../src/errors.js'
import { describeThen } from '../../src/kms/lookups.js'
import type { KeyInfo } from '../../src/kms/port.js'
import { FakeKms, key } from '../helpers/fakeKms.js'

function world() {
  const old = key()
  const next = key()
  const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/next': next.keyId } })
  const lookups = [
    { ref: 'alias/app', label: 'alias alias/app' },
    { ref: next.keyId, label: `--to ${next.keyId}` },
  ] as const
  return { old, next, kms, lookups }
}

/** Holds every ListAliases call until released (or 200 ms after the first, so that a version that waits for them fails instead of hanging). */
function holdListAliases(kms: FakeKms) {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  let fallback: ReturnType<typeof setTimeout> | undefined
  let waiting = 0
  const listAliases = kms.listAliases.bind(kms)
  kms.listAliases = async (filter) => {
    fallback ??= setTimeout(() => release(), 200)
    waiting += 1
    await gate
    waiting -= 1
    return listAliases(filter)
  }
  return {
    waiting: () => waiting,
    release: () => {
      clearTimeout(fallback)
      release()
    },
  }
}

describe('describeThen', () => {
  it('starts the follow-up work once both keys are described, while ListAliases is still waiting', async () => {
    const { old, next, kms, lookups } = world()
    const held = holdListAliases(kms)
    let listsWaitingThen = -1
    const [[current, target], keys] = await describeThen(kms, lookups, async (described: KeyInfo[]) => {
      listsWaitingThen = held.waiting()
      held.release()
      return described.map((k) => k.keyId)
    })
    // Tried once: with the follow-up started after describeWithAliases (ListAliases answered) this is 0.
    expect(listsWaitingThen).toBe(2)
    expect(keys).toEqual([old.keyId, next.keyId])
    expect(current.key).toEqual(old)
    expect(current.aliases.map((a) => a.name)).toEqual(['alias/app'])
    expect(target.aliases.map((a) => a.name)).toEqual(['alias/next'])
  })

  it('a key that is not found is named by its label, and the follow-up never runs', async () => {
    const { kms } = world()
    let ran = false
    const lookups = [
      { ref: 'alias/gone', label: 'alias alias/gone' },
      { ref: 'alias/app', label: 'alias alias/app' },
    ] as const
    const failure = describeThen(kms, lookups, async () => {
      ran = true
    })
    await expect(failure).rejects.toThrow(new NotFoundError('alias alias/gone not found in us-east-1'))
    expect(ran).toBe(false)
  })

  it('a failed ListAliases is reported before a failure of the follow-up, as when they ran one after the other', async () => {
    const { kms, lookups } = world()
    const held = holdListAliases(kms)
    const listAliases = kms.listAliases.bind(kms)
    kms.listAliases = async (filter) => {
      await listAliases(filter)
      throw new AccessError('ListAliases was denied')
    }
    const failure = describeThen(kms, lookups, async () => {
      // Fails while both ListAliases calls are still waiting, so it is the first failure in time.
      setTimeout(() => held.release(), 10)
      throw new AccessError('GetKeyPolicy was denied')
    })
    await expect(failure).rejects.toThrow('ListAliases was denied')
  })
})
