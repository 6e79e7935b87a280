/**
 * Idempotency-Key: the same key from the same organisation returns the same job, never a
 * second one, even when the requests race. Run `pnpm exec tsc -b` first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { listJobs, markdownDocument, postJob, waitForJob } from './api-requests.js'
import { GLOBEX_KEY, closeTestServers, jobFolders, startTestServer, type TestServer } from './start-test-server.js'

let server: TestServer

beforeEach(async () => {
  server = await startTestServer()
})
afterEach(closeTestServers)

describe('Idempotency-Key', () => {
  it('answers a repeated POST with the same key with the same job, and keeps one job and one upload', async () => {
    const headers = { 'idempotency-key': 'order-4711-upload' }
    const first = await postJob(server, markdownDocument('Order 4711'), { filename: 'order.md', headers })
    expect(first.status).toBe(202)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const job = (await first.json()) as JobView

    // A retry, with another body even: the key decides.
    const second = await postJob(server, markdownDocument('Order 4711, retried'), { filename: 'order-retry.md', headers })
    expect(second.status).toBe(202)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(second.headers.get('location')).toBe(`/api/v1/jobs/${job.id}`)
    const replayed = (await second.json()) as JobView
    expect(replayed.id).toBe(job.id)
    expect(replayed.filename).toBe('order.md')

    const done = await waitForJob(server, job.id)
    expect(done.status).toBe('completed')
    // After completion the key still returns that job, as it is now.
    const third = await postJob(server, markdownDocument('Order 4711'), { filename: 'order.md', headers })
    expect(((await third.json()) as JobView)).toMatchObject({ id: job.id, status: 'completed' })

    const listed = await listJobs(server)
    expect(listed.jobs.map((entry) => entry.id)).toEqual([job.id])
    expect(await jobFolders(server)).toEqual([job.id])
  })

  it('keeps keys per organisation: the same key from another organisation makes another job', async () => {
    const headers = { 'idempotency-key': 'shared-key-1' }
    const acme = (await (await postJob(server, markdownDocument('Acme'), { headers })).json()) as JobView
    const globexResponse = await postJob(server, markdownDocument('Globex'), { headers, key: GLOBEX_KEY })
    expect(globexResponse.status).toBe(202)
    expect(globexResponse.headers.get('idempotent-replayed')).toBeNull()
    const globex = (await globexResponse.json()) as JobView
    expect(globex.id).not.toBe(acme.id)
    expect((await listJobs(server)).jobs.map((job) => job.id)).toEqual([acme.id])
    expect((await listJobs(server, '', GLOBEX_KEY)).jobs.map((job) => job.id)).toEqual([globex.id])
    // And another key from the same organisation is another job.
    const other = (await (await postJob(server, markdownDocument('Acme again'), { headers: { 'idempotency-key': 'shared-key-2' } })).json()) as JobView
    expect(other.id).not.toBe(acme.id)
  })

  it('makes one job of 10 concurrent POSTs with one key, and removes the other uploads', async () => {
    const headers = { 'idempotency-key': 'burst-0001' }
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) => postJob(server, markdownDocument(`Burst ${index}`), { filename: `burst-${index}.md`, headers })),
    )
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202))
    const jobs = (await Promise.all(responses.map((response) => response.json()))) as JobView[]
    const ids = new Set(jobs.map((job) => job.id))
    expect(ids.size).toBe(1)
    const [id] = ids
    expect(responses.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toHaveLength(9)

    const listed = await listJobs(server, 'limit=100')
    expect(listed.jobs.map((job) => job.id)).toEqual([id])
    expect(await jobFolders(server)).toEqual([id])
  })
})
