/**
 * Entry of a conversion thread (node:worker_threads), started by create-conversion-pool.ts.
 * Runs one conversion at a time with its own engine and answers each `run` with exactly
 * one `done` or `failed` message.
 */
import { execFileSync } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { createEngine, toDocloaderError } from '@docloader/core'
import type { FromThread, ThreadData, ToThread } from './thread-messages.js'

if (!parentPort) throw new Error('conversion-thread.js must be started as a worker thread by the conversion pool.')
const port = parentPort
const cancelled = new Int32Array((workerData as ThreadData).cancelled)
yieldTheCpu()
// One conversion at a time, read by one tesseract worker: the pool runs one thread per core.
const engine = createEngine({ concurrency: 1, ocr: { tesseract: { workers: 1 } } })
let running: { seq: number; controller: AbortController } | undefined

const send = (message: FromThread) => port.postMessage(message)

port.on('message', (message: ToThread) => {
  if (message.type === 'cancel') {
    if (running?.seq === message.seq) running.controller.abort()
    return
  }
  if (running) {
    send({ type: 'failed', error: { code: 'INTERNAL', message: 'The conversion thread was given a task while busy.' } })
    return
  }
  const current = { seq: message.seq, controller: new AbortController() }
  running = current
  void run(message, current.controller).finally(() => {
    running = undefined
  })
})

async function run(task: Extract<ToThread, { type: 'run' }>, controller: AbortController): Promise<void> {
  const { signal } = controller
  // Called at every progress event, i.e. between pages, even while the event loop is too busy
  // to deliver the parent's cancel message.
  const checkCancel = () => {
    if (!signal.aborted && Atomics.load(cancelled, 0) === task.seq) controller.abort()
  }
  const { options } = task
  try {
    const result = await engine.convert(task.inputPath, {
      format: task.format,
      signal,
      ...(options.pages !== undefined ? { pages: options.pages } : {}),
      ...(options.ocr !== undefined ? { ocr: options.ocr as 'auto' | 'off' | 'force' } : {}),
      ...(options.ocrProvider ? { ocrProviders: options.ocrProvider.split(',') } : {}),
      ...(options.language ? { languages: options.language.split(/[,+]/) } : {}),
      // The soft limit stops OCR and keeps the pages read, flagged partial; the pool's hard
      // limit kills this thread.
      ...(task.softTimeoutMs !== undefined ? { softTimeout: task.softTimeoutMs } : {}),
      onProgress: ({ pagesDone, pagesTotal }) => {
        send({ type: 'progress', pagesDone, pagesTotal })
        checkCancel()
      },
    })
    // A cancel still discards a finished result.
    checkCancel()
    signal.throwIfAborted()
    const bytes = Buffer.from(result.content, 'utf8')
    // On disk before the job is marked completed: a power cut must not take back a result the
    // job's durable record already announces.
    const file = await open(task.tempPath, 'wx')
    try {
      await file.writeFile(bytes)
      await file.datasync()
    } finally {
      await file.close()
    }
    send({ type: 'done', metadata: result.metadata, resultBytes: bytes.byteLength })
  } catch (error) {
    await rm(task.tempPath, { force: true }).catch(() => undefined)
    const { code, message } = toDocloaderError(signal.aborted ? signal.reason : error)
    send({ type: 'failed', error: { code, message } })
  }
}

/**
 * Conversions yield the CPU to the API's event loop. On Linux this thread takes the idle
 * scheduling class (`chrt --idle`: it runs only when no normal thread of the machine wants the
 * CPU), which the threads it starts (tesseract's workers) inherit; a nice value only weighs
 * the shares, and left the event loop waiting for a CPU a fifth of the time with both cores
 * converting. Without chrt, or elsewhere: the lowest nice value of this thread.
 */
function yieldTheCpu(): void {
  // DOCLOADER_CONVERSION_PRIORITY: idle (default), low (nice 19 only), normal.
  const mode = process.env.DOCLOADER_CONVERSION_PRIORITY ?? 'idle'
  if (mode === 'normal') return
  if (mode === 'idle' && process.platform === 'linux') {
    try {
      const tid = readlinkSync('/proc/thread-self').split('/').pop()!
      execFileSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 2000 })
      return
    } catch {
      // No chrt, or not permitted: fall back to the nice value.
    }
  }
  try {
    setPriority(19)
  } catch {
    // Not permitted or not supported here: run at normal priority.
  }
}
