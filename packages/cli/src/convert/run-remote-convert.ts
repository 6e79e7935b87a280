import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { DocloaderClient, Job } from '@docloader/client'
import { UsageError } from '../exit-codes.js'
import { createRemoteClient } from '../remote/create-remote-client.js'
import type { CollectedFile } from './collect-inputs.js'
import { displayPath, EXTENSIONS, finishConvert } from './finish-convert.js'
import type { FileOutcome } from './reporter.js'
import type { ConvertCommandOptions } from './run-convert.js'
import { startConvert } from './start-convert.js'

/** Documents in flight against a server when --concurrency is not given. */
const DEFAULT_REMOTE_CONCURRENCY = 4

/**
 * `docloader convert --server URL`: uploads each document as a job, follows its progress,
 * writes its result where local mode would, and ends with the same summary and exit code.
 */
export async function runRemoteConvert(inputs: string[], options: ConvertCommandOptions & { server: string }): Promise<number> {
  const started = performance.now()
  for (const [flag, given] of [
    ['--password', options.password !== undefined],
    ['--include-furniture', options.includeFurniture],
    ['--max-bytes', options.maxBytes !== undefined],
    ['--max-pages', options.maxPages !== undefined],
  ] as const) {
    if (given) throw new UsageError(`${flag} is not available with --server: the server applies its own settings. Convert locally (without --server) to use it.`)
  }
  const { collected, outDir, reporter, outcomes } = await startConvert(inputs, options)
  const client = await createRemoteClient(options)

  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  if (options.failFast && outcomes.length) stop.abort()
  const record = (outcome: FileOutcome) => {
    outcomes.push(outcome)
    reporter.finished(outcome)
    if (options.failFast && !stop.signal.aborted && (!outcome.ok || outcome.partial) && outcome.error?.code !== 'CANCELLED') stop.abort()
  }

  reporter.start(collected.files.length)
  const queue = [...collected.files]
  const workers = Array.from({ length: Math.min(options.concurrency ?? DEFAULT_REMOTE_CONCURRENCY, Math.max(queue.length, 1)) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      record(await convertOne(client, file, options, outDir, stop.signal, reporter.progress))
    }
  })
  try {
    await Promise.all(workers)
  } finally {
    reporter.stop()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return finishConvert({ outcomes, skipped: collected.skipped, outDir, started, json: options.json })
}

async function convertOne(
  client: DocloaderClient,
  file: CollectedFile,
  options: ConvertCommandOptions,
  outDir: string | undefined,
  signal: AbortSignal,
  progress: (file: string, pagesDone: number, pagesTotal: number) => void,
): Promise<FileOutcome> {
  const failed = (code: string, message: string): FileOutcome => ({ input: file.display, ok: false, pages: 0, ms: 0, cached: false, error: { code, message } })
  if (signal.aborted) return failed('CANCELLED', 'The conversion was cancelled.')
  let job: Job | undefined
  try {
    job = await client.createJob(file.path, {
      outputFormat: options.format,
      ...(options.pages ? { pages: options.pages } : {}),
      ...(options.ocr && options.ocr !== 'auto' ? { ocr: options.ocr } : {}),
      ...(options.ocrProvider ? { ocrProvider: options.ocrProvider } : {}),
      ...(options.lang ? { language: options.lang.join(',') } : {}),
      signal,
    })
    progress(file.display, 0, 0)
    let done: Job
    try {
      done = await client.waitForJob(job.id, {
        signal,
        useEvents: true,
        onProgress: (current) => progress(file.display, current.pages_done, current.pages_total),
        ...(options.timeout ? { timeout: options.timeout * 1000 } : {}),
      })
    } catch (error) {
      // Stopped waiting (--timeout, --fail-fast, Ctrl-C): stop the job too.
      await client.cancelJob(job.id).catch(() => undefined)
      const code = (error as { code?: string }).code
      if (code === 'TIMEOUT') return failed('TIMEOUT', `The conversion took longer than its time limit of ${options.timeout} s. Raise --timeout or convert fewer pages.`)
      if (code === 'ABORTED') return failed('CANCELLED', 'The conversion was cancelled.')
      throw error
    }
    if (done.status !== 'completed') {
      return failed(done.error?.code ?? 'CANCELLED', done.error?.message ?? `The job was ${done.status} on the server.`)
    }
    const content = await client.getResult(done.id, { signal })
    let output: string | undefined
    if (outDir) {
      const target = join(outDir, `${file.outputName}.${EXTENSIONS[options.format]}`)
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, content)
      output = displayPath(target)
    } else {
      process.stdout.write(content)
    }
    return {
      input: file.display,
      ...(output ? { output } : {}),
      ok: true,
      pages: done.pages_done,
      ms: done.started_at && done.completed_at ? Date.parse(done.completed_at) - Date.parse(done.started_at) : 0,
      cached: false,
      ...(done.partial ? { partial: { reason: done.partial.reason, ...(done.partial.code ? { code: done.partial.code } : {}) } } : {}),
    }
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string }
    if (code === 'ABORTED') return failed('CANCELLED', 'The conversion was cancelled.')
    return failed(code ?? 'INTERNAL', message ?? String(error))
  }
}
