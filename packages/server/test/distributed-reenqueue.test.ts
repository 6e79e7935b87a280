/**
 * Enqueueing a job id again when BullMQ still holds a finished job under it. BullMQ keeps
 * failed jobs a day and ignores an add for an id it holds, so a job the store says is pending
 * (retried, or left pending by a worker that lost Redis) was never converted. The API now
 * removes the finished BullMQ job first. Against a real redis-server.
 * Run `pnpm exec tsc -b` first.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ConnectionOptions, Queue, Worker } from 'bullmq'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QUEUE_NAME } from '../src/queue/conversion-queue.js'
import { createQueueRunner } from '../src/queue/queue-runner.js'
import { bullmqConnection } from '../src/queue/redis-url.js'
import { createRedisJobStore } from '../src/store/redis-job-store.js'
import { startWorker, type RunningWorker } from '../src/worker.js'
import { call, markdownDocument, waitForJob } from './api-requests.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { closeTestServers, makeTempDir, startTestServer } from './start-test-server.js'

let redis: RedisServer
const workers: RunningWorker[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(0)))
  await closeTestServers()
  await redis?.dispose()
})

describe('re-enqueueing a job id BullMQ holds as failed', () => {
  it('a pending job whose id BullMQ keeps as failed is enqueued again and converted', async () => {
    const dataDir = await makeTempDir()
    const id = 'job_failedinbullmq000000000000'
    const upload = join(dataDir, 'files', 'acme', id)
    await mkdir(upload, { recursive: true })
    await writeFile(join(upload, 'upload'), markdownDocument('Enqueued again'))
    // The store says pending...
    const store = createRedisJobStore({ url: redis.url })
    const now = new Date()
    await store.create({
      id, org: 'acme', status: 'pending', filename: 'again.md', mimeType: 'text/markdown', sizeBytes: 40, outputFormat: 'md', options: {},
      progress: 0, pagesDone: 0, pagesTotal: 0, attempts: 1, runAfter: 0, createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3600_000).toISOString(), webhookAttempts: [],
    })
    await store.close()
    // ...while BullMQ keeps a failed job under the same id (an earlier attempt).
    const connection = bullmqConnection(redis.url) as ConnectionOptions
    const queue = new Queue(QUEUE_NAME, { connection })
    await queue.add('convert', { jobId: id }, { jobId: id, attempts: 1, removeOnFail: { age: 24 * 3600 } })
    const failing = new Worker(QUEUE_NAME, async () => { throw new Error('an earlier attempt failed') }, { connection })
    await new Promise<void>((resolve) => failing.once('failed', () => resolve()))
    await failing.close()
    expect(await (await queue.getJob(id))?.getState()).toBe('failed')

    // An API starting enqueues pending jobs again; a worker converts this one.
    const server = await startTestServer({ queue: redis.url, store: redis.url, dataDir })
    workers.push(await startWorker({ queue: redis.url, store: redis.url, storage: join(dataDir, 'files'), concurrency: 1, logger: pino({ level: 'silent' }) }))
    expect(await waitForJob(server, id)).toMatchObject({ status: 'completed', attempts: 2 })
    expect(await (await call(server, `/api/v1/jobs/${id}/result`)).text()).toContain('# Enqueued again')
    await queue.close()
  })

  it('a job left processing with no BullMQ job on it (its final write lost) is put back to pending and converted', async () => {
    // The previous test's worker reads another storage folder: it must not take this job.
    await Promise.all(workers.splice(0).map((worker) => worker.close(0)))
    await closeTestServers()
    const dataDir = await makeTempDir()
    const id = 'job_lostprocessing000000000000'
    const upload = join(dataDir, 'files', 'acme', id)
    await mkdir(upload, { recursive: true })
    await writeFile(join(upload, 'upload'), markdownDocument('Not lost'))
    const store = createRedisJobStore({ url: redis.url })
    const started = new Date(Date.now() - 10 * 60_000)
    await store.create({
      id, org: 'acme', status: 'processing', filename: 'lost.md', mimeType: 'text/markdown', sizeBytes: 40, outputFormat: 'md', options: {},
      progress: 40, pagesDone: 0, pagesTotal: 1, attempts: 1, runAfter: 0, createdAt: started.toISOString(), startedAt: started.toISOString(),
      expiresAt: new Date(Date.now() + 3600_000).toISOString(), webhookAttempts: [],
    })
    // A fresh job, just claimed by a worker whose BullMQ job has not shown up yet: left alone.
    const fresh = { ...(await store.getById(id))!, id: 'job_freshprocessing00000000000', startedAt: new Date().toISOString(), createdAt: new Date().toISOString() }
    await store.create(fresh)

    const runner = createQueueRunner({ store, queueUrl: redis.url, logger: pino({ level: 'silent' }), staleProcessingMs: 60_000 })
    await runner.start()
    try {
      expect((await store.getById(fresh.id))?.status).toBe('processing')
      workers.push(await startWorker({ queue: redis.url, store: redis.url, storage: join(dataDir, 'files'), concurrency: 1, logger: pino({ level: 'silent' }) }))
      const deadline = Date.now() + 30_000
      let job = await store.getById(id)
      while (job?.status !== 'completed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        job = await store.getById(id)
      }
      expect(job).toMatchObject({ status: 'completed', attempts: 2 })
    } finally {
      await runner.stop()
      await store.close()
    }
  })
})
