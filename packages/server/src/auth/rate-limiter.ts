/** Token buckets per key: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimiter {
  /** Takes one token; when none is left, returns the seconds until one is available. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number }
}

export interface RateLimiterOptions {
  /** Sustained requests per second per key. @default 50 */
  perSecond?: number
  /** Requests allowed at once above the sustained rate. @default 100 */
  burst?: number
  now?: () => number
}

export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const perSecond = options.perSecond ?? 50
  const burst = options.burst ?? 100
  const now = options.now ?? Date.now
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(key) {
      const time = now()
      const bucket = buckets.get(key) ?? { tokens: burst, at: time }
      bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.at) / 1000) * perSecond)
      bucket.at = time
      buckets.set(key, bucket)
      if (buckets.size > 10_000) pruneFull(buckets, burst, perSecond, time)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return { ok: true }
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) }
    },
  }
}

/** Drops buckets that have refilled completely: they hold no information. */
function pruneFull(buckets: Map<string, { tokens: number; at: number }>, burst: number, perSecond: number, time: number): void {
  for (const [key, bucket] of buckets) {
    if (bucket.tokens + ((time - bucket.at) / 1000) * perSecond >= burst) buckets.delete(key)
  }
}
