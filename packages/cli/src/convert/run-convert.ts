import { mkdir, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { ConvertOptions } from '@docloader/core'
import { UsageError } from '../exit-codes.js'
import { displayPath, EXTENSIONS, finishConvert } from './finish-convert.js'
import type { FileOutcome } from './reporter.js'
import { startConvert } from './start-convert.js'

export interface ConvertCommandOptions {
  out?: string
  format: 'md' | 'txt' | 'json'
  /** When to OCR: auto (pages without a usable text layer), force, off. */
  ocr?: 'auto' | 'off' | 'force'
  /** OCR provider chain, e.g. ['mistral', 'tesseract']. */
  ocrProvider?: string[]
  /** OCR languages, e.g. ['eng', 'deu']. */
  lang?: string[]
  pages?: string
  password?: string
  concurrency?: number
  timeout?: number
  maxBytes?: number
  maxPages?: number
  includeFurniture?: boolean
  /** A folder, or false for --no-cache. */
  cache?: string | boolean
  json?: boolean
  failFast?: boolean
  /** Base URL of a docloader server: convert there instead of locally (env DOCLOADER_SERVER). */
  server?: string
  /** API key for `server` (env DOCLOADER_API_KEY). */
  apiKey?: string
}

/** `docloader convert`: resolves to the exit code. */
export async function runConvert(inputs: string[], options: ConvertCommandOptions): Promise<number> {
  const server = options.server ?? (process.env.DOCLOADER_SERVER || undefined)
  if (server) {
    const { runRemoteConvert } = await import('./run-remote-convert.js')
    return runRemoteConvert(inputs, { ...options, server })
  }
  if (options.ocrProvider?.includes('mistral') && !process.env.MISTRAL_API_KEY) {
    throw new UsageError('--ocr-provider mistral needs an API key in MISTRAL_API_KEY (and MISTRAL_SERVER_URL for a server other than Mistral\'s).')
  }
  const started = performance.now()
  const core = await import('@docloader/core')
  const format = core.normaliseFormat(options.format)
  const { collected, outDir, reporter, outcomes } = await startConvert(inputs, options)

  const cacheDir = options.cache === false ? undefined : typeof options.cache === 'string' ? resolve(options.cache) : defaultCacheDir()
  const engine = core.createEngine({
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    cache: cacheDir ? new core.DirectoryStore(cacheDir) : false,
    limits: { ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}), ...(options.maxPages ? { maxPages: options.maxPages } : {}) },
    ...(options.timeout ? { timeout: options.timeout * 1000 } : {}),
  })
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const byPath = new Map(collected.files.map((file) => [file.path, file]))
  engine.on('progress', (event) => {
    const file = event.filename ? byPath.get(event.filename) : undefined
    if (file) reporter.progress(file.display, event.pagesDone, event.pagesTotal)
  })

  const convertOptions: ConvertOptions = {
    format,
    signal: stop.signal,
    ...(options.pages ? { pages: options.pages } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.includeFurniture ? { includeFurniture: true } : {}),
    ...(options.ocr ? { ocr: options.ocr } : {}),
    ...(options.ocrProvider ? { ocrProviders: options.ocrProvider } : {}),
    ...(options.lang ? { languages: options.lang } : {}),
  }
  // --fail-fast: an input that could not even be collected (missing, no match) is the first failure.
  if (options.failFast && outcomes.length) stop.abort()
  reporter.start(collected.files.length)
  try {
    for await (const item of engine.convertMany(
      collected.files.map((file) => file.path),
      convertOptions,
    )) {
      const file = collected.files[item.index]!
      if (!item.ok) {
        const outcome: FileOutcome = { input: file.display, ok: false, pages: 0, ms: 0, cached: false, error: item.error.toJSON() }
        outcomes.push(outcome)
        reporter.finished(outcome)
        if (options.failFast && !stop.signal.aborted && item.error.code !== 'CANCELLED') stop.abort()
        continue
      }
      const { result } = item
      let output: string | undefined
      if (outDir) {
        const target = join(outDir, `${file.outputName}.${EXTENSIONS[options.format]}`)
        await mkdir(dirname(target), { recursive: true })
        await writeFile(target, result.content)
        output = displayPath(target)
      } else {
        process.stdout.write(result.content)
      }
      const outcome: FileOutcome = {
        input: file.display,
        ...(output ? { output } : {}),
        ok: true,
        pages: result.metadata.pagesConverted,
        ms: result.metadata.timings.totalMs,
        cached: result.cached,
        ...ocrFacts(result.document.pages),
        ...(result.metadata.partial ? { partial: result.metadata.partial } : {}),
      }
      outcomes.push(outcome)
      reporter.finished(outcome)
      if (options.failFast && outcome.partial && !stop.signal.aborted) stop.abort()
    }
  } finally {
    reporter.stop()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await engine.close()
  }

  return finishConvert({ outcomes, skipped: collected.skipped, outDir, started, json: options.json })
}

/** How many pages OCR read, and which providers did. */
function ocrFacts(pages: { ocr?: { provider: string } }[]): Pick<FileOutcome, 'ocr'> {
  const read = pages.filter((page) => page.ocr)
  if (read.length === 0) return {}
  return { ocr: { pages: read.length, providers: [...new Set(read.map((page) => page.ocr!.provider))] } }
}

function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'docloader')
}
