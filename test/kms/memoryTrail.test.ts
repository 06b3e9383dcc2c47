// The in-memory KMS's own trail (issue 21): its calls logged as CloudTrail logs them, last use as
// GetKeyLastUsage reports it, and LookupEvents over them by resource name, paged.
import { describe, expect, it } from 'vitest'
import { createMemoryCloudTrail, lookupPage } from '../../src/cloudtrail/memory.js'
import { createMemoryKms, MEMORY_ACCOUNT, MemoryKmsStore } from '../../src/kms/memory.js'

const text = (s: string) => new TextEncoder().encode(s)

function setup() {
  let now = Date.parse('2026-11-01T00:00:00Z')
  const store = new MemoryKmsStore({ now: () => new Date(now) })
  const kms = createMemoryKms(store)
  return { store, kms, tick: (ms: number) => void (now += ms), now: () => new Date(now) }
}

describe('the in-memory KMS trail', () => {
  it('GetKeyLastUsage: never used after creation (created after tracking began), then the last successful cryptographic call', async () => {
    const { kms, tick } = setup()
    tick(60_000)
    const key = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    await kms.createAlias('alias/app', key.keyId)
    expect(await kms.getKeyLastUsage(key.keyId)).toEqual({
      keyId: key.arn,
      trackingStartDate: new Date('2026-11-01T00:00:00Z'),
      keyCreationDate: new Date('2026-11-01T00:01:00Z'),
    })
    tick(60_000)
    const { ciphertext } = await kms.encrypt({ keyRef: 'alias/app', plaintext: text('x') })
    tick(60_000)
    await kms.decrypt({ ciphertext })
    tick(60_000)
    // A read is no use: DescribeKey does not move it.
    await kms.describeKey('alias/app')
    const used = await kms.getKeyLastUsage(key.keyId)
    expect(used.lastUsage).toMatchObject({ operation: 'Decrypt', timestamp: new Date('2026-11-01T00:03:00Z') })
    // GetKeyLastUsage takes no alias, as in KMS.
    await expect(kms.getKeyLastUsage('alias/app')).rejects.toMatchObject({ exitCode: 2 })
  })

  it('logs each call that named a key: who, how the key was named, and the error of a refused call', async () => {
    const { store, kms, tick } = setup()
    const key = await kms.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    await kms.createAlias('alias/app', key.keyId)
    await kms.disableKey(key.keyId)
    tick(1000)
    await expect(kms.encrypt({ keyRef: 'alias/app', plaintext: text('x') })).rejects.toThrow()
    const refused = store.trail.events.at(-1)
    expect(refused).toMatchObject({
      eventName: 'Encrypt',
      principal: `arn:aws:iam::${MEMORY_ACCOUNT}:user/you`,
      keyIdRequested: 'alias/app',
      keyArn: key.arn,
      errorCode: 'DisabledException',
    })
    // A refused call is no use.
    expect((await kms.getKeyLastUsage(key.keyId)).lastUsage).toBeUndefined()
  })

  it('LookupEvents by resource name: newest first, within the window, 50 a page with a token; the port pages it at 2 a second', async () => {
    const { store, now } = setup()
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/k1'
    for (let i = 0; i < 120; i++) {
      const eventTime = new Date(Date.parse('2026-10-01T00:00:00Z') + i * 60_000)
      store.trail.record({ eventName: 'Decrypt', eventTime, region: 'us-east-1', principal: 'p', keyArn: arn })
    }
    store.trail.record({ eventName: 'Decrypt', eventTime: new Date('2026-10-01T00:00:00Z'), region: 'us-east-1', principal: 'p', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/other' })
    const request = { LookupAttributes: [{ AttributeKey: 'ResourceName' as const, AttributeValue: arn }], StartTime: new Date('2026-10-01T00:10:00Z'), EndTime: now(), MaxResults: 50 }
    const first = lookupPage(store.trail, request)
    expect(first.Events).toHaveLength(50)
    expect(first.Events?.[0]?.EventTime).toEqual(new Date('2026-10-01T01:59:00Z'))
    expect(first.NextToken).toBe('50')
    const last = lookupPage(store.trail, { ...request, NextToken: '100' })
    expect({ events: last.Events?.length, token: last.NextToken }).toEqual({ events: 10, token: undefined })

    let fake = 0
    const port = createMemoryCloudTrail(store.trail, { clock: { now: () => new Date(fake), sleep: async (ms) => void (fake += ms) } })
    const read = await port.keyEvents({ resourceName: arn, start: request.StartTime, end: request.EndTime, maxEvents: 1000 })
    const seen = { events: read.events.length, pages: read.pages, truncated: read.truncated, waited: fake }
    expect(seen).toEqual({ events: 110, pages: 3, truncated: false, waited: 1000 })
  })
})
