/**
 * Entry of a conversion thread (node:worker_threads), started by create-conversion-pool.ts.
 * Runs one conversion at a time with its own engine and answers each `run` with exactly
 * one `done` or `failed` message.
 */
import { rm, writeFile } from 'node:fs/promises'
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { createEngine, DocloaderError, toDocloaderError } from '@docloader/core'
import { formatDuration } from './format-duration.js'
import type { FromThread, ThreadData, ToThread } from './thread-messages.js'

if (!parentPort) throw new Error('conversion-thread.js must be started as a worker thread by the conversion pool.')
const port = parentPort
const cancelled = new Int32Array((workerData as ThreadData).cancelled)
// Conversions yield the CPU to the API's event loop: on Linux this lowers only this thread.
try {
  setPriority(10)
} catch {
  // Not permitted or not supported here: run at normal priority.
}
const engine = createEngine({ concurrency: 1 })
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
  const deadline = task.softTimeoutMs === undefined ? undefined : performance.now() + task.softTimeoutMs
  // Called at every progress event, i.e. between pages, even while the event loop is too busy
  // to deliver the parent's cancel message or fire the engine's timeout timer.
  const checkStop = ({ soft }: { soft: boolean }) => {
    if (signal.aborted) return
    if (Atomics.load(cancelled, 0) === task.seq) {
      controller.abort()
    } else if (soft && deadline !== undefined && performance.now() > deadline) {
      controller.abort(new DocloaderError('TIMEOUT', `The conversion took longer than its time limit of ${formatDuration(task.softTimeoutMs!)}. Raise the timeout or convert fewer pages.`))
    }
  }
  try {
    // ocr, ocrProvider and language are not passed yet: the engine has no OCR. Pass them
    // here once ConvertOptions gains them.
    const result = await engine.convert(task.inputPath, {
      format: task.format,
      signal,
      ...(task.options.pages !== undefined ? { pages: task.options.pages } : {}),
      // The soft limit fails the conversion with TIMEOUT for now; stopping OCR and returning
      // a partial result flagged as such comes with the OCR engine.
      ...(task.softTimeoutMs !== undefined ? { timeout: task.softTimeoutMs } : {}),
      onProgress: ({ pagesDone, pagesTotal }) => {
        send({ type: 'progress', pagesDone, pagesTotal })
        checkStop({ soft: true })
      },
    })
    // A cancel still discards a finished result; the soft limit no longer applies to one.
    checkStop({ soft: false })
    signal.throwIfAborted()
    const bytes = Buffer.from(result.content, 'utf8')
    await writeFile(task.tempPath, bytes, { flag: 'wx' })
    send({ type: 'done', metadata: result.metadata, resultBytes: bytes.byteLength })
  } catch (error) {
    await rm(task.tempPath, { force: true }).catch(() => undefined)
    const { code, message } = toDocloaderError(signal.aborted ? signal.reason : error)
    send({ type: 'failed', error: { code, message } })
  }
}
