import { maskUrl, type WorkerOptions } from '@docloader/server'
import { UsageError } from '../exit-codes.js'
import { checkStorageSetting, s3FromFlags, storageBanner } from '../storage-setting.js'
import { superviseWorker } from './supervise-worker.js'

/** Worker processes are replaced after this many jobs unless told otherwise. */
const DEFAULT_MAX_JOBS = 1000

export interface WorkerCommandOptions {
  queue?: string
  store?: string
  storage?: string
  s3Endpoint?: string
  concurrency?: number
  hardTimeout?: number
  softTimeout?: number
  maxAttempts?: number
  lockDuration?: number
  stalledInterval?: number
  /** Replace the worker process after this many jobs (0: never). */
  maxJobs?: number
  /** Replace the worker process once its RSS is above this many MiB (0: never). */
  maxMemory?: number
}

/**
 * `docloader worker`: converts jobs from the Redis queue until SIGTERM/SIGINT, then stops
 * taking jobs and gives running ones 30 s to finish before handing them back to the queue.
 * The conversions run in a child process, replaced after `--max-jobs` jobs or above
 * `--max-memory` MiB (see supervise-worker.ts). Resolves to the exit code.
 */
export async function runWorker(options: WorkerCommandOptions): Promise<number> {
  const queue = options.queue ?? process.env.DOCLOADER_QUEUE
  const store = options.store ?? process.env.DOCLOADER_STORE ?? queue
  const storage = options.storage ?? process.env.DOCLOADER_STORAGE ?? 'docloader-data/files'
  if (!queue || !/^rediss?:\/\//.test(queue)) {
    throw new UsageError(`--queue: expected a Redis URL (redis://host:port) or env DOCLOADER_QUEUE, got ${queue ? maskUrl(queue) : 'nothing'}.`)
  }
  if (!store || !/^rediss?:\/\//.test(store)) {
    throw new UsageError(`--store ${store ? maskUrl(store) : ''}: a worker needs the Redis job store the API uses (redis://host:port).`)
  }
  checkStorageSetting(storage)
  const s3 = s3FromFlags(options)
  const maxJobs = options.maxJobs ?? wholeNumberFromEnv('DOCLOADER_WORKER_MAX_JOBS') ?? DEFAULT_MAX_JOBS
  const maxMemoryMb = options.maxMemory ?? wholeNumberFromEnv('DOCLOADER_WORKER_MAX_MEMORY_MB') ?? 0
  process.stderr.write(
    `docloader worker: queue ${maskUrl(queue)}, store ${maskUrl(store)}, storage ${storageBanner(storage, s3)}, concurrency ${options.concurrency ?? 'CPU count'}\n`,
  )
  const recycling = [maxJobs ? `after ${maxJobs} jobs` : '', maxMemoryMb ? `above ${maxMemoryMb} MB of memory` : ''].filter(Boolean)
  process.stderr.write(`docloader worker: worker process replaced ${recycling.length ? recycling.join(' or ') : 'only if it ends'}\n`)
  const worker: WorkerOptions = {
    queue,
    store,
    storage,
    ...(s3 ? { s3 } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.hardTimeout ? { hardTimeoutMs: options.hardTimeout * 1000 } : {}),
    ...(options.softTimeout ? { softTimeoutMs: options.softTimeout * 1000 } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.lockDuration ? { lockDurationMs: options.lockDuration * 1000 } : {}),
    ...(options.stalledInterval ? { stalledIntervalMs: options.stalledInterval * 1000 } : {}),
  }
  const shutdownDeadlineMs = Number(process.env.DOCLOADER_SHUTDOWN_DEADLINE_MS) || 30_000
  const code = await superviseWorker({ worker, maxJobs, maxMemoryMb, shutdownDeadlineMs })
  if (code === 0) process.stderr.write('docloader worker stopped\n')
  return code
}

/** A whole number from 0 up in the environment variable `name`, or undefined when unset. */
function wholeNumberFromEnv(name: string): number | undefined {
  const text = process.env[name]
  if (text === undefined || text === '') return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`${name} must be a whole number from 0 up, got "${text}".`)
  return value
}
