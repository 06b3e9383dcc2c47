// A holder that lost its team lock mid-run sends nothing (issue 22's open item 1). In-process: main()
// on a test Context (an injected clock), the real KMS and S3 adapters to moto_server. Another
// machine takes the lock over during the guard read, as a waiter does whose clock says the holder's
// lease ran out; the holder's renewal before the call is then refused (412).
import { randomUUID } from 'node:crypto'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { readJournal } from '../../src/engine/journal.js'
import type { Release } from '../../src/engine/lock.js'
import { s3StateStore, type TeamLockHolder } from '../../src/engine/s3Store.js'
import { Writer } from '../../src/engine/writePath.js'
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsPort } from '../../src/kms/port.js'
import { createS3Port } from '../../src/s3/client.js'
import type { S3Port } from '../../src/s3/port.js'
import { aliasOnNewKey, createKey, disableKey, MOTO_ACCOUNT, motoUrl, REGION, targetOf } from '../e2e/harness.js'
import { testContext, type TestContext } from '../helpers/testContext.js'

const bucket = `kms-alias-lost-${randomUUID().slice(0, 8)}`

beforeAll(async () => {
  const raw = new S3Client({ region: REGION, endpoint: motoUrl(), forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  await raw.send(new CreateBucketCommand({ Bucket: bucket }))
})

/** The only lock object under the prefix, with its key; undefined when none is held. */
async function heldLock(port: S3Port, prefix: string): Promise<{ key: string; holder: TeamLockHolder } | undefined> {
  for await (const keys of port.list(`${prefix}locks/`)) {
    const key = keys[0]
    if (key === undefined) continue
    const object = await port.get(key)
    if (object) return { key, holder: JSON.parse(object.body) as TeamLockHolder }
  }
  return undefined
}

/**
 * moto's KMS, except that the first DescribeKey made while a lock is held (the guard read) first
 * lets the holder stall past its lease and another machine, on the same clock, take the lock over.
 */
function takenOverAtGuardRead(s3: S3Port, prefix: string, clock: () => TestContext) {
  const moto = createKmsPort({ region: REGION, endpointUrl: motoUrl() })
  const state: { taker?: Release; taken?: TeamLockHolder | undefined } = {}
  const kms: KmsPort = Object.assign(Object.create(moto) as KmsPort, {
    async describeKey(id: string) {
      const lock = state.taker ? undefined : await heldLock(s3, prefix)
      if (lock) {
        const ctx = clock()
        await ctx.sleep((lock.holder.leaseSeconds + 1) * 1000)
        const other = s3StateStore(s3, { bucket, prefix }, { now: ctx.now, sleep: ctx.sleep, env: {} })
        state.taker = await other.lock({ alias: lock.holder.alias, region: lock.holder.region, account: lock.holder.account }, { waitMs: 0 })
        state.taken = (await heldLock(s3, prefix))?.holder
      }
      return moto.describeKey(id)
    },
  })
  return { kms, state }
}

describe('a team lock lost while held (moto KMS and S3, injected clock)', () => {
  // Defect: failed before the fix (exit 0, UpdateAlias sent beside the new holder's). Mechanism:
  // with the Writer's stillHeld check before the send removed (tried once), the alias moved.
  it('update: the lock is taken over during the guard read, so the holder sends no UpdateAlias and exits 5; the intent is journaled as not changed', async () => {
    const { alias, keyId } = await aliasOnNewKey('lost-lock')
    const next = await createKey()
    const prefix = `lost-${randomUUID().slice(0, 8)}/`
    const env = { AWS_REGION: REGION, AWS_ENDPOINT_URL_S3: motoUrl(), AWS_ENDPOINT_URL_STS: motoUrl(), KMS_ALIAS_JOURNAL: `s3://${bucket}/${prefix}` }
    const s3 = await createS3Port({ region: REGION, endpointUrl: motoUrl(), bucket, env })
    let ctx!: TestContext
    const { kms, state } = takenOverAtGuardRead(s3, prefix, () => ctx)
    ctx = testContext({ kms, env })
    const code = await main(['update', alias, '--to', next], ctx)
    const taken = state.taken
    expect(taken).toBeDefined()
    expect(code).toBe(5)
    expect(ctx.stderr()).toContain(`error: the lock on ${alias} was taken over by ${taken?.identity} on ${taken?.host}, process ${taken?.pid}; nothing was sent\n`)
    expect(await targetOf(alias)).toBe(keyId)
    // The taker's lock is still there, untouched by the holder that lost it.
    expect((await heldLock(s3, prefix))?.holder.token).toBe(taken?.token)
    await state.taker?.()
    const store = s3StateStore(s3, { bucket, prefix }, { now: ctx.now, sleep: ctx.sleep, env: {} })
    // The intent went out before the check, so its outcome is on record: not changed (history leaves it out).
    const lines: Record<string, unknown>[] = []
    for await (const batch of (await store.journal!.source())!.fromStart(undefined)) lines.push(...batch.map((l) => JSON.parse(l) as Record<string, unknown>))
    expect(lines.map((l) => [l.type, l.alias ?? null, l.previousKeyId ?? null, l.newKeyId ?? null, l.changed ?? null])).toEqual([
      ['intent', alias, keyId, next, null],
      ['outcome', null, null, null, false],
    ])
    expect(lines[1]?.id).toBe(lines[0]?.id)
    expect((await readJournal(store.journal!.source)).entries).toEqual([])
  })
})

describe('a team lock lost while held: key-state writes (moto KMS and S3, injected clock)', () => {
  // Mechanism: with the stillHeld check before writeKeyState's send removed (tried once), the key
  // was disabled beside the new holder.
  it('a disable whose key lock is taken over during the guard read sends no DisableKey: a conflict (exit 5), the key still Enabled', async () => {
    const keyId = await createKey()
    const prefix = `lost-key-${randomUUID().slice(0, 8)}/`
    const env = { AWS_REGION: REGION, AWS_ENDPOINT_URL_S3: motoUrl(), AWS_ENDPOINT_URL_STS: motoUrl(), KMS_ALIAS_JOURNAL: `s3://${bucket}/${prefix}` }
    const s3 = await createS3Port({ region: REGION, endpointUrl: motoUrl(), bucket, env })
    const ctx = testContext({ env })
    const { kms, state } = takenOverAtGuardRead(s3, prefix, () => ctx)
    const writer = new Writer(ctx, { warn: () => undefined, debug: () => undefined }, { output: 'json', color: false, quiet: true, debug: false }, kms)
    let sent = false
    const outcome = await writer.writeKeyState({
      action: 'disable-key',
      keyId,
      region: REGION,
      account: MOTO_ACCOUNT,
      expectedState: 'Enabled',
      wantedState: 'Disabled',
      origin: { command: 'retire', reverts: null, runId: null },
      send: async () => {
        sent = true
        await disableKey(keyId)
      },
    })
    expect(state.taken).toBeDefined()
    expect(outcome.status).toBe('conflict')
    expect(outcome.status === 'conflict' && outcome.error.exitCode).toBe(5)
    expect(outcome.status === 'conflict' && outcome.error.message).toBe(`the lock on ${keyId} was taken over by ${state.taken?.identity} on ${state.taken?.host}, process ${state.taken?.pid}; nothing was sent`)
    expect(sent).toBe(false)
    expect((await kms.describeKey(keyId)).keyState).toBe('Enabled')
    await state.taker?.()
  })
})
