import { request as httpRequest } from 'node:http'
import { expect } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { ACME_KEY } from './start-test-server.js'

/** What the API tests send to and read from a server: real HTTP through global fetch. */

export interface ServerLike {
  url: string
}

export interface UploadOptions {
  /** The API key. @default ACME_KEY; `null` sends none */
  key?: string | null
  /** The multipart file name. @default 'document.pdf' */
  filename?: string
  /** Other multipart fields (output_format, pages, webhook_url...). */
  fields?: Record<string, string>
  headers?: Record<string, string>
}

export interface JobList {
  jobs: JobView[]
  next_cursor: string | null
}

export interface ApiErrorBody {
  error: { code: string; message: string }
}

/** A small Markdown document: converted in a fraction of a second. */
export function markdownDocument(title: string): string {
  return `# ${title}\n\nA short paragraph about ${title}.\n`
}

/** A request to the API with the key (`key: null` for none). */
export function call(server: ServerLike, path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const { key = ACME_KEY, ...rest } = init
  const headers = new Headers(rest.headers)
  if (key !== null) headers.set('x-api-key', key)
  return fetch(new URL(path, server.url), { ...rest, headers })
}

/** POST /api/v1/jobs with `file` (and fields) as multipart/form-data, as `curl -F` sends it. */
export function postJob(server: ServerLike, file: Uint8Array | string, options: UploadOptions = {}): Promise<Response> {
  const form = new FormData()
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value)
  form.append('file', new Blob([file]), options.filename ?? 'document.pdf')
  return call(server, '/api/v1/jobs', {
    method: 'POST',
    body: form,
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.headers ? { headers: options.headers } : {}),
  })
}

/** Posts a job and expects it accepted: 202 with a pending job. */
export async function submitJob(server: ServerLike, file: Uint8Array | string, options: UploadOptions = {}): Promise<JobView> {
  const response = await postJob(server, file, options)
  const body = (await response.json()) as JobView & Partial<ApiErrorBody>
  if (response.status !== 202) throw new Error(`Expected 202 from POST /api/v1/jobs, got ${response.status}: ${JSON.stringify(body)}`)
  return body
}

export async function getJob(server: ServerLike, id: string, key: string = ACME_KEY): Promise<JobView> {
  const response = await call(server, `/api/v1/jobs/${id}`, { key })
  const body = (await response.json()) as JobView
  if (response.status !== 200) throw new Error(`Expected 200 from GET /api/v1/jobs/${id}, got ${response.status}: ${JSON.stringify(body)}`)
  return body
}

export async function listJobs(server: ServerLike, query = '', key: string = ACME_KEY): Promise<JobList> {
  const response = await call(server, `/api/v1/jobs${query ? `?${query}` : ''}`, { key })
  const body = (await response.json()) as JobList
  if (response.status !== 200) throw new Error(`Expected 200 from GET /api/v1/jobs?${query}, got ${response.status}: ${JSON.stringify(body)}`)
  return body
}

const FINAL = new Set(['completed', 'failed', 'cancelled'])

/** Polls GET /api/v1/jobs/{id} until `until` holds (default: a final status). */
export async function waitForJob(
  server: ServerLike,
  id: string,
  until: (job: JobView) => boolean = (job) => FINAL.has(job.status),
  { key = ACME_KEY, timeoutMs = 20_000, intervalMs = 25 }: { key?: string; timeoutMs?: number; intervalMs?: number } = {},
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = await getJob(server, id, key)
    if (until(job)) return job
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for job ${id}; it is ${JSON.stringify(job)}`)
    await sleep(intervalMs)
  }
}

/** Waits until `check` is true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Expects an error answer `{ error: { code, message } }` with this status and code; returns the error. */
export async function expectApiError(response: Response, status: number, code: string): Promise<ApiErrorBody['error']> {
  const text = await response.text()
  expect({ status: response.status, body: text }).toMatchObject({ status })
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const body = JSON.parse(text) as ApiErrorBody
  expect(Object.keys(body)).toEqual(['error'])
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message'])
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
  expect(body.error.message.length).toBeGreaterThan(10)
  return body.error
}

/** Streams a multipart upload of `totalBytes` (a PDF header, then filler) in chunks, without Content-Length, until the server answers. */
export async function streamUpload(target: ServerLike, totalBytes: number): Promise<{ status: number; body: string; sentBytes: number }> {
  const boundary = '----docloader-test-boundary'
  const chunkSize = 32 * 1024
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`)
  const filler = Buffer.alloc(chunkSize, '% filler line to make the upload big\n')
  const url = new URL('/api/v1/jobs', target.url)
  return new Promise((resolve, reject) => {
    let sentBytes = 0
    let answered = false
    const req = httpRequest(url, { method: 'POST', headers: { 'x-api-key': ACME_KEY, 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sentBytes })
        req.destroy()
      })
      res.on('error', reject)
    })
    // The server may drop the connection once it has answered; that is fine.
    req.on('error', (error) => {
      if (!answered) reject(error)
    })
    const pump = async () => {
      req.write(head)
      sentBytes += head.byteLength
      while (!answered && sentBytes < totalBytes) {
        if (!req.write(filler)) await new Promise((drained) => req.once('drain', drained))
        sentBytes += filler.byteLength
        await new Promise((paced) => setTimeout(paced, 2))
      }
      if (!answered) req.end(`\r\n--${boundary}--\r\n`)
    }
    pump().catch(reject)
  })
}
