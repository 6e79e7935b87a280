import { DocloaderError } from '../../errors.js'
import type { Page } from '../../document.js'
import { pageFromOcr, softLimitPartial, stoppedBySoftLimit } from '../../ocr/ocr-page.js'
import { prepareForOcr } from '../../ocr/prepare-image.js'
import type { Converter, ConvertedDocument, ConverterContext } from '../../options.js'
import { finishDocument, type PageLayout } from './finish-document.js'
import { FontStyles } from './font-styles.js'
import { SizeHistogram } from './headings.js'
import { mayHaveUrlLinks, readLinks } from './links.js'
import { loadPdfjs, openDocument, toPdfError, type PdfDocument, type PdfPage } from './load-document.js'
import { readMetadata } from './metadata.js'
import { embeddedScan, findImages, renderPage } from './page-image.js'
import { analysePage, type DocumentState } from './page-layout.js'

/**
 * PDF -> Document: text with layout analysis (reading order, headings, paragraphs, lists,
 * tables, code, links, page furniture), page by page so memory stays flat.
 */
export const convertPdf: Converter = async (bytes, context) => {
  const { signal } = context
  signal.throwIfAborted()
  const pdfjs = await loadPdfjs()
  signal.throwIfAborted()
  const { task, document } = await openDocument(pdfjs, bytes, context.password)
  try {
    const pageCount = document.numPages
    const selected = context.pageSelection.resolve(pageCount)
    if (selected.length > context.limits.maxPages) {
      throw new DocloaderError(
        'LIMIT_EXCEEDED',
        `The PDF has ${pageCount} pages${context.pageSelection.all ? '' : ` (${selected.length} selected)`}, more than the limit of ${context.limits.maxPages}. Select fewer pages with --pages or the \`pages\` option, or raise limits.maxPages.`,
        { details: { pageCount, selected: selected.length, maxPages: context.limits.maxPages } },
      )
    }
    context.setPagesTotal(selected.length)
    const metadata = await readMetadata(document)
    const guard = <T>(promise: Promise<T>): Promise<T> => untilAborted(promise, signal)
    const links = mayHaveUrlLinks(bytes) ? await guard(readLinks(pdfjs, document, selected)).catch(rethrowAbort(signal)) : new Map<number, unknown[]>()
    const mode = context.ocrMode ?? 'auto'
    const ocr = mode === 'off' ? undefined : context.ocr
    const state: DocumentState = {
      pdfjs,
      fonts: new FontStyles(),
      sizes: new SizeHistogram(),
      links,
      graphics: { tried: 0, useful: 0 },
      ocrAvailable: ocr !== undefined,
      guard,
    }
    const layouts: PageLayout[] = []
    const ocrPages: Page[] = []
    const ocrFailures: { number: number; error: DocloaderError }[] = []
    /** Pages left unread because the soft time limit stopped OCR. */
    const unread: number[] = []
    let partial: ConvertedDocument['metadata']['partial']
    let done = 0
    for (const number of selected) {
      // pdfjs's in-process worker only queues microtasks: without a macrotask turn per page,
      // timers (time limits) and messages (cancel) could not run until the whole document is done.
      await new Promise<void>((resolve) => setImmediate(resolve))
      signal.throwIfAborted()
      let page: PdfPage | undefined
      try {
        page = await state.guard(document.getPage(number))
        if (ocr && mode === 'force') {
          const size = page.getViewport({ scale: 1 })
          // A page without text may be read from its own scan image (see ocrPage).
          const content = await guard(page.getTextContent())
          const hasText = content.items.some((item) => 'str' in item && item.str.trim() !== '')
          const images = hasText ? [] : await findImages(page, pdfjs, guard)
          await readByOcr(page, { number, width: size.width, height: size.height, blocks: [], ...(hasText ? {} : { unreadable: 'no-text' as const, images }) })
        } else {
          const layout = await analysePage(page, number, state)
          if (ocr && layout.unreadable) await readByOcr(page, layout)
          else layouts.push(layout)
        }
      } catch (error) {
        signal.throwIfAborted()
        const problem = toPdfError(error, context.password !== undefined)
        if (done === 0 || problem.code !== 'CORRUPT_FILE') throw problem
        partial = {
          reason: `Only ${done} of ${selected.length} pages could be read: page ${number} is damaged (${problem.message})`,
          code: 'CORRUPT_FILE',
        }
        context.warn(partial.reason)
        break
      } finally {
        page?.cleanup()
      }
      done++
      context.pageDone()
    }

    /** OCRs one page; a page that every provider failed on is left empty and reported. */
    async function readByOcr(page: PdfPage, layout: PageLayout): Promise<void> {
      const empty: Page = { number: layout.number, width: layout.width, height: layout.height, blocks: [] }
      if (context.ocrStop?.aborted) {
        unread.push(layout.number)
        ocrPages.push(empty)
        return
      }
      try {
        ocrPages.push(await ocrPage(page, layout, document, context, ocr!))
      } catch (error) {
        signal.throwIfAborted()
        if (stoppedBySoftLimit(error, signal, context.ocrStop)) {
          unread.push(layout.number)
          ocrPages.push(empty)
          return
        }
        if (!(error instanceof DocloaderError) || error.code !== 'OCR_FAILED') throw error
        ocrFailures.push({ number: layout.number, error })
        ocrPages.push(empty)
      }
    }

    if (unread.length > 0 && !partial) {
      partial = softLimitPartial(unread, done - unread.length - ocrFailures.length, context.ocrStop!)
      context.warn(partial.reason)
    }

    if (ocrFailures.length > 0 && ocrFailures.length === done) throw ocrFailures[0]!.error
    if (ocrFailures.length > 0) {
      const numbers = ocrFailures.map((f) => f.number)
      const reason = `OCR failed on ${numbers.length === 1 ? 'page' : 'pages'} ${numbers.join(', ')} (${ocrFailures[0]!.error.message})`
      context.warn(reason)
      partial ??= { reason, code: 'OCR_FAILED' }
    }
    const scanned = layouts.filter((l) => l.unreadable).map((l) => l.number)
    const why = mode === 'off' ? 'OCR is off (`--ocr off`)' : 'OCR is not available here (convert through an engine to read scans)'
    if (scanned.length > 0 && scanned.length === layouts.length && ocrPages.length === 0 && !partial) {
      const n = layouts.length
      const which = context.pageSelection.all ? 'its' : 'the selected'
      throw new DocloaderError(
        'UNSUPPORTED_TYPE',
        `This PDF is scanned: ${n === 1 ? `${which} page has` : `none of ${which} ${n} pages has`} ${n === 1 ? 'no text layer' : 'a text layer'}, and ${why}.`,
        { details: { scannedPages: scanned } },
      )
    }
    if (scanned.length > 0) {
      const reason = `${scanned.length === 1 ? 'page' : 'pages'} ${scanned.join(', ')} ${scanned.length === 1 ? 'has' : 'have'} no text layer (scanned), and ${why}`
      context.warn(reason)
      partial ??= { reason, code: 'OCR_FAILED' }
    }
    // OCR'd pages stay out of the cross-page passes: their structure comes from the OCR provider.
    const pages = [...finishDocument(layouts, state.sizes), ...ocrPages].sort((a, b) => a.number - b.number)
    const result: ConvertedDocument = {
      pages,
      metadata: { ...metadata, pageCount, pagesConverted: done - unread.length - ocrFailures.length },
    }
    if (partial) result.metadata.partial = partial
    return result
  } finally {
    await task.destroy().catch(() => {})
  }
}

/**
 * Reads one page by OCR: the page's own scan image when that is all the page is, else the page
 * rendered at about 300 dpi; prepared like any image (greyscale, normalised, density set).
 */
async function ocrPage(
  page: PdfPage,
  layout: PageLayout,
  document: PdfDocument,
  context: ConverterContext,
  ocr: NonNullable<ConverterContext['ocr']>,
): Promise<Page> {
  const size = { width: layout.width, height: layout.height }
  // The scan image alone holds everything only on a page without text: a stamp drawn as text
  // over a scan, or any text under `force`, is on the rendering only.
  const images = layout.unreadable === 'no-text' ? (layout.images ?? []) : []
  const pixels = (await embeddedScan(page, images, size)) ?? (await renderPage(page, document, context.limits.maxPixels, context.signal))
  context.signal.throwIfAborted()
  context.ocrStop?.throwIfAborted()
  const image = await prepareForOcr(pixels.data, {
    maxPixels: Math.max(context.limits.maxPixels, pixels.width * pixels.height),
    raw: { width: pixels.width, height: pixels.height, channels: pixels.channels },
    dpi: pixels.dpi,
  })
  return pageFromOcr(layout.number, await ocr(image), size, context.warn)
}

/** A catch handler: links are optional, so a failure to read them yields none, unless aborted. */
function rethrowAbort(signal: AbortSignal): () => Map<number, unknown[]> {
  return () => {
    signal.throwIfAborted()
    return new Map()
  }
}

/** Resolves with `promise`, or rejects with the abort reason as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error as Error)
      },
    )
  })
}
