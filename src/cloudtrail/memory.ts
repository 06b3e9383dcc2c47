// CloudTrail over the in-memory KMS's trail (src/kms/memoryTrail.ts), for `--endpoint-url memory:`:
// LookupEvents by resource name, newest first, 50 a page, paced as the SDK port is.
import { createPacer } from '../kms/pacer.js'
import type { MemoryTrail, RecordedCall } from '../kms/memoryTrail.js'
import { lookUpKeyEvents, LOOKUPS_PER_SECOND } from './lookup.js'
import type { CloudTrailConfig, CloudTrailPort, LookupEventsPage, LookupEventsRequest } from './port.js'

export function createMemoryCloudTrail(trail: MemoryTrail, config: Pick<CloudTrailConfig, 'clock' | 'signal'>): CloudTrailPort {
  const pace = createPacer(LOOKUPS_PER_SECOND, config.clock.now, config.clock.sleep, config.signal)
  return { keyEvents: (query) => lookUpKeyEvents(async (request) => lookupPage(trail, request), pace, query, config.signal) }
}

/** One LookupEvents page as CloudTrail answers it; the token is the offset of the next event. */
export function lookupPage(trail: MemoryTrail, request: LookupEventsRequest): LookupEventsPage {
  const name = request.LookupAttributes[0]?.AttributeValue
  const matching = trail.events
    .filter((e) => e.keyArn === name && e.eventTime >= request.StartTime && e.eventTime <= request.EndTime)
    .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime())
  const from = request.NextToken ? Number(request.NextToken) : 0
  const page = matching.slice(from, from + request.MaxResults)
  const next = from + page.length
  return { Events: page.map(toRaw), ...(next < matching.length ? { NextToken: String(next) } : {}) }
}

function toRaw(call: RecordedCall) {
  const detail = {
    eventVersion: '1.08',
    userIdentity: { type: call.principal.includes(':assumed-role/') ? 'AssumedRole' : 'IAMUser', arn: call.principal, ...(call.invokedBy ? { invokedBy: call.invokedBy } : {}) },
    eventTime: call.eventTime.toISOString(),
    eventSource: 'kms.amazonaws.com',
    eventName: call.eventName,
    awsRegion: call.region,
    requestParameters: call.keyIdRequested ? { keyId: call.keyIdRequested } : null,
    ...(call.errorCode ? { errorCode: call.errorCode, errorMessage: call.errorMessage ?? '' } : {}),
    eventID: call.eventId,
    readOnly: true,
    resources: call.keyArn ? [{ accountId: call.keyArn.split(':')[4], type: 'AWS::KMS::Key', ARN: call.keyArn }] : [],
  }
  return {
    EventId: call.eventId,
    EventName: call.eventName,
    EventTime: call.eventTime,
    EventSource: 'kms.amazonaws.com',
    Username: call.principal.split('/').pop(),
    CloudTrailEvent: JSON.stringify(detail),
  }
}
