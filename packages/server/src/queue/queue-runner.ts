import { EventEmitter } from 'node:events'
import { type ConnectionOptions, Queue } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { JobRunner } from '../jobs/job-runner.js'
import { FINAL_STATUSES, type JobRecord } from '../jobs/job.js'
import type { JobStore } from '../store/job-store.js'
import { channels, type ConversionJobData, conversionJobOptions, QUEUE_NAME } from './conversion-queue.js'
import { bullmqConnection } from './redis-url.js'

export interface QueueRunnerOptions {
  /** The shared job store (the Redis store: workers elsewhere write to it). */
  store: JobStore
  /** Redis of the BullMQ queue, e.g. `redis://127.0.0.1:6379`. */
  queueUrl: string
  /** Key prefix of the store, which also names the pub/sub channels. @default 'docloader:' */
  prefix?: string
  logger: Logger
  /** Attempts per job (transient failures and interrupted conversions). @default 3 */
  maxAttempts?: number
  /** First retry delay of BullMQ's exponential backoff. @default 2000 */
  retryBaseMs?: number
  /**
   * How often pending jobs of the store are enqueued again (BullMQ ignores a job id it
   * holds), so a job whose enqueue failed after it was stored still runs. Also done at start.
   * @default 60000
   */
  reconcileIntervalMs?: number
  /**
   * A job the store says is `processing` while BullMQ holds no waiting, delayed or active job
   * for it (the worker's final write was lost in a Redis outage, or its BullMQ job was removed)
   * is put back to `pending` and enqueued again by the reconcile, once it started this long ago.
   * @default 120000
   */
  staleProcessingMs?: number
  /** Hard time limit sent with every job; workers apply the smaller of it and their own. @default none */
  hardTimeoutMs?: number
  /** Soft time limit sent with every job, likewise. @default none */
  softTimeoutMs?: number
  /** Called on status changes made by this process (cancel), for webhooks. */
  onStatusChange?: (job: JobRecord) => void
}

/**
 * The API's side of the distributed mode: the same JobRunner interface as the embedded
 * runner, but it converts nothing. `wake(job)` adds the job to BullMQ; `docloader worker`
 * processes take it. `events` carries the job changes workers publish, for SSE.
 */
export function createQueueRunner(options: QueueRunnerOptions): JobRunner & { ping(): Promise<boolean>; countRunning(): Promise<number> } {
  const { store, logger } = options
  const maxAttempts = options.maxAttempts ?? 3
  const retryBaseMs = options.retryBaseMs ?? 2000
  const names = channels(options.prefix ?? 'docloader:')
  const connection = bullmqConnection(options.queueUrl)
  // No offline queue: an add while Redis is down fails at once instead of holding the
  // upload's request until Redis is back (the job is stored; reconcile enqueues it later).
  const queue = new Queue<ConversionJobData, string, string>(QUEUE_NAME, { connection: { ...connection, enableOfflineQueue: false } as ConnectionOptions })
  queue.on('error', (error) => logger.error({ err: error }, 'queue connection error'))
  // Commands here must fail fast when Redis is down (readyz, cancel), unlike BullMQ's own.
  const publisher = new Redis({ ...connection, maxRetriesPerRequest: 1, lazyConnect: true })
  const subscriber = new Redis({ ...connection, lazyConnect: true })
  publisher.on('error', () => undefined)
  subscriber.on('error', () => undefined)
  const events = new EventEmitter<{ update: [JobRecord] }>()
  events.setMaxListeners(0)

  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== names.updates) return
    try {
      events.emit('update', JSON.parse(message) as JobRecord)
    } catch (error) {
      logger.warn({ err: error }, 'unreadable job update from a worker')
    }
  })

  const limits = {
    ...(options.hardTimeoutMs ? { hardTimeoutMs: options.hardTimeoutMs } : {}),
    ...(options.softTimeoutMs ? { softTimeoutMs: options.softTimeoutMs } : {}),
  }
  /**
   * Adds the store's job to BullMQ. BullMQ ignores an id it holds, in any state: a failed
   * job kept under this id (failed jobs are kept a day) would swallow the enqueue of a job the
   * store says is pending (retried, or left pending by a worker that lost Redis). A finished
   * BullMQ job is removed first; a waiting, delayed or active one is left alone.
   */
  async function enqueue(jobId: string): Promise<void> {
    const existing = await queue.getJob(jobId)
    if (existing) {
      const state = await existing.getState()
      if (state === 'failed' || state === 'completed') await existing.remove()
      else if (state !== 'unknown') return // waiting, delayed, active: it runs already
    }
    await queue.add('convert', { jobId, ...limits }, conversionJobOptions(jobId, maxAttempts, retryBaseMs))
  }
  let reconciler: NodeJS.Timeout | undefined
  const staleProcessingMs = options.staleProcessingMs ?? 120_000
  async function reconcile(): Promise<void> {
    try {
      await requeueStale()
      if (store.listPending) for (const job of await store.listPending(1000)) await enqueue(job.id)
    } catch (error) {
      logger.warn({ err: error }, 'could not enqueue pending jobs again')
    }
  }

  /** Jobs left `processing` in the store that no worker runs or will run: back to pending. */
  async function requeueStale(): Promise<void> {
    const now = Date.now()
    for (const job of await store.listProcessing()) {
      if (now - Date.parse(job.startedAt ?? job.createdAt) < staleProcessingMs) continue
      const held = await queue.getJob(job.id)
      const state = held ? await held.getState() : 'missing'
      if (state !== 'missing' && state !== 'unknown' && state !== 'failed' && state !== 'completed') continue
      // Compare-and-set: a worker finishing it meanwhile wins.
      const back = await store.update(job.id, { status: 'pending', progress: 0, pagesDone: 0 }, ['processing'])
      if (!back) continue
      logger.warn({ jobId: job.id, bullmqState: state }, 'job left processing with no worker on it; enqueued again')
      await enqueue(job.id)
    }
  }

  return {
    events,
    active: 0,

    async start() {
      await Promise.all([publisher.connect(), subscriber.connect(), queue.waitUntilReady()])
      await subscriber.subscribe(names.updates)
      await reconcile()
      // Back from a Redis outage: enqueue the jobs stored while the queue was unreachable.
      queue.getBackend().on('ready', () => void reconcile())
      reconciler = setInterval(() => void reconcile(), options.reconcileIntervalMs ?? 60_000)
      reconciler.unref()
    },

    async wake(job) {
      if (!job) return
      try {
        await enqueue(job.id)
      } catch (error) {
        // Stored, so not lost: enqueued again when Redis is back (or at the next reconcile).
        logger.warn({ err: error, jobId: job.id }, 'job stored but not enqueued; it is enqueued once the queue answers')
      }
    },

    async cancel(job) {
      if (FINAL_STATUSES.has(job.status)) return job
      const cancelled = await store.update(job.id, { status: 'cancelled', completedAt: new Date().toISOString() }, ['pending', 'processing'])
      if (!cancelled) return (await store.getById(job.id)) ?? job
      // The worker converting it (if any) aborts on this message, or at its next progress write.
      await publisher.publish(names.cancel, job.id).catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'cancel not published; the worker sees it at its next progress write'))
      // A waiting BullMQ job can go now; a locked one is left to its worker.
      await queue.remove(job.id).catch(() => undefined)
      events.emit('update', cancelled)
      options.onStatusChange?.(cancelled)
      return cancelled
    },

    /** Conversions running on all workers: BullMQ's active jobs. */
    countRunning() {
      return queue.getActiveCount()
    },

    async ping() {
      try {
        return (await Promise.race([publisher.ping(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())])) === 'PONG'
      } catch {
        return false
      }
    },

    async stop() {
      clearInterval(reconciler)
      await Promise.allSettled([queue.close(), subscriber.quit(), publisher.quit()])
      subscriber.disconnect()
      publisher.disconnect()
    },
  }
}
