import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { ConversionPool } from '../pool/conversion-pool.js'
import type { ConversionFiles, Storage } from '../storage/storage.js'
import type { JobStore } from '../store/job-store.js'
import { FINAL_STATUSES, type JobRecord } from './job.js'

/** Error codes worth another attempt: the conversion thread crashed or ran out of memory. */
const TRANSIENT_CODES = new Set(['INTERNAL'])

export interface JobRunnerOptions {
  store: JobStore
  pool: ConversionPool
  storage: Storage
  logger: Logger
  /** Jobs converted at once by this process. @default pool.size */
  concurrency?: number
  /** Attempts per job before it fails for good (crashes, restarts). @default 3 */
  maxAttempts?: number
  /** First retry delay; doubled per attempt, with jitter. @default 2000 */
  retryBaseMs?: number
  /** Hard limit per conversion: the thread is killed and the job fails with TIMEOUT. @default 600000 */
  hardTimeoutMs?: number
  /** Soft limit: OCR stops and the partial result is kept, flagged. @default undefined */
  softTimeoutMs?: number
  /** How often to look for due jobs besides being woken. @default 1000 */
  pollIntervalMs?: number
  /** Called on every status change (for webhooks and metrics). */
  onStatusChange?: (job: JobRecord) => void
  /** Called when a conversion finishes or fails, with its duration. */
  onConversion?: (job: JobRecord, seconds: number) => void
}

export interface JobRunner {
  /** Re-queues jobs a previous run left `processing`, then starts taking jobs. */
  start(): Promise<void>
  /**
   * A job was added: look now instead of at the next poll. Runners that hand jobs to a
   * queue (BullMQ) enqueue `job` and resolve once it is queued.
   */
  wake(job?: JobRecord): void | Promise<void>
  /** Cancels a pending or processing job. Returns the job as it is now, or undefined if missing. */
  cancel(job: JobRecord): Promise<JobRecord>
  /** `update` events carry every job change of this process (status, progress). */
  readonly events: EventEmitter<{ update: [JobRecord] }>
  /** Jobs converting now. */
  readonly active: number
  /**
   * Stops taking jobs and waits up to `deadlineMs` for running ones; those still running
   * then are aborted and left `pending` for the next start.
   */
  stop(deadlineMs?: number): Promise<void>
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { store, pool, storage, logger } = options
  const concurrency = options.concurrency ?? pool.size
  const maxAttempts = options.maxAttempts ?? 3
  const retryBaseMs = options.retryBaseMs ?? 2000
  const hardTimeoutMs = options.hardTimeoutMs ?? 600_000
  const events = new EventEmitter<{ update: [JobRecord] }>()
  events.setMaxListeners(0)
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  let stopping = false
  let pumping = false
  let again = false
  let timer: NodeJS.Timeout | undefined

  const changed = (job: JobRecord, statusChanged: boolean) => {
    events.emit('update', job)
    if (statusChanged) options.onStatusChange?.(job)
  }

  async function pump(): Promise<void> {
    if (pumping) {
      again = true
      return
    }
    pumping = true
    try {
      do {
        again = false
        while (!stopping && running.size < concurrency) {
          const job = await store.claimNext(Date.now())
          if (!job) break
          changed(job, true)
          start(job)
        }
      } while (again && !stopping)
    } catch (error) {
      logger.error({ err: error }, 'could not take the next job')
    } finally {
      pumping = false
    }
  }

  function start(job: JobRecord): void {
    const controller = new AbortController()
    const done = convert(job, controller.signal).finally(() => {
      running.delete(job.id)
      void pump()
    })
    running.set(job.id, { controller, done })
  }

  async function convert(job: JobRecord, signal: AbortSignal): Promise<void> {
    const log = logger.child({ jobId: job.id, org: job.org })
    const started = performance.now()
    let lastWrite = 0
    let pending: Promise<unknown> = Promise.resolve()
    let files: ConversionFiles | undefined
    log.info({ attempt: job.attempts, filename: job.filename }, 'conversion started')
    try {
      files = await storage.prepareConversion(job.org, job.id, job.outputFormat, signal)
      const outcome = await pool.run(
        {
          jobId: job.id,
          inputPath: files.inputPath,
          outputPath: files.outputPath,
          format: job.outputFormat,
          options: job.options,
          hardTimeoutMs,
          ...(options.softTimeoutMs ? { softTimeoutMs: options.softTimeoutMs } : {}),
        },
        {
          signal,
          onProgress(pagesDone, pagesTotal) {
            const progress = pagesTotal ? Math.min(99, Math.floor((pagesDone / pagesTotal) * 100)) : 0
            const view = { ...job, pagesDone, pagesTotal, progress }
            events.emit('update', view)
            // Writes are throttled; the last one before completion does not matter.
            const now = Date.now()
            if (now - lastWrite >= 250 || pagesDone === 0) {
              lastWrite = now
              pending = pending.then(() => store.update(job.id, { pagesDone, pagesTotal, progress }, ['processing']).catch((error: unknown) => log.warn({ err: error }, 'progress not saved')))
            }
          },
        },
      )
      await pending
      await files.save()
      const completed = await store.update(
        job.id,
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
      const seconds = (performance.now() - started) / 1000
      if (completed) {
        log.info({ seconds, pages: outcome.metadata.pagesConverted }, 'conversion completed')
        options.onConversion?.(completed, seconds)
        changed(completed, true)
      }
    } catch (error) {
      await pending
      const code = (error as { code?: string }).code ?? 'INTERNAL'
      const message = (error as Error).message ?? String(error)
      const seconds = (performance.now() - started) / 1000
      if (stopping && signal.aborted) {
        // Shut down mid-conversion: not the job's fault, so the attempt does not count.
        const requeued = await store.update(job.id, { status: 'pending', attempts: Math.max(0, job.attempts - 1), runAfter: 0, pagesDone: 0, progress: 0 }, ['processing'])
        if (requeued) log.info('conversion interrupted by shutdown; job left pending')
        return
      }
      if (signal.aborted) return // cancelled: cancel() already set the status
      if (TRANSIENT_CODES.has(code) && job.attempts < maxAttempts) {
        const delay = retryBaseMs * 2 ** (job.attempts - 1) * (0.5 + Math.random() / 2)
        const retried = await store.update(job.id, { status: 'pending', runAfter: Date.now() + delay, pagesDone: 0, progress: 0 }, ['processing'])
        log.warn({ code, message, attempt: job.attempts, retryInMs: Math.round(delay) }, 'conversion failed; will retry')
        if (retried) {
          changed(retried, false)
          setTimeout(() => void pump(), delay + 10).unref()
        }
        return
      }
      const failed = await store.update(
        job.id,
        { status: 'failed', error: { code, message }, completedAt: new Date().toISOString() },
        ['processing'],
      )
      log.info({ code, message, seconds }, 'conversion failed')
      if (failed) {
        options.onConversion?.(failed, seconds)
        changed(failed, true)
      }
    } finally {
      await files?.dispose()
    }
  }

  return {
    events,
    get active() {
      return running.size
    },

    async start() {
      for (const job of await store.listProcessing()) {
        if (job.attempts >= maxAttempts) {
          const failed = await store.update(
            job.id,
            { status: 'failed', error: { code: 'INTERNAL', message: `The conversion was interrupted ${job.attempts} times (server restarts or crashes); giving up.` }, completedAt: new Date().toISOString() },
            ['processing'],
          )
          if (failed) changed(failed, true)
        } else {
          const requeued = await store.update(job.id, { status: 'pending', runAfter: 0, pagesDone: 0, progress: 0 }, ['processing'])
          if (requeued) logger.info({ jobId: job.id }, 'job interrupted by a restart; queued again')
        }
      }
      timer = setInterval(() => void pump(), options.pollIntervalMs ?? 1000)
      timer.unref()
      await pump()
    },

    wake() {
      void pump()
    },

    async cancel(job) {
      if (FINAL_STATUSES.has(job.status)) return job
      const cancelled = await store.update(job.id, { status: 'cancelled', completedAt: new Date().toISOString() }, ['pending', 'processing'])
      if (!cancelled) return (await store.getById(job.id)) ?? job
      running.get(job.id)?.controller.abort()
      changed(cancelled, true)
      return cancelled
    },

    async stop(deadlineMs = 30_000) {
      stopping = true
      clearInterval(timer)
      const all = Promise.all([...running.values()].map((entry) => entry.done))
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref())
      await Promise.race([all, deadline])
      for (const entry of running.values()) entry.controller.abort()
      await all
    },
  }
}
