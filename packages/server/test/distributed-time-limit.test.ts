/**
 * The hard time limit in queue mode (issue 6, "surviving faults"): a conversion running past
 * it has its conversion thread terminated (not just ignored) and the job fails with
 * `TIMEOUT`; the worker goes on with a fresh thread. The API's limit (`serve
 * --hard-timeout`) travels with each job and the worker applies the stricter of it and its
 * own (`worker --hard-timeout`). Against a real redis-server. Run `pnpm exec tsc -b` first.
 */
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../src/worker.js'
import { markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

/** The API's hard limit. The slow document takes far longer than both limits on any machine. */
const API_LIMIT_MS = 3000
const slowDocument = generateTextPdf(1500, 40)

let redis: RedisServer
let server: TestServer
const logs: Array<{ msg: string; jobId?: string; thread?: number }> = []

async function worker(hardTimeoutMs?: number): Promise<RunningWorker> {
  return startWorker({
    queue: redis.url,
    store: redis.url,
    storage: join(server.dataDir, 'files'),
    concurrency: 1,
    ...(hardTimeoutMs ? { hardTimeoutMs } : {}),
    logger: pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as (typeof logs)[number])
          done()
        },
      }),
    ),
  })
}

/** The conversion thread that completed a job, from the worker's log. */
function threadOf(jobId: string): number | undefined {
  return logs.find((line) => line.msg === 'conversion completed' && line.jobId === jobId)?.thread
}

beforeAll(async () => {
  redis = await startRedisServer()
  server = await startTestServer({ queue: redis.url, store: redis.url, hardTimeoutMs: API_LIMIT_MS })
})

afterAll(async () => {
  await closeTestServers()
  await redis?.dispose()
})

describe('hard time limit in queue mode', () => {
  it("the API's limit: the conversion thread is terminated, the job fails with TIMEOUT, the next job runs on a fresh thread", async () => {
    const converting = await worker()
    try {
      const before = await submitJob(server, markdownDocument('Before'), { filename: 'before.md' })
      expect((await waitForJob(server, before.id)).status).toBe('completed')

      const slow = await submitJob(server, slowDocument, { filename: 'slow.pdf' })
      const failed = await waitForJob(server, slow.id, undefined, { timeoutMs: 60_000 })
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'TIMEOUT', message: expect.stringContaining('3 s') } })
      expect(failed.pages_done).toBeLessThan(1500)
      expect(converting.active).toBe(0)

      const after = await submitJob(server, markdownDocument('After'), { filename: 'after.md' })
      expect((await waitForJob(server, after.id)).status).toBe('completed')
      // One thread, reused between jobs unless terminated: a new one means the slow one was killed.
      expect(threadOf(before.id)).toBeTypeOf('number')
      expect(threadOf(after.id)).toBeTypeOf('number')
      expect(threadOf(after.id)).not.toBe(threadOf(before.id))
    } finally {
      await converting.close(0)
    }
  })

  it("the worker's own limit applies when it is the stricter one", async () => {
    const strict = await worker(1500)
    try {
      const slow = await submitJob(server, slowDocument, { filename: 'slow.pdf' })
      const failed = await waitForJob(server, slow.id, undefined, { timeoutMs: 60_000 })
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'TIMEOUT', message: expect.stringContaining('1.5 s') } })
    } finally {
      await strict.close(0)
    }
  })
})
