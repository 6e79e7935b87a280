/**
 * GET /api/v1/jobs/{id}/events: Server-Sent Events of the job's status and progress until
 * it ends, then an `end` event with the final job, and the stream closes. Run `pnpm exec tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, expectApiError, markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { readSse } from './read-sse.js'
import { GLOBEX_KEY, closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({ concurrency: 1 })
})
afterAll(closeTestServers)

function openEvents(id: string, key?: string): Promise<Response> {
  return call(server, `/api/v1/jobs/${id}/events`, key ? { key } : {})
}

describe('job events (SSE)', () => {
  it('streams `job` events with increasing progress while converting, then `end` with the completed job, and closes', async () => {
    const job = await submitJob(server, generateTextPdf(40, 10), { filename: 'forty-pages.pdf' })
    const response = await openEvents(job.id)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = await readSse(response)

    const views = events.map((event) => JSON.parse(event.data) as JobView)
    /** The stream in short, shown when an assertion fails. */
    const trace = JSON.stringify(events.map((event, index) => [event.event, views[index]!.status, views[index]!.progress, views[index]!.pages_done, views[index]!.pages_total]))
    const names = events.map((event) => event.event)
    expect(names.at(-1), trace).toBe('end')
    expect(names.slice(0, -1).every((name) => name === 'job'), trace).toBe(true)
    expect(views.every((view) => view.id === job.id)).toBe(true)

    const end = views.at(-1)!
    expect(end, trace).toMatchObject({ status: 'completed', progress: 100, pages_done: 40, pages_total: 40, error: null })
    expect(end.result_url).toMatch(/\/results\/job_/)
    expect(end).toEqual(await waitForJob(server, job.id).then((current) => ({ ...current, result_url: expect.any(String) })))

    const progress = views.map((view) => view.progress)
    expect(progress, trace).toEqual([...progress].sort((a, b) => a - b))
    const pagesDone = views.map((view) => view.pages_done)
    expect(pagesDone, trace).toEqual([...pagesDone].sort((a, b) => a - b))
    // Progress was reported page by page while processing, not only at the end.
    const during = views.filter((view) => view.status === 'processing' && view.progress > 0 && view.progress < 100)
    expect(during.length, trace).toBeGreaterThanOrEqual(3)
    expect(during.every((view) => view.pages_total === 40)).toBe(true)
    expect(new Set(events.map((event) => event.data)).size).toBe(events.length)
  })

  it('sends a single `end` event for a job that already ended, and closes', async () => {
    const job = await submitJob(server, markdownDocument('Already done'), { filename: 'done.md' })
    await waitForJob(server, job.id)
    const events = await readSse(await openEvents(job.id), { timeoutMs: 5000 })
    expect(events.map((event) => event.event)).toEqual(['end'])
    expect(JSON.parse(events[0]!.data)).toMatchObject({ id: job.id, status: 'completed', progress: 100 })
  })

  it('ends the stream with the cancelled job when the job is cancelled', async () => {
    const job = await submitJob(server, generateTextPdf(1000, 5), { filename: 'long.pdf' })
    const response = await openEvents(job.id)
    let cancelling: Promise<Response> | undefined
    const events = await readSse(response, {
      onEvent(event) {
        const view = JSON.parse(event.data) as JobView
        if (!cancelling && view.status === 'processing') cancelling = call(server, `/api/v1/jobs/${job.id}`, { method: 'DELETE' })
      },
    })
    expect((await cancelling)?.status).toBe(200)
    expect(events.at(-1)!.event).toBe('end')
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ id: job.id, status: 'cancelled', result_url: null })
  })

  it("answers 404 for an unknown job or another organisation's", async () => {
    await expectApiError(await openEvents('job_aaaaaaaaaaaaaaaaaaaaaaaa'), 404, 'NOT_FOUND')
    const job = await submitJob(server, markdownDocument('Mine'))
    await expectApiError(await openEvents(job.id, GLOBEX_KEY), 404, 'NOT_FOUND')
  })
})
