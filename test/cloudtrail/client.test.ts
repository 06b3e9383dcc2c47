// The CloudTrail SDK adapter against the fault proxy, which serves LookupEvents (moto has none)
// with answers shaped as CloudTrail's (the API reference's LookupEvents response: Events with
// EventId, EventName, ReadOnly, AccessKeyId, EventTime, EventSource, Username, Resources,
// CloudTrailEvent as JSON text; NextToken). In-process, on a fake clock: nothing sleeps for real.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createCloudTrailPort } from '../../src/cloudtrail/client.js'
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js'

const REGION = 'us-east-1'
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const APP = 'arn:aws:iam::111122223333:role/app'

let proxy: FaultProxy
beforeAll(async () => {
  proxy = await startFaultProxy(inject('motoUrl'))
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDTRAIL', proxy.url)
})
afterAll(async () => {
  vi.unstubAllEnvs()
  await proxy.stop()
})

/** `total` events, newest first, served 50 a page (CloudTrail's largest) with an opaque token. */
function serveEvents(total: number, arrivals: number[], now: () => number) {
  const times = Array.from({ length: total }, (_, i) => Date.parse('2026-11-28T00:00:00Z') - i * 60_000)
  proxy.serve<{ MaxResults: number; NextToken?: string }>('LookupEvents', (request) => {
    arrivals.push(now())
    const from = request.NextToken ? Number(request.NextToken.replace('token-', '')) : 0
    const page = times.slice(from, from + request.MaxResults)
    const next = from + page.length
    return {
      Events: page.map((t, i) => ({
        EventId: `ev-${from + i}`,
        EventName: 'Decrypt',
        ReadOnly: 'true',
        AccessKeyId: 'ASIAEXAMPLE',
        EventTime: t / 1000,
        EventSource: 'kms.amazonaws.com',
        Username: 'app',
        Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: KEY_ARN }],
        CloudTrailEvent: JSON.stringify({
          eventVersion: '1.08',
          userIdentity: { type: 'AssumedRole', arn: APP, accountId: '111122223333' },
          eventTime: new Date(t).toISOString(),
          eventSource: 'kms.amazonaws.com',
          eventName: 'Decrypt',
          awsRegion: REGION,
          requestParameters: { keyId: 'alias/app', encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
          responseElements: null,
          readOnly: true,
          resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY_ARN }],
          eventType: 'AwsApiCall',
        }),
      })),
      ...(next < total ? { NextToken: `token-${next}` } : {}),
    }
  })
}

describe('CloudTrail adapter: LookupEvents', () => {
  it('pages by ResourceName = the key ARN over the window, 50 a page, at most 2 requests a second on the injected clock', async () => {
    proxy.reset()
    let fake = Date.parse('2026-11-29T00:00:00Z')
    const arrivals: number[] = []
    serveEvents(130, arrivals, () => fake)
    const port = createCloudTrailPort({ region: REGION, clock: { now: () => new Date(fake), sleep: async (ms) => void (fake += ms) } })
    const start = new Date('2026-10-30T00:00:00Z')
    const end = new Date('2026-11-29T00:00:00Z')
    const result = await port.keyEvents({ resourceName: KEY_ARN, start, end, maxEvents: 1000 })
    expect(result.pages).toBe(3)
    expect(result.truncated).toBe(false)
    expect(result.events).toHaveLength(130)
    expect(result.events[0]).toEqual({ eventId: 'ev-0', eventName: 'Decrypt', eventTime: new Date('2026-11-28T00:00:00Z'), principal: APP, keyIdRequested: 'alias/app' })
    // The requests: one lookup attribute, the window in epoch seconds, 50 a page, the token handed back.
    expect(proxy.bodies('LookupEvents').map((b) => b.body)).toEqual([
      { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: KEY_ARN }], StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000, MaxResults: 50 },
      { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: KEY_ARN }], StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000, MaxResults: 50, NextToken: 'token-50' },
      { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: KEY_ARN }], StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000, MaxResults: 50, NextToken: 'token-100' },
    ])
    // The pacer: no three requests within one second of the (fake) clock. Without it (tried once:
    // createPacer replaced by a no-op) all three arrive at the same instant and this fails.
    expect(arrivals.map((t) => t - arrivals[0]!)).toEqual([0, 500, 1000])
    for (let i = 2; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 2]!).toBeGreaterThanOrEqual(1000)
  })

  it('stops at maxEvents and says so, reading no further page', async () => {
    proxy.reset()
    let fake = 0
    serveEvents(130, [], () => fake)
    const port = createCloudTrailPort({ region: REGION, clock: { now: () => new Date(fake), sleep: async (ms) => void (fake += ms) } })
    const result = await port.keyEvents({ resourceName: KEY_ARN, start: new Date(0), end: new Date('2026-11-29T00:00:00Z'), maxEvents: 60 })
    expect({ read: result.events.length, truncated: result.truncated, pages: result.pages }).toEqual({ read: 60, truncated: true, pages: 2 })
    expect(proxy.calls('LookupEvents')).toBe(2)
  })

  it('AccessDeniedException (fault proxy) is an access error naming cloudtrail:LookupEvents', async () => {
    proxy.reset()
    serveEvents(1, [], () => 0)
    proxy.fault('LookupEvents', 'access-denied')
    const port = createCloudTrailPort({ region: REGION, maxAttempts: 1, clock: { now: () => new Date(0), sleep: async () => {} } })
    await expect(port.keyEvents({ resourceName: KEY_ARN, start: new Date(0), end: new Date(1000), maxEvents: 10 })).rejects.toMatchObject({
      exitCode: 7,
      message: 'CloudTrail LookupEvents was denied: AccessDeniedException: User is not authorized to perform this operation.',
      hint: 'the caller needs cloudtrail:LookupEvents',
    })
  })

  // Failed before the fix: the message was the SDK's deserialization noise.
  it('an HTML 500 (a local server, not the fault proxy: it answers only JSON): worded as the KMS adapter words it', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' })
      res.end('<html><body>Internal Server Error</body></html>')
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDTRAIL', `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    try {
      const port = createCloudTrailPort({ region: REGION, maxAttempts: 1, clock: { now: () => new Date(0), sleep: async () => {} } })
      await expect(port.keyEvents({ resourceName: KEY_ARN, start: new Date(0), end: new Date(1000), maxEvents: 10 })).rejects.toMatchObject({
        exitCode: 8,
        message: `CloudTrail answered LookupEvents ResourceName=${KEY_ARN} with HTTP 500 and a body that is not JSON (text/html) (1 attempt)`,
        hint: "check that the endpoint is a CloudTrail endpoint (AWS_ENDPOINT_URL_CLOUDTRAIL, AWS_ENDPOINT_URL or the profile's endpoint_url)",
      })
    } finally {
      vi.stubEnv('AWS_ENDPOINT_URL_CLOUDTRAIL', proxy.url)
      await new Promise((done) => server.close(done))
    }
  })

  it('throttled past the SDK attempts (fault proxy): an AWS error, exit 8', async () => {
    proxy.reset()
    serveEvents(1, [], () => 0)
    proxy.fault('LookupEvents', 'throttle')
    const port = createCloudTrailPort({ region: REGION, maxAttempts: 2, retryDelayMs: () => 0, clock: { now: () => new Date(0), sleep: async () => {} } })
    await expect(port.keyEvents({ resourceName: KEY_ARN, start: new Date(0), end: new Date(1000), maxEvents: 10 })).rejects.toMatchObject({ exitCode: 8 })
    expect(proxy.calls('LookupEvents')).toBe(2)
  })
})
