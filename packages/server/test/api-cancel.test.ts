/**
 * DELETE /api/v1/jobs/{id}: a pending job never starts; a running conversion is aborted and
 * its conversion thread freed for the next job. One conversion thread, held by long PDFs.
 * Run `pnpm exec tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, expectApiError, getJob, markdownDocument, sleep, submitJob, waitForJob } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

let server: TestServer
/** Tens of seconds of conversion: it holds the only thread until cancelled. */
const longPdf = generateTextPdf(1000, 5)

beforeAll(async () => {
  server = await startTestServer({ concurrency: 1 })
})
afterAll(closeTestServers)

async function cancel(id: string): Promise<JobView> {
  const response = await call(server, `/api/v1/jobs/${id}`, { method: 'DELETE' })
  expect(response.status).toBe(200)
  return (await response.json()) as JobView
}

async function conversionsRunning(): Promise<number> {
  const metrics = await (await call(server, '/metrics', { key: null })).text()
  return Number(/^docloader_conversions_running (\d+)$/m.exec(metrics)?.[1])
}

describe('cancelling jobs', () => {
  it('cancels a pending job, which then never starts, even once the thread is free', async () => {
    const blocker = await submitJob(server, longPdf, { filename: 'blocker.pdf' })
    await waitForJob(server, blocker.id, (job) => job.status === 'processing')
    const waiting = await submitJob(server, markdownDocument('Never converted'), { filename: 'never.md' })
    expect((await getJob(server, waiting.id)).status).toBe('pending')

    const cancelled = await cancel(waiting.id)
    expect(cancelled).toMatchObject({ id: waiting.id, status: 'cancelled', started_at: null, attempts: 0, result_url: null })
    expect(cancelled.completed_at).toEqual(expect.any(String))

    // Free the thread: the next job to start must be the one submitted after, not the cancelled one.
    await cancel(blocker.id)
    const next = await submitJob(server, markdownDocument('Converted'), { filename: 'next.md' })
    expect((await waitForJob(server, next.id)).status).toBe('completed')
    await sleep(300)
    expect(await getJob(server, waiting.id)).toMatchObject({ status: 'cancelled', started_at: null, attempts: 0, progress: 0 })
    await expectApiError(await call(server, `/api/v1/jobs/${waiting.id}/result`), 409, 'RESULT_NOT_READY')
  })

  it('aborts a processing job and frees its thread: the next job completes, the cancelled one stays cancelled', async () => {
    const running = await submitJob(server, longPdf, { filename: 'running.pdf' })
    await waitForJob(server, running.id, (job) => job.status === 'processing' && job.pages_done > 0)
    const queued = await submitJob(server, markdownDocument('Queued behind'), { filename: 'queued.md' })

    const cancelledAt = Date.now()
    const cancelled = await cancel(running.id)
    expect(cancelled).toMatchObject({ id: running.id, status: 'cancelled', result_url: null, error: null })
    expect(cancelled.pages_done).toBeLessThan(1000)

    // The only thread was freed: the queued job runs and completes long before the
    // cancelled PDF could have finished.
    const done = await waitForJob(server, queued.id)
    expect(done.status).toBe('completed')
    expect(Date.now() - cancelledAt).toBeLessThan(10_000)
    expect(await conversionsRunning()).toBe(0)

    await sleep(300)
    const after = await getJob(server, running.id)
    expect(after.status).toBe('cancelled')
    expect(after.pages_done).toBeLessThanOrEqual(cancelled.pages_done + 1)
    await expectApiError(await call(server, `/api/v1/jobs/${running.id}/result`), 409, 'RESULT_NOT_READY')
  })
})
