import type { Block } from '../document.js'

/**
 * One page image handed to an OCR provider. Providers expect it prepared (upright,
 * greyscale, about 300 dpi); the image converter and the PDF renderer do that.
 */
export interface OcrImage {
  /** Encoded image bytes, PNG or JPEG. */
  data: Uint8Array
  /** Width in pixels. */
  width: number
  /** Height in pixels. */
  height: number
  /** Resolution in dots per inch, when known (tesseract reads small text badly without it). */
  dpi?: number
}

/** What to recognise. */
export interface OcrOptions {
  /** Tesseract language codes in order of preference, e.g. `['eng', 'deu']`. */
  languages: string[]
}

/** One failed try of a provider inside a chain (`withFallback`). */
export interface OcrAttempt {
  /** Name of the provider that was tried. */
  provider: string
  /** Why it did not produce the result: the error message, or a fallback reason such as low confidence. */
  error: string
  /** The DocloaderError code of the failure, when it was an error. */
  code?: string
  /** Milliseconds the try took (0 when a circuit breaker skipped the provider). */
  ms: number
}

/** What a provider read from one image. */
export interface OcrResult {
  /** Plain text, in reading order. */
  text?: string
  /** Markdown, when the provider produces it (Mistral). */
  markdown?: string
  /** Structure (headings, paragraphs, lists, tables), when the provider gives or allows it. */
  blocks?: Block[]
  /** How sure the provider is, from 0 to 1 (1 when the provider reports none). */
  confidence: number
  /** Name of the provider that produced this result. */
  provider: string
  /** Tries that failed before this result (set by `withFallback`). */
  attempts?: OcrAttempt[]
}

/**
 * An OCR engine behind one small interface, so providers can be swapped and chained
 * (`withFallback`). Errors are DocloaderErrors: `OCR_FAILED` (with `details.retryable`),
 * `CANCELLED` or `TIMEOUT` when `signal` aborts.
 */
export interface OcrProvider {
  /** Short name recorded in results and metadata, e.g. `tesseract` or `mistral`. */
  readonly name: string
  /** Reads one image; rejects soon after `signal` aborts and frees what the call held. */
  recognize(image: OcrImage, options: OcrOptions, signal: AbortSignal): Promise<OcrResult>
  /** Releases workers, sockets or clients the provider created itself. */
  close?(): Promise<void>
}
