import { pino, type Logger } from 'pino'
import { createConversionPool } from './pool/create-conversion-pool.js'
import { createQueueWorker } from './queue/queue-worker.js'
import { isRedisUrl, maskUrl } from './queue/redis-url.js'
import { describeStorage, openStorage } from './storage/create-storage.js'
import type { S3StorageOptions } from './storage/s3-config.js'
import { createRedisJobStore } from './store/redis-job-store.js'

export interface WorkerOptions {
  /**
   * Redis of the BullMQ queue the API enqueues to.
   * @example 'redis://:secret@redis.internal:6379'
   */
  queue: string
  /** Redis of the job store shared with the API. @example 'redis://redis.internal:6379' */
  store: string
  /**
   * Uploads and results: the API's `storage`. A folder (the same machine, or a file system
   * every machine mounts at this path) or `s3://bucket/prefix`, where the worker downloads
   * each upload to a temporary file, converts it and uploads the result.
   * @default './docloader-data/files' (what `docloader serve` uses when started in the same folder)
   */
  storage?: string
  /** S3 endpoint, region, credentials or client, for `storage: 's3://...'`. @default from the environment (DOCLOADER_S3_ENDPOINT, AWS_*) */
  s3?: S3StorageOptions
  /** Conversions at once (one worker thread each). @default os.availableParallelism() */
  concurrency?: number
  /** Attempts per job, interrupted ones included, before it fails. @default 3 */
  maxAttempts?: number
  /** Hard time limit per conversion. @default 10 minutes */
  hardTimeoutMs?: number
  /** Soft time limit per conversion. @default none */
  softTimeoutMs?: number
  /** Lock on a running job; a killed worker's job goes to another after about this. @default 10000 */
  lockDurationMs?: number
  /** How often workers look for jobs whose lock expired. @default 5000 */
  stalledIntervalMs?: number
  /**
   * Called each time the worker finishes with a job, before it fetches the next: a
   * `close()` called from here takes no more (the CLI's process recycling counts jobs here).
   */
  onJobDone?: () => void
  logger?: Logger
}

export interface RunningWorker {
  /** Jobs converting now. */
  readonly active: number
  /**
   * Stops taking jobs; running ones get up to `deadlineMs` to finish, the rest are handed
   * back to the queue for another worker. Then closes the pool and connections. Calling it
   * again with a shorter deadline hands the running jobs back sooner.
   */
  close(deadlineMs?: number): Promise<void>
}

/** Starts a conversion worker: takes jobs from the BullMQ queue and converts them in worker threads. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const logger = options.logger ?? pino({ name: 'docloader-worker' })
  if (!isRedisUrl(options.queue)) throw new TypeError(`Expected \`queue\` to be a redis:// URL, got \`${maskUrl(String(options.queue))}\`.`)
  if (!isRedisUrl(options.store)) throw new TypeError(`Expected \`store\` to be a redis:// URL (the store the API uses), got \`${maskUrl(String(options.store))}\`.`)
  const storage = await openStorage(options.storage ?? 'docloader-data/files', options.s3 ? { s3: options.s3 } : {})
  const store = createRedisJobStore({ url: options.store })
  const pool = createConversionPool({ ...(options.concurrency ? { size: options.concurrency } : {}) })
  const worker = createQueueWorker({
    store,
    pool,
    storage,
    queueUrl: options.queue,
    logger,
    concurrency: pool.size,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.hardTimeoutMs ? { hardTimeoutMs: options.hardTimeoutMs } : {}),
    ...(options.softTimeoutMs ? { softTimeoutMs: options.softTimeoutMs } : {}),
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
    ...(options.onJobDone ? { onJobDone: options.onJobDone } : {}),
  })
  logger.info({ queue: maskUrl(options.queue), store: maskUrl(options.store), storage: describeStorage(storage.location, options.s3), concurrency: pool.size }, 'docloader worker started')

  let closing: Promise<void> | undefined
  return {
    get active() {
      return worker.active
    },
    close(deadlineMs = 30_000) {
      const stopped = worker.close(deadlineMs)
      closing ??= (async () => {
        await stopped
        await pool.close()
        await store.close()
        storage.close?.()
        logger.info('docloader worker stopped')
      })()
      return closing
    },
  }
}
