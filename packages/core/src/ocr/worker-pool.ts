import { DocloaderError } from '../errors.js'
import { ocrAbortError, raceAbort } from './ocr-errors.js'

export interface WorkerPoolOptions<W> {
  /** Workers at most. */
  size: number
  /** Starts a worker for a kind of job (e.g. a set of languages). */
  create: (key: string) => Promise<W>
  /** Stops a worker; must not throw. */
  destroy: (worker: W) => Promise<void>
  /** Jobs one worker runs before it is replaced (bounds memory that grows inside it). */
  recycleAfter: number
  /** Called when a worker becomes busy or idle (to ref/unref its thread). */
  onBusy?: (worker: W, busy: boolean) => void
}

interface Slot<W> {
  worker: Promise<W> | undefined
  /** What the worker was started for. */
  key: string
  jobs: number
  busy: boolean
}

/**
 * A fixed number of lazily started workers, each running one job at a time. Unlike
 * tesseract.js's scheduler it knows which worker runs which job, so an aborted job's worker
 * is terminated (its CPU freed at once) and a worker is recycled after `recycleAfter` jobs.
 */
export class WorkerPool<W> {
  readonly #options: WorkerPoolOptions<W>
  readonly #slots: Slot<W>[]
  readonly #waiting: { resolve: (slot: Slot<W>) => void; reject: (error: unknown) => void }[] = []
  #closed = false
  readonly #closing = new AbortController()
  /** Workers started so far (for tests and stats). */
  started = 0

  constructor(options: WorkerPoolOptions<W>) {
    this.#options = options
    this.#slots = Array.from({ length: options.size }, () => ({ worker: undefined, key: '', jobs: 0, busy: false }))
  }

  /**
   * Runs a job on a free worker started for `key` (a worker started for another key is
   * replaced); rejects with CANCELLED/TIMEOUT when `signal` aborts, terminating that worker.
   */
  async run<T>(callerSignal: AbortSignal, key: string, job: (worker: W) => Promise<T>): Promise<T> {
    const signal = AbortSignal.any([callerSignal, this.#closing.signal])
    const slot = await this.#acquire(signal, key)
    try {
      if (slot.worker && slot.key !== key) {
        const old = slot.worker
        slot.worker = undefined
        old.then((w) => this.#options.destroy(w), () => undefined)
      }
      if (!slot.worker) {
        slot.key = key
        slot.jobs = 0
      }
      const starting = (slot.worker ??= this.#start(key))
      let worker: W
      try {
        worker = await raceAbort(starting, signal)
      } catch (error) {
        if (slot.worker === starting) slot.worker = undefined
        starting.then((w) => this.#options.destroy(w), () => undefined)
        throw error
      }
      this.#options.onBusy?.(worker, true)
      let failed = false
      try {
        return await raceAbort(job(worker), signal)
      } catch (error) {
        // An aborted or failed job may leave the worker busy or broken: replace it.
        failed = true
        this.#retire(slot, worker)
        throw error
      } finally {
        if (!failed) {
          this.#options.onBusy?.(worker, false)
          if (++slot.jobs >= this.#options.recycleAfter) this.#retire(slot, worker)
        }
      }
    } finally {
      this.#release(slot)
    }
  }

  /** Stops every worker; queued jobs reject with CANCELLED. */
  async close(): Promise<void> {
    this.#closed = true
    this.#closing.abort(new DocloaderError('CANCELLED', 'OCR was closed before this page was read.'))
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new DocloaderError('CANCELLED', 'OCR was closed before this page was read.'))
    await Promise.all(
      this.#slots.map(async (slot) => {
        const starting = slot.worker
        slot.worker = undefined
        if (starting) await starting.then((w) => this.#options.destroy(w), () => undefined)
      }),
    )
  }

  #start(key: string): Promise<W> {
    this.started++
    const starting = this.#options.create(key)
    starting.catch(() => undefined)
    return starting
  }

  #retire(slot: Slot<W>, worker: W): void {
    slot.worker = undefined
    slot.jobs = 0
    void this.#options.destroy(worker)
  }

  #acquire(signal: AbortSignal, key: string): Promise<Slot<W>> {
    if (this.#closed) return Promise.reject(new DocloaderError('CANCELLED', 'OCR was closed before this page was read.'))
    if (signal.aborted) return Promise.reject(ocrAbortError(signal.reason))
    const free =
      this.#slots.find((slot) => !slot.busy && slot.worker && slot.key === key) ?? this.#slots.find((slot) => !slot.busy && !slot.worker) ?? this.#slots.find((slot) => !slot.busy)
    if (free) {
      free.busy = true
      return Promise.resolve(free)
    }
    return new Promise<Slot<W>>((resolve, reject) => {
      const waiter = {
        resolve: (slot: Slot<W>) => {
          signal.removeEventListener('abort', onAbort)
          resolve(slot)
        },
        reject,
      }
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter)
        if (index !== -1) this.#waiting.splice(index, 1)
        reject(ocrAbortError(signal.reason))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(waiter)
    })
  }

  #release(slot: Slot<W>): void {
    const next = this.#waiting.shift()
    if (next && !this.#closed) next.resolve(slot)
    else slot.busy = false
  }
}
