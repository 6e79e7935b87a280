import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { pino, type Logger } from 'pino'
import { type ApiKeyEntry, createApiKeys, generateApiKey, sha256 } from './auth/api-keys.js'
import { createRateLimiter } from './auth/rate-limiter.js'
import { createLinkSigner } from './auth/signed-links.js'
import { createApp } from './http/create-app.js'
import type { JobRecord, WebhookDelivery } from './jobs/job.js'
import { createJobRunner, type JobRunner } from './jobs/job-runner.js'
import { createMetrics } from './metrics/create-metrics.js'
import { createConversionPool } from './pool/create-conversion-pool.js'
import { isRedisUrl, maskUrl } from './queue/redis-url.js'
import { describeStorage, openStorage } from './storage/create-storage.js'
import type { S3StorageOptions } from './storage/s3-config.js'
import { withStatusCache } from './store/cached-job-store.js'
import { createRedisJobStore } from './store/redis-job-store.js'
import { createSqliteJobStore } from './store/sqlite-job-store.js'
import { createWebhookDispatcher } from './webhooks/webhook-dispatcher.js'
import { webhookBody } from './webhooks/webhook-body.js'
import { orgWebhookSecret } from './webhooks/webhook-secret.js'

export interface ServerOptions {
  /** @default 9001 */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' (use '0.0.0.0' to serve other machines) */
  host?: string
  /** Folder for the job database, files and the server secret. @default './docloader-data' */
  dataDir?: string
  /**
   * The job store: a SQLite file, or a Redis URL (`redis://[:password@]host:port[/db]`) for
   * the store shared with `docloader worker` processes.
   * @default '<dataDir>/jobs.sqlite'
   */
  store?: string
  /**
   * The job queue: `embedded` (this process converts, in worker threads) or a Redis URL: the
   * API only enqueues to BullMQ and `docloader worker` processes (startWorker) convert. A
   * Redis queue needs a Redis `store` too, since workers write job state there.
   * @default 'embedded'
   */
  queue?: string
  /**
   * Uploads and results: a folder, or S3-compatible object storage as `s3://bucket/prefix`
   * (configured by `s3`). With a Redis queue, workers use the same storage: the same
   * folder for all (one machine, or a shared file system), or the same bucket.
   * @default '<dataDir>/files'
   */
  storage?: string
  /** S3 endpoint, region, credentials or client, for `storage: 's3://...'`. @default from the environment (DOCLOADER_S3_ENDPOINT, AWS_*) */
  s3?: S3StorageOptions
  /**
   * API keys and their organisations. When none are given, a key is generated on first
   * start, printed once through `onGeneratedKey`, and only its hash is kept.
   */
  keys?: ApiKeyEntry[]
  /** Conversions at once. @default os.availableParallelism() */
  concurrency?: number
  /** @default 104857600 (100 MiB) */
  maxUploadBytes?: number
  /** How long jobs, uploads and results are kept. @default 7 days */
  retentionMs?: number
  /** How often expired jobs are looked for and deleted. @default 60000 */
  retentionSweepMs?: number
  /** Hard time limit per conversion. @default 10 minutes */
  hardTimeoutMs?: number
  /** Soft time limit (OCR stops, partial result kept). @default none */
  softTimeoutMs?: number
  /** Attempts per job for crashes and restarts. @default 3 */
  maxAttempts?: number
  /** Requests per second per API key, and burst. @default { perSecond: 50, burst: 100 } */
  rateLimit?: { perSecond?: number; burst?: number }
  /** Accept webhook URLs on loopback and private networks. @default false */
  allowPrivateWebhooks?: boolean
  /** Webhook delivery tuning (attempts, delays, per-attempt timeout). */
  webhooks?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; timeoutMs?: number }
  /** Secret for signed links and webhook secrets. @default DOCLOADER_SECRET, else generated and kept in dataDir */
  secret?: string
  /** Base URL used in result links. @default http://<host>:<port> */
  publicUrl?: string
  /** Result links lifetime in seconds. @default 3600 */
  linkTtlSeconds?: number
  logger?: Logger
  /** Called once with a generated key (first start without keys). */
  onGeneratedKey?: (key: string, org: string) => void
}

export interface RunningServer {
  url: string
  port: number
  /** Stops accepting, lets running jobs finish up to `deadlineMs`, leaves the rest pending. */
  close(deadlineMs?: number): Promise<void>
}

/**
 * Starts the API: by default with the embedded store, storage and worker threads; with a
 * Redis `queue` and `store`, it only enqueues and `docloader worker` processes (startWorker) convert.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: 'docloader' })
  const dataDir = resolve(options.dataDir ?? 'docloader-data')
  await mkdir(dataDir, { recursive: true })
  // An empty DOCLOADER_SECRET (an unfilled env template) counts as unset: anyone can compute an HMAC with an empty key.
  const secret = options.secret ?? (process.env.DOCLOADER_SECRET || undefined) ?? (await loadOrCreateSecret(dataDir))
  if (secret.length < 16) {
    throw new TypeError(`Expected the server secret (\`secret\`, DOCLOADER_SECRET or ${join(dataDir, 'secret')}) to be at least 16 characters, got ${secret.length}; use a long random value.`)
  }
  const keys = createApiKeys(options.keys?.length ? options.keys : await loadOrCreateGeneratedKey(dataDir, options.onGeneratedKey))

  const queueUrl = options.queue && options.queue !== 'embedded' ? options.queue : undefined
  if (queueUrl && !isRedisUrl(queueUrl)) throw new TypeError(`Expected \`queue\` to be \`embedded\` or a redis:// URL, got \`${maskUrl(queueUrl)}\`.`)
  if (queueUrl && !isRedisUrl(options.store)) {
    throw new TypeError(`A Redis queue needs a Redis job store that workers share: expected \`store\` to be a redis:// URL, got \`${options.store === undefined ? 'undefined' : maskUrl(options.store)}\`.`)
  }
  // Opened (and an S3 bucket checked) before any connection that would keep a failed start alive.
  const storage = await openStorage(options.storage ?? join(dataDir, 'files'), options.s3 ? { s3: options.s3 } : {})
  const store = withStatusCache(
    isRedisUrl(options.store) ? createRedisJobStore({ url: options.store }) : createSqliteJobStore({ path: resolve(options.store ?? join(dataDir, 'jobs.sqlite')) }),
  )
  // With a Redis queue, workers elsewhere convert: no threads here.
  const pool = queueUrl ? undefined : createConversionPool({ ...(options.concurrency ? { size: options.concurrency } : {}) })
  const links = createLinkSigner(secret, { defaultTtlSeconds: options.linkTtlSeconds ?? 3600 })
  const secretFor = (org: string) => orgWebhookSecret(secret, org)
  let publicUrl = options.publicUrl

  let metrics: ReturnType<typeof createMetrics> | undefined
  const dispatcher = createWebhookDispatcher({
    store,
    secretFor,
    allowPrivate: options.allowPrivateWebhooks ?? false,
    logger: logger.child({ component: 'webhooks' }),
    ...options.webhooks,
    // Workers write completed events without the result link (they do not hold the secret): add it here.
    ...(queueUrl ? { prepareBody: (delivery: WebhookDelivery) => withResultUrl(delivery, resultUrlFor) } : {}),
    onAttempt: (attempt) => metrics?.webhookAttempts.inc({ outcome: attempt.ok ? 'delivered' : attempt.statusCode ? 'failed_status' : 'failed_network' }),
  })
  function resultUrlFor(jobId: string): string {
    return `${publicUrl}/results/${jobId}?${links.sign(jobId).query}`
  }
  const resultUrlOf = (job: JobRecord) => resultUrlFor(job.id)
  const onStatusChange = (job: JobRecord) => {
    if (job.webhookUrl) {
      dispatcher.enqueue(job, webhookBody(job, job.status === 'completed' ? resultUrlOf(job) : undefined)).catch((error: unknown) => {
        logger.error({ err: error, jobId: job.id }, 'webhook event not saved')
      })
    }
  }
  // BullMQ is loaded only for a Redis queue: the embedded default never imports it.
  const queueRunner = queueUrl
    ? (await import('./queue/queue-runner.js')).createQueueRunner({
        store,
        queueUrl,
        logger: logger.child({ component: 'queue' }),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.hardTimeoutMs ? { hardTimeoutMs: options.hardTimeoutMs } : {}),
        ...(options.softTimeoutMs ? { softTimeoutMs: options.softTimeoutMs } : {}),
        onStatusChange,
      })
    : undefined
  const runner: JobRunner = queueRunner ?? createJobRunner({
    store,
    pool: pool!,
    storage,
    logger: logger.child({ component: 'runner' }),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.hardTimeoutMs ? { hardTimeoutMs: options.hardTimeoutMs } : {}),
    ...(options.softTimeoutMs ? { softTimeoutMs: options.softTimeoutMs } : {}),
    onStatusChange,
    onConversion: (job, seconds) => metrics?.conversionSeconds.observe({ status: job.status }, seconds),
  })
  // In queue mode, conversions run on workers: the queue runner counts them in BullMQ.
  metrics = createMetrics(store, queueRunner ?? runner)

  const app = createApp({
    store,
    storage,
    runner,
    keys,
    links,
    rateLimiter: createRateLimiter(options.rateLimit),
    metrics,
    logger,
    webhookSecretFor: secretFor,
    allowPrivateWebhooks: options.allowPrivateWebhooks ?? false,
    maxUploadBytes: options.maxUploadBytes ?? 100 * 1024 * 1024,
    retentionMs: options.retentionMs ?? 7 * 24 * 3600 * 1000,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    isReady: async () => (await store.ping()) && (queueRunner ? await queueRunner.ping() : true) && (await storage.ping()),
  })

  const host = options.host ?? '127.0.0.1'
  const server = await new Promise<ServerType>((resolveListen, reject) => {
    const listening = serve({ fetch: app.fetch, port: options.port ?? 9001, hostname: host }, () => resolveListen(listening))
    listening.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  publicUrl ??= url

  await runner.start()
  dispatcher.start()
  const sweeper = setInterval(() => void sweepExpired(), options.retentionSweepMs ?? 60_000)
  sweeper.unref()
  async function sweepExpired() {
    try {
      for (const job of await store.listExpired(new Date(), 100)) {
        await storage.remove(job.org, job.id)
        await store.delete(job.id)
        logger.info({ jobId: job.id }, 'job expired and deleted')
      }
    } catch (error) {
      logger.error({ err: error }, 'retention sweep failed')
    }
  }
  void sweepExpired()
  logger.info(
    { url, dataDir, queue: queueUrl ? maskUrl(queueUrl) : 'embedded', store: options.store ? maskUrl(options.store) : 'sqlite', storage: describeStorage(storage.location, options.s3), ...(pool ? { concurrency: pool.size } : {}) },
    'docloader server listening',
  )

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    close(deadlineMs = 30_000) {
      closing ??= (async () => {
        clearInterval(sweeper)
        const stopped = new Promise<void>((done) => server.close(() => done()))
        // Open keep-alive and SSE connections would hold close() forever.
        ;(server as { closeIdleConnections?: () => void }).closeIdleConnections?.()
        await runner.stop(deadlineMs)
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        await stopped
        await dispatcher.stop()
        await pool?.close()
        await store.close()
        storage.close?.()
        logger.info('docloader server stopped')
      })()
      return closing
    },
  }
}

/** A completed event's body with its `result_url` filled in when a worker left it null. */
function withResultUrl(delivery: WebhookDelivery, resultUrlFor: (jobId: string) => string): string {
  if (delivery.status !== 'completed') return delivery.body
  const body = JSON.parse(delivery.body) as { result_url?: string | null }
  if (body.result_url) return delivery.body
  return JSON.stringify({ ...body, result_url: resultUrlFor(delivery.jobId) })
}

async function loadOrCreateSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'secret')
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    const secret = randomBytes(32).toString('hex')
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined)
    return (await readFile(path, 'utf8')).trim()
  }
}

/** With no keys configured: a key generated once, printed once, kept only as a hash. */
async function loadOrCreateGeneratedKey(dataDir: string, onGenerated?: (key: string, org: string) => void): Promise<ApiKeyEntry[]> {
  const path = join(dataDir, 'generated-key.sha256')
  const org = 'default'
  try {
    const [hash] = (await readFile(path, 'utf8')).trim().split(':')
    if (hash && /^[0-9a-f]{64}$/.test(hash)) return [{ sha256: hash, org }]
  } catch {
    // first start
  }
  const key = generateApiKey()
  await writeFile(path, `${sha256(key).toString('hex')}:${org}\n`, { mode: 0o600 })
  await chmod(path, 0o600)
  onGenerated?.(key, org)
  return [{ sha256: sha256(key).toString('hex'), org }]
}
