import { availableParallelism } from 'node:os'
import type Tesseract from 'tesseract.js'
import { DocloaderError } from '../errors.js'
import { ocrAbortError, ocrFailed, raceAbort } from './ocr-errors.js'
import type { OcrImage, OcrOptions, OcrProvider, OcrResult } from './ocr-provider.js'
import { layoutFromTesseract } from './tesseract-layout.js'
import { type TesseractModel, languageDataFile, languagePath } from './tesseract-language-data.js'
import { WorkerPool } from './worker-pool.js'

/** Options of the tesseract provider. */
export interface TesseractProviderOptions {
  /**
   * Worker threads, each reading one page at a time.
   * @default os.availableParallelism()
   */
  workers?: number
  /**
   * Pages one worker reads before it is replaced by a fresh one, which bounds the memory
   * tesseract's WebAssembly heap keeps.
   * @default 200
   */
  recycleAfterPages?: number
  /**
   * Tesseract page segmentation mode. Left to tesseract, two-column pages are read straight
   * across both columns.
   * @default '3' (PSM.AUTO: full automatic layout analysis)
   */
  pageSegMode?: `${number}`
  /**
   * Model folder inside `@tesseract.js-data/<lang>`: `4.0.0_best_int` (fast) or `4.0.0`
   * (the same LSTM network as float; slower, same text).
   * @default '4.0.0_best_int'
   */
  model?: TesseractModel
  /**
   * Detect pages turned 90, 180 or 270 degrees (`@tesseract.js-data/osd`) and read them the
   * right way up. Run only when the first reading looks poor, so upright pages cost nothing.
   * @default true
   */
  orientation?: boolean
  /**
   * Straighten the page by tesseract's estimated skew before reading it (tesseract.js
   * `rotateAuto`). Tesseract's line finding already follows small skew: on the corpus's pages
   * skewed 0.4-2 degrees this changed CER by under 0.001 and cost about a third more CPU.
   * @default false
   */
  deskew?: boolean
  /**
   * Below this mean word confidence (0-1) a page is checked for orientation.
   * @default 0.75
   */
  orientationCheckBelow?: number
}

type Worker = Tesseract.Worker & { worker?: { ref(): void; unref(): void } | null }

const DEFAULTS = { recycleAfterPages: 200, pageSegMode: '3', model: '4.0.0_best_int', orientation: true, deskew: false, orientationCheckBelow: 0.75 } as const

/** Below this OSD confidence the detected turn is ignored. */
const MIN_ORIENTATION_CONFIDENCE = 1.5

/**
 * OCR with tesseract.js, offline: language data comes from `@tesseract.js-data/<lang>` npm
 * packages, nothing is downloaded or written to disk. Pages are read in worker threads (one
 * per core by default), started on first use, reused, and replaced after
 * `recycleAfterPages` pages. tesseract.js is loaded on first use only.
 * @example
 * const tesseract = createTesseractProvider({ workers: 2 })
 * const result = await tesseract.recognize(image, { languages: ['eng'] }, signal)
 * await tesseract.close()
 */
export function createTesseractProvider(options: TesseractProviderOptions = {}): OcrProvider & { readonly workersStarted: number } {
  const workers = options.workers ?? availableParallelism()
  if (!Number.isInteger(workers) || workers < 1) {
    throw new DocloaderError('INVALID_OPTION', `Expected \`workers\` to be an integer from 1 and up, got \`${String(workers)}\`.`)
  }
  const settings = { ...DEFAULTS, ...options }
  let tesseract: Promise<typeof Tesseract> | undefined
  const load = () => (tesseract ??= import('tesseract.js').then((module) => module.default))
  const quiet = { logger: () => undefined, errorHandler: () => undefined, gzip: true, cacheMethod: 'none' }
  const setBusy = (worker: Worker, busy: boolean) => {
    // Idle threads must not keep the process alive (`convert()` never closes its engine).
    if (busy) worker.worker?.ref()
    else worker.worker?.unref()
  }
  const destroy = async (worker: Worker) => {
    await worker.terminate().catch(() => undefined)
  }

  const recognition = new WorkerPool<Worker>({
    size: workers,
    recycleAfter: settings.recycleAfterPages,
    async create(languages) {
      const { createWorker, OEM } = await load()
      const langPath = await languagePath(languages.split('+'), settings.model)
      const worker = (await createWorker(languages, OEM.LSTM_ONLY, { ...quiet, langPath })) as Worker
      await worker.setParameters({ tessedit_pageseg_mode: settings.pageSegMode as Tesseract.PSM })
      return worker
    },
    destroy,
    onBusy: setBusy,
  })
  const orientation = new WorkerPool<Worker>({
    size: 1,
    recycleAfter: settings.recycleAfterPages,
    async create() {
      const { createWorker, OEM } = await load()
      const langPath = await languagePath(['osd'], '4.0.0_best_int')
      const worker = (await createWorker('osd', OEM.TESSERACT_ONLY, { ...quiet, langPath, legacyCore: true, legacyLang: true })) as Worker
      // Tesseract prints notes such as "Too few characters. Skipping this page" to stderr.
      await worker.setParameters({ debug_file: '/dev/null' } as Partial<Tesseract.WorkerParams>)
      return worker
    },
    destroy,
    onBusy: setBusy,
  })

  async function read(image: Buffer, dpi: number | undefined, languages: string, signal: AbortSignal) {
    return recognition.run(signal, languages, async (worker) => {
      const params = { ...(settings.deskew ? { rotateAuto: true } : {}), ...(dpi ? { user_defined_dpi: String(Math.round(dpi)) } : {}) }
      const { data } = await worker.recognize(image, params as Partial<Tesseract.RecognizeOptions>, { text: false, blocks: true })
      return layoutFromTesseract(data.blocks as never)
    })
  }

  async function detectTurn(image: Buffer, signal: AbortSignal): Promise<number> {
    const { data } = await orientation.run(signal, 'osd', (worker) => worker.detect(image))
    const degrees = data.orientation_degrees ?? 0
    return degrees % 360 !== 0 && (data.orientation_confidence ?? 0) >= MIN_ORIENTATION_CONFIDENCE ? degrees : 0
  }

  return {
    name: 'tesseract',
    get workersStarted() {
      return recognition.started
    },
    async recognize(image: OcrImage, ocrOptions: OcrOptions, signal: AbortSignal): Promise<OcrResult> {
      if (signal.aborted) throw ocrAbortError(signal.reason)
      const codes = ocrOptions.languages.length ? ocrOptions.languages : ['eng']
      // Checked before any worker starts: tesseract.js throws a missing file uncaught.
      for (const code of codes) languageDataFile(code, settings.model)
      const languages = codes.join('+')
      const bytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
      try {
        let layout = await read(bytes, image.dpi, languages, signal)
        if (settings.orientation && layout.confidence < settings.orientationCheckBelow) {
          languageDataFile('osd', '4.0.0_best_int')
          const turn = await detectTurn(bytes, signal)
          if (turn) {
            const { default: sharp } = await import('sharp')
            // 'b-w': one channel, as prepared (sharp writes three equal ones otherwise).
            const upright = await raceAbort(sharp(bytes).rotate(turn).toColourspace('b-w').png({ compressionLevel: 1 }).toBuffer(), signal)
            const second = await read(upright, image.dpi, languages, signal)
            if (second.confidence > layout.confidence) layout = { ...second }
          }
        }
        return { text: layout.text, blocks: layout.blocks, confidence: round(layout.confidence), provider: 'tesseract' }
      } catch (error) {
        if (error instanceof DocloaderError) throw error
        const message = error instanceof Error ? error.message : String(error)
        throw ocrFailed('tesseract', message || 'tesseract could not read the image.', false, error)
      }
    },
    async close() {
      await Promise.all([recognition.close(), orientation.close()])
    },
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
