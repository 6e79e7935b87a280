/**
 * Distributed mode in one process: the API enqueues to BullMQ on a real redis-server and
 * two workers (startWorker) convert, writing to the shared Redis job store. Status, SSE,
 * listing, results, cancel and webhooks all go through the API, whichever worker ran the
 * job. Run `pnpm exec tsc -b` first.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisJobStore } from '../src/store/redis-job-store.js'
import { verifyWebhookSignature } from '../src/webhooks/sign-webhook.js'
import { startWorker, type RunningWorker } from '../src/worker.js'
import { call, getJob, listJobs, markdownDocument, sleep, submitJob, waitForJob, waitUntil } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { readSse } from './read-sse.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'
import { startReceiver } from './webhook-receiver.js'

let redis: RedisServer
let server: TestServer
const workers: RunningWorker[] = []

async function addWorker(): Promise<RunningWorker> {
  const worker = await startWorker({
    queue: redis.url,
    store: redis.url,
    storage: join(server.dataDir, 'files'),
    concurrency: 1,
    lockDurationMs: 2000,
    stalledIntervalMs: 1000,
    logger: pino({ level: 'silent' }),
  })
  workers.push(worker)
  return worker
}

beforeAll(async () => {
  redis = await startRedisServer()
  server = await startTestServer({ queue: redis.url, store: redis.url, webhooks: { baseDelayMs: 50 } })
  await addWorker()
  await addWorker()
})
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(0)))
  await closeTestServers()
  await redis?.dispose()
})

describe('API with BullMQ workers on Redis', () => {
  it('converts jobs submitted through the API on both workers; status, listing and results come from the API', async () => {
    const busy = new Set<number>()
    const sampler = setInterval(() => workers.forEach((worker, index) => worker.active > 0 && busy.add(index)), 5)
    const jobs = await Promise.all(
      Array.from({ length: 4 }, (_, index) => submitJob(server, generateTextPdf(5, 20), { filename: `doc-${index}.pdf`, fields: { output_format: 'txt' } })),
    )
    const done = await Promise.all(jobs.map((job) => waitForJob(server, job.id)))
    clearInterval(sampler)
    for (const job of done) expect(job).toMatchObject({ status: 'completed', progress: 100, pages_done: 5, pages_total: 5, attempts: 1, error: null })
    expect([...busy].sort(), 'both workers converted').toEqual([0, 1])
    const text = await (await call(server, `/api/v1/jobs/${jobs[0]!.id}/result`)).text()
    expect(text).toContain('Page 5 line 20')
    const listed = await listJobs(server, 'status=completed')
    expect(listed.jobs.map((job) => job.id)).toEqual(expect.arrayContaining(jobs.map((job) => job.id)))
    // A signed result link works without the key.
    expect(await (await fetch(done[0]!.result_url!)).text()).toBe(text)
  })

  it('streams progress over SSE from the API while a worker converts', async () => {
    const job = await submitJob(server, generateTextPdf(300, 5), { filename: 'long.pdf' })
    const response = await call(server, `/api/v1/jobs/${job.id}/events`)
    const events = await readSse(response, { timeoutMs: 30_000 })
    const views = events.map((event) => JSON.parse(event.data) as { status: string; pages_done: number })
    expect(events.at(-1)).toMatchObject({ event: 'end' })
    expect(views.at(-1)).toMatchObject({ status: 'completed', pages_done: 300 })
    const partway = views.filter((view) => view.status === 'processing' && view.pages_done > 0 && view.pages_done < 300)
    expect(partway.length, 'progress events between start and end').toBeGreaterThan(0)
  })

  it('cancels a running conversion from the API: the worker aborts and takes the next job', async () => {
    const running = await submitJob(server, generateTextPdf(1000, 5), { filename: 'endless.pdf' })
    await waitForJob(server, running.id, (job) => job.status === 'processing' && job.pages_done > 0)
    const response = await call(server, `/api/v1/jobs/${running.id}`, { method: 'DELETE' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'cancelled' })
    await waitUntil(() => workers.every((worker) => worker.active === 0), 'the worker to abort the cancelled conversion', 5000)
    const next = await submitJob(server, markdownDocument('After the cancel'), { filename: 'next.md' })
    expect((await waitForJob(server, next.id)).status).toBe('completed')
    await sleep(300)
    const cancelled = await getJob(server, running.id)
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.pages_done).toBeLessThan(1000)
  })

  it('sends webhooks from the API process only, once per status, with the signed result link', async () => {
    const hook = await startReceiver([200])
    try {
      const secret = ((await (await call(server, '/api/v1/webhook-secret')).json()) as { secret: string }).secret
      const job = await submitJob(server, markdownDocument('Hooked'), { filename: 'hooked.md', fields: { webhook_url: `${hook.url}/hook` } })
      await waitForJob(server, job.id, (current) => (current.webhook?.attempts ?? []).some((attempt) => attempt.status === 'completed'))
      await sleep(500)
      const bodies = hook.requests.map((request) => {
        expect(verifyWebhookSignature(request.body, request.headers['x-docloader-signature'] as string, secret)).toBe(true)
        return JSON.parse(request.body) as { status: string; result_url: string | null }
      })
      expect(bodies.map((body) => body.status)).toEqual(['processing', 'completed'])
      const completed = bodies[1]!
      expect(completed.result_url).toMatch(/\/results\/job_/)
      expect(await (await fetch(completed.result_url!)).text()).toContain('# Hooked')
    } finally {
      await hook.close()
    }
  })

  it('a worker closing mid-conversion hands its job back; another worker completes it', async () => {
    const leaving = await addWorker()
    // Keep the two other workers busy so that the new one takes the job.
    const blockers = await Promise.all([0, 1].map((index) => submitJob(server, generateTextPdf(1000, 5), { filename: `blocker-${index}.pdf` })))
    await waitUntil(async () => (await Promise.all(blockers.map((job) => getJob(server, job.id)))).every((job) => job.status === 'processing'), 'blockers running', 10_000)
    const job = await submitJob(server, generateTextPdf(200, 5), { filename: "handed-back.pdf" })
    await waitUntil(() => leaving.active === 1, 'the new worker to take the job', 10_000)
    await waitForJob(server, job.id, (current) => current.status === 'processing' && current.pages_done > 0)
    await leaving.close(100)
    expect(leaving.active).toBe(0)
    for (const blocker of blockers) await call(server, `/api/v1/jobs/${blocker.id}`, { method: 'DELETE' })
    const done = await waitForJob(server, job.id, undefined, { timeoutMs: 30_000 })
    // Handed back, not left to stall: the interrupted attempt does not count.
    expect(done).toMatchObject({ status: 'completed', attempts: 1, pages_done: 200 })
  })

  it('a job stored but never enqueued (enqueue lost) is enqueued when an API starts', async () => {
    const id = 'job_lostenqueue0000000000000'
    const upload = join(server.dataDir, 'files', 'acme', id)
    await mkdir(upload, { recursive: true })
    await writeFile(join(upload, 'upload'), markdownDocument('Lost enqueue'))
    const store = createRedisJobStore({ url: redis.url })
    const now = new Date()
    await store.create({
      id, org: 'acme', status: 'pending', filename: 'lost.md', mimeType: 'text/markdown', sizeBytes: 40, outputFormat: 'md', options: {},
      progress: 0, pagesDone: 0, pagesTotal: 0, attempts: 0, runAfter: 0, createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3600_000).toISOString(), webhookAttempts: [],
    })
    await store.close()
    await sleep(300)
    expect((await getJob(server, id)).status).toBe('pending')
    const second = await startTestServer({ queue: redis.url, store: redis.url, dataDir: server.dataDir })
    expect((await waitForJob(second, id)).status).toBe('completed')
    expect(await (await call(server, `/api/v1/jobs/${id}/result`)).text()).toContain('# Lost enqueue')
  })

  it('/metrics on the API counts the conversions running on the workers and the jobs waiting for one', async () => {
    const gauge = async (name: string) => {
      const text = await (await call(server, '/metrics', { key: null })).text()
      return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1])
    }
    // Two workers of one conversion each: two long jobs run, the third waits.
    const jobs = await Promise.all([0, 1, 2].map((index) => submitJob(server, generateTextPdf(1000, 5), { filename: `metered-${index}.pdf` })))
    try {
      await waitUntil(async () => (await gauge('docloader_conversions_running')) === 2 && (await gauge('docloader_queue_depth')) === 1, 'metrics to show 2 running and 1 waiting', 20_000)
    } finally {
      for (const job of jobs) await call(server, `/api/v1/jobs/${job.id}`, { method: 'DELETE' })
    }
    await waitUntil(async () => (await gauge('docloader_conversions_running')) === 0 && (await gauge('docloader_queue_depth')) === 0, 'metrics to show nothing running or waiting', 20_000)
  })

  it('readyz checks store and queue', async () => {
    expect((await call(server, '/readyz', { key: null })).status).toBe(200)
  })
})
