// The reads behind `usage` and `retire` (issue 21): per Region, the key's aliases, GetKeyLastUsage
// and CloudTrail's events for its ARN over a window; its grants in the home Region. Each read that
// fails is kept as the message it failed with (the verdict then says "unknown"); an interruption
// still ends the run.
import type { Context } from '../cli/context.js'
import type { Place, Session } from '../cli/session.js'
import type { TrailEvent } from '../cloudtrail/port.js'
import { NotFoundError } from '../errors.js'
import type { GrantInfo, KeyInfo, KmsPort } from '../kms/port.js'
import { DAY_MS, lastUseOf, type LastUse, type ReadResult } from '../preflight/usage.js'
import type { MoveRequest } from './planner.js'
import { failureOf } from './writePath.js'

export interface RegionUsage {
  region: string
  /** The key's ARN in that Region (a multi-Region key's replica there). */
  arn: string
  aliases: ReadResult<string[]>
  lastUse: ReadResult<LastUse>
  trail: ReadResult<{ events: TrailEvent[]; truncated: boolean; pages: number }>
}

export interface UsageReads {
  key: KeyInfo
  since: Date
  until: Date
  regions: RegionUsage[]
  grants: ReadResult<GrantInfo[]>
}

export interface UsageReadOptions {
  /** The window CloudTrail is read over, in days back from now. */
  sinceDays: number
  maxEvents: number
  /** Regions besides the key's own (a multi-Region key's replicas); none by default. */
  otherRegions?: readonly string[]
  /** Skip CloudTrail (its window is read elsewhere). */
  trail?: boolean
}

/** Reads a key's evidence of use in its Region and `otherRegions`, all at once. */
export async function readUsage(ctx: Context, session: Session, kms: KmsPort, key: KeyInfo, options: UsageReadOptions): Promise<UsageReads> {
  const until = ctx.now()
  const since = new Date(until.getTime() - options.sinceDays * DAY_MS)
  const attempt = <T>(read: () => Promise<T>): Promise<ReadResult<T>> =>
    read().then(
      (value) => ({ value }),
      (error: unknown) => ({ error: failureOf(ctx, error).message }),
    )
  const inRegion = async (region: string, port: KmsPort): Promise<RegionUsage> => {
    const arn = region === key.region ? key.arn : key.arn.replace(`:${key.region}:`, `:${region}:`)
    const [aliases, lastUse, trail] = await Promise.all([
      attempt(async () => (await port.listAliases({ keyId: key.keyId })).map((a) => a.name).sort()),
      attempt(async () => lastUseOf(await port.getKeyLastUsage(key.keyId), region === key.region ? key.creationDate : undefined)),
      options.trail === false
        ? Promise.resolve<ReadResult<{ events: TrailEvent[]; truncated: boolean; pages: number }>>({ value: { events: [], truncated: false, pages: 0 } })
        : attempt(async () => {
            const trail = await session.cloudtrail(region === key.region ? {} : { region })
            return trail.keyEvents({ resourceName: arn, start: since, end: until, maxEvents: options.maxEvents })
          }),
    ])
    return { region, arn, aliases, lastUse, trail }
  }
  const others = (options.otherRegions ?? []).filter((r) => r !== key.region)
  const [home, grants, ...rest] = await Promise.all([
    inRegion(key.region, kms),
    attempt(() => kms.listGrants(key.keyId)),
    ...others.map(async (region) => {
      const port = await session.kms({ region })
      // The replica must exist there: a key ID alone names nothing in another Region otherwise.
      await port.describeKey(key.keyId).catch((error: unknown) => {
        if (error instanceof NotFoundError) throw new NotFoundError(`${key.keyId} has no replica in ${region}`, 'pass only Regions the multi-Region key is replicated to')
        throw error
      })
      return inRegion(region, port)
    }),
  ])
  // An interruption while reading is the run's end, not a read that failed.
  if (ctx.signal.aborted) throw failureOf(ctx, new Error('interrupted'))
  return { key, since, until, regions: [home, ...rest], grants }
}

// --callers reads at most this many events of the window (usage's --max-events default).
const CALLERS_MAX_EVENTS = 1000

/** What --callers plans with: CloudTrail's events for a key ARN over the last `days`, through the run's session at `place`. */
export function callersOver(ctx: Context, session: Session, days: number, place: Place = {}): NonNullable<MoveRequest['callers']> {
  const end = ctx.now()
  const start = new Date(end.getTime() - days * DAY_MS)
  return {
    windowDays: days,
    events: async (keyArn) => (await session.cloudtrail(place)).keyEvents({ resourceName: keyArn, start, end, maxEvents: CALLERS_MAX_EVENTS }),
  }
}
