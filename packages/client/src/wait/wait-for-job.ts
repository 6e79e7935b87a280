import type { Readable } from 'node:stream'
import { DocloaderError, isDocloaderError } from '../docloader-error.js'
import { readEventStream } from '../events/read-event-stream.js'
import { sleep } from '../retry/retry-policy.js'
import { FINAL_STATUSES, type Job } from '../types.js'

export interface WaitForJobOptions {
  /** Stops waiting (the job keeps running on the server; `cancelJob` stops it). */
  signal?: AbortSignal
  /** Called with the job whenever its status or pages done change. */
  onProgress?: (job: Job) => void
  /**
   * Longest wait in ms; past it the wait fails with code `TIMEOUT` (the job keeps running).
   * @default no limit
   */
  timeout?: number
  /**
   * First wait between polls in ms; it grows by half each poll without change, up to
   * `maxPollInterval`, with ±20 % jitter, and starts over when the job moves.
   * @default 250
   */
  pollInterval?: number
  /**
   * Longest wait between polls in ms.
   * @default 5000
   */
  maxPollInterval?: number
  /**
   * Follow the job over the server's event stream (`GET /api/v1/jobs/{id}/events`)
   * instead of polling: one connection, updates as they happen. A dropped stream is
   * re-opened; polling takes over if the server has no event route.
   * @default false
   */
  useEvents?: boolean
}

/** What waiting needs from the client. */
export interface JobSource {
  getJob(id: string, options?: { signal?: AbortSignal }): Promise<Job>
  openEvents(id: string, signal: AbortSignal): Promise<Readable>
}

/** Resolves with the job once it is completed, failed or cancelled. */
export async function waitForJob(source: JobSource, id: string, options: WaitForJobOptions = {}): Promise<Job> {
  const controller = new AbortController()
  const outer = options.signal
  const onAbort = () => controller.abort(outer!.reason)
  if (outer?.aborted) throw new DocloaderError('ABORTED', `Aborted waiting for job ${id}.`, { cause: outer.reason })
  outer?.addEventListener('abort', onAbort, { once: true })
  let timedOut = false
  const timer =
    options.timeout === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true
          controller.abort(new Error('timeout'))
        }, options.timeout)
  let last = ''
  const report = (job: Job) => {
    const stage = `${job.status}:${job.pages_done}:${job.pages_total}`
    if (stage === last) return false
    last = stage
    options.onProgress?.(job)
    return true
  }
  try {
    return options.useEvents ? await followEvents(source, id, controller.signal, report, options) : await poll(source, id, controller.signal, report, options)
  } catch (error) {
    if (timedOut) throw new DocloaderError('TIMEOUT', `Job ${id} did not finish within ${options.timeout} ms (it keeps running on the server).`, { cause: error })
    if (controller.signal.aborted) {
      throw isDocloaderError(error) && error.code === 'ABORTED' ? error : new DocloaderError('ABORTED', `Aborted waiting for job ${id}.`, { cause: outer?.reason })
    }
    throw error
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', onAbort)
  }
}

async function poll(source: JobSource, id: string, signal: AbortSignal, report: (job: Job) => boolean, options: WaitForJobOptions): Promise<Job> {
  const first = options.pollInterval ?? 250
  const max = options.maxPollInterval ?? 5000
  let interval = first
  for (;;) {
    const job = await source.getJob(id, { signal })
    const moved = report(job)
    if (FINAL_STATUSES.has(job.status)) return job
    interval = moved ? first : Math.min(max, interval * 1.5)
    await sleep(interval * (0.8 + Math.random() * 0.4), signal)
  }
}

async function followEvents(source: JobSource, id: string, signal: AbortSignal, report: (job: Job) => boolean, options: WaitForJobOptions): Promise<Job> {
  let failures = 0
  for (;;) {
    let stream: Readable
    try {
      stream = await source.openEvents(id, signal)
    } catch (error) {
      // A server (or proxy) without the event route: poll instead.
      if (isDocloaderError(error) && (error.code === 'NOT_FOUND' || error.code === 'INVALID_RESPONSE') && error.status === 404 && !/no such job/i.test(error.message)) {
        return poll(source, id, signal, report, options)
      }
      throw error
    }
    let latest: Job | undefined
    try {
      for await (const event of readEventStream(stream)) {
        if (event.event !== 'job' && event.event !== 'end') continue
        latest = JSON.parse(event.data) as Job
        report(latest)
        if (event.event === 'end' || FINAL_STATUSES.has(latest.status)) return latest
      }
    } catch (error) {
      if (signal.aborted) throw error
      // The connection dropped mid-stream: look at the job, then follow it again.
    } finally {
      stream.destroy()
    }
    const job = await source.getJob(id, { signal })
    report(job)
    if (FINAL_STATUSES.has(job.status)) return job
    failures = latest ? 0 : failures + 1
    await sleep(Math.min(5000, 250 * 2 ** failures) * Math.random(), signal)
  }
}
