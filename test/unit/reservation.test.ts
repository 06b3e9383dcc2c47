// Writer.reserve: the alias lock taken, and the write's guard read started under it, before the plan
// has finished (issue 18 item 7). Two Writers over one fake KMS and one lock directory stand for two
// kms-alias runs on one machine.
import { describe, expect, it, vi } from 'vitest'
import type { GlobalOptions } from '../../src/cli/globalOptions.js'
import { moveCall } from '../../src/engine/steps.js'
import { Writer, type PlannedWrite, type WritePlace } from '../../src/engine/writePath.js'
import { ACCOUNT, FakeKms, key, REGION } from '../helpers/fakeKms.js'
import { testContext } from '../helpers/testContext.js'

const globals: GlobalOptions = { output: 'json', color: false, quiet: true, debug: false }
const log = { warn: () => undefined, debug: () => undefined }
const ALIAS = 'alias/app'
const place: WritePlace = { alias: ALIAS, region: REGION, account: ACCOUNT }

function setUp() {
  const [a, b, c] = [key(), key(), key()]
  const kms = new FakeKms({ keys: [a, b, c], aliases: { [ALIAS]: a.keyId, 'alias/keep-b': b.keyId, 'alias/keep-c': c.keyId } })
  const ctx = testContext()
  const update = (wanted: string): PlannedWrite => ({
    action: 'update',
    ...place,
    expected: a.keyId,
    wanted,
    origin: { command: 'update', reverts: null, runId: null },
    ...moveCall(kms, 'update', ALIAS, wanted),
  })
  const run = () => new Writer(ctx, log, globals, kms)
  return { a, b, c, kms, update, run }
}

describe('Writer.reserve', () => {
  // Tried once: with reserve() starting the guard read without waiting for the lock, both runs read
  // the alias on a, both write, and both outcomes are 'written'.
  it('of two runs that reserve one alias together, the guard read of the second waits for the first write: exactly one wins', async () => {
    const { b, c, kms, update, run } = setUp()
    const [mine, theirs] = [run(), run()]
    const outcomes = await Promise.all([mine.write(update(b.keyId), mine.reserve(place)), theirs.write(update(c.keyId), theirs.reserve(place))])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['conflict', 'written'])
    const winner = outcomes[0]!.status === 'written' ? b.keyId : c.keyId
    expect(outcomes.find((o) => o.status === 'conflict')).toMatchObject({ seen: winner, changed: false })
    expect(kms.aliases.get(ALIAS)).toBe(winner)
    expect(kms.calls.filter((call) => call.startsWith('UpdateAlias'))).toHaveLength(1)
  })

  it('a reservation released without a write gives the lock to the next run at once', async () => {
    const { b, kms, update, run } = setUp()
    const [mine, theirs] = [run(), run()]
    const unused = mine.reserve(place)
    // The guard read goes out only once the lock is held.
    await vi.waitFor(() => expect(kms.calls).toContain(`DescribeKey ${ALIAS}`))
    const next = theirs.reserve(place)
    await unused.release()
    expect(await theirs.write(update(b.keyId), next)).toMatchObject({ status: 'written' })
    expect(kms.aliases.get(ALIAS)).toBe(b.keyId)
  })

  // Tried once: without the abort of the lock wait, release() waits out KMS_ALIAS_LOCK_WAIT (here
  // 60 s) and this test times out.
  it('a reservation still waiting for another run\'s lock is released without waiting for it', async () => {
    const { kms } = setUp()
    const ctx = testContext({ env: { KMS_ALIAS_LOCK_WAIT: '60' } })
    const [mine, theirs] = [new Writer(ctx, log, globals, kms), new Writer(ctx, log, globals, kms)]
    const held = mine.reserve(place)
    await vi.waitFor(() => expect(kms.calls).toContain(`DescribeKey ${ALIAS}`))
    await theirs.reserve(place).release()
    expect(kms.calls.filter((call) => call === `DescribeKey ${ALIAS}`)).toHaveLength(1)
    await held.release()
  })

  it('a reservation serves one write only, and only of its own alias', async () => {
    const { b, update, run } = setUp()
    const writer = run()
    const reservation = writer.reserve(place)
    await expect(writer.write({ ...update(b.keyId), alias: 'alias/other' }, reservation)).rejects.toThrow(
      `the reservation of ${ALIAS} (${REGION}, ${ACCOUNT}) does not match the write of alias/other (${REGION}, ${ACCOUNT})`,
    )
    expect(await writer.write(update(b.keyId), reservation)).toMatchObject({ status: 'written' })
    await expect(writer.write(update(b.keyId), reservation)).rejects.toThrow(`the reservation of ${ALIAS} was already used`)
  })
})
