/** waitForJob by polling and by the event stream with onProgress; listJobs across pages; cancelJob. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocloaderClient, type Job } from '../src/index.js'
import { generateTextPdf } from '../../server/test/generate-text-pdf.js'
import { ACME_KEY, GLOBEX_KEY, closeAll, startRealServer } from './real-server.js'

let client: DocloaderClient
let globex: DocloaderClient

beforeAll(async () => {
  const server = await startRealServer({ concurrency: 1 })
  client = new DocloaderClient({ baseUrl: server.url, apiKey: ACME_KEY })
  globex = new DocloaderClient({ baseUrl: server.url, apiKey: GLOBEX_KEY })
})
afterAll(closeAll)

function expectProgressed(seen: Job[], pages: number) {
  const trace = JSON.stringify(seen.map((job) => [job.status, job.pages_done, job.pages_total]))
  expect(seen.at(-1), trace).toMatchObject({ status: 'completed', pages_done: pages, pages_total: pages, progress: 100 })
  const done = seen.map((job) => job.pages_done)
  expect(done, trace).toEqual([...done].sort((a, b) => a - b))
  // Seen page by page while processing, not only at the end.
  expect(seen.filter((job) => job.status === 'processing' && job.pages_done > 0 && job.pages_done < pages).length, trace).toBeGreaterThanOrEqual(2)
}

describe('waitForJob', () => {
  it('polls until completed, calling onProgress with each change of pages done', async () => {
    const job = await client.createJob(generateTextPdf(60, 40), { filename: 'sixty.pdf' })
    const seen: Job[] = []
    const done = await client.waitForJob(job.id, { pollInterval: 20, maxPollInterval: 50, onProgress: (current) => seen.push(current) })
    expect(done.status).toBe('completed')
    expectProgressed(seen, 60)
  })

  it('follows the event stream (useEvents), with the same progress', async () => {
    const job = await client.createJob(generateTextPdf(60, 40), { filename: 'sixty-events.pdf' })
    const seen: Job[] = []
    const done = await client.waitForJob(job.id, { useEvents: true, onProgress: (current) => seen.push(current) })
    expect(done).toMatchObject({ id: job.id, status: 'completed' })
    expect(done.result_url).toMatch(/\/results\/job_/)
    expectProgressed(seen, 60)
  })

  it('gives up after `timeout` with code TIMEOUT, and on abort with code ABORTED; the job keeps running', async () => {
    const job = await client.createJob(generateTextPdf(1000, 40), { filename: 'slow.pdf' })
    await expect(client.waitForJob(job.id, { timeout: 30 })).rejects.toMatchObject({ code: 'TIMEOUT' })
    await expect(client.waitForJob(job.id, { timeout: 30, useEvents: true })).rejects.toMatchObject({ code: 'TIMEOUT' })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    await expect(client.waitForJob(job.id, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' })
    expect(['pending', 'processing', 'completed']).toContain((await client.getJob(job.id)).status)
    expect((await client.cancelJob(job.id)).status).toBe('cancelled')
    // Cancelling again answers with the cancelled job too.
    expect((await client.cancelJob(job.id)).status).toBe('cancelled')
    expect((await client.waitForJob(job.id, { useEvents: true })).status).toBe('cancelled')
  })

  it('returns failed jobs (not an error); convert() throws their code with the job attached', async () => {
    const job = await client.createJob(Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf'), { filename: 'broken.pdf' })
    const done = await client.waitForJob(job.id)
    expect(done.status).toBe('failed')
    expect(done.error?.code).toBe('CORRUPT_FILE')
    const error = await client.convert(Buffer.from('%PDF-1.4\nbroken'), { filename: 'broken.pdf' }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'DocloaderError', code: 'CORRUPT_FILE', job: { status: 'failed' } })
  })
})

describe('listJobs', () => {
  it('iterates over every page (cursor), newest first, only this organisation\'s jobs', async () => {
    const created: string[] = []
    for (let index = 0; index < 5; index++) created.push((await globex.createJob(Buffer.from(`# Job ${index}\n`), { filename: `job-${index}.md` })).id)
    const listed: Job[] = []
    for await (const job of globex.listJobs({ pageSize: 2 })) listed.push(job)
    expect(listed.map((job) => job.id)).toEqual([...created].reverse())
    // limit stops early; status filters
    const two: string[] = []
    for await (const job of globex.listJobs({ limit: 2 })) two.push(job.id)
    expect(two).toEqual(created.slice(-2).reverse())
    for (const id of created) await globex.waitForJob(id)
    const completed: string[] = []
    for await (const job of globex.listJobs({ status: 'completed', pageSize: 3 })) completed.push(job.id)
    expect(completed.sort()).toEqual([...created].sort())
    const page = await globex.listJobsPage({ limit: 4 })
    expect(page.jobs).toHaveLength(4)
    expect(typeof page.next_cursor).toBe('string')
  })
})
