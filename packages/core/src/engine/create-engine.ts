import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { EventEmitter } from 'node:events'
import { availableParallelism } from 'node:os'
import type { Keyv, KeyvStoreAdapter } from 'keyv'
import PQueue from 'p-queue'
import { detectSupportedType } from '../detect/detect-type.js'
import type { Document } from '../document.js'
import { DocloaderError, toDocloaderError } from '../errors.js'
import { type ConvertInput, describeInput, readInput } from '../input/read-input.js'
import { type EngineOcrOptions, createEngineOcr } from '../ocr/engine-ocr.js'
import { type ConvertOptions, type ConvertedDocument, type ConverterContext, DEFAULT_LIMITS, type Limits, type OutputFormat, type OutputFormatInput, type ProgressEvent } from '../options.js'
import { parsePageSelection } from '../page-selection.js'
import { renderMarkdown } from '../render/markdown.js'
import { renderText } from '../render/text.js'
import { SUPPORTED_FORMATS, loadConverter } from './converters.js'

/** Bump when the cached shape changes. Results are also keyed by the build (see buildId). */
const CACHE_VERSION = 1

/**
 * Identifies this build of the engine, so a cache never hands out results of older
 * converter code: the package version, plus the time of the last `tsc -b` in a checkout.
 */
function buildId(): string {
  const packageJson = new URL('../../package.json', import.meta.url)
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }
  try {
    return `${version}+${Math.round(statSync(new URL('../.tsbuildinfo', import.meta.url)).mtimeMs)}`
  } catch {
    return version
  }
}

export interface EngineOptions {
  /**
   * Documents converted at the same time.
   * @default os.availableParallelism()
   */
  concurrency?: number
  /**
   * Result cache, keyed by content hash and options. A Keyv instance or a keyv store
   * (e.g. `new DirectoryStore(dir)`); `false` for none.
   * @default false
   * @example createEngine({ cache: new DirectoryStore('.docloader-cache') })
   */
  cache?: Keyv | KeyvStoreAdapter | false
  /** Default limits for every document. @default DEFAULT_LIMITS */
  limits?: Limits
  /**
   * Default per-document time limit in milliseconds.
   * @default undefined (none)
   */
  timeout?: number
  /**
   * OCR: the default provider chain (a list of names), or its full settings. Providers start
   * on first use and are shared by all documents; `close()` stops them.
   * @default ['tesseract']
   * @example createEngine({ ocr: ['mistral', 'tesseract'] })
   */
  ocr?: string[] | EngineOcrOptions
}

export interface ConvertResult {
  /** The rendered output. */
  content: string
  format: OutputFormat
  document: Document
  metadata: Document['metadata']
  /** Whether the result came from the cache. */
  cached: boolean
}

export type ConvertManyItem =
  | { index: number; input: ConvertInput; ok: true; result: ConvertResult }
  | { index: number; input: ConvertInput; ok: false; error: DocloaderError }

export interface EngineEvents {
  /** A document started converting (it left the queue). */
  start: [{ id: number; filename?: string }]
  /** Pages of a document done. */
  progress: [ProgressEvent & { id: number }]
  /** A document finished. */
  done: [{ id: number; filename?: string; pages: number; ms: number; cached: boolean }]
  /** A document failed. */
  failed: [{ id: number; filename?: string; error: DocloaderError }]
}

export interface Engine extends EventEmitter<EngineEvents> {
  /** Converts one document. Rejects with a DocloaderError. */
  convert(input: ConvertInput, options?: ConvertOptions): Promise<ConvertResult>
  /**
   * Converts many documents through the pool, yielding each as it finishes (completion
   * order, `index` gives the input position). A failure is yielded, not thrown.
   */
  convertMany(inputs: Iterable<ConvertInput>, options?: ConvertOptions): AsyncIterableIterator<ConvertManyItem>
  /** Documents waiting plus converting. */
  readonly pending: number
  /** Cancels queued and running work and releases resources. */
  close(): Promise<void>
}

/**
 * Creates an engine: a pool of conversions with shared limits, cache and events.
 * @example
 * const engine = createEngine({ concurrency: 2 })
 * engine.on('progress', (e) => console.log(e.filename, e.pagesDone, e.pagesTotal))
 * for await (const item of engine.convertMany(['a.pdf', 'b.md'])) console.log(item.ok)
 * await engine.close()
 */
export function createEngine(options: EngineOptions = {}): Engine {
  const concurrency = options.concurrency ?? availableParallelism()
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new DocloaderError('INVALID_OPTION', `Expected \`concurrency\` to be an integer from 1 and up, got \`${String(concurrency)}\` (${typeof concurrency}).`)
  }
  const defaultLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const queue = new PQueue({ concurrency })
  const closing = new AbortController()
  const events = new EventEmitter<EngineEvents>()
  let cachePromise: Promise<Keyv | undefined> | undefined
  let nextId = 1
  let build: string | undefined
  const ocr = createEngineOcr(options.ocr)

  const getCache = () =>
    (cachePromise ??= (async () => {
      if (!options.cache) return undefined
      const { Keyv } = await import('keyv')
      return options.cache instanceof Keyv ? options.cache : new Keyv({ store: options.cache, namespace: 'docloader', throwOnErrors: false })
    })())

  async function run(input: ConvertInput, convertOptions: ConvertOptions, id: number): Promise<ConvertResult> {
    const started = performance.now()
    const filename = convertOptions.filename ?? describeInput(input)
    const format = normaliseFormat(convertOptions.format)
    const limits = { ...defaultLimits, ...convertOptions.limits }
    const pageSelection = parsePageSelection(convertOptions.pages)
    const timeout = convertOptions.timeout ?? options.timeout
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout <= 0)) {
      throw new DocloaderError('INVALID_OPTION', `Expected \`timeout\` to be a number of milliseconds above 0, got \`${String(timeout)}\`.`)
    }
    const softTimeout = convertOptions.softTimeout
    if (softTimeout !== undefined && (!Number.isFinite(softTimeout) || softTimeout <= 0)) {
      throw new DocloaderError('INVALID_OPTION', `Expected \`softTimeout\` to be a number of milliseconds above 0, got \`${String(softTimeout)}\`.`)
    }
    const { signal, dispose } = combineSignals(convertOptions.signal, closing.signal, timeout)
    const soft = softTimeout === undefined ? undefined : softStop(softTimeout)
    try {
      const ocrHandle = ocr.forDocument(convertOptions, soft ? AbortSignal.any([signal, soft.signal]) : signal)
      signal.throwIfAborted()
      events.emit('start', { id, filename })
      const bytes = await abortable(readInput(input, limits.maxBytes, signal), signal)
      const type = await detectSupportedType(bytes, SUPPORTED_FORMATS)
      const detectMs = performance.now() - started

      const cache = await getCache()
      const cacheKey = cache ? cacheKeyOf((build ??= buildId()), bytes, convertOptions, limits) : undefined
      const hit = cacheKey ? await cache!.get<ConvertedDocument>(cacheKey).catch(() => undefined) : undefined
      let converted: ConvertedDocument
      if (hit) {
        converted = hit
      } else {
        let pagesDone = 0
        let pagesTotal = 0
        const report = () => {
          const event = { filename, pagesDone, pagesTotal }
          events.emit('progress', { id, ...event })
          convertOptions.onProgress?.(event)
        }
        const warnings: string[] = []
        const context: ConverterContext = {
          signal,
          ...(convertOptions.password !== undefined ? { password: convertOptions.password } : {}),
          pageSelection,
          limits,
          setPagesTotal(total) {
            pagesTotal = total
            report()
          },
          pageDone() {
            pagesDone++
            report()
          },
          warn: (message) => warnings.push(message),
          ocrMode: ocrHandle.mode,
          ocr: ocrHandle.ocr,
          ...(soft ? { ocrStop: soft.signal } : {}),
        }
        const convert = await loadConverter(type.format)
        converted = await abortable(convert(bytes, context), signal)
        if (warnings.length) converted.metadata.warnings = [...(converted.metadata.warnings ?? []), ...warnings]
        if (cacheKey && !converted.metadata.partial) await cache!.set(cacheKey, converted).catch(() => undefined)
      }
      signal.throwIfAborted()
      const totalMs = performance.now() - started
      const document: Document = {
        version: 1,
        metadata: {
          mimeType: type.mimeType,
          sourceFormat: type.format,
          ...converted.metadata,
          pagesConverted: converted.metadata.pagesConverted ?? converted.pages.length,
          timings: { detectMs: round(detectMs), convertMs: round(totalMs - detectMs), totalMs: round(totalMs) },
        },
        pages: converted.pages,
      }
      const content = render(document, format, convertOptions, converted.passthrough)
      events.emit('done', { id, filename, pages: document.metadata.pagesConverted, ms: totalMs, cached: !!hit })
      return { content, format, document, metadata: document.metadata, cached: !!hit }
    } catch (error) {
      const failure = signal.aborted ? abortError(signal.reason) : toDocloaderError(error)
      events.emit('failed', { id, filename, error: failure })
      throw failure
    } finally {
      dispose()
      soft?.dispose()
    }
  }

  const engine = Object.assign(events, {
    convert(input: ConvertInput, convertOptions: ConvertOptions = {}): Promise<ConvertResult> {
      if (closing.signal.aborted) return Promise.reject(closedError())
      const id = nextId++
      return queue.add(() => run(input, convertOptions, id)) as Promise<ConvertResult>
    },

    async *convertMany(inputs: Iterable<ConvertInput>, convertOptions: ConvertOptions = {}): AsyncIterableIterator<ConvertManyItem> {
      const finished: ConvertManyItem[] = []
      let wake: (() => void) | undefined
      let outstanding = 0
      let index = 0
      for (const input of inputs) {
        const position = index++
        outstanding++
        engine
          .convert(input, convertOptions)
          .then(
            (result): ConvertManyItem => ({ index: position, input, ok: true, result }),
            (error: unknown): ConvertManyItem => ({ index: position, input, ok: false, error: toDocloaderError(error) }),
          )
          .then((item) => {
            finished.push(item)
            wake?.()
          })
      }
      while (outstanding > 0) {
        if (!finished.length) await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
        while (finished.length) {
          outstanding--
          yield finished.shift()!
        }
      }
    },

    get pending() {
      return queue.size + queue.pending
    },

    async close(): Promise<void> {
      if (!closing.signal.aborted) closing.abort(closedError())
      await queue.onIdle()
      await ocr.close()
      const cache = await cachePromise
      if (cache && cache !== options.cache) await cache.disconnect().catch(() => undefined)
    },
  })
  return engine as Engine
}

function render(document: Document, format: OutputFormat, options: ConvertOptions, passthrough: ConvertedDocument['passthrough']): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(document, null, 2)}\n`
    case 'text':
      return passthrough?.text ?? renderText(document, options)
    case 'markdown':
      return passthrough?.markdown ?? renderMarkdown(document, options)
  }
}

export function normaliseFormat(format: OutputFormatInput | undefined): OutputFormat {
  switch (format ?? 'markdown') {
    case 'md':
    case 'markdown':
      return 'markdown'
    case 'txt':
    case 'text':
      return 'text'
    case 'json':
      return 'json'
    default:
      throw new DocloaderError('INVALID_OPTION', `Expected \`format\` to be one of md, markdown, txt, text, json, got \`${String(format)}\`.`)
  }
}

function cacheKeyOf(build: string, bytes: Uint8Array, options: ConvertOptions, limits: Required<Limits>): string {
  const hash = createHash('sha256').update(bytes).digest('hex')
  const pages = Array.isArray(options.pages) ? options.pages.join(',') : (options.pages ?? '')
  const password = options.password ? createHash('sha256').update(options.password).digest('hex').slice(0, 16) : ''
  const ocr = `${options.ocr ?? 'auto'}:${(options.ocrProviders ?? []).join(',')}:${(options.languages ?? []).join(',')}`
  return `v${CACHE_VERSION}:${build}:${hash}:${pages}:${password}:${limits.maxPages}:${limits.maxPixels}:${ocr}`
}

/** One signal for the caller's cancel, the engine closing and the time limit. */
function combineSignals(user: AbortSignal | undefined, closing: AbortSignal, timeout: number | undefined): { signal: AbortSignal; dispose: () => void } {
  const signals = [closing]
  if (user) signals.push(user)
  let timer: NodeJS.Timeout | undefined
  if (timeout !== undefined) {
    const controller = new AbortController()
    timer = setTimeout(
      () => controller.abort(new DocloaderError('TIMEOUT', `The conversion took longer than its time limit of ${formatSeconds(timeout)}. Raise the timeout or convert fewer pages.`)),
      timeout,
    )
    signals.push(controller.signal)
  }
  return { signal: AbortSignal.any(signals), dispose: () => clearTimeout(timer) }
}

/** The soft time limit: a signal that aborts with TIMEOUT after `ms`, for OCR to stop at. */
function softStop(ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DocloaderError('TIMEOUT', `OCR stopped at the soft time limit of ${formatSeconds(ms)}.`)),
    ms,
  )
  return { signal: controller.signal, dispose: () => clearTimeout(timer) }
}

/** The error for an aborted conversion: our own reason (TIMEOUT, closed) or CANCELLED. */
function abortError(reason: unknown): DocloaderError {
  if (reason instanceof DocloaderError) return reason
  return new DocloaderError('CANCELLED', 'The conversion was cancelled.', { cause: reason })
}

/** Rejects as soon as the signal aborts, even if the work itself does not notice. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function closedError(): DocloaderError {
  return new DocloaderError('CANCELLED', 'The engine was closed before this conversion finished.')
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
