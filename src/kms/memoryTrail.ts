// What the in-memory KMS remembers of its own calls, for `usage` and `retire` on `--endpoint-url
// memory:` (the demo): every call that named a key, as CloudTrail would log it, and each key's last
// successful cryptographic operation, as GetKeyLastUsage reports it. Kept apart from memory.ts,
// which only calls `record`.
import { randomUUID } from 'node:crypto'
import { CRYPTO_OPERATIONS } from './usageFacts.js'


/** One call as CloudTrail logs it: who, what, on which key, named how, and the error if it failed. */
export interface RecordedCall {
  eventId: string
  eventName: string
  eventTime: Date
  region: string
  /** The caller's IAM ARN (userIdentity.arn). */
  principal: string
  /** An AWS service calling on the caller's behalf (userIdentity.invokedBy). */
  invokedBy?: string
  /** The key as the caller named it (requestParameters.keyId): an alias name, key ID or ARN. */
  keyIdRequested?: string
  /** The key ARN CloudTrail puts in the event's resources. */
  keyArn?: string
  errorCode?: string
  errorMessage?: string
}

export class MemoryTrail {
  readonly events: RecordedCall[] = []
  /** By key ARN: the last successful cryptographic operation. */
  readonly lastUse = new Map<string, { operation: string; timestamp: Date; eventId: string }>()

  /** @param trackingStart when "KMS" began tracking last use (GetKeyLastUsage's TrackingStartDate) */
  constructor(readonly trackingStart: Date) {}

  record(call: Omit<RecordedCall, 'eventId'>): RecordedCall {
    const recorded: RecordedCall = { ...call, eventId: randomUUID() }
    this.events.push(recorded)
    const last = recorded.keyArn ? this.lastUse.get(recorded.keyArn) : undefined
    // A call recorded late (the demo's seeded past) does not hide a later one.
    const newer = !last || last.timestamp.getTime() <= recorded.eventTime.getTime()
    if (recorded.keyArn && newer && recorded.errorCode === undefined && CRYPTO_OPERATIONS.has(recorded.eventName)) {
      this.lastUse.set(recorded.keyArn, { operation: recorded.eventName, timestamp: recorded.eventTime, eventId: recorded.eventId })
    }
    return recorded
  }
}
