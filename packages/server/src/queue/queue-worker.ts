import { randomBytes } from 'node:crypto'
import { type ConnectionOptions, type Job, WaitingError, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { FINAL_STATUSES, type JobRecord } from '../jobs/job.js'
import type { ConversionPool } from '../pool/conversion-pool.js'
import type { ConversionFiles, Storage } from '../storage/storage.js'
import type { JobStore } from '../store/job-store.js'
import { webhookBody } from '../webhooks/webhook-body.js'
import {
  channels,
  type ConversionJobData,
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  QUEUE_NAME,
  type QueueTuning,
} from './conversion-queue.js'
import { bullmqConnection } from './redis-url.js'

/** Error codes worth another attempt: the conversion thread crashed or ran out of memory. */
const TRANSIENT_CODES = new Set(['INTERNAL'])

export interface QueueWorkerOptions extends QueueTuning {
  store: JobStore
  pool: ConversionPool
  storage: Storage
  /** Redis of the BullMQ queue. */
  queueUrl: string
  /** Key prefix of the store, which also names the pub/sub channels. @default 'docloader:' */
  prefix?: string
  logger: Logger
  /** Jobs converted at once. @default pool.size */
  concurrency?: number
  /** Attempts per job, interrupted ones (killed workers) included. @default 3 */
  maxAttempts?: number
  /** Hard limit per conversion. @default 600000 */
  hardTimeoutMs?: number
  /** Soft limit per conversion. @default undefined */
  softTimeoutMs?: number
  /**
   * Called each time this worker finishes with a job it took (converted, failed, handed
   * back), before BullMQ fetches the next one: a `close()` called from here takes no more.
   */
  onJobDone?: () => void
}

export interface QueueWorker {
  /** Jobs converting now. */
  readonly active: number
  /**
   * Stops taking jobs; running ones get up to `deadlineMs` to finish, then are aborted and
   * handed back to the queue (waiting, the attempt not counted) for another worker. Calling
   * it again with a shorter deadline brings the hand-back closer.
   */
  close(deadlineMs?: number): Promise<void>
}

/**
 * A BullMQ consumer: takes jobs, converts them in the conversion pool and writes status,
 * progress and errors to the shared store. Every status change also adds a webhook
 * delivery to the store (the API process sends it) and is published for live progress.
 */
export function createQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const { store, pool, storage, logger } = options
  const maxAttempts = options.maxAttempts ?? 3
  const hardTimeoutMs = options.hardTimeoutMs ?? 600_000
  const names = channels(options.prefix ?? 'docloader:')
  const connection = bullmqConnection(options.queueUrl)
  const publisher = new Redis({ ...connection, maxRetriesPerRequest: 2 })
  const subscriber = new Redis(connection)
  publisher.on('error', () => undefined)
  subscriber.on('error', () => undefined)
  const running = new Map<string, AbortController>()
  let closing = false

  void subscriber.subscribe(names.cancel).catch((error: unknown) => logger.warn({ err: error }, 'cancel channel not subscribed'))
  subscriber.on('message', (channel: string, jobId: string) => {
    if (channel === names.cancel) running.get(jobId)?.abort()
  })

  async function changed(job: JobRecord, statusChanged: boolean): Promise<void> {
    await publisher.publish(names.updates, JSON.stringify(job)).catch(() => undefined)
    if (statusChanged && job.webhookUrl) {
      // The API's dispatcher sends it (and adds the signed result link to completed events).
      await store.addDelivery({
        eventId: `evt_${randomBytes(15).toString('base64url')}`,
        jobId: job.id,
        org: job.org,
        url: job.webhookUrl,
        body: JSON.stringify(webhookBody(job)),
        status: job.status,
        attempts: 0,
        nextAttemptAt: Date.now(),
        state: 'pending',
      }).catch((error: unknown) => logger.error({ err: error, jobId: job.id }, 'webhook event not saved'))
    }
  }

  async function fail(job: JobRecord, code: string, message: string): Promise<void> {
    const failed = await store.update(job.id, { status: 'failed', error: { code, message }, completedAt: new Date().toISOString() }, ['pending', 'processing'])
    if (failed) await changed(failed, true)
  }

  async function process(bullJob: Job<ConversionJobData>, token?: string): Promise<string> {
    const id = bullJob.data.jobId
    const record = await store.getById(id)
    if (!record || FINAL_STATUSES.has(record.status)) return 'skipped'
    const log = logger.child({ jobId: id, org: record.org })
    if (record.attempts >= maxAttempts) {
      // Earlier attempts never finished: their workers died mid-conversion.
      log.warn({ attempts: record.attempts }, 'job interrupted too often; failing it')
      await fail(record, 'INTERNAL', `The conversion was interrupted ${record.attempts} times (workers stopped or crashed); giving up.`)
      return 'failed'
    }
    const job = await store.update(
      id,
      { status: 'processing', startedAt: new Date().toISOString(), attempts: record.attempts + 1, runAfter: 0, pagesDone: 0, pagesTotal: 0, progress: 0 },
      [record.status],
    )
    if (!job) return 'skipped' // cancelled (or taken) meanwhile
    await changed(job, true)

    const controller = new AbortController()
    running.set(id, controller)
    // The API's limits travel with the job; the stricter of the API's and ours applies.
    const hardLimitMs = Math.min(hardTimeoutMs, bullJob.data.hardTimeoutMs ?? Infinity)
    const softLimitMs = Math.min(options.softTimeoutMs ?? Infinity, bullJob.data.softTimeoutMs ?? Infinity)
    const started = performance.now()
    let lastWrite = 0
    let pending: Promise<unknown> = Promise.resolve()
    let files: ConversionFiles | undefined
    log.info({ attempt: job.attempts, bullAttempt: bullJob.attemptsMade + 1, filename: job.filename }, 'conversion started')
    try {
      files = await storage.prepareConversion(job.org, id, job.outputFormat, controller.signal)
      const outcome = await pool.run(
        {
          jobId: id,
          inputPath: files.inputPath,
          outputPath: files.outputPath,
          format: job.outputFormat,
          options: job.options,
          hardTimeoutMs: hardLimitMs,
          ...(Number.isFinite(softLimitMs) ? { softTimeoutMs: softLimitMs } : {}),
        },
        {
          signal: controller.signal,
          onProgress(pagesDone, pagesTotal) {
            const now = Date.now()
            if (now - lastWrite < 250 && pagesDone !== 0) return
            lastWrite = now
            const progress = pagesTotal ? Math.min(99, Math.floor((pagesDone / pagesTotal) * 100)) : 0
            pending = pending.then(async () => {
              try {
                const saved = await store.update(id, { pagesDone, pagesTotal, progress }, ['processing'])
                // No longer processing: cancelled from the API (a missed pub/sub message lands here).
                if (!saved) controller.abort()
                else await publisher.publish(names.updates, JSON.stringify(saved)).catch(() => undefined)
              } catch (error) {
                log.warn({ err: error }, 'progress not saved')
              }
            })
          },
        },
      )
      await pending
      await files.save()
      const completed = await store.update(
        id,
        {
          status: 'completed',
          progress: 100,
          pagesDone: outcome.metadata.pagesConverted,
          pagesTotal: outcome.metadata.pagesConverted,
          completedAt: new Date().toISOString(),
          ...(outcome.metadata.partial ? { partial: outcome.metadata.partial } : {}),
        },
        ['processing'],
      )
      if (completed) {
        log.info({ seconds: (performance.now() - started) / 1000, pages: outcome.metadata.pagesConverted, thread: outcome.threadId }, 'conversion completed')
        await changed(completed, true)
      }
      return 'completed'
    } catch (error) {
      await pending
      const code = (error as { code?: string }).code ?? 'INTERNAL'
      const message = (error as Error).message ?? String(error)
      if (closing && controller.signal.aborted) {
        // Shutting down: hand the job back untouched; this attempt does not count.
        const requeued = await store.update(id, { status: 'pending', attempts: Math.max(0, job.attempts - 1), pagesDone: 0, progress: 0 }, ['processing'])
        if (requeued) await changed(requeued, false)
        await bullJob.moveToWait(token)
        log.info('conversion interrupted by shutdown; job handed back to the queue')
        throw new WaitingError()
      }
      if (controller.signal.aborted) return 'cancelled'
      const lastBullAttempt = bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1)
      if (TRANSIENT_CODES.has(code) && job.attempts < maxAttempts && !lastBullAttempt) {
        const retried = await store.update(id, { status: 'pending', pagesDone: 0, progress: 0 }, ['processing'])
        if (retried) await changed(retried, false)
        log.warn({ code, message, attempt: job.attempts }, 'conversion failed; will retry')
        throw Object.assign(new Error(message), { code })
      }
      log.info({ code, message }, 'conversion failed')
      const failed = await store.update(id, { status: 'failed', error: { code, message }, completedAt: new Date().toISOString() }, ['processing'])
      if (failed) await changed(failed, true)
      return 'failed'
    } finally {
      running.delete(id)
      options.onJobDone?.()
      await files?.dispose()
    }
  }

  const worker = new Worker<ConversionJobData, string>(QUEUE_NAME, process, {
    connection: connection as ConnectionOptions,
    concurrency: options.concurrency ?? pool.size,
    lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    // Our own attempt count (in the store) fails a job interrupted `maxAttempts` times;
    // BullMQ's limit is a backstop just above it.
    maxStalledCount: maxAttempts,
  })
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'))
  worker.on('failed', (bullJob, error) => {
    // BullMQ gave up on its own (stalled too often, or out of attempts): make the store say so.
    if (!bullJob || (bullJob.attemptsMade < (bullJob.opts.attempts ?? 1) && !/stalled/i.test(error.message))) return
    void store.getById(bullJob.data.jobId).then((job) => {
      if (job && !FINAL_STATUSES.has(job.status)) return fail(job, (error as { code?: string }).code ?? 'INTERNAL', error.message)
    }).catch((failure: unknown) => logger.error({ err: failure }, 'could not record a failed job'))
  })

  let closed: Promise<void> | undefined
  return {
    get active() {
      return running.size
    },
    close(deadlineMs = 30_000) {
      // One timer per call, so a later call with a shorter deadline (SIGTERM while a
      // recycled worker lets its jobs finish) hands the jobs back sooner.
      const timer = setTimeout(() => {
        for (const controller of running.values()) controller.abort()
      }, deadlineMs)
      closed ??= (async () => {
        closing = true
        await worker.close()
        await Promise.allSettled([subscriber.quit(), publisher.quit()])
        subscriber.disconnect()
        publisher.disconnect()
      })()
      const clear = () => clearTimeout(timer)
      closed.then(clear, clear)
      return closed
    },
  }
}
