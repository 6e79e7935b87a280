import type { DocumentMetadata, Page } from './document.js'
import type { OcrImage, OcrResult } from './ocr/ocr-provider.js'

/** Output formats. `md`/`txt` are accepted as aliases of `markdown`/`text`. */
export type OutputFormat = 'markdown' | 'text' | 'json'
export type OutputFormatInput = OutputFormat | 'md' | 'txt'

/** Limits that protect a process converting untrusted documents. */
export interface Limits {
  /**
   * Largest input accepted, in bytes. Checked while reading, never after reading everything.
   * @default 104857600 (100 MiB)
   */
  maxBytes?: number
  /**
   * Most pages a document may have. A longer one fails with `LIMIT_EXCEEDED` unless
   * `pages` selects a range inside the limit.
   * @default 2000
   */
  maxPages?: number
  /**
   * Most pixels (width x height) an image or image page may declare. Checked from the
   * header before decoding; above it the image fails with `LIMIT_EXCEEDED`.
   * @default 100000000 (100 megapixels)
   */
  maxPixels?: number
}

export const DEFAULT_LIMITS: Required<Limits> = {
  maxBytes: 100 * 1024 * 1024,
  maxPages: 2000,
  maxPixels: 100_000_000,
}

/**
 * When to read text from images: `auto` OCRs images and pages without a usable text layer,
 * `force` OCRs every page, `off` never (an image then fails with `OCR_FAILED`).
 */
export type OcrMode = 'auto' | 'off' | 'force'

/** Options for converting one document. */
export interface ConvertOptions {
  /**
   * Output format of `result.content`.
   * @default 'markdown'
   */
  format?: OutputFormatInput
  /**
   * Pages to convert, 1-based ranges such as `'1-3,7'` or `'5-'`, or a list of numbers.
   * @default all pages
   * @example '1-3,7'
   */
  pages?: string | number[]
  /** Password of an encrypted PDF. Without it such a PDF fails with `ENCRYPTED`. */
  password?: string
  /** Size and page limits; merged over the engine's limits. */
  limits?: Limits
  /**
   * Time limit for this document in milliseconds; past it the conversion stops and fails
   * with `TIMEOUT`.
   * @default the engine's `timeout` (none)
   */
  timeout?: number
  /**
   * Soft time limit in milliseconds, for documents read by OCR: past it OCR stops (the page
   * being read is abandoned), pages read so far are kept, and the result is flagged
   * `metadata.partial` with code `TIMEOUT`. Fails with `TIMEOUT` only if no page was read.
   * Pages with a text layer are still converted. `timeout` (the hard limit) still applies.
   * @default none
   */
  softTimeout?: number
  /** Cancels the conversion (fails with `CANCELLED`). */
  signal?: AbortSignal
  /**
   * Keep running headers, footers and page numbers in Markdown and text output.
   * They are always in JSON, flagged with `role`.
   * @default false
   */
  includeFurniture?: boolean
  /** A name for the input (used in progress events and metadata), e.g. the file name. */
  filename?: string
  /** Called as pages finish. */
  onProgress?: (event: ProgressEvent) => void
  /**
   * When to run OCR (see `OcrMode`).
   * @default 'auto'
   */
  ocr?: OcrMode
  /**
   * OCR providers tried in order for each page, falling back to the next on failure,
   * timeout, rate limit, empty result or low confidence.
   * @default the engine's `ocrProviders` (['tesseract'])
   * @example ['mistral', 'tesseract']
   */
  ocrProviders?: string[]
  /**
   * OCR languages (tesseract codes). Each needs its npm package `@tesseract.js-data/<code>`;
   * `eng` comes with docloader.
   * @default ['eng']
   * @example ['eng', 'deu']
   */
  languages?: string[]
  /** Mistral OCR settings; fall back to `MISTRAL_API_KEY` and `MISTRAL_SERVER_URL`. */
  mistral?: {
    /** @default process.env.MISTRAL_API_KEY */
    apiKey?: string
    /** @default process.env.MISTRAL_SERVER_URL, else Mistral's API */
    serverUrl?: string
  }
}

/** Progress of one document. */
export interface ProgressEvent {
  /** Name of the input (file path or `filename` option), if known. */
  filename?: string
  pagesDone: number
  /** Total pages to convert; 0 until known. */
  pagesTotal: number
}

/** What a converter hands back to the engine. */
export interface ConvertedDocument {
  pages: Page[]
  /** Metadata the converter knows; the engine adds type, timings and counts. */
  metadata: Partial<Omit<DocumentMetadata, 'timings' | 'mimeType' | 'sourceFormat'>> & { pageCount: number }
  /**
   * Source text to hand out unchanged for a format, when the input already is that
   * format (a Markdown file rendered to Markdown, a text file rendered to text).
   */
  passthrough?: { markdown?: string; text?: string }
}

/** Everything a converter gets besides the bytes. */
export interface ConverterContext {
  /** Aborted on cancel or timeout; converters check it between pages and stop. */
  signal: AbortSignal
  password?: string
  /** Returns whether a 1-based page is selected. `pageCount` is the document's. */
  pageSelection: PageSelection
  limits: Required<Limits>
  /** Report the number of pages that will be converted, once known. */
  setPagesTotal(total: number): void
  /** Report one more page done. */
  pageDone(): void
  /** Record a non-fatal problem. */
  warn(message: string): void
  /**
   * The document's OCR mode (`auto` when absent): under `auto` OCR only pages without a
   * usable text layer, under `force` every page.
   */
  ocrMode?: OcrMode
  /**
   * Reads one prepared page image (see `prepareForOcr`) with the engine's shared OCR chain,
   * honouring the document's signal, providers and languages. Rejects with `OCR_FAILED`
   * when OCR is off. Absent outside an engine.
   */
  ocr?: (image: OcrImage) => Promise<OcrResult>
  /**
   * Aborts when the soft time limit (`softTimeout`) passes: converters stop OCR then, keep
   * what they read and flag the result partial (see `softLimitPartial`). OCR calls abort with it.
   */
  ocrStop?: AbortSignal
}

export interface PageSelection {
  /** The selected 1-based page numbers of a document with `pageCount` pages, ascending. */
  resolve(pageCount: number): number[]
  /** Whether the selection is "all pages". */
  readonly all: boolean
}

export type Converter = (bytes: Uint8Array, context: ConverterContext) => Promise<ConvertedDocument>
