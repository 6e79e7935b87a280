import Keyv from 'keyv'
import type { JobRecord } from '../jobs/job.js'
import type { JobStore } from './job-store.js'

export interface StatusCacheOptions {
  /**
   * How long a job read stays cached, in milliseconds. With several processes sharing the
   * store (API and workers), this is how stale a read can be: another process's write is
   * not seen here until the entry expires.
   * @default 250
   */
  ttlMs?: number
  /**
   * Most jobs kept at once; past it the oldest entries are dropped, so jobs read once and
   * never again do not pile up in memory.
   * @default 10000
   */
  maxEntries?: number
}

/**
 * Wraps a store so that `get` and `getById` (clients polling a job's status) are answered
 * from memory for a short time instead of hitting the store each time.
 *
 * Writes made through this wrapper (`update`, `delete`, `claimNext`, `addWebhookAttempt`)
 * invalidate the entry at once, so this process always reads its own writes. Writes from
 * other processes (a worker updating progress while the API serves polls) are seen after
 * at most `ttlMs`: the TTL bounds the staleness. Only reads are cached; every other method,
 * and every error, goes straight through. Misses are not cached, so a job created by
 * another process is visible on its first poll. `close()` closes the wrapped store too.
 *
 * @example
 * const store = withStatusCache(createSqliteJobStore({ path }), { ttlMs: 250 })
 */
export function withStatusCache(store: JobStore, options: StatusCacheOptions = {}): JobStore {
  const ttlMs = options.ttlMs ?? 250
  const maxEntries = options.maxEntries ?? 10_000
  if (!Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new TypeError(`Expected \`ttlMs\` to be a number from 0 and up, got \`${String(ttlMs)}\` (${typeof ttlMs})`)
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError(`Expected \`maxEntries\` to be an integer from 1 and up, got \`${String(maxEntries)}\` (${typeof maxEntries})`)
  }
  // Records are cached as they are, frozen (nested objects too), so a caller can never change
  // what the next caller reads, and a hit costs no parsing: serialising each entry cost more
  // per read than the SQLite read it saved.
  const cache = new Keyv<JobRecord>({
    store: new BoundedMap(maxEntries),
    namespace: 'job',
    ttl: ttlMs,
    throwOnErrors: true,
    serialize: undefined,
    deserialize: undefined,
  })
  // Bumped by every write. A read caches what it fetched only if no write happened while it
  // was fetching; otherwise it could put back a value older than that write.
  let writes = 0

  async function invalidate(id: string): Promise<void> {
    writes++
    await cache.delete(id)
  }

  async function read(id: string): Promise<JobRecord | undefined> {
    if (ttlMs === 0) return store.getById(id)
    const cached = await cache.get(id)
    if (cached !== undefined) return cached
    const before = writes
    const job = await store.getById(id)
    if (job === undefined) return undefined
    deepFreeze(job)
    if (writes === before) await cache.set(id, job)
    return job
  }

  return {
    create: job => store.create(job),

    async get(org, id) {
      const job = await read(id)
      return job?.org === org ? job : undefined
    },

    getById: id => read(id),

    async update(id, patch, onlyIf) {
      // Invalidate before (a poll meanwhile must not cache a value the write is replacing)
      // and after (a poll that read the cache during the write).
      await invalidate(id)
      try {
        return await store.update(id, patch, onlyIf)
      } finally {
        await invalidate(id)
      }
    },

    list: (org, listOptions) => store.list(org, listOptions),

    async claimNext(now) {
      writes++
      const job = await store.claimNext(now)
      if (job) await invalidate(job.id)
      return job
    },

    listProcessing: () => store.listProcessing(),
    ...(store.listPending ? { listPending: (limit: number) => store.listPending!(limit) } : {}),

    async addWebhookAttempt(jobId, attempt) {
      await invalidate(jobId)
      try {
        await store.addWebhookAttempt(jobId, attempt)
      } finally {
        await invalidate(jobId)
      }
    },

    listExpired: (now, limit) => store.listExpired(now, limit),

    async delete(id) {
      await invalidate(id)
      try {
        await store.delete(id)
      } finally {
        await invalidate(id)
      }
    },

    countByStatus: () => store.countByStatus(),
    addDelivery: delivery => store.addDelivery(delivery),
    dueDeliveries: (now, limit, leaseUntil) => store.dueDeliveries(now, limit, leaseUntil),
    updateDelivery: (eventId, patch) => store.updateDelivery(eventId, patch),
    ping: () => store.ping(),

    async close() {
      writes++
      await cache.clear()
      await store.close()
    },
  }
}

/** Freezes a JSON value and everything in it. */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const child of Object.values(value)) deepFreeze(child)
}

/** A Map that drops its oldest entry (insertion order) when a new key would exceed `max`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super()
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next()
      if (!oldest.done) this.delete(oldest.value)
    }
    return super.set(key, value)
  }
}

