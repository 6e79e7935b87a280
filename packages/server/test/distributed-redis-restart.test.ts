/**
 * Redis restarted while jobs are queued (issue 6, "surviving faults"): a real redis-server
 * with an append-only file (fsynced at every write, as production should run it) is
 * stopped while two workers convert and more jobs wait. Meanwhile the API keeps answering
 * and `/readyz` says 503; once Redis is back on the same port `/readyz` says 200, the
 * workers reconnect by themselves and every job completes exactly once.
 * Run `pnpm exec tsc -b` first.
 */
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../src/worker.js'
import { call, getJob, sleep, submitJob, waitForJob, waitUntil } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js'

let redis: RedisServer
let server: TestServer
let hook: WebhookReceiver
/** Set while the test holds Redis down, so cleanup after a failure brings it back first. */
let redisDown = false
const workers: RunningWorker[] = []
/** Every log line of the workers, parsed. */
const workerLogs: Array<{ msg: string; jobId?: string }> = []
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

function logSink() {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) workerLogs.push(JSON.parse(line) as { msg: string; jobId?: string })
      done()
    },
  })
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  redis = await startRedisServer({ persistent: true })
  hook = await startReceiver([200])
  server = await startTestServer({ queue: redis.url, store: redis.url, webhooks: { baseDelayMs: 50 } })
  for (let index = 0; index < 2; index++) {
    workers.push(
      await startWorker({
        queue: redis.url,
        store: redis.url,
        storage: join(server.dataDir, 'files'),
        concurrency: 1,
        lockDurationMs: 2000,
        stalledIntervalMs: 1000,
        logger: pino({ level: 'info' }, logSink()),
      }),
    )
  }
})

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  if (redisDown) await redis.restart()
  await Promise.all(workers.map((worker) => worker.close(0)))
  await closeTestServers()
  await hook?.close()
  await redis?.dispose()
})

describe('Redis restarted while jobs are queued', () => {
  it('readyz turns 503 and back to 200, the API keeps answering, workers reconnect, every job completes once', async () => {
    const count = 8
    const jobs = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        submitJob(server, generateTextPdf(60, 20), { filename: `queued-${index}.pdf`, fields: { output_format: 'txt', webhook_url: `${hook.url}/hook` } }),
      ),
    )
    // Both workers busy, the other jobs waiting in the queue.
    await waitUntil(() => workers.every((worker) => worker.active === 1), 'both workers to convert', 20_000)
    expect((await call(server, '/readyz', { key: null })).status).toBe(200)

    redisDown = true
    await redis.stop()
    const readyz = await call(server, '/readyz', { key: null })
    expect(readyz.status).toBe(503)
    expect(await readyz.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } })
    // Still answering: liveness, and an upload refused with 503 instead of hanging.
    expect((await call(server, '/healthz', { key: null })).status).toBe(200)
    const refused = await postDuringOutage()
    expect(refused.status).toBe(503)
    // Redis down for longer than the workers' locks (2 s) and a few reconnect rounds.
    await sleep(4000)
    expect((await call(server, '/readyz', { key: null })).status).toBe(503)

    await redis.restart()
    redisDown = false
    await waitUntil(async () => (await call(server, '/readyz', { key: null })).status === 200, 'readyz to turn 200 again', 20_000)

    const done = await Promise.all(jobs.map((job) => waitForJob(server, job.id, undefined, { timeoutMs: 120_000, intervalMs: 200 })))
    for (const job of done) expect(job, job.id).toMatchObject({ status: 'completed', progress: 100, pages_done: 60, error: null })
    for (const job of jobs) expect(await (await call(server, `/api/v1/jobs/${job.id}/result`)).text()).toContain('Page 60 line 20')

    // Exactly one completion per job: in the store's log of the workers, and in webhooks.
    const completions = workerLogs.filter((line) => line.msg === 'conversion completed').map((line) => line.jobId).sort()
    expect(completions).toEqual(jobs.map((job) => job.id).sort())
    await waitUntil(() => hook.requests.filter((request) => request.body.includes('"status":"completed"')).length >= count, 'completed webhooks', 30_000)
    await sleep(500)
    const completedHooks = hook.requests.map((request) => JSON.parse(request.body) as { job_id: string; status: string }).filter((body) => body.status === 'completed')
    expect(completedHooks.map((body) => body.job_id).sort()).toEqual(jobs.map((job) => job.id).sort())

    // Both workers still take jobs after the restart.
    const after = await Promise.all([0, 1].map((index) => submitJob(server, generateTextPdf(200, 5), { filename: `after-${index}.pdf` })))
    await waitUntil(() => workers.every((worker) => worker.active === 1), 'both workers to take a job after the restart', 30_000)
    for (const job of after) expect((await waitForJob(server, job.id, undefined, { timeoutMs: 60_000 })).status).toBe('completed')
    expect((await getJob(server, after[0]!.id)).attempts).toBe(1)
    expect(unhandled).toEqual([])
  })
})

async function postDuringOutage(): Promise<Response> {
  const form = new FormData()
  form.append('file', new Blob(['# During the outage\n']), 'outage.md')
  return call(server, '/api/v1/jobs', { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) })
}
