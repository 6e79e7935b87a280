/**
 * The seed example of the issue, over real HTTP: upload a PDF, poll the job, read the
 * result; and the three output formats. Run `pnpm exec tsc -b` first (conversion threads
 * run the built code).
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, getJob, postJob, submitJob, waitForJob } from './api-requests.js'
import { ACME_KEY, closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

const fixture = new URL('./fixtures/node-documentation.pdf', import.meta.url)

let server: TestServer
let pdf: Buffer

beforeAll(async () => {
  pdf = await readFile(fixture)
  server = await startTestServer()
})
afterAll(closeTestServers)

describe('the curl flow', () => {
  it('accepts a multipart upload with 202 and a Location, converts it in the background, and serves the Markdown', async () => {
    // curl -X POST .../api/v1/jobs -H "X-API-Key: $KEY" -F "file=@document.pdf" -F "output_format=md"
    const response = await postJob(server, pdf, { filename: 'document.pdf', fields: { output_format: 'md' } })
    expect(response.status).toBe(202)
    const accepted = (await response.json()) as JobView
    expect(accepted).toMatchObject({
      status: 'pending',
      progress: 0,
      filename: 'document.pdf',
      mime_type: 'application/pdf',
      size_bytes: pdf.byteLength,
      output_format: 'md',
      started_at: null,
      result_url: null,
      error: null,
    })
    expect(accepted.id).toMatch(/^job_[a-z2-7]{24}$/)
    expect(response.headers.get('location')).toBe(`/api/v1/jobs/${accepted.id}`)

    // curl -H "X-API-Key: $KEY" .../api/v1/jobs/$ID (following the Location)
    const located = await call(server, response.headers.get('location')!)
    expect(located.status).toBe(200)
    expect(((await located.json()) as JobView).id).toBe(accepted.id)

    const seen: JobView[] = []
    const done = await waitForJob(server, accepted.id, (job) => {
      seen.push(job)
      return job.status !== 'pending' && job.status !== 'processing'
    })
    expect(done).toMatchObject({ status: 'completed', progress: 100, pages_done: 3, pages_total: 3, error: null })
    expect(Date.parse(done.started_at!)).toBeGreaterThanOrEqual(Date.parse(done.created_at))
    expect(Date.parse(done.completed_at!)).toBeGreaterThanOrEqual(Date.parse(done.started_at!))
    expect(done.result_url).toMatch(new RegExp(`^${server.url}/results/${done.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`))
    // Progress never goes back while polling.
    const progress = seen.map((job) => job.progress)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))

    // curl -H "X-API-Key: $KEY" .../api/v1/jobs/$ID/result
    const result = await call(server, `/api/v1/jobs/${done.id}/result`)
    expect(result.status).toBe(200)
    expect(result.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    const markdown = await result.text()
    expect(markdown).toMatch(/^#{1,2} About this documentation$/m)
    expect(Number(result.headers.get('content-length'))).toBe(Buffer.byteLength(markdown))
  })

  it('serves output_format txt as text/plain and json as the Document model in application/json', async () => {
    const source = '# Quarterly report\n\nSales went up.\n\n- north\n- south\n'
    const [txt, json] = await Promise.all([
      submitJob(server, source, { filename: 'report.md', fields: { output_format: 'txt' } }),
      submitJob(server, source, { filename: 'report.md', fields: { output_format: 'json' } }),
    ])
    expect(txt.output_format).toBe('txt')
    expect(json.output_format).toBe('json')
    const [txtDone, jsonDone] = await Promise.all([waitForJob(server, txt.id), waitForJob(server, json.id)])
    expect(txtDone.status).toBe('completed')
    expect(jsonDone.status).toBe('completed')

    const text = await call(server, `/api/v1/jobs/${txt.id}/result`)
    expect(text.status).toBe(200)
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const plain = await text.text()
    expect(plain).toContain('Quarterly report')
    expect(plain).toContain('Sales went up.')
    expect(plain).not.toMatch(/^#/m)

    const structured = await call(server, `/api/v1/jobs/${json.id}/result`)
    expect(structured.status).toBe(200)
    expect(structured.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const document = (await structured.json()) as { version: number; pages: Array<{ blocks: Array<{ type: string; text?: string; level?: number }> }> }
    expect(document.version).toBe(1)
    expect(document.pages[0]!.blocks[0]).toMatchObject({ type: 'heading', level: 1, text: 'Quarterly report' })
  })

  it('converts only the pages asked for', async () => {
    const job = await submitJob(server, pdf, { fields: { output_format: 'json', pages: '2-3' } })
    expect(job.options).toEqual({ ocr: null, ocr_provider: null, pages: '2-3', language: null })
    const done = await waitForJob(server, job.id)
    expect(done).toMatchObject({ status: 'completed', pages_done: 2, pages_total: 2 })
    const document = (await (await call(server, `/api/v1/jobs/${job.id}/result`)).json()) as { pages: unknown[] }
    expect(document.pages).toHaveLength(2)
  })

  it('answers a curl-style upload with the fields after the file, and output_format aliases', async () => {
    // curl sends parts in command-line order: -F file=@... first, then -F output_format=...
    const form = new FormData()
    form.append('file', new Blob(['# Minutes\n\nWe met and agreed.\n']), 'minutes.md')
    form.append('output_format', 'text')
    const response = await call(server, '/api/v1/jobs', { method: 'POST', body: form })
    expect(response.status).toBe(202)
    const job = (await response.json()) as JobView
    expect(job.output_format).toBe('txt')
    const done = await waitForJob(server, job.id)
    expect(done.status).toBe('completed')
    const result = await call(server, `/api/v1/jobs/${job.id}/result`, { key: ACME_KEY })
    expect(result.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await result.text()).toContain('We met and agreed.')
    expect((await getJob(server, job.id)).filename).toBe('minutes.md')
  })
})
