import type { AwsSettings } from '../kms/port.js'

/** One CloudTrail event about a key, reduced to what `usage`, `retire` and `--callers` read. */
export interface TrailEvent {
  eventId: string
  eventName: string
  eventTime: Date
  /** userIdentity.arn; for a service principal (no ARN), the service itself, e.g. "ec2.amazonaws.com". */
  principal: string
  /** An AWS service that made the call for the principal (userIdentity.invokedBy). */
  invokedBy?: string
  /** requestParameters.keyId as the caller sent it: an alias name or ARN, a key ID or a key ARN. */
  keyIdRequested?: string
  errorCode?: string
}

/** LookupEvents by one resource name (a key ARN) over a time window. */
export interface KeyEventsQuery {
  resourceName: string
  start: Date
  end: Date
  /** Stop after this many events (the rest is not read: `truncated`). */
  maxEvents: number
}

export interface KeyEvents {
  /** Newest first, as CloudTrail answers. */
  events: TrailEvent[]
  /** More events matched than `maxEvents`: the older ones were not read. */
  truncated: boolean
  /** LookupEvents calls made. */
  pages: number
}

/** What kms-alias reads from CloudTrail. Implemented by cloudtrail/client.ts (the SDK) and cloudtrail/memory.ts. */
export interface CloudTrailPort {
  keyEvents(query: KeyEventsQuery): Promise<KeyEvents>
}

/** One LookupEvents request as the pager sends it (the SDK's field names). */
export interface LookupEventsRequest {
  LookupAttributes: Array<{ AttributeKey: 'ResourceName'; AttributeValue: string }>
  StartTime: Date
  EndTime: Date
  MaxResults: number
  NextToken?: string
}

/** One event of a LookupEvents answer as the API gives it: `CloudTrailEvent` is the full event, as JSON text. */
export interface RawTrailEvent {
  EventId?: string | undefined
  EventName?: string | undefined
  EventTime?: Date | undefined
  EventSource?: string | undefined
  Username?: string | undefined
  CloudTrailEvent?: string | undefined
}

export interface LookupEventsPage {
  Events?: RawTrailEvent[] | undefined
  NextToken?: string | undefined
}

/**
 * The settings of a CloudTrail port: the shared ones, the run's clock (LookupEvents is paced at 2
 * requests a second per account and Region), and whether the run's KMS is the in-memory one.
 */
export interface CloudTrailConfig extends AwsSettings {
  clock: { now: () => Date; sleep: (ms: number, signal?: AbortSignal) => Promise<void> }
  inMemory?: boolean
}
