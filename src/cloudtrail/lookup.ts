// What both CloudTrail ports share: paging LookupEvents by resource name at CloudTrail's rate, and
// reading the events it answers. Pure but for the page fetcher and the pace it is given.
import { interruptedBy } from '../errors.js'
import type { KeyEvents, KeyEventsQuery, LookupEventsPage, LookupEventsRequest, RawTrailEvent, TrailEvent } from './port.js'

/** LookupEvents' largest page. */
export const LOOKUP_PAGE_SIZE = 50
/** CloudTrail answers LookupEvents at most 2 times a second per account and Region (ThrottlingException beyond). */
export const LOOKUPS_PER_SECOND = 2

/**
 * Reads `query`'s events page by page, each request waiting for `pace` first, until the last page
 * or `maxEvents`; events CloudTrail answers but cannot be read (no id, no time) are left out.
 */
export async function lookUpKeyEvents(
  fetchPage: (request: LookupEventsRequest) => Promise<LookupEventsPage>,
  pace: () => Promise<void>,
  query: KeyEventsQuery,
  signal?: AbortSignal,
): Promise<KeyEvents> {
  const events: TrailEvent[] = []
  let pages = 0
  let token: string | undefined
  do {
    if (signal?.aborted) throw interruptedBy(signal)
    await pace()
    const page = await fetchPage({
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: query.resourceName }],
      StartTime: query.start,
      EndTime: query.end,
      MaxResults: LOOKUP_PAGE_SIZE,
      ...(token ? { NextToken: token } : {}),
    })
    pages += 1
    for (const raw of page.Events ?? []) {
      const event = toTrailEvent(raw)
      if (!event) continue
      if (events.length >= query.maxEvents) return { events, truncated: true, pages }
      events.push(event)
    }
    token = page.NextToken || undefined
  } while (token)
  return { events, truncated: false, pages }
}

/** A LookupEvents event as plain data; undefined when it has no id, name or time. */
export function toTrailEvent(raw: RawTrailEvent): TrailEvent | undefined {
  if (!raw.EventId || !raw.EventName || !raw.EventTime) return undefined
  const detail = parseDetail(raw.CloudTrailEvent)
  const identity = record(detail.userIdentity)
  const request = record(detail.requestParameters)
  const invokedBy = text(identity.invokedBy)
  // A service principal (type AWSService) has no ARN: the service is the caller.
  const principal = text(identity.arn) ?? (text(identity.type) === 'AWSService' ? invokedBy : undefined) ?? raw.Username ?? 'unknown'
  const keyIdRequested = text(request.keyId) ?? text(request.targetKeyId)
  const errorCode = text(detail.errorCode)
  return {
    eventId: raw.EventId,
    eventName: raw.EventName,
    eventTime: raw.EventTime,
    principal,
    ...(invokedBy && invokedBy !== principal ? { invokedBy } : {}),
    ...(keyIdRequested ? { keyIdRequested } : {}),
    ...(errorCode ? { errorCode } : {}),
  }
}

function parseDetail(json: string | undefined): Record<string, unknown> {
  if (!json) return {}
  try {
    return record(JSON.parse(json))
  } catch {
    return {}
  }
}

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {})
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
