/**
 * Isolation between organisations: another organisation's job is a 404 on every route and
 * absent from its listing. Run `pnpm exec tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, expectApiError, getJob, listJobs, markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { ACME_KEY, GLOBEX_KEY, closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

let server: TestServer
let acmeJob: JobView
let globexJob: JobView

beforeAll(async () => {
  server = await startTestServer()
  acmeJob = await submitJob(server, markdownDocument('Acme secrets'), { filename: 'acme-secrets.md', key: ACME_KEY })
  globexJob = await submitJob(server, markdownDocument('Globex plans'), { filename: 'globex-plans.md', key: GLOBEX_KEY })
})
afterAll(closeTestServers)

describe('isolation between organisations', () => {
  it("lets globex neither cancel acme's job nor learn that it exists, while it runs", async () => {
    // Straight after the upload: the job is pending or processing, so a DELETE would cancel it.
    const cancel = await call(server, `/api/v1/jobs/${acmeJob.id}`, { method: 'DELETE', key: GLOBEX_KEY })
    await expectApiError(cancel, 404, 'NOT_FOUND')
    const done = await waitForJob(server, acmeJob.id)
    expect(done.status).toBe('completed')
    await waitForJob(server, globexJob.id, undefined, { key: GLOBEX_KEY })
  })

  it.each([
    ['GET', ''],
    ['GET', '/result'],
    ['GET', '/events'],
    ['DELETE', ''],
  ])('answers globex %s /api/v1/jobs/{acme job}%s with 404, as for a job that does not exist', async (method, suffix) => {
    const foreign = await call(server, `/api/v1/jobs/${acmeJob.id}${suffix}`, { method, key: GLOBEX_KEY })
    const missing = await call(server, `/api/v1/jobs/job_zzzzzzzzzzzzzzzzzzzzzzzz${suffix}`, { method, key: GLOBEX_KEY })
    expect(await expectApiError(foreign, 404, 'NOT_FOUND')).toEqual(await expectApiError(missing, 404, 'NOT_FOUND'))
  })

  it("leaves acme's job out of globex's listing, whatever the filter", async () => {
    for (const query of ['', 'status=completed', 'limit=100']) {
      const globex = await listJobs(server, query, GLOBEX_KEY)
      expect(globex.jobs.map((job) => job.id)).toEqual([globexJob.id])
      const acme = await listJobs(server, query, ACME_KEY)
      expect(acme.jobs.map((job) => job.id)).toEqual([acmeJob.id])
    }
  })

  it('still serves each organisation its own job, result and events', async () => {
    expect((await getJob(server, acmeJob.id, ACME_KEY)).filename).toBe('acme-secrets.md')
    expect((await getJob(server, globexJob.id, GLOBEX_KEY)).filename).toBe('globex-plans.md')
    const acme = await call(server, `/api/v1/jobs/${acmeJob.id}/result`, { key: ACME_KEY })
    expect(await acme.text()).toContain('Acme secrets')
    const globex = await call(server, `/api/v1/jobs/${globexJob.id}/result`, { key: GLOBEX_KEY })
    expect(await globex.text()).toContain('Globex plans')
    const events = await call(server, `/api/v1/jobs/${globexJob.id}/events`, { key: GLOBEX_KEY })
    expect(events.status).toBe(200)
    expect(await events.text()).toMatch(/^event: end$/m)
  })

  it('gives each organisation its own webhook secret', async () => {
    const acme = (await (await call(server, '/api/v1/webhook-secret', { key: ACME_KEY })).json()) as { secret: string }
    const globex = (await (await call(server, '/api/v1/webhook-secret', { key: GLOBEX_KEY })).json()) as { secret: string }
    expect(acme.secret).toMatch(/^whsec_[0-9a-f]{64}$/)
    expect(globex.secret).toMatch(/^whsec_[0-9a-f]{64}$/)
    expect(acme.secret).not.toBe(globex.secret)
  })
})
