import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { Hono, type Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { Logger } from 'pino'
import { parsePageSelection } from '@docloader/core'
import type { ApiKeys } from '../auth/api-keys.js'
import type { RateLimiter } from '../auth/rate-limiter.js'
import type { LinkSigner } from '../auth/signed-links.js'
import { FINAL_STATUSES, JOB_STATUSES, type JobOptions, type JobRecord, type JobStatus, type OutputFormat } from '../jobs/job.js'
import type { JobRunner } from '../jobs/job-runner.js'
import type { Metrics } from '../metrics/create-metrics.js'
import type { Storage } from '../storage/storage.js'
import type { JobStore } from '../store/job-store.js'
import { validateWebhookUrl } from '../webhooks/validate-webhook-url.js'
import { HttpError } from './http-error.js'
import { toJobView } from './job-view.js'
import { openApiDocument } from './openapi.js'
import { receiveUpload } from './receive-upload.js'

export interface AppDeps {
  store: JobStore
  storage: Storage
  runner: JobRunner
  keys: ApiKeys
  links: LinkSigner
  rateLimiter: RateLimiter
  metrics: Metrics
  logger: Logger
  /** The webhook signing secret of an organisation. */
  webhookSecretFor(org: string): string
  /** Accept webhook URLs on private and loopback addresses. */
  allowPrivateWebhooks: boolean
  /** Largest upload in bytes. */
  maxUploadBytes: number
  /** How long jobs, uploads and results are kept. */
  retentionMs: number
  /** Base URL for links (`result_url`); from the request's Host header when unset. */
  publicUrl?: string
  /** Whether the store (and queue, and object storage) answer, for /readyz. */
  isReady(): Promise<boolean>
}

/** `incoming` is there when @hono/node-server serves the app (not under `app.request()`). */
type Env = { Variables: { org: string; requestId: string }; Bindings: { incoming?: IncomingMessage } | undefined }

const CONTENT_TYPES: Record<OutputFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
}

/** The HTTP API as a Hono app. It never listens: `main` does, tests call `app.request()` or serve it. */
export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>()

  app.use(async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || randomUUID()
    c.set('requestId', requestId)
    // Set before the handler runs: a header added to a finished response makes Hono copy it.
    c.header('X-Request-Id', requestId)
    const started = performance.now()
    await next()
    const route = c.req.routePath || 'unmatched'
    deps.metrics.httpSeconds.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - started) / 1000)
  })

  app.onError(async (error, c) => {
    if (error instanceof HttpError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
      return c.json({ error: { code: error.code, message: error.message } }, error.status)
    }
    logFor(c).error({ err: error }, 'request failed')
    // A store (or queue) that stopped answering is an outage the client can wait out, not a bug.
    if (!(await deps.isReady().catch(() => false))) {
      c.header('Retry-After', '5')
      return c.json({ error: { code: 'UNAVAILABLE', message: 'The job store is not reachable; retry in a few seconds.' } }, 503)
    }
    return c.json({ error: { code: 'INTERNAL', message: 'Internal error; the request id identifies it in the server logs.' } }, 500)
  })
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `No route ${c.req.method} ${new URL(c.req.url).pathname}.` } }, 404))

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const ready = await deps.isReady().catch(() => false)
    return ready ? c.json({ status: 'ready' }) : c.json({ error: { code: 'UNAVAILABLE', message: 'The job store (or queue, or storage) is not reachable.' } }, 503)
  })
  app.get('/metrics', async (c) => c.body(await deps.metrics.registry.metrics(), 200, { 'Content-Type': deps.metrics.registry.contentType }))
  app.get('/openapi.json', (c) => c.json(openApiDocument))

  // Signed result links work without an API key.
  app.get('/results/:id', async (c) => {
    const id = c.req.param('id')
    const verdict = deps.links.verify(id, c.req.query('expires'), c.req.query('signature'))
    if (verdict !== 'ok') {
      throw new HttpError(403, 'FORBIDDEN', verdict === 'expired' ? 'This result link has expired; get a fresh one from GET /api/v1/jobs/{id}.' : 'This result link is not valid.')
    }
    const job = await deps.store.getById(id)
    if (!job) throw new HttpError(404, 'NOT_FOUND', 'The job no longer exists (its retention ended).')
    // Object storage hands the bytes out itself: a redirect to a fresh presigned URL.
    if (deps.storage.resultLink && job.status === 'completed') {
      const link = await deps.storage.resultLink(job.org, job.id, job.outputFormat)
      if (!link) throw new HttpError(404, 'NOT_FOUND', 'The result is no longer stored (its retention ended).')
      c.header('Cache-Control', 'no-store')
      return c.redirect(link, 302)
    }
    return sendResult(c, job)
  })

  const api = new Hono<Env>()
  api.use(async (c, next) => {
    const key = c.req.header('x-api-key')
    const org = deps.keys.authenticate(key)
    if (!org) {
      throw new HttpError(401, 'UNAUTHORIZED', key ? 'The API key is not valid.' : 'Send your API key in the X-API-Key header.')
    }
    const limit = deps.rateLimiter.take(key!)
    if (!limit.ok) {
      throw new HttpError(429, 'RATE_LIMITED', `Too many requests for this API key; retry in ${limit.retryAfterSeconds} s.`, { 'Retry-After': String(limit.retryAfterSeconds) })
    }
    c.set('org', org)
    await next()
  })

  api.post('/jobs', async (c) => {
    const org = c.get('org')
    const idempotencyKey = c.req.header('idempotency-key')
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw new HttpError(400, 'INVALID_OPTION', 'The Idempotency-Key header must be 1 to 255 characters.')
    }
    const id = newJobId()
    const upload = await receiveUpload(c.req.raw, { storage: deps.storage, org, jobId: id, maxBytes: deps.maxUploadBytes }, c.env?.incoming)
    let fields: ReturnType<typeof parseFields>
    try {
      fields = parseFields(upload.fields, deps.allowPrivateWebhooks)
    } catch (error) {
      await deps.storage.remove(org, id)
      throw error
    }
    const now = new Date()
    const record: JobRecord = {
      id,
      org,
      status: 'pending',
      filename: upload.filename,
      mimeType: upload.type.mimeType,
      sizeBytes: upload.bytes,
      outputFormat: fields.outputFormat,
      options: fields.options,
      ...(fields.webhookUrl ? { webhookUrl: fields.webhookUrl } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      progress: 0,
      pagesDone: 0,
      pagesTotal: 0,
      attempts: 0,
      runAfter: 0,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + deps.retentionMs).toISOString(),
      webhookAttempts: [],
    }
    let stored: Awaited<ReturnType<JobStore['create']>>
    try {
      stored = await deps.store.create(record)
    } catch (error) {
      await deps.storage.remove(org, id).catch(() => undefined)
      throw error
    }
    const { job, created } = stored
    if (created) {
      logFor(c).info({ jobId: id, filename: job.filename, bytes: job.sizeBytes, type: job.mimeType }, 'job accepted')
      await deps.runner.wake(job)
    } else {
      await deps.storage.remove(org, id)
      c.header('Idempotent-Replayed', 'true')
    }
    c.header('Location', `/api/v1/jobs/${job.id}`)
    return c.json(view(c, job), 202)
  })

  api.get('/jobs', async (c) => {
    const status = c.req.query('status')
    if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
      throw new HttpError(400, 'INVALID_OPTION', `Expected \`status\` to be one of ${JOB_STATUSES.join(', ')}, got \`${status}\`.`)
    }
    const limitText = c.req.query('limit')
    const limit = limitText === undefined ? 20 : Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new HttpError(400, 'INVALID_OPTION', `Expected \`limit\` to be a whole number from 1 to 100, got \`${limitText}\`.`)
    }
    const cursor = c.req.query('cursor')
    let page
    try {
      page = await deps.store.list(c.get('org'), { limit, ...(status ? { status: status as JobStatus } : {}), ...(cursor ? { cursor } : {}) })
    } catch (error) {
      if (cursor && /cursor/i.test((error as Error).message)) throw new HttpError(400, 'INVALID_OPTION', 'The `cursor` is not valid; use the `next_cursor` of a previous page.')
      throw error
    }
    return c.json({ jobs: page.jobs.map((job) => view(c, job)), next_cursor: page.nextCursor ?? null })
  })

  api.get('/jobs/:id', async (c) => c.json(view(c, await findJob(c))))

  api.get('/jobs/:id/result', async (c) => sendResult(c, await findJob(c)))

  api.delete('/jobs/:id', async (c) => {
    const job = await findJob(c)
    if (FINAL_STATUSES.has(job.status)) {
      throw new HttpError(409, 'NOT_CANCELLABLE', `The job is already ${job.status}; only pending or processing jobs can be cancelled.`)
    }
    const cancelled = await deps.runner.cancel(job)
    return c.json(view(c, cancelled))
  })

  api.get('/jobs/:id/events', async (c) => {
    const job = await findJob(c)
    return streamSSE(c, async (stream) => {
      let last = ''
      let lastStage: number[] = []
      const send = async (current: JobRecord) => {
        // The store poll below can answer with a record older than a live update already
        // sent (progress writes are throttled and queued): never send the job backwards.
        const stage = lifeStage(current)
        if (compareStages(stage, lastStage) < 0) return
        const data = JSON.stringify(view(c, current))
        if (data === last) return
        last = data
        lastStage = stage
        await stream.writeSSE({ event: FINAL_STATUSES.has(current.status) ? 'end' : 'job', data, id: `${current.status}:${current.pagesDone}` })
      }
      const queue: JobRecord[] = []
      let wake: (() => void) | undefined
      const onUpdate = (update: JobRecord) => {
        if (update.id !== job.id) return
        queue.push(update)
        wake?.()
      }
      deps.runner.events.on('update', onUpdate)
      // Other processes (workers elsewhere) do not emit here: poll the store as a fallback.
      const poll = setInterval(async () => {
        const fresh = await deps.store.getById(job.id).catch(() => undefined)
        if (fresh) onUpdate(fresh)
      }, 1000)
      stream.onAbort(() => wake?.())
      try {
        let current = (await deps.store.getById(job.id)) ?? job
        await send(current)
        while (!FINAL_STATUSES.has(current.status) && !stream.aborted) {
          if (!queue.length) {
            await new Promise<void>((resolve) => {
              wake = resolve
              setTimeout(resolve, 15_000).unref()
            })
            wake = undefined
            if (!queue.length && !stream.aborted) await stream.write(': keep-alive\n\n')
          }
          while (queue.length) {
            current = queue.shift()!
            await send(current)
          }
        }
      } finally {
        clearInterval(poll)
        deps.runner.events.off('update', onUpdate)
      }
    })
  })

  api.get('/webhook-secret', (c) => c.json({ secret: deps.webhookSecretFor(c.get('org')) }))

  app.route('/api/v1', api)
  return app

  /** A logger with the request's ids, made only when something is logged (most requests log nothing). */
  function logFor(c: Context<Env>): Logger {
    return deps.logger.child({ requestId: c.get('requestId'), ...(c.get('org') ? { org: c.get('org') } : {}) })
  }

  async function findJob(c: Context<Env>): Promise<JobRecord> {
    const job = await deps.store.get(c.get('org'), c.req.param('id') ?? '')
    // Another organisation's job is indistinguishable from a missing one.
    if (!job) throw new HttpError(404, 'NOT_FOUND', 'No such job.')
    return job
  }

  function view(c: Context<Env>, job: JobRecord) {
    if (job.status !== 'completed') return toJobView(job, null)
    const base = deps.publicUrl ?? new URL(c.req.url).origin
    return toJobView(job, `${base.replace(/\/$/, '')}/results/${job.id}?${deps.links.sign(job.id).query}`)
  }

  async function sendResult(c: Context<Env>, job: JobRecord) {
    if (job.status !== 'completed') {
      const why = job.status === 'failed' ? `the job failed (${job.error?.code})` : `the job is ${job.status}`
      throw new HttpError(409, 'RESULT_NOT_READY', `No result: ${why}.`)
    }
    const result = await deps.storage.readResult(job.org, job.id, job.outputFormat)
    if (!result) throw new HttpError(404, 'NOT_FOUND', 'The result is no longer stored (its retention ended).')
    const body = Readable.toWeb(result.body) as ReadableStream<Uint8Array>
    return c.body(body, 200, {
      'Content-Type': CONTENT_TYPES[job.outputFormat],
      'Content-Length': String(result.size),
      ...(job.partial ? { 'X-Docloader-Partial': job.partial.reason.slice(0, 200).replace(/[^\x20-\x7e]/g, '?') } : {}),
    })
  }
}

function parseFields(
  fields: Record<string, string>,
  allowPrivateWebhooks: boolean,
): { outputFormat: OutputFormat; options: JobOptions; webhookUrl?: string } {
  const format = (fields.output_format ?? 'md').trim().toLowerCase()
  const outputFormat = ({ md: 'md', markdown: 'md', txt: 'txt', text: 'txt', json: 'json' } as const)[format as 'md']
  if (!outputFormat) throw new HttpError(400, 'INVALID_OPTION', `Expected \`output_format\` to be md, txt or json, got \`${fields.output_format}\`.`)
  const options: JobOptions = {}
  if (fields.ocr !== undefined && fields.ocr !== '') {
    if (!['auto', 'off', 'force'].includes(fields.ocr)) throw new HttpError(400, 'INVALID_OPTION', `Expected \`ocr\` to be auto, off or force, got \`${fields.ocr}\`.`)
    options.ocr = fields.ocr
  }
  if (fields.ocr_provider) {
    const providers = fields.ocr_provider.split(',').map((p) => p.trim())
    const unknown = providers.filter((p) => !['tesseract', 'mistral'].includes(p))
    if (unknown.length) throw new HttpError(400, 'INVALID_OPTION', `Unknown \`ocr_provider\` ${unknown.join(', ')}; known: tesseract, mistral.`)
    options.ocrProvider = providers.join(',')
  }
  if (fields.pages) {
    try {
      parsePageSelection(fields.pages)
    } catch (error) {
      throw new HttpError(400, 'INVALID_OPTION', (error as Error).message)
    }
    options.pages = fields.pages
  }
  if (fields.language) {
    if (!/^[a-z]{3}(_[a-z]{3,4})?([,+][a-z]{3}(_[a-z]{3,4})?)*$/.test(fields.language)) {
      throw new HttpError(400, 'INVALID_OPTION', `Expected \`language\` to be OCR language codes such as eng or eng,deu, got \`${fields.language}\`.`)
    }
    options.language = fields.language
  }
  let webhookUrl: string | undefined
  if (fields.webhook_url) {
    try {
      webhookUrl = validateWebhookUrl(fields.webhook_url, { allowPrivate: allowPrivateWebhooks }).href
    } catch (error) {
      throw new HttpError(400, 'INVALID_OPTION', (error as Error).message)
    }
  }
  return { outputFormat, options, ...(webhookUrl ? { webhookUrl } : {}) }
}

/**
 * Where a record stands in its job's life, in order: attempt number (claiming a job
 * increments it), then processing < pending (a retry waiting) < final, then pages done and
 * pages total. A later record never compares lower than an earlier one.
 */
function lifeStage(job: JobRecord): number[] {
  const rank = FINAL_STATUSES.has(job.status) ? 2 : job.status === 'pending' ? 1 : 0
  return [job.attempts, rank, job.pagesDone, job.pagesTotal]
}

function compareStages(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? -1) - (b[index] ?? -1)
    if (difference !== 0) return difference
  }
  return 0
}

/** `job_` + 24 characters of base32: 120 random bits. */
function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  const bytes = randomBytes(24)
  let id = 'job_'
  for (const byte of bytes) id += alphabet[byte & 31]
  return id
}
