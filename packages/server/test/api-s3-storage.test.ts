/**
 * The curl flow with `storage: 's3://bucket/prefix'` in embedded mode, against a real
 * S3-protocol server (s3rver): uploads stream into the bucket, conversions work on
 * temporary copies, results come back from the API and from `result_url`, which redirects to
 * a presigned URL that plain fetch follows. Run `pnpm exec tsc -b` first (conversion threads
 * run the built code).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, expectApiError, getJob, markdownDocument, postJob, sleep, streamUpload, submitJob, waitForJob, waitUntil } from './api-requests.js'
import { startS3Server, type S3Server } from './s3-server.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

const fixture = new URL('./fixtures/node-documentation.pdf', import.meta.url)
const PREFIX = 'docloader/files/'

let s3: S3Server
let server: TestServer
let tempDir: string

beforeAll(async () => {
  s3 = await startS3Server()
  tempDir = await mkdtemp(join(tmpdir(), 'docloader-api-s3-temp-'))
  server = await startTestServer({ storage: s3.storageUrl(PREFIX), s3: { ...s3.options, tempDir }, maxUploadBytes: 8 * 1024 * 1024 })
})
afterAll(async () => {
  await closeTestServers()
  await s3?.dispose()
  if (tempDir) await rm(tempDir, { recursive: true, force: true })
})

const jobKeys = async (job: { id: string }) => s3.keys(`${PREFIX}acme/${job.id}/`)

describe('the curl flow with --storage s3://bucket/prefix', () => {
  it('stores the upload in the bucket, converts it, and serves the result from the API and through a presigned URL', async () => {
    const pdf = await readFile(fixture)
    const response = await postJob(server, pdf, { filename: 'document.pdf', fields: { output_format: 'md' } })
    expect(response.status).toBe(202)
    const accepted = (await response.json()) as JobView
    // Stored before the 202 (the result may already be there too).
    expect(await jobKeys(accepted)).toContain(`${PREFIX}acme/${accepted.id}/upload`)

    const done = await waitForJob(server, accepted.id)
    expect(done).toMatchObject({ status: 'completed', pages_done: 3, error: null })
    expect(await jobKeys(done)).toEqual([`${PREFIX}acme/${done.id}/result.md`, `${PREFIX}acme/${done.id}/upload`])

    // curl -H "X-API-Key: $KEY" .../api/v1/jobs/$ID/result: streamed by the API, no redirect to follow.
    const result = await call(server, `/api/v1/jobs/${done.id}/result`, { redirect: 'manual' })
    expect(result.status).toBe(200)
    expect(result.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    const markdown = await result.text()
    expect(markdown).toContain('# ')
    expect(result.headers.get('content-length')).toBe(String(Buffer.byteLength(markdown)))

    // result_url works without the key: a redirect to a presigned GET URL on the bucket.
    expect(done.result_url).toMatch(new RegExp(`^${server.url}/results/${done.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`))
    const redirect = await fetch(done.result_url!, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('cache-control')).toBe('no-store')
    const presigned = redirect.headers.get('location')!
    expect(presigned).toMatch(new RegExp(`^${s3.endpoint}/${s3.bucket}/${PREFIX}acme/${done.id}/result\\.md\\?.*X-Amz-Expires=300.*X-Amz-Signature=`))
    const followed = await fetch(done.result_url!)
    expect(followed.redirected).toBe(true)
    expect(followed.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    expect(await followed.text()).toBe(markdown)

    // The conversion's temporary copies are gone.
    expect(await readdir(tempDir)).toEqual([])
  })

  it('refuses a tampered or expired result link (the API checks it before any redirect), and storage refuses an expired presigned URL', async () => {
    const short = await startTestServer({ storage: s3.storageUrl(PREFIX), s3: { ...s3.options, presignedUrlTtlSeconds: 1 }, linkTtlSeconds: 1 })
    const job = await waitForJob(short, (await submitJob(short, markdownDocument('Short-lived'), { filename: 'short.md' })).id)
    const link = job.result_url!
    const tampered = link.replace(/signature=([0-9a-f])/, (_, first: string) => `signature=${first === '0' ? '1' : '0'}`)
    await expectApiError(await fetch(tampered, { redirect: 'manual' }), 403, 'FORBIDDEN')
    await expectApiError(await fetch(link.replace(job.id, 'job_aaaaaaaaaaaaaaaaaaaaaaaa'), { redirect: 'manual' }), 403, 'FORBIDDEN')

    const presigned = (await fetch(link, { redirect: 'manual' })).headers.get('location')!
    expect(await (await fetch(presigned)).text()).toContain('# Short-lived')
    await sleep(2100)
    const expiredLink = await fetch(link, { redirect: 'manual' })
    expect((await expectApiError(expiredLink, 403, 'FORBIDDEN')).message).toMatch(/expired/)
    const expiredPresigned = await fetch(presigned)
    expect(expiredPresigned.status).toBe(403)
    expect(await expiredPresigned.text()).toContain('Request has expired')
    // A fresh job view carries a fresh link, which works again.
    expect(await (await fetch((await getJob(short, job.id)).result_url!)).text()).toContain('# Short-lived')
  })

  it('stops an upload above the limit mid-stream with 413 and leaves nothing in the bucket', async () => {
    const before = await s3.keys(`${PREFIX}acme/`)
    // Past one 5 MiB part before the 8 MiB limit trips: a multipart upload was under way.
    const answer = await streamUpload(server, 40 * 1024 * 1024)
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'FILE_TOO_LARGE' } })
    expect(answer.sentBytes).toBeLessThan(32 * 1024 * 1024)
    expect(await s3.keys(`${PREFIX}acme/`)).toEqual(before)
  })

  it("deletes a job's objects when its retention ends", async () => {
    const brief = await startTestServer({ storage: s3.storageUrl(PREFIX), s3: s3.options, retentionMs: 1500, retentionSweepMs: 100 })
    const job = await waitForJob(brief, (await submitJob(brief, markdownDocument('Brief'), { filename: 'brief.md' })).id)
    expect(await jobKeys(job)).toHaveLength(2)
    await waitUntil(async () => (await call(brief, `/api/v1/jobs/${job.id}`)).status === 404, 'the job to expire', 10_000)
    expect(await jobKeys(job)).toEqual([])
  })

  it('a replayed upload (same Idempotency-Key) keeps no second copy', async () => {
    const jobIds = async () => new Set((await s3.keys(`${PREFIX}acme/`)).map((key) => key.slice(PREFIX.length).split('/')[1]))
    const before = await jobIds()
    const headers = { 'idempotency-key': `replay-${Date.now()}` }
    const first = await submitJob(server, markdownDocument('Once'), { filename: 'once.md', headers })
    const again = await postJob(server, markdownDocument('Once'), { filename: 'once.md', headers })
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    await waitForJob(server, first.id)
    expect([...(await jobIds())].filter((id) => !before.has(id))).toEqual([first.id])
  })

  it('readyz turns 503 while the storage does not answer, and 200 once it is back', async () => {
    expect((await call(server, '/readyz', { key: null })).status).toBe(200)
    await s3.stop()
    try {
      await expectApiError(await call(server, '/readyz', { key: null }), 503, 'UNAVAILABLE')
    } finally {
      await s3.restart()
    }
    expect((await call(server, '/readyz', { key: null })).status).toBe(200)
  })

  it('a server whose bucket does not exist does not start, and says why', async () => {
    await expect(startTestServer({ storage: 's3://no-such-bucket/files', s3: s3.options })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('the bucket `no-such-bucket` does not exist'),
    })
  })
})
