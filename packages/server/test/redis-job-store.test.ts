import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisJobStore } from '../src/store/redis-job-store.js'
import type { JobStore } from '../src/store/job-store.js'
import { makeJob, runJobStoreSuite } from './job-store-suite.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

let redis: RedisServer
let admin: Redis

beforeAll(async () => {
  redis = await startRedisServer()
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 })
})

afterAll(async () => {
  await admin?.quit()
  await redis?.dispose()
})

/** A prefix no other test uses, so tests share one Redis without seeing each other. */
function freshPrefix(): string {
  return `test:${randomUUID()}:`
}

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await admin.del(...keys)
    cursor = next
  } while (cursor !== '0')
}

runJobStoreSuite('redis', async () => {
  const prefix = freshPrefix()
  const store = createRedisJobStore({ url: redis.url, prefix })
  return {
    store,
    openAnother: async () => createRedisJobStore({ url: redis.url, prefix }),
    cleanup: async () => {
      await store.close()
      await deleteKeys(prefix)
    },
  }
})

describe('createRedisJobStore', () => {
  it('never double-claims when two stores claim 200 jobs concurrently', async () => {
    const prefix = freshPrefix()
    const stores = [createRedisJobStore({ url: redis.url, prefix }), createRedisJobStore({ url: redis.url, prefix })]
    try {
      for (let i = 0; i < 200; i++) await stores[i % 2]!.create(makeJob({ org: i % 3 ? 'org_a' : 'org_b' }))
      // Four claim loops per store, all running at once.
      const loops = stores.flatMap(store => Array.from({ length: 4 }, async () => {
        const ids: string[] = []
        for (let job = await store.claimNext(Date.now()); job; job = await store.claimNext(Date.now())) ids.push(job.id)
        return ids
      }))
      const perLoop = await Promise.all(loops)
      const claimed = perLoop.flat()
      expect(claimed).toHaveLength(200)
      expect(new Set(claimed).size).toBe(200)
      expect(await stores[0]!.countByStatus()).toMatchObject({ pending: 0, processing: 200 })
      expect(await stores[1]!.listProcessing()).toHaveLength(200)
    } finally {
      for (const store of stores) await store.close()
      await deleteKeys(prefix)
    }
  })

  it('uses a given client without closing it, and refuses one with a keyPrefix', async () => {
    const prefix = freshPrefix()
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
    try {
      const store = createRedisJobStore({ client, prefix })
      const job = makeJob()
      await store.create(job)
      expect(await client.exists(`${prefix}job:${job.id}`)).toBe(1)
      await store.close()
      await expect(store.getById(job.id)).rejects.toThrow(/closed/)
      expect(await store.ping()).toBe(false)
      expect(await client.ping()).toBe('PONG')

      const prefixed = new Redis(redis.url, { keyPrefix: 'x:', lazyConnect: true })
      expect(() => createRedisJobStore({ client: prefixed })).toThrow(/keyPrefix/)
      prefixed.disconnect()
      expect(() => createRedisJobStore({ client, url: redis.url })).toThrow(/either `url` or `client`/)
      expect(() => createRedisJobStore({ url: 'http://localhost:6379' })).toThrow(/redis:\/\//)
    } finally {
      await client.quit()
      await deleteKeys(prefix)
    }
  })

  it('keeps org names apart in key names', async () => {
    const prefix = freshPrefix()
    const store = createRedisJobStore({ url: redis.url, prefix })
    try {
      // With raw org names, org `a:status:pending`'s index would be org `a`'s pending index.
      const tricky = makeJob({ org: 'a:status:pending' })
      const plain = makeJob({ org: 'a' })
      await store.create(tricky)
      await store.create(plain)
      expect((await store.list('a', { status: 'pending' })).jobs.map(j => j.id)).toEqual([plain.id])
      expect((await store.list('a:status:pending')).jobs.map(j => j.id)).toEqual([tricky.id])
      expect(await store.get('a', tricky.id)).toBeUndefined()
    } finally {
      await store.close()
      await deleteKeys(prefix)
    }
  })

  it('refuses a cursor from another store (SQLite) with INVALID_OPTION', async () => {
    const prefix = freshPrefix()
    const store = createRedisJobStore({ url: redis.url, prefix })
    try {
      const sqliteCursor = Buffer.from('v1:1740830400000:5').toString('base64url')
      await expect(store.list('org_a', { cursor: sqliteCursor })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    } finally {
      await store.close()
      await deleteKeys(prefix)
    }
  })
})

describe('createRedisJobStore when Redis goes away', () => {
  let own: RedisServer
  let store: JobStore | undefined

  beforeAll(async () => {
    own = await startRedisServer({ persistent: true })
  })
  afterAll(async () => {
    await store?.close()
    await own?.dispose()
  })

  it('rejects calls (never hangs) and pings false while Redis is down, then works again after a restart', async () => {
    store = createRedisJobStore({ url: own.url })
    const before = makeJob()
    await store.create(before)
    expect(await store.ping()).toBe(true)

    await own.stop()
    const started = Date.now()
    await expect(store.getById(before.id)).rejects.toThrow()
    await expect(store.create(makeJob())).rejects.toThrow()
    await expect(store.claimNext(Date.now())).rejects.toThrow()
    expect(await store.ping()).toBe(false)
    // Each call gives up after two reconnect attempts (about 2 s), not when Redis returns.
    expect(Date.now() - started).toBeLessThan(10_000)

    await own.restart()
    // ioredis reconnects on its own (backoff up to 2 s between tries).
    const deadline = Date.now() + 15_000
    while (!(await store.ping())) {
      if (Date.now() > deadline) throw new Error('the store did not reconnect within 15 s of Redis restarting')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    // The append-only file kept the job written before the outage.
    expect(await store.getById(before.id)).toEqual(before)
    const after = makeJob()
    expect(await store.create(after)).toEqual({ job: after, created: true })
    expect((await store.claimNext(Date.now()))?.id).toBe(before.id)
  })
})
