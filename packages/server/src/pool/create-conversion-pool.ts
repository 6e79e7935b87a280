import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { DocloaderError, ERROR_CODES, type ErrorCode } from '@docloader/core'
import type { ConversionOutcome, ConversionPool, ConversionPoolOptions, ConversionTask, RunOptions } from './conversion-pool.js'
import { formatDuration } from './format-duration.js'
import type { FromThread, ThreadData, ToThread } from './thread-messages.js'

/** How long a cancelled conversion may take to stop before its thread is terminated. */
const CANCEL_GRACE_MS = 1000

/**
 * The thread entry is always built JavaScript. From dist/ it sits next to this module; when
 * this module runs from src/ (vitest), the .js next to it does not exist, so the built one in
 * dist/ is used: build with `tsc -b` before testing.
 */
function threadEntry(): URL {
  const beside = new URL('./conversion-thread.js', import.meta.url)
  if (existsSync(beside)) return beside
  const built = new URL('../../dist/pool/conversion-thread.js', import.meta.url)
  if (existsSync(built)) return built
  throw new DocloaderError('INTERNAL', `The conversion thread entry is missing: expected ${beside.pathname} or ${built.pathname}. Build the server package with \`tsc -b\`.`)
}

interface Entry {
  task: ConversionTask
  options: RunOptions
  resolve: (outcome: ConversionOutcome) => void
  reject: (error: DocloaderError) => void
  /** Temp file the thread writes, beside `task.outputPath`. */
  tempPath: string
  /** Task number, set when it starts on a thread. */
  seq: number
  onAbort?: () => void
}

interface Thread {
  worker: Worker
  id: number
  /** Shared with the thread: the `seq` of a task to cancel (see ThreadData). */
  cancelled: Int32Array
  tasksRun: number
  /** The task running on it, if any. */
  entry: Entry | undefined
  /** Set once we terminate it ourselves, so its `exit` is not taken for a crash. */
  stopping: boolean
  /** Uncaught error reported by the thread before it exited. */
  crash: Error | undefined
  /** A cancel was sent for the current task. */
  cancelling: boolean
  timers: NodeJS.Timeout[]
}

/**
 * Creates a pool of conversion threads. Threads start on demand, run one conversion each
 * at a time, and are replaced after `recycleAfter` tasks, after a crash, and after being
 * terminated for a time limit or an unanswered cancel.
 * @example
 * const pool = createConversionPool({ size: 2 })
 * const { metadata, resultBytes } = await pool.run({ jobId, inputPath, outputPath, format: 'md', options: {}, hardTimeoutMs: 60_000 })
 * await pool.close()
 */
export function createConversionPool(options: ConversionPoolOptions = {}): ConversionPool {
  const size = options.size ?? availableParallelism()
  const recycleAfter = options.recycleAfter ?? 50
  const maxMemoryMb = options.maxMemoryMb ?? 1024
  expectInteger('size', size)
  expectInteger('recycleAfter', recycleAfter)
  if (typeof maxMemoryMb !== 'number' || !Number.isFinite(maxMemoryMb) || maxMemoryMb <= 0) {
    throw new DocloaderError('INVALID_OPTION', `Expected \`maxMemoryMb\` to be a number above 0, got \`${String(maxMemoryMb)}\` (${typeof maxMemoryMb}).`)
  }
  const entryUrl = threadEntry()

  const queue: Entry[] = []
  const idle: Thread[] = []
  const threads = new Set<Thread>()
  /** Threads being terminated: close() waits for them. */
  const terminations = new Set<Promise<void>>()
  /** Tasks holding a thread, including threads being terminated for them. */
  let running = 0
  let closed = false
  let nextSeq = 1

  function spawn(): Thread {
    const cancelled = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
    const workerData: ThreadData = { cancelled }
    const worker = new Worker(entryUrl, { workerData, resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } })
    const thread: Thread = { worker, id: worker.threadId, cancelled: new Int32Array(cancelled), tasksRun: 0, entry: undefined, stopping: false, crash: undefined, cancelling: false, timers: [] }
    threads.add(thread)
    worker.on('message', (message: FromThread) => onMessage(thread, message))
    worker.on('error', (error) => {
      thread.crash = error
    })
    worker.on('exit', (code) => onExit(thread, code))
    return thread
  }

  function pump(): void {
    while (!closed && running < size && queue.length > 0) {
      const entry = queue.shift()!
      running++
      start(idle.pop() ?? spawn(), entry)
    }
  }

  function start(thread: Thread, entry: Entry): void {
    const { task } = entry
    entry.seq = nextSeq++
    thread.entry = entry
    thread.tasksRun++
    thread.cancelling = false
    thread.worker.ref()
    const signal = entry.options.signal
    if (signal && entry.onAbort) signal.removeEventListener('abort', entry.onAbort)
    entry.onAbort = () => cancel(thread, entry)
    signal?.addEventListener('abort', entry.onAbort, { once: true })
    thread.timers.push(
      setTimeout(
        () => kill(thread, new DocloaderError('TIMEOUT', `The conversion took longer than its hard time limit of ${formatDuration(task.hardTimeoutMs)} and was stopped. Convert fewer pages or a smaller document.`)),
        task.hardTimeoutMs,
      ),
    )
    const message: ToThread = {
      type: 'run',
      seq: entry.seq,
      inputPath: task.inputPath,
      tempPath: entry.tempPath,
      format: task.format,
      options: task.options,
      ...(task.softTimeoutMs !== undefined ? { softTimeoutMs: task.softTimeoutMs } : {}),
    }
    thread.worker.postMessage(message)
  }

  function cancel(thread: Thread, entry: Entry): void {
    if (thread.entry !== entry || thread.cancelling) return
    thread.cancelling = true
    Atomics.store(thread.cancelled, 0, entry.seq)
    thread.worker.postMessage({ type: 'cancel', seq: entry.seq } satisfies ToThread)
    thread.timers.push(setTimeout(() => kill(thread, cancelledError()), CANCEL_GRACE_MS))
  }

  /** Detaches the running task from its thread: timers, abort listener. */
  function detach(thread: Thread): Entry | undefined {
    const entry = thread.entry
    thread.entry = undefined
    for (const timer of thread.timers) clearTimeout(timer)
    thread.timers = []
    if (entry?.onAbort) entry.options.signal?.removeEventListener('abort', entry.onAbort)
    return entry
  }

  function onMessage(thread: Thread, message: FromThread): void {
    const entry = thread.entry
    if (!entry || thread.stopping) return
    if (message.type === 'progress') {
      if (thread.cancelling) return
      try {
        entry.options.onProgress?.(message.pagesDone, message.pagesTotal)
      } catch {
        // A failing progress callback must not take the pool (or the process) down with it.
      }
      return
    }
    const cancelled = thread.cancelling
    detach(thread)
    release(thread)
    if (cancelled) {
      void fail(entry, cancelledError())
    } else if (message.type === 'failed') {
      void fail(entry, new DocloaderError(asErrorCode(message.error.code), message.error.message))
    } else {
      void succeed(entry, { metadata: message.metadata, resultBytes: message.resultBytes, threadId: thread.id })
    }
  }

  /** A thread finished its task and is free: back to idle, or retired after `recycleAfter` tasks. */
  function release(thread: Thread): void {
    running--
    if (closed || thread.tasksRun >= recycleAfter) {
      retire(thread)
    } else {
      thread.worker.unref()
      idle.push(thread)
    }
    pump()
  }

  function retire(thread: Thread): Promise<void> {
    thread.stopping = true
    threads.delete(thread)
    const at = idle.indexOf(thread)
    if (at !== -1) idle.splice(at, 1)
    const termination = thread.worker.terminate().then(
      () => undefined,
      () => undefined,
    )
    terminations.add(termination)
    void termination.then(() => terminations.delete(termination))
    return termination
  }

  /** Terminates a thread in the middle of its task, then fails the task. The slot frees once the thread has stopped. */
  async function kill(thread: Thread, error: DocloaderError): Promise<void> {
    if (thread.stopping) return
    const entry = detach(thread)
    await retire(thread)
    running--
    if (entry) await fail(entry, error)
    pump()
  }

  function onExit(thread: Thread, code: number): void {
    if (thread.stopping) return
    thread.stopping = true
    threads.delete(thread)
    const at = idle.indexOf(thread)
    if (at !== -1) idle.splice(at, 1)
    const cancelled = thread.cancelling
    const entry = detach(thread)
    if (!entry) return
    running--
    void fail(entry, cancelled ? cancelledError() : crashError(thread.crash, code, maxMemoryMb))
    pump()
  }

  async function succeed(entry: Entry, outcome: ConversionOutcome): Promise<void> {
    try {
      await rename(entry.tempPath, entry.task.outputPath)
    } catch (error) {
      await fail(entry, new DocloaderError('INTERNAL', `The conversion result could not be saved: ${(error as Error).message}.`, { cause: error }))
      return
    }
    entry.resolve(outcome)
  }

  async function fail(entry: Entry, error: DocloaderError): Promise<void> {
    await rm(entry.tempPath, { force: true }).catch(() => undefined)
    entry.reject(error)
  }

  return {
    run(task: ConversionTask, runOptions: RunOptions = {}): Promise<ConversionOutcome> {
      if (closed) return Promise.reject(closedError())
      if (typeof task.hardTimeoutMs !== 'number' || !Number.isFinite(task.hardTimeoutMs) || task.hardTimeoutMs <= 0) {
        return Promise.reject(new DocloaderError('INVALID_OPTION', `Expected \`hardTimeoutMs\` to be a number of milliseconds above 0, got \`${String(task.hardTimeoutMs)}\`.`))
      }
      const { signal } = runOptions
      if (signal?.aborted) return Promise.reject(cancelledError())
      return new Promise<ConversionOutcome>((resolve, reject) => {
        const entry: Entry = { task, options: runOptions, resolve, reject, tempPath: `${task.outputPath}.${randomUUID()}.tmp`, seq: 0 }
        if (signal) {
          // While queued, a cancel just drops the task; start() swaps in the running-task handler.
          entry.onAbort = () => {
            const at = queue.indexOf(entry)
            if (at === -1) return
            queue.splice(at, 1)
            reject(cancelledError())
          }
          signal.addEventListener('abort', entry.onAbort, { once: true })
        }
        queue.push(entry)
        pump()
      })
    },

    get size() {
      return size
    },

    get busy() {
      return running
    },

    async close(): Promise<void> {
      closed = true
      for (const entry of queue.splice(0)) {
        if (entry.onAbort) entry.options.signal?.removeEventListener('abort', entry.onAbort)
        entry.reject(closedError())
      }
      await Promise.all([...threads].map((thread) => (thread.entry ? kill(thread, closedError()) : retire(thread))))
      await Promise.all(terminations)
    },
  }
}

function crashError(crash: Error | undefined, exitCode: number, maxMemoryMb: number): DocloaderError {
  if ((crash as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new DocloaderError('INTERNAL', `The conversion process ran out of memory (limit ${maxMemoryMb} MB). Try fewer pages or a smaller document.`, { cause: crash })
  }
  const reason = crash ? `: ${crash.message}` : ` (exit code ${exitCode})`
  return new DocloaderError('INTERNAL', `The conversion process crashed${reason}. Please report it with the input file if you can.`, crash ? { cause: crash } : {})
}

function cancelledError(): DocloaderError {
  return new DocloaderError('CANCELLED', 'The conversion was cancelled.')
}

function closedError(): DocloaderError {
  return new DocloaderError('CANCELLED', 'The conversion pool was closed before this conversion finished.')
}

function asErrorCode(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL'
}

function expectInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DocloaderError('INVALID_OPTION', `Expected \`${name}\` to be an integer from 1 and up, got \`${String(value)}\` (${typeof value}).`)
  }
}

