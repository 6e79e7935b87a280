import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { DocloaderError, isDocloaderError } from './docloader-error.js'
import { sendRequest, type Transport } from './http/send-request.js'
import { retryPolicy, type RetryOptions } from './retry/retry-policy.js'
import type { Job, JobList, JobStatus, OutputFormat } from './types.js'
import { multipartBody, type UploadInput } from './upload/multipart-body.js'
import { waitForJob, type WaitForJobOptions } from './wait/wait-for-job.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

export interface DocloaderClientOptions {
  /**
   * The server's base URL, without `/api/v1`.
   * @example 'https://docloader.example.com'
   */
  baseUrl: string
  /** The API key (sent as `X-API-Key`); it decides which organisation's jobs you see. */
  apiKey: string
  /**
   * The undici dispatcher to send with: an `Agent` with your connection limits, a
   * `ProxyAgent`, a `MockAgent` in tests. @default undici's global dispatcher
   */
  dispatcher?: Dispatcher
  /**
   * Retries of failed requests (ky's options), or a number for `limit`; `0` turns them off.
   * Network errors, timeouts, 408, 429 and 5xx answers are retried; other 4xx never are.
   * @default { limit: 4, statusCodes: [408, 429, 500, 502, 503, 504], afterStatusCodes: [429, 503], maxRetryAfter: 60000, backoffLimit: 10000, jitter: true }
   */
  retry?: RetryOptions | number
  /**
   * Longest wait for the server's answer to one attempt, in ms (the upload's own time is
   * not counted); a timed-out attempt is retried, the last one fails with code `TIMEOUT`.
   * @default 30000
   */
  timeout?: number
  /** @default 'docloader-client/<version>' */
  userAgent?: string
}

export interface CreateJobOptions {
  /** @default 'md' */
  outputFormat?: OutputFormat
  /** Where the server POSTs signed status events (see `verifyWebhook`). */
  webhookUrl?: string
  /** Pages to convert, e.g. `'1-3,7'`. @default all */
  pages?: string
  /** `auto`: OCR only pages without a usable text layer. @default 'auto' (the server's) */
  ocr?: 'auto' | 'off' | 'force'
  /** OCR provider chain, e.g. `'mistral,tesseract'`. @default the server's */
  ocrProvider?: string | string[]
  /** OCR languages, e.g. `'eng,deu'`. */
  language?: string
  /** File name sent with the upload. @default the path's base name, else 'document' */
  filename?: string
  /**
   * Makes the upload safe to retry: the server answers every request with the same key
   * (from one organisation) with the same job. Pass your own to make a whole operation
   * safe to repeat (e.g. a hash of the file and your record id).
   * @default a random UUID per call, re-sent by every retry of that call
   */
  idempotencyKey?: string
  signal?: AbortSignal
}

export interface ListJobsOptions {
  status?: JobStatus
  /** Most jobs yielded in all. @default all of them */
  limit?: number
  /** Jobs per request (1-100). @default 100, or `limit` when smaller */
  pageSize?: number
  signal?: AbortSignal
}

export interface ConvertOptions extends CreateJobOptions, Omit<WaitForJobOptions, 'signal'> {}

/** Options of the calls that take only a signal. */
export interface RequestOptions {
  signal?: AbortSignal
}

/** A result streamed as it is read. */
export interface ResultStream {
  /** The content; read it to its end or destroy it. */
  body: Readable
  /** e.g. `text/markdown; charset=utf-8`. */
  contentType: string
  /** Bytes, when the server said. */
  contentLength: number | undefined
  /** Why the result is incomplete, when it is (`X-Docloader-Partial`). */
  partial: string | undefined
}

/**
 * A client for one docloader server and API key.
 *
 * @example
 * const dl = new DocloaderClient({ baseUrl: 'http://127.0.0.1:9001', apiKey: process.env.DOCLOADER_API_KEY })
 * const markdown = await dl.convert('contract.pdf', { onProgress: (job) => console.log(job.progress) })
 */
export class DocloaderClient {
  readonly #transport: Transport

  constructor(options: DocloaderClientOptions) {
    if (typeof options?.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError(`Expected \`baseUrl\` to be an http(s) URL such as http://127.0.0.1:9001, got \`${String(options?.baseUrl)}\`.`)
    }
    if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('Expected `apiKey` to be a non-empty string (the X-API-Key of your organisation).')
    const timeout = options.timeout ?? 30_000
    if (!(timeout > 0)) throw new TypeError(`Expected \`timeout\` to be a number of ms above 0, got \`${String(timeout)}\`.`)
    this.#transport = {
      baseUrl: options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, ''),
      apiKey: options.apiKey,
      dispatcher: options.dispatcher,
      retry: retryPolicy(options.retry),
      timeout,
      userAgent: options.userAgent ?? `docloader-client/${version}`,
    }
  }

  /**
   * Uploads a document and starts a conversion job; resolves with the pending job as soon
   * as the server has the file. The upload streams (a path is read in chunks, and opened
   * again for each retry); every retry re-sends the same `Idempotency-Key`, so a retried
   * upload never makes a second job. A one-shot stream cannot be sent again once bytes
   * went out: such a failure is thrown (code `NETWORK_ERROR`) instead of retried.
   */
  async createJob(file: UploadInput, options: CreateJobOptions = {}): Promise<Job> {
    const fields: Record<string, string> = { output_format: options.outputFormat ?? 'md' }
    if (options.ocr) fields.ocr = options.ocr
    if (options.ocrProvider) fields.ocr_provider = Array.isArray(options.ocrProvider) ? options.ocrProvider.join(',') : options.ocrProvider
    if (options.pages) fields.pages = options.pages
    if (options.language) fields.language = options.language
    if (options.webhookUrl) fields.webhook_url = options.webhookUrl
    const body = await multipartBody(file, fields, options.filename)
    const answer = await sendRequest(this.#transport, {
      method: 'POST',
      path: '/api/v1/jobs',
      headers: { 'idempotency-key': options.idempotencyKey ?? randomUUID() },
      body,
      signal: options.signal,
      read: 'json',
    })
    return answer.body as Job
  }

  /** The job as it is now. Code `NOT_FOUND` for an unknown id (or another organisation's job). */
  async getJob(id: string, options: RequestOptions = {}): Promise<Job> {
    const answer = await sendRequest(this.#transport, { method: 'GET', path: `/api/v1/jobs/${jobPath(id)}`, signal: options.signal, read: 'json' })
    return answer.body as Job
  }

  /** One page of the organisation's jobs, newest first. */
  async listJobsPage(options: { status?: JobStatus; limit?: number; cursor?: string; signal?: AbortSignal } = {}): Promise<JobList> {
    const answer = await sendRequest(this.#transport, {
      method: 'GET',
      path: '/api/v1/jobs',
      query: { status: options.status, limit: options.limit, cursor: options.cursor },
      signal: options.signal,
      read: 'json',
    })
    return answer.body as JobList
  }

  /**
   * Every job of the organisation (or those with `status`), newest first, fetching pages
   * as the loop goes.
   *
   * @example for await (const job of dl.listJobs({ status: 'failed' })) console.log(job.id, job.error?.code)
   */
  async *listJobs(options: ListJobsOptions = {}): AsyncGenerator<Job, void, undefined> {
    const limit = options.limit ?? Infinity
    const pageSize = Math.max(1, Math.min(100, options.pageSize ?? (Number.isFinite(limit) ? limit : 100)))
    let cursor: string | undefined
    let yielded = 0
    while (yielded < limit) {
      const page = await this.listJobsPage({
        ...(options.status ? { status: options.status } : {}),
        limit: pageSize,
        ...(cursor ? { cursor } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })
      for (const job of page.jobs) {
        if (yielded >= limit) return
        yielded++
        yield job
      }
      if (!page.next_cursor || page.jobs.length === 0) return
      cursor = page.next_cursor
    }
  }

  /**
   * Cancels a pending or processing job and resolves with it. Cancelling is idempotent: a
   * job already cancelled resolves too (a retried DELETE whose first answer was lost finds
   * it so); a job that completed or failed throws code `NOT_CANCELLABLE`.
   */
  async cancelJob(id: string, options: RequestOptions = {}): Promise<Job> {
    try {
      const answer = await sendRequest(this.#transport, { method: 'DELETE', path: `/api/v1/jobs/${jobPath(id)}`, signal: options.signal, read: 'json' })
      return answer.body as Job
    } catch (error) {
      if (isDocloaderError(error) && error.code === 'NOT_CANCELLABLE') {
        const job = await this.getJob(id, options)
        if (job.status === 'cancelled') return job
      }
      throw error
    }
  }

  /**
   * The converted content as text. Code `RESULT_NOT_READY` (409) while the job is not
   * completed; for large results, prefer {@link getResultStream}.
   */
  async getResult(id: string, options: RequestOptions = {}): Promise<string> {
    const answer = await sendRequest(this.#transport, { method: 'GET', path: `/api/v1/jobs/${jobPath(id)}/result`, signal: options.signal, read: 'text' })
    return answer.body
  }

  /** The converted content as a stream (retries cover the request, not a body cut short while you read it). */
  async getResultStream(id: string, options: RequestOptions = {}): Promise<ResultStream> {
    const answer = await sendRequest(this.#transport, { method: 'GET', path: `/api/v1/jobs/${jobPath(id)}/result`, signal: options.signal, read: 'stream' })
    const header = (name: string) => {
      const value = answer.headers[name]
      return Array.isArray(value) ? value[0] : value
    }
    const length = Number(header('content-length'))
    return { body: answer.body, contentType: header('content-type') ?? 'application/octet-stream', contentLength: Number.isFinite(length) ? length : undefined, partial: header('x-docloader-partial') }
  }

  /**
   * Resolves with the job once it is completed, failed or cancelled (check `status`: a
   * failed job is a result, not an error here). Polls with growing, jittered intervals, or
   * follows the event stream with `useEvents`; `onProgress` sees every change.
   */
  waitForJob(id: string, options: WaitForJobOptions = {}): Promise<Job> {
    return waitForJob(
      {
        getJob: (jobId, request) => this.getJob(jobId, request),
        openEvents: async (jobId, signal) => {
          const answer = await sendRequest(this.#transport, {
            method: 'GET',
            path: `/api/v1/jobs/${jobPath(jobId)}/events`,
            headers: { accept: 'text/event-stream' },
            signal,
            read: 'stream',
          })
          return answer.body
        },
      },
      id,
      options,
    )
  }

  /**
   * Uploads, waits and returns the converted content in one call. A failed or cancelled
   * job is thrown as a DocloaderError with the job's error code (e.g. `CORRUPT_FILE`) and
   * the job in `error.job`.
   *
   * @example const markdown = await dl.convert('contract.pdf')
   */
  async convert(file: UploadInput, options: ConvertOptions = {}): Promise<string> {
    const { onProgress, timeout, pollInterval, maxPollInterval, useEvents, ...create } = options
    const job = await this.createJob(file, create)
    const done = await this.waitForJob(job.id, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(pollInterval !== undefined ? { pollInterval } : {}),
      ...(maxPollInterval !== undefined ? { maxPollInterval } : {}),
      ...(useEvents !== undefined ? { useEvents } : {}),
    })
    if (done.status !== 'completed') {
      const error = done.error ?? { code: 'CANCELLED', message: `The job was ${done.status}.` }
      throw new DocloaderError(error.code, error.message, { job: done })
    }
    return this.getResult(done.id, options.signal ? { signal: options.signal } : {})
  }

  /** The organisation's webhook signing secret, for `verifyWebhook` and `createWebhookHandler`. */
  async getWebhookSecret(options: RequestOptions = {}): Promise<string> {
    const answer = await sendRequest(this.#transport, { method: 'GET', path: '/api/v1/webhook-secret', signal: options.signal, read: 'json' })
    const secret = (answer.body as { secret?: unknown }).secret
    if (typeof secret !== 'string') throw new DocloaderError('INVALID_RESPONSE', 'The server answered GET /api/v1/webhook-secret without a `secret`.')
    return secret
  }
}

function jobPath(id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError(`Expected a job id such as job_abc..., got \`${String(id)}\`.`)
  return encodeURIComponent(id)
}
