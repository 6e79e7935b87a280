/**
 * When and how long to wait before trying a request again. The names are ky's
 * (https://github.com/sindresorhus/ky#retry), so the options read the same.
 */
export interface RetryOptions {
  /**
   * Retries after the first attempt (so `limit: 4` makes at most 5 requests).
   * @default 4
   */
  limit?: number
  /**
   * Answers retried. 4xx other than 408 and 429 never are, whatever this says: they mean
   * the request itself is wrong.
   * @default [408, 429, 500, 502, 503, 504]
   */
  statusCodes?: number[]
  /**
   * Answers whose `Retry-After` header (seconds or an HTTP date) sets the wait instead of
   * the backoff.
   * @default [429, 503]
   */
  afterStatusCodes?: number[]
  /**
   * Longest `Retry-After` honoured, in ms. An answer asking for longer is not retried (as in
   * ky): the error is thrown with `retryAfter` set.
   * @default 60000
   */
  maxRetryAfter?: number
  /**
   * Longest backoff between attempts, in ms. The backoff is `300 * 2 ** (attempt - 1)`.
   * @default 10000
   */
  backoffLimit?: number
  /**
   * Randomise the backoff so many clients do not retry in step: `true` waits a random
   * time between 0 and the backoff ("full jitter"); a function maps the backoff to the wait.
   * @default true
   * @example jitter: (delay) => delay * (0.5 + Math.random() / 2)
   */
  jitter?: boolean | ((delay: number) => number)
}

export interface RetryPolicy {
  limit: number
  statusCodes: ReadonlySet<number>
  afterStatusCodes: ReadonlySet<number>
  maxRetryAfter: number
  backoffLimit: number
  jitter: boolean | ((delay: number) => number)
}

const NEVER_RETRIED = new Set([400, 401, 403, 404, 405, 409, 410, 411, 412, 413, 415, 422])

/** The full policy from user options (`retry: 0` turns retries off). */
export function retryPolicy(options: RetryOptions | number | undefined): RetryPolicy {
  const given = typeof options === 'number' ? { limit: options } : (options ?? {})
  const limit = given.limit ?? 4
  if (!Number.isInteger(limit) || limit < 0) throw new TypeError(`Expected \`retry.limit\` to be a whole number from 0 up, got \`${String(limit)}\` (${typeof limit}).`)
  return {
    limit,
    statusCodes: new Set((given.statusCodes ?? [408, 429, 500, 502, 503, 504]).filter((code) => !NEVER_RETRIED.has(code))),
    afterStatusCodes: new Set(given.afterStatusCodes ?? [429, 503]),
    maxRetryAfter: given.maxRetryAfter ?? 60_000,
    backoffLimit: given.backoffLimit ?? 10_000,
    jitter: given.jitter ?? true,
  }
}

/** The wait before retry number `attempt` (1 for the first retry), in ms. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const delay = Math.min(policy.backoffLimit, 300 * 2 ** (attempt - 1))
  if (policy.jitter === true) return Math.random() * delay
  if (typeof policy.jitter === 'function') return Math.max(0, Math.min(policy.backoffLimit, policy.jitter(delay)))
  return delay
}

/** `Retry-After` in ms (seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Resolves after `ms`, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
