import type { Block, DocumentMetadata, Page } from '../document.js'
import { DocloaderError } from '../errors.js'
import type { OcrResult } from './ocr-provider.js'

/** Pages read with less confidence than this are flagged in the warnings. */
export const LOW_CONFIDENCE = 0.6

/**
 * A Page from an OCR result: the provider's blocks (or its text split into paragraphs), with
 * the OCR facts (`page.ocr`). Calls `warn` for a low-confidence page and for providers that
 * failed before one succeeded.
 */
export function pageFromOcr(number: number, result: OcrResult, size: { width?: number; height?: number }, warn: (message: string) => void): Page {
  const blocks: Block[] =
    result.blocks ??
    (result.text ?? '')
      .split(/\n\s*\n/)
      .map((text) => text.replace(/\s+/g, ' ').trim())
      .filter(Boolean)
      .map((text) => ({ type: 'paragraph', text }))
  if (result.confidence < LOW_CONFIDENCE) {
    warn(`Page ${number}: OCR confidence ${result.confidence.toFixed(2)} (${result.provider}) is low; its text may be unreliable.`)
  }
  const failed = result.attempts?.filter((attempt) => attempt.provider !== result.provider) ?? []
  if (failed.length) warn(`Page ${number}: read by ${result.provider} after ${failed.map((a) => `${a.provider} (${a.error})`).join(', ')}.`)
  return {
    number,
    ...(size.width ? { width: size.width } : {}),
    ...(size.height ? { height: size.height } : {}),
    blocks,
    ocr: { provider: result.provider, confidence: result.confidence, ...(result.attempts?.length ? { attempts: result.attempts } : {}) },
  }
}

/**
 * After the soft time limit stopped OCR: the `partial` flag naming the pages left unread, or a
 * TIMEOUT error when no page was read at all (an empty result is not a partial one).
 */
export function softLimitPartial(unread: number[], pagesRead: number, stop: AbortSignal): NonNullable<DocumentMetadata['partial']> {
  const limit = stop.reason instanceof Error ? stop.reason.message : 'OCR stopped at the soft time limit.'
  if (pagesRead === 0) {
    throw new DocloaderError('TIMEOUT', `${limit} No page had been read by then. Raise the time limit or convert fewer pages.`, {
      details: { unreadPages: unread },
    })
  }
  return { code: 'TIMEOUT', reason: `${limit.replace(/\.$/, '')}: ${unread.length === 1 ? 'page' : 'pages'} ${unread.join(', ')} ${unread.length === 1 ? 'was' : 'were'} not read.` }
}

/** Whether an OCR failure is the soft time limit stopping it (not a cancel or the hard limit). */
export function stoppedBySoftLimit(error: unknown, signal: AbortSignal, stop: AbortSignal | undefined): boolean {
  return stop?.aborted === true && !signal.aborted && (error === stop.reason || (error instanceof DocloaderError && error.code === 'TIMEOUT'))
}
