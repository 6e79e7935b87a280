/**
 * Queue mode with S3 storage, in one process: the API (BullMQ on a real redis-server) and two
 * workers (startWorker) share a bucket on a real S3-protocol server (s3rver) instead of a
 * folder. Workers download each upload to a temporary file, convert it, upload the result
 * and remove the temporary copy, also when the job is cancelled. Run `pnpm exec tsc -b`
 * first.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../src/worker.js'
import { call, getJob, markdownDocument, submitJob, waitForJob, waitUntil } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { startS3Server, type S3Server } from './s3-server.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

const PREFIX = 'queue-mode/'

let redis: RedisServer
let s3: S3Server
let server: TestServer
let tempDir: string
const workers: RunningWorker[] = []

beforeAll(async () => {
  ;[redis, s3] = await Promise.all([startRedisServer(), startS3Server()])
  tempDir = await mkdtemp(join(tmpdir(), 'docloader-worker-s3-temp-'))
  server = await startTestServer({ queue: redis.url, store: redis.url, storage: s3.storageUrl(PREFIX), s3: s3.options })
  for (let index = 0; index < 2; index++) {
    workers.push(
      await startWorker({
        queue: redis.url,
        store: redis.url,
        storage: s3.storageUrl(PREFIX),
        s3: { ...s3.options, tempDir },
        concurrency: 1,
        lockDurationMs: 2000,
        stalledIntervalMs: 1000,
        logger: pino({ level: 'silent' }),
      }),
    )
  }
})
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(0)))
  await closeTestServers()
  await Promise.all([redis?.dispose(), s3?.dispose()])
  if (tempDir) await rm(tempDir, { recursive: true, force: true })
})

describe('BullMQ workers with S3 storage', () => {
  it('workers convert from the bucket and store results there; the API serves them, result_url redirects to a presigned URL', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 4 }, (_, index) => submitJob(server, generateTextPdf(4, 10), { filename: `doc-${index}.pdf`, fields: { output_format: 'txt' } })),
    )
    const done = await Promise.all(jobs.map((job) => waitForJob(server, job.id)))
    for (const job of done) {
      expect(job).toMatchObject({ status: 'completed', pages_done: 4, error: null })
      expect(await s3.keys(`${PREFIX}acme/${job.id}/`)).toEqual([`${PREFIX}acme/${job.id}/result.txt`, `${PREFIX}acme/${job.id}/upload`])
    }
    const text = await (await call(server, `/api/v1/jobs/${done[0]!.id}/result`)).text()
    expect(text).toContain('Page 4 line 10')
    const followed = await fetch(done[0]!.result_url!)
    expect(followed.url.startsWith(`${s3.endpoint}/${s3.bucket}/${PREFIX}acme/`)).toBe(true)
    expect(await followed.text()).toBe(text)
    expect(await readdir(tempDir)).toEqual([])
  })

  it('a job cancelled mid-conversion leaves no temporary copy on the worker, and the worker takes the next job', async () => {
    const running = await submitJob(server, generateTextPdf(1000, 5), { filename: 'endless.pdf' })
    await waitForJob(server, running.id, (job) => job.status === 'processing' && job.pages_done > 0)
    expect(await readdir(tempDir), 'the conversion works on a temporary copy').toHaveLength(1)
    expect((await call(server, `/api/v1/jobs/${running.id}`, { method: 'DELETE' })).status).toBe(200)
    await waitUntil(() => workers.every((worker) => worker.active === 0), 'the worker to abort the cancelled conversion', 5000)
    await waitUntil(async () => (await readdir(tempDir)).length === 0, 'the temporary copy to be removed', 5000)
    expect((await getJob(server, running.id)).status).toBe('cancelled')
    const next = await submitJob(server, markdownDocument('After the cancel'), { filename: 'next.md' })
    expect((await waitForJob(server, next.id)).status).toBe('completed')
  })

  it('readyz checks store, queue and storage', async () => {
    expect((await call(server, '/readyz', { key: null })).status).toBe(200)
  })
})
