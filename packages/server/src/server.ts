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
import type { JobRecord } from './jobs/job.js'
import { createJobRunner } from './jobs/job-runner.js'
import { createMetrics } from './metrics/create-metrics.js'
import { createConversionPool } from './pool/create-conversion-pool.js'
import { createLocalStorage } from './storage/local-storage.js'
import { withStatusCache } from './store/cached-job-store.js'
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
  /** SQLite file of the job store. @default '<dataDir>/jobs.sqlite' */
  store?: string
  /** Folder for uploads and results. @default '<dataDir>/files' */
  storage?: string
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

/** Starts the API with the embedded store, storage and worker threads. */
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

  const store = withStatusCache(createSqliteJobStore({ path: resolve(options.store ?? join(dataDir, 'jobs.sqlite')) }))
  const storage = createLocalStorage(resolve(options.storage ?? join(dataDir, 'files')))
  await mkdir(storage.root, { recursive: true })
  const pool = createConversionPool({ ...(options.concurrency ? { size: options.concurrency } : {}) })
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
    onAttempt: (attempt) => metrics?.webhookAttempts.inc({ outcome: attempt.ok ? 'delivered' : attempt.statusCode ? 'failed_status' : 'failed_network' }),
  })
  const resultUrlOf = (job: JobRecord) => `${publicUrl}/results/${job.id}?${links.sign(job.id).query}`
  const runner = createJobRunner({
    store,
    pool,
    storage,
    logger: logger.child({ component: 'runner' }),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.hardTimeoutMs ? { hardTimeoutMs: options.hardTimeoutMs } : {}),
    ...(options.softTimeoutMs ? { softTimeoutMs: options.softTimeoutMs } : {}),
    onStatusChange(job) {
      if (job.webhookUrl) {
        dispatcher.enqueue(job, webhookBody(job, job.status === 'completed' ? resultUrlOf(job) : undefined)).catch((error: unknown) => {
          logger.error({ err: error, jobId: job.id }, 'webhook event not saved')
        })
      }
    },
    onConversion: (job, seconds) => metrics?.conversionSeconds.observe({ status: job.status }, seconds),
  })
  metrics = createMetrics(store, runner)

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
    isReady: () => store.ping(),
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
  logger.info({ url, dataDir, concurrency: pool.size }, 'docloader server listening')

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
        await pool.close()
        await store.close()
        logger.info('docloader server stopped')
      })()
      return closing
    },
  }
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
