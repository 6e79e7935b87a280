/**
 * Every file of the shared corpus's bad/ folder uploaded (copies in fixtures/bad/): each gets
 * its error code, and the server keeps serving and converting. Run `pnpm exec tsc -b` first.
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, expectApiError, listJobs, postJob, submitJob, waitForJob } from './api-requests.js'
import { closeTestServers, jobFolders, startTestServer, type TestServer } from './start-test-server.js'

const bad = (name: string) => readFile(new URL(`./fixtures/bad/${name}`, import.meta.url))

let server: TestServer
const storedJobs = () => jobFolders(server)

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(closeTestServers)

describe('bad inputs', () => {
  it('refuses empty.docx (0 bytes) with 400 EMPTY_FILE and keeps nothing', async () => {
    const before = await storedJobs()
    const error = await expectApiError(await postJob(server, await bad('empty.docx'), { filename: 'empty.docx' }), 400, 'EMPTY_FILE')
    expect(error.message).toMatch(/empty/)
    expect(await storedJobs()).toEqual(before)
  })

  it('never decodes huge_dims.jpg: refused as unsupported (415) or failed with LIMIT_EXCEEDED/CORRUPT_FILE once images are read', async () => {
    const before = await storedJobs()
    const response = await postJob(server, await bad('huge_dims.jpg'), { filename: 'huge_dims.jpg' })
    if (response.status === 415) {
      const error = await expectApiError(response, 415, 'UNSUPPORTED_TYPE')
      expect(error.message).toMatch(/image\/jpeg|JPEG/)
      expect(await storedJobs()).toEqual(before)
      return
    }
    expect(response.status).toBe(202)
    const job = (await response.json()) as { id: string }
    const done = await waitForJob(server, job.id)
    expect(done.status).toBe('failed')
    expect(['LIMIT_EXCEEDED', 'CORRUPT_FILE']).toContain(done.error?.code)
    expect(done.attempts).toBe(1)
  })

  it('accepts text_named.pdf as the plain text it is, and converts it', async () => {
    const job = await submitJob(server, await bad('text_named.pdf'), { filename: 'text_named.pdf' })
    expect(job.mime_type).toMatch(/^text\/plain/)
    const done = await waitForJob(server, job.id)
    expect(done).toMatchObject({ status: 'completed', error: null, filename: 'text_named.pdf' })
    const result = await call(server, `/api/v1/jobs/${job.id}/result`)
    expect(await result.text()).toContain('systemd')
  })

  it('fails truncated.pdf with CORRUPT_FILE at the first attempt (bad input is not retried)', async () => {
    const job = await submitJob(server, await bad('truncated.pdf'), { filename: 'truncated.pdf' })
    expect(job.mime_type).toBe('application/pdf')
    const done = await waitForJob(server, job.id)
    if (done.status === 'completed') {
      // Also allowed by the corpus: a result explicitly flagged partial.
      expect(done.partial).not.toBeNull()
    } else {
      expect(done).toMatchObject({ status: 'failed', attempts: 1, result_url: null, error: { code: 'CORRUPT_FILE' } })
      expect(done.error!.message).not.toMatch(/\n\s+at /)
    }
  })

  it('fails encrypted_rc4.pdf with ENCRYPTED, saying a password is needed', async () => {
    const job = await submitJob(server, await bad('encrypted_rc4.pdf'), { filename: 'encrypted_rc4.pdf' })
    const done = await waitForJob(server, job.id)
    expect(done).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'ENCRYPTED' } })
    expect(done.error!.message).toMatch(/password/i)
  })

  it('still answers /healthz and converts a good PDF after all of them', async () => {
    const health = await call(server, '/healthz', { key: null })
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    expect((await call(server, '/readyz', { key: null })).status).toBe(200)

    const good = await submitJob(server, await readFile(new URL('./fixtures/node-documentation.pdf', import.meta.url)), { filename: 'good.pdf' })
    const done = await waitForJob(server, good.id)
    expect(done).toMatchObject({ status: 'completed', pages_done: 3 })
    expect(await (await call(server, `/api/v1/jobs/${good.id}/result`)).text()).toMatch(/About this documentation/)

    const failed = (await listJobs(server, 'status=failed')).jobs.map((job) => job.filename).sort()
    expect(failed).toEqual(expect.arrayContaining(['encrypted_rc4.pdf']))
    // text_named, truncated, encrypted and the good PDF; plus huge_dims once images are accepted.
    expect((await listJobs(server, 'limit=100')).jobs.length).toBeGreaterThanOrEqual(4)
    expect((await listJobs(server, 'limit=100')).jobs.length).toBeLessThanOrEqual(5)
  })
})
