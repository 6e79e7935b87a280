/**
 * GET /api/v1/jobs: newest first, status filter, cursor pagination without duplicates or
 * gaps, one organisation only. One conversion thread is held by a long PDF so every other
 * job stays pending and the statuses do not move during the test. Run `pnpm exec tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, listJobs, markdownDocument, submitJob, waitForJob, type JobList } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { GLOBEX_KEY, closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

let server: TestServer
/** Submitted in this order: the long PDF (processing), then 24 Markdown jobs (pending). */
let submitted: JobView[]
let cancelled: string[]

beforeAll(async () => {
  server = await startTestServer({ concurrency: 1 })
  // Long enough (tens of seconds) to hold the only thread for the whole file.
  const blocker = await submitJob(server, generateTextPdf(1000, 5), { filename: 'blocker.pdf' })
  await waitForJob(server, blocker.id, (job) => job.status === 'processing')
  submitted = [blocker]
  for (let index = 1; index <= 24; index++) {
    submitted.push(await submitJob(server, markdownDocument(`Report ${index}`), { filename: `report-${String(index).padStart(2, '0')}.md` }))
  }
  cancelled = [submitted[3]!.id, submitted[10]!.id, submitted[17]!.id]
  for (const id of cancelled) expect((await call(server, `/api/v1/jobs/${id}`, { method: 'DELETE' })).status).toBe(200)
})
afterAll(closeTestServers)

/** Every page of a listing, following next_cursor. */
async function allPages(query: string, key?: string): Promise<JobList[]> {
  const pages: JobList[] = []
  let cursor: string | null = null
  do {
    const page: JobList = await listJobs(server, `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key)
    pages.push(page)
    cursor = page.next_cursor
    if (pages.length > 20) throw new Error('the listing does not end')
  } while (cursor)
  return pages
}

const newestFirst = () => submitted.map((job) => job.id).reverse()

describe('listing jobs', () => {
  it('lists newest first, 20 by default, with the job fields', async () => {
    const page = await listJobs(server)
    expect(page.jobs.map((job) => job.id)).toEqual(newestFirst().slice(0, 20))
    expect(page.next_cursor).toEqual(expect.any(String))
    const createdAt = page.jobs.map((job) => Date.parse(job.created_at))
    expect(createdAt).toEqual([...createdAt].sort((a, b) => b - a))
    expect(page.jobs[0]).toMatchObject({ filename: 'report-24.md', status: 'pending', output_format: 'md', result_url: null })
  })

  it('pages through 25 jobs 10 at a time with the cursor, without duplicates or gaps', async () => {
    const pages = await allPages('limit=10')
    expect(pages.map((page) => page.jobs.length)).toEqual([10, 10, 5])
    expect(pages.at(-1)!.next_cursor).toBeNull()
    const ids = pages.flatMap((page) => page.jobs.map((job) => job.id))
    expect(new Set(ids).size).toBe(25)
    expect(ids).toEqual(newestFirst())
  })

  it('keeps a cursor valid while jobs are added: later pages neither repeat nor skip', async () => {
    const first = await listJobs(server, 'limit=10')
    const added = await submitJob(server, markdownDocument('Late arrival'), { filename: 'late.md' })
    const second = await listJobs(server, `limit=10&cursor=${encodeURIComponent(first.next_cursor!)}`)
    const third = await listJobs(server, `limit=10&cursor=${encodeURIComponent(second.next_cursor!)}`)
    expect([...first.jobs, ...second.jobs, ...third.jobs].map((job) => job.id)).toEqual(newestFirst())
    expect(third.next_cursor).toBeNull()
    // The new job heads a fresh listing.
    expect((await listJobs(server, 'limit=1')).jobs[0]!.id).toBe(added.id)
    await call(server, `/api/v1/jobs/${added.id}`, { method: 'DELETE' })
    cancelled.push(added.id)
    submitted.push(added)
  })

  it('filters by status, newest first, and pages within the filter', async () => {
    const byStatus = async (status: string) => (await allPages(`status=${status}&limit=2`)).flatMap((page) => page.jobs)
    const cancelledJobs = await byStatus('cancelled')
    expect(cancelledJobs.map((job) => job.id)).toEqual([...cancelled].reverse())
    expect(cancelledJobs.every((job) => job.status === 'cancelled')).toBe(true)

    const pending = await byStatus('pending')
    expect(pending.map((job) => job.id)).toEqual(newestFirst().filter((id) => id !== submitted[0]!.id && !cancelled.includes(id)))
    expect(pending).toHaveLength(21)
    expect(pending.every((job) => job.status === 'pending')).toBe(true)

    expect((await byStatus('processing')).map((job) => job.id)).toEqual([submitted[0]!.id])
    expect(await byStatus('completed')).toEqual([])
    expect(await byStatus('failed')).toEqual([])
  })

  it("shows another organisation none of these jobs", async () => {
    expect(await listJobs(server, 'limit=100', GLOBEX_KEY)).toEqual({ jobs: [], next_cursor: null })
    const globexJob = await submitJob(server, markdownDocument('Globex'), { key: GLOBEX_KEY })
    const globex = await listJobs(server, 'limit=100', GLOBEX_KEY)
    expect(globex.jobs.map((job) => job.id)).toEqual([globexJob.id])
    const acme = (await allPages('limit=100')).flatMap((page) => page.jobs.map((job) => job.id))
    expect(acme).not.toContain(globexJob.id)
  })
})
