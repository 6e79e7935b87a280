import { maskUrl, startWorker } from '@docloader/server'
import { UsageError } from '../exit-codes.js'
import { checkStorageSetting, s3FromFlags, storageBanner } from '../storage-setting.js'

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
}

/**
 * `docloader worker`: converts jobs from the Redis queue until SIGTERM/SIGINT, then stops
 * taking jobs and gives running ones 30 s to finish before handing them back to the queue.
 * Resolves to the exit code.
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
  process.stderr.write(
    `docloader worker: queue ${maskUrl(queue)}, store ${maskUrl(store)}, storage ${storageBanner(storage, s3)}, concurrency ${options.concurrency ?? 'CPU count'}\n`,
  )
  const worker = await startWorker({
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
  })
  process.stderr.write('docloader worker ready\n')
  const deadlineMs = Number(process.env.DOCLOADER_SHUTDOWN_DEADLINE_MS) || 30_000
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`${signal}: stopping; taking no more jobs, running ones get up to ${Math.round(deadlineMs / 1000)} s to finish, then go back to the queue\n`)
      resolve()
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  await worker.close(deadlineMs)
  process.stderr.write('docloader worker stopped\n')
  return 0
}
