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
import { createKmsPort } from '../../src/kms/client.js'
import type { KmsPort } from '../../src/kms/port.js'
import { createS3Port } from '../../src/s3/client.js'
import type { S3Port } from '../../src/s3/port.js'
import { aliasOnNewKey, createKey, motoUrl, REGION, targetOf } from '../e2e/harness.js'
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

describe('a team lock lost while held (moto KMS and S3, injected clock)', () => {
  // Defect: failed before the fix (exit 0, UpdateAlias sent beside the new holder's). Mechanism:
  // with the Writer's stillHeld check before the send removed (tried once), the alias moved.
  it('update: the lock is taken over during the guard read, so the holder sends no UpdateAlias and exits 5; the intent is journaled as not changed', async () => {
    const { alias, keyId } = await aliasOnNewKey('lost-lock')
    const next = await createKey()
    const prefix = `lost-${randomUUID().slice(0, 8)}/`
    const env = { AWS_REGION: REGION, AWS_ENDPOINT_URL_S3: motoUrl(), AWS_ENDPOINT_URL_STS: motoUrl(), KMS_ALIAS_JOURNAL: `s3://${bucket}/${prefix}` }
    const s3 = await createS3Port({ region: REGION, endpointUrl: motoUrl(), bucket, env })
    const moto = createKmsPort({ region: REGION, endpointUrl: motoUrl() })
    let ctx!: TestContext
    let taker: Release | undefined
    let taken: TeamLockHolder | undefined
    // The guard read is the first read of the alias made while the lock is held.
    const kms: KmsPort = Object.assign(Object.create(moto) as KmsPort, {
      async describeKey(id: string) {
        const lock = taker ? undefined : await heldLock(s3, prefix)
        if (lock) {
          // The holder stalls past its lease; another machine, on the same clock, takes the lock over.
          await ctx.sleep((lock.holder.leaseSeconds + 1) * 1000)
          const other = s3StateStore(s3, { bucket, prefix }, { now: ctx.now, sleep: ctx.sleep, env: {} })
          taker = await other.lock({ alias: lock.holder.alias, region: lock.holder.region, account: lock.holder.account }, { waitMs: 0 })
          taken = (await heldLock(s3, prefix))?.holder
        }
        return moto.describeKey(id)
      },
    })
    ctx = testContext({ kms, env })
    const code = await main(['update', alias, '--to', next], ctx)
    expect(taken).toBeDefined()
    expect(code).toBe(5)
    expect(ctx.stderr()).toContain(`error: the lock on ${alias} was taken over by ${taken?.identity} on ${taken?.host}, process ${taken?.pid}; nothing was sent\n`)
    expect(await targetOf(alias)).toBe(keyId)
    // The taker's lock is still there, untouched by the holder that lost it.
    expect((await heldLock(s3, prefix))?.holder.token).toBe(taken?.token)
    await taker?.()
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
