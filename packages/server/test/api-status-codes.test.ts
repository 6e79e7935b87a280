/**
 * Every HTTP status of the API (DESIGN.md, HTTP API), each with the body
 * `{ error: { code, message } }`, over real HTTP. Run `pnpm exec tsc -b` first.
 */
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKeys } from '../src/auth/api-keys.js'
import { createRateLimiter } from '../src/auth/rate-limiter.js'
import { createLinkSigner } from '../src/auth/signed-links.js'
import { createApp } from '../src/http/create-app.js'
import { createJobRunner } from '../src/jobs/job-runner.js'
import { createMetrics } from '../src/metrics/create-metrics.js'
import { createConversionPool } from '../src/pool/create-conversion-pool.js'
import { createLocalStorage } from '../src/storage/local-storage.js'
import { createSqliteJobStore } from '../src/store/sqlite-job-store.js'
import { orgWebhookSecret } from '../src/webhooks/webhook-secret.js'
import { call, expectApiError, listJobs, markdownDocument, postJob, streamUpload, submitJob, waitForJob } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { ACME_KEY, GLOBEX_KEY, TEST_KEYS, closeTestServers, jobFolders, makeTempDir, startTestServer, type TestServer } from './start-test-server.js'

const MAX_UPLOAD = 256 * 1024
const truncatedPdf = new URL('./fixtures/bad/truncated.pdf', import.meta.url)

/** One conversion thread, uploads up to 256 KB. */
let server: TestServer
/** Job folders of acme: a refused upload must not add one. */
const storedJobs = () => jobFolders(server)

beforeAll(async () => {
  server = await startTestServer({ concurrency: 1, maxUploadBytes: MAX_UPLOAD })
})
afterAll(closeTestServers)

describe('400 bad parameters', () => {
  it('refuses a POST without a `file` field, naming the field', async () => {
    const form = new FormData()
    form.append('output_format', 'md')
    form.append('document', new Blob(['# Title\n']), 'a.md')
    const error = await expectApiError(await call(server, '/api/v1/jobs', { method: 'POST', body: form }), 400, 'INVALID_OPTION')
    expect(error.message).toMatch(/`file`/)
  })

  it('takes the first `file` part as the document and skips any other file part', async () => {
    const form = new FormData()
    form.append('attachment', new Blob(['%PDF-1.4 not the document']), 'other.pdf')
    form.append('file', new Blob([markdownDocument('First')]), 'first.md')
    form.append('file', new Blob(['%PDF-1.4 a second file']), 'second.pdf')
    form.append('output_format', 'txt')
    const response = await call(server, '/api/v1/jobs', { method: 'POST', body: form })
    expect(response.status).toBe(202)
    const job = (await response.json()) as { id: string; filename: string; mime_type: string; output_format: string }
    expect(job).toMatchObject({ filename: 'first.md', mime_type: 'text/markdown', output_format: 'txt' })
    expect((await waitForJob(server, job.id)).status).toBe('completed')
  })

  it('refuses a body that is not multipart/form-data', async () => {
    const json = await call(server, '/api/v1/jobs', { method: 'POST', body: JSON.stringify({ file: 'x' }), headers: { 'content-type': 'application/json' } })
    expect((await expectApiError(json, 400, 'INVALID_OPTION')).message).toMatch(/multipart\/form-data/)
    const raw = await call(server, '/api/v1/jobs', { method: 'POST', body: '%PDF-1.4', headers: { 'content-type': 'application/pdf' } })
    await expectApiError(raw, 400, 'INVALID_OPTION')
    const broken = await call(server, '/api/v1/jobs', { method: 'POST', body: 'not really multipart', headers: { 'content-type': 'multipart/form-data' } })
    await expectApiError(broken, 400, 'INVALID_OPTION')
  })

  it.each([
    ['output_format', 'docx', /output_format.*md, txt or json.*docx/],
    ['pages', 'abc', /abc/],
    ['pages', '0-2', /./],
    ['ocr', 'sometimes', /ocr.*auto, off or force/],
    ['ocr_provider', 'tesseract,acme-ocr', /acme-ocr/],
    ['language', '../../etc', /language/],
    ['webhook_url', 'ftp://hooks.example.com/docloader', /./],
    ['webhook_url', 'file:///etc/passwd', /./],
    ['webhook_url', 'not a url', /./],
  ])('refuses %s=%s and keeps nothing of the upload', async (field, value, message) => {
    const before = await storedJobs()
    const response = await postJob(server, markdownDocument('Refused'), { filename: 'a.md', fields: { [field]: value } })
    expect((await expectApiError(response, 400, 'INVALID_OPTION')).message).toMatch(message)
    expect(await storedJobs()).toEqual(before)
  })

  it('refuses an Idempotency-Key longer than 255 characters', async () => {
    const response = await postJob(server, markdownDocument('Key'), { headers: { 'idempotency-key': 'k'.repeat(256) } })
    expect((await expectApiError(response, 400, 'INVALID_OPTION')).message).toMatch(/Idempotency-Key/)
  })

  it.each([
    ['status=done', /status.*pending, processing, completed, failed, cancelled.*done/],
    ['limit=0', /limit.*1 to 100/],
    ['limit=101', /limit/],
    ['limit=abc', /limit/],
    ['limit=2.5', /limit/],
    ['cursor=not-a-cursor', /cursor/],
    ['cursor=eyJ0IjoiMjAyNC0wMS0wMSJ9', /cursor/],
  ])('refuses a listing with %s', async (query, message) => {
    const error = await expectApiError(await call(server, `/api/v1/jobs?${query}`), 400, 'INVALID_OPTION')
    expect(error.message).toMatch(message)
  })
})

describe('401 no or unknown key', () => {
  it('refuses every /api/v1 route without a key, and with an unknown one', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/jobs'],
      ['POST', '/api/v1/jobs'],
      ['GET', '/api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa'],
      ['GET', '/api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa/result'],
      ['GET', '/api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa/events'],
      ['DELETE', '/api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa'],
      ['GET', '/api/v1/webhook-secret'],
    ] as const) {
      const none = await call(server, path, { method, key: null })
      expect((await expectApiError(none, 401, 'UNAUTHORIZED')).message).toMatch(/X-API-Key/)
      const unknown = await call(server, path, { method, key: 'key-initech-0123456789abcdef' })
      expect((await expectApiError(unknown, 401, 'UNAUTHORIZED')).message).toMatch(/not valid/)
    }
    // A known key with a different case or a suffix is just as unknown.
    await expectApiError(await call(server, '/api/v1/jobs', { key: ACME_KEY.toUpperCase() }), 401, 'UNAUTHORIZED')
    await expectApiError(await call(server, '/api/v1/jobs', { key: `${ACME_KEY}x` }), 401, 'UNAUTHORIZED')
  })

  it('refuses an upload without a key before storing anything', async () => {
    const before = await storedJobs()
    await expectApiError(await postJob(server, markdownDocument('Anonymous'), { key: null }), 401, 'UNAUTHORIZED')
    expect(await storedJobs()).toEqual(before)
  })
})

describe('404 not found', () => {
  it("answers an unknown job, another organisation's job and an unknown route alike", async () => {
    await expectApiError(await call(server, '/api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa'), 404, 'NOT_FOUND')
    await expectApiError(await call(server, '/api/v1/jobs/..%2F..%2Fjobs.sqlite'), 404, 'NOT_FOUND')

    const job = await submitJob(server, markdownDocument('Acme only'), { filename: 'acme.md' })
    const asGlobex = await call(server, `/api/v1/jobs/${job.id}`, { key: GLOBEX_KEY })
    const unknown = await call(server, '/api/v1/jobs/job_bbbbbbbbbbbbbbbbbbbbbbbb', { key: GLOBEX_KEY })
    // Indistinguishable: same status, code and message.
    expect(await expectApiError(asGlobex, 404, 'NOT_FOUND')).toEqual(await expectApiError(unknown, 404, 'NOT_FOUND'))

    expect((await expectApiError(await call(server, '/api/v1/nothing-here'), 404, 'NOT_FOUND')).message).toMatch(/GET \/api\/v1\/nothing-here/)
    await expectApiError(await call(server, '/nothing-here', { key: null }), 404, 'NOT_FOUND')
    await expectApiError(await call(server, '/api/v1/jobs', { method: 'PUT' }), 404, 'NOT_FOUND')
    await waitForJob(server, job.id)
  })
})

describe('409 conflict', () => {
  it('has no result for a failed job, and a completed job cannot be cancelled', async () => {
    const failed = await submitJob(server, await readFile(truncatedPdf), { filename: 'truncated.pdf' })
    const completed = await submitJob(server, markdownDocument('Done'), { filename: 'done.md' })
    expect(await waitForJob(server, failed.id)).toMatchObject({ status: 'failed', error: { code: 'CORRUPT_FILE' } })
    expect((await waitForJob(server, completed.id)).status).toBe('completed')

    const result = await call(server, `/api/v1/jobs/${failed.id}/result`)
    expect((await expectApiError(result, 409, 'RESULT_NOT_READY')).message).toMatch(/failed \(CORRUPT_FILE\)/)

    const cancelCompleted = await call(server, `/api/v1/jobs/${completed.id}`, { method: 'DELETE' })
    expect((await expectApiError(cancelCompleted, 409, 'NOT_CANCELLABLE')).message).toMatch(/already completed/)
    const cancelFailed = await call(server, `/api/v1/jobs/${failed.id}`, { method: 'DELETE' })
    await expectApiError(cancelFailed, 409, 'NOT_CANCELLABLE')
    // The refused cancel changed nothing.
    expect((await waitForJob(server, completed.id)).status).toBe('completed')
  })

  it('has no result for a pending or processing job; a cancelled job cannot be cancelled again', async () => {
    // One conversion thread: a long PDF holds it, so the next job stays pending.
    const slow = await submitJob(server, generateTextPdf(200, 8), { filename: 'slow.pdf' })
    await waitForJob(server, slow.id, (job) => job.status === 'processing')
    const pending = await submitJob(server, markdownDocument('Waiting'), { filename: 'waiting.md' })

    const pendingResult = await call(server, `/api/v1/jobs/${pending.id}/result`)
    expect((await expectApiError(pendingResult, 409, 'RESULT_NOT_READY')).message).toMatch(/pending/)
    const processingResult = await call(server, `/api/v1/jobs/${slow.id}/result`)
    expect((await expectApiError(processingResult, 409, 'RESULT_NOT_READY')).message).toMatch(/processing/)

    for (const job of [pending, slow]) {
      const cancel = await call(server, `/api/v1/jobs/${job.id}`, { method: 'DELETE' })
      expect(cancel.status).toBe(200)
      const again = await call(server, `/api/v1/jobs/${job.id}`, { method: 'DELETE' })
      expect((await expectApiError(again, 409, 'NOT_CANCELLABLE')).message).toMatch(/cancelled/)
      await expectApiError(await call(server, `/api/v1/jobs/${job.id}/result`), 409, 'RESULT_NOT_READY')
    }
  })
})

describe('413 too large', () => {
  it('stops an upload above maxUploadBytes while it is still streaming, and keeps no file', async () => {
    const before = await storedJobs()
    const total = 16 * 1024 * 1024
    const answer = await streamUpload(server, total)
    expect(answer.status).toBe(413)
    const body = JSON.parse(answer.body) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('FILE_TOO_LARGE')
    expect(body.error.message).toContain(String(MAX_UPLOAD))
    // Answered long before the client was done sending.
    expect(answer.sentBytes).toBeLessThan(8 * MAX_UPLOAD)
    expect(await storedJobs()).toEqual(before)
    expect((await listJobs(server, 'limit=100')).jobs.some((job) => job.filename === 'big.pdf')).toBe(false)
  })

  it('refuses at once an upload whose Content-Length is above the limit', async () => {
    const before = await storedJobs()
    const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(MAX_UPLOAD * 2, 'x')])
    await expectApiError(await postJob(server, big, { filename: 'declared.pdf' }), 413, 'FILE_TOO_LARGE')
    expect(await storedJobs()).toEqual(before)
  })

  it('accepts an upload just under the limit', async () => {
    const pdf = generateTextPdf(3)
    expect(pdf.byteLength).toBeLessThan(MAX_UPLOAD)
    const response = await postJob(server, pdf, { filename: 'small.pdf' })
    expect(response.status).toBe(202)
    const job = (await response.json()) as { id: string }
    await call(server, `/api/v1/jobs/${job.id}`, { method: 'DELETE' })
  })
})

describe('415 unsupported type', () => {
  it('refuses an ELF binary named x.pdf, naming the type detected from its bytes, and stores nothing', async () => {
    const before = await storedJobs()
    const listed = (await listJobs(server, 'limit=100')).jobs.length
    const response = await postJob(server, await readFile('/bin/true'), { filename: 'x.pdf', fields: { output_format: 'md' } })
    const error = await expectApiError(response, 415, 'UNSUPPORTED_TYPE')
    expect(error.message).toMatch(/application\/x-elf/)
    expect(error.message).not.toMatch(/application\/pdf/)
    expect(await storedJobs()).toEqual(before)
    expect((await listJobs(server, 'limit=100')).jobs).toHaveLength(listed)
  })
})

describe('429 rate limited', () => {
  it('answers the third request of a burst of two with 429 and Retry-After, per key', async () => {
    const limited = await startTestServer({ rateLimit: { perSecond: 1, burst: 2 } })
    expect((await call(limited, '/api/v1/jobs')).status).toBe(200)
    expect((await call(limited, '/api/v1/jobs')).status).toBe(200)
    const third = await call(limited, '/api/v1/jobs')
    expect(third.headers.get('retry-after')).toBe('1')
    expect((await expectApiError(third, 429, 'RATE_LIMITED')).message).toMatch(/retry in 1 s/)
    // Uploads count too, and are refused before anything is stored.
    await expectApiError(await postJob(limited, markdownDocument('Too fast')), 429, 'RATE_LIMITED')
    // Another key has its own bucket; health checks are not limited.
    expect((await call(limited, '/api/v1/jobs', { key: GLOBEX_KEY })).status).toBe(200)
    expect((await call(limited, '/healthz', { key: null })).status).toBe(200)
    // After Retry-After, the key is served again.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await call(limited, '/api/v1/jobs')).status).toBe(200)
    await limited.close()
  })
})

describe('503 not ready', () => {
  it('answers /readyz with 200 while the store answers', async () => {
    const response = await call(server, '/readyz', { key: null })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ready' })
  })

  it('answers /readyz with 503 once the job store is closed, while /healthz still answers', async () => {
    // startServer does not expose its store, so this wires the same parts as server.ts
    // (createApp with `isReady: () => store.ping()`) around a store the test can close.
    const dir = await makeTempDir()
    const store = createSqliteJobStore({ path: join(dir, 'jobs.sqlite') })
    const storage = createLocalStorage(join(dir, 'files'))
    const logger = pino({ level: 'silent' })
    const pool = createConversionPool({ size: 1 })
    const runner = createJobRunner({ store, pool, storage, logger })
    const secret = 'test-server-secret-0123456789abcdef'
    const app = createApp({
      store,
      storage,
      runner,
      keys: createApiKeys(TEST_KEYS),
      links: createLinkSigner(secret),
      rateLimiter: createRateLimiter(),
      metrics: createMetrics(store, runner),
      logger,
      webhookSecretFor: (org) => orgWebhookSecret(secret, org),
      allowPrivateWebhooks: true,
      maxUploadBytes: MAX_UPLOAD,
      retentionMs: 3_600_000,
      isReady: () => store.ping(),
    })
    const listening = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
    })
    const target = { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}` }
    try {
      expect((await call(target, '/readyz', { key: null })).status).toBe(200)
      await store.close()
      const notReady = await call(target, '/readyz', { key: null })
      expect((await expectApiError(notReady, 503, 'UNAVAILABLE')).message).toMatch(/store/)
      expect((await call(target, '/healthz', { key: null })).status).toBe(200)
    } finally {
      await new Promise<void>((resolve) => listening.close(() => resolve()))
      await pool.close()
      await store.close()
    }
  })
})
