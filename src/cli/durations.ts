// The durations usage, retire and --callers take (--since 30d, --idle-for 30d, --soak 7d): a number
// of days, weeks or hours, kept as days.
import { UsageError } from '../errors.js'

const UNIT_DAYS: Record<string, number> = { h: 1 / 24, d: 1, w: 7 }

/** A commander parser: "30d", "2w", "36h" or a bare number of days, above 0 (or from `minDays`) and at most `maxDays`. */
export function parseDuration(flag: string, limits: { minDays?: number; maxDays: number }) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d+)?)([hdw]?)$/.exec(value.trim())
    const days = match ? Number(match[1]) * (UNIT_DAYS[match[2] || 'd'] ?? 1) : Number.NaN
    const min = limits.minDays
    if (!Number.isFinite(days) || days <= 0 || (min !== undefined && days < min) || days > limits.maxDays) {
      throw new UsageError(`${flag} must be a duration such as 7d, 2w or 36h, ${min === undefined ? 'above 0' : `from ${min} days`} and at most ${limits.maxDays} days, not "${value}"`)
    }
    return days
  }
}
