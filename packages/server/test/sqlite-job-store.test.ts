import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { withStatusCache } from '../src/store/cached-job-store.js'
import { createSqliteJobStore } from '../src/store/sqlite-job-store.js'
import type { JobStore } from '../src/store/job-store.js'
import { makeJob, runJobStoreSuite } from './job-store-suite.js'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'docloader-job-store-'))
}

runJobStoreSuite('sqlite file', async () => {
  const dir = await tempDir()
  const path = join(dir, 'jobs.sqlite')
  const store = createSqliteJobStore({ path })
  return {
    store,
    openAnother: async () => createSqliteJobStore({ path }),
    cleanup: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

runJobStoreSuite('withStatusCache(sqlite file)', async () => {
  const dir = await tempDir()
  const path = join(dir, 'jobs.sqlite')
  const store = withStatusCache(createSqliteJobStore({ path }))
  return {
    store,
    openAnother: async () => withStatusCache(createSqliteJobStore({ path })),
    cleanup: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

describe('createSqliteJobStore', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('commits concurrent writes together: each settles on its own, a failing one alone, all durable once resolved', async () => {
    const path = join(dir, 'jobs.sqlite')
    const store = createSqliteJobStore({ path })
    const first = makeJob()
    await store.create(first)
    const jobs = Array.from({ length: 50 }, () => makeJob())
    // One batch: 50 new jobs, a duplicate id that must fail, and an update of an earlier job.
    const results = await Promise.allSettled([
      ...jobs.map((job) => store.create(job)),
      store.create({ ...makeJob(), id: first.id }),
      store.update(first.id, { status: 'processing' }),
    ])
    expect(results.slice(0, 50).every((r) => r.status === 'fulfilled')).toBe(true)
    expect(results[50]!.status).toBe('rejected')
    expect(results[51]).toMatchObject({ status: 'fulfilled', value: { id: first.id, status: 'processing' } })
    // Another connection (another process would be the same) sees every resolved write.
    const reader = new Database(path, { readonly: true })
    expect(reader.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(51)
    reader.close()
    await store.close()
  })

  it('creates the folder and a WAL file at the current schema version', async () => {
    const path = join(dir, 'nested', 'data', 'jobs.sqlite')
    const store = createSqliteJobStore({ path })
    await store.create(makeJob())
    await store.close()
    expect(existsSync(path)).toBe(true)
    const db = new Database(path, { readonly: true })
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('user_version', { simple: true })).toBe(1)
    } finally {
      db.close()
    }
  })

  it('refuses a file written by a newer schema, naming both versions', async () => {
    const path = join(dir, 'jobs.sqlite')
    const db = new Database(path)
    db.pragma('user_version = 99')
    db.close()
    expect(() => createSqliteJobStore({ path })).toThrow(/schema version 99, newer than this docloader understands \(1\)/)
  })

  it('refuses a missing path', () => {
    expect(() => createSqliteJobStore({ path: '' })).toThrow(/Expected `path`/)
  })

  it('works in memory for tests', async () => {
    const store = createSqliteJobStore({ path: ':memory:' })
    const job = makeJob()
    await store.create(job)
    expect(await store.claimNext(Date.now())).toMatchObject({ id: job.id, status: 'processing', attempts: 1 })
    await store.close()
  })

  // Threads have their own connections and run truly in parallel, as processes would: they
  // open one fresh file at once (concurrent migration), create jobs (one idempotency key
  // shared by all), then start claiming together.
  it('never double-claims across threads claiming in parallel on one file', async () => {
    const moduleUrl = new URL('../dist/store/sqlite-job-store.js', import.meta.url).href
    expect(existsSync(new URL(moduleUrl)), 'run `pnpm exec tsc -b` first: the threads load the built store').toBe(true)
    const path = join(dir, 'jobs.sqlite')
    const threads = 4
    const jobsPerThread = 75
    const barrier = new Int32Array(new SharedArrayBuffer(4))
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const { randomUUID } = require('node:crypto')
      ;(async () => {
        const { createSqliteJobStore } = await import(workerData.moduleUrl)
        const store = createSqliteJobStore({ path: workerData.path })
        const now = new Date().toISOString()
        const job = (extra) => ({ id: 'job_' + randomUUID(), org: 'org_' + workerData.index, status: 'pending', filename: 'a.pdf',
          mimeType: 'application/pdf', sizeBytes: 1, outputFormat: 'md', options: {}, progress: 0, pagesDone: 0, pagesTotal: 0,
          attempts: 0, runAfter: 0, createdAt: now, expiresAt: now, webhookAttempts: [], ...extra })
        for (let i = 0; i < workerData.jobsPerThread; i++) await store.create(job({}))
        const keyed = await store.create(job({ org: 'shared', idempotencyKey: 'same-upload' }))
        Atomics.add(workerData.barrier, 0, 1)
        Atomics.notify(workerData.barrier, 0)
        while (Atomics.load(workerData.barrier, 0) < workerData.threads) Atomics.wait(workerData.barrier, 0, Atomics.load(workerData.barrier, 0), 10)
        const claimed = []
        for (let j; (j = await store.claimNext(Date.now())); ) claimed.push(j.id)
        await store.close()
        parentPort.postMessage({ claimed, keyedId: keyed.job.id, keyedCreated: keyed.created })
      })().catch(error => { throw error })
    `
    const results = await Promise.all(Array.from({ length: threads }, (_, index) => new Promise<{ claimed: string[]; keyedId: string; keyedCreated: boolean }>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { moduleUrl, path, index, threads, jobsPerThread, barrier } })
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', exitCode => reject(new Error(`thread ${index} exited with ${exitCode} before answering`)))
    })))

    const claimed = results.flatMap(r => r.claimed)
    expect(claimed).toHaveLength(threads * jobsPerThread + 1)
    expect(new Set(claimed).size).toBe(claimed.length)
    // Which threads get jobs depends on scheduling (one busy thread can take them all under
    // load); what must hold is that no job is claimed twice and none is missed.
    expect(results.filter(r => r.keyedCreated)).toHaveLength(1)
    expect(new Set(results.map(r => r.keyedId)).size).toBe(1)

    const store = createSqliteJobStore({ path })
    expect(await store.countByStatus()).toMatchObject({ pending: 0, processing: threads * jobsPerThread + 1 })
    await store.close()
  })
})

describe('withStatusCache', () => {
  let dir: string
  let path: string
  const stores: JobStore[] = []
  const open = (): JobStore => {
    const store = createSqliteJobStore({ path })
    stores.push(store)
    return store
  }

  beforeEach(async () => {
    dir = await tempDir()
    path = join(dir, 'jobs.sqlite')
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.parse('2025-03-01T12:00:00.000Z'))
  })
  afterEach(async () => {
    vi.useRealTimers()
    for (const store of stores.splice(0)) await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves a poll from memory within the TTL: another process\'s write shows only after it', async () => {
    const api = withStatusCache(open(), { ttlMs: 250 })
    const worker = open()
    const job = makeJob()
    await api.create(job)
    expect(await api.get('org_a', job.id)).toMatchObject({ progress: 0 })

    await worker.update(job.id, { progress: 60 })
    vi.setSystemTime(Date.now() + 200)
    expect(await api.get('org_a', job.id)).toMatchObject({ progress: 0 })
    vi.setSystemTime(Date.now() + 51)
    expect(await api.get('org_a', job.id)).toMatchObject({ progress: 60 })
  })

  it('reads its own writes at once: update, claimNext, addWebhookAttempt, delete', async () => {
    const api = withStatusCache(open(), { ttlMs: 60_000 })
    const job = makeJob()
    await api.create(job)
    expect(await api.getById(job.id)).toMatchObject({ status: 'pending' })
    await api.claimNext(Date.now())
    expect(await api.getById(job.id)).toMatchObject({ status: 'processing', attempts: 1 })
    await api.update(job.id, { progress: 30 })
    expect(await api.get('org_a', job.id)).toMatchObject({ progress: 30 })
    await api.addWebhookAttempt(job.id, { eventId: 'e1', status: 'processing', attempt: 1, at: new Date().toISOString(), ok: true, statusCode: 204, ms: 3 })
    expect((await api.getById(job.id))?.webhookAttempts).toHaveLength(1)
    await api.delete(job.id)
    expect(await api.getById(job.id)).toBeUndefined()
  })

  it('does not cache misses: a job created by another process is seen on its first poll', async () => {
    const api = withStatusCache(open(), { ttlMs: 60_000 })
    const job = makeJob()
    expect(await api.getById(job.id)).toBeUndefined()
    await open().create(job)
    expect(await api.getById(job.id)).toEqual(job)
  })

  it('keeps at most maxEntries jobs, dropping the oldest', async () => {
    const api = withStatusCache(open(), { ttlMs: 60_000, maxEntries: 1 })
    const worker = open()
    const [a, b] = [makeJob(), makeJob()]
    await api.create(a)
    await api.create(b)
    await api.getById(a.id)
    await api.getById(b.id)
    await worker.update(a.id, { progress: 99 })
    expect(await api.getById(a.id)).toMatchObject({ progress: 99 })
  })

  it('validates its options', () => {
    expect(() => withStatusCache(open(), { ttlMs: -1 })).toThrow(/Expected `ttlMs`/)
    expect(() => withStatusCache(open(), { maxEntries: 0 })).toThrow(/Expected `maxEntries`/)
  })
})
