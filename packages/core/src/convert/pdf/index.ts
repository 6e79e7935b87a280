import { DocloaderError } from '../../errors.js'
import type { Converter, ConvertedDocument } from '../../options.js'
import { finishDocument, type PageLayout } from './finish-document.js'
import { FontStyles } from './font-styles.js'
import { SizeHistogram } from './headings.js'
import { mayHaveUrlLinks, readLinks } from './links.js'
import { loadPdfjs, openDocument, toPdfError, type PdfPage } from './load-document.js'
import { readMetadata } from './metadata.js'
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
    const state: DocumentState = {
      pdfjs,
      fonts: new FontStyles(),
      sizes: new SizeHistogram(),
      links,
      graphics: { tried: 0, useful: 0 },
      guard,
    }
    const layouts: PageLayout[] = []
    let partial: ConvertedDocument['metadata']['partial']
    for (const number of selected) {
      // pdfjs's in-process worker only queues microtasks: without a macrotask turn per page,
      // timers (time limits) and messages (cancel) could not run until the whole document is done.
      await new Promise<void>((resolve) => setImmediate(resolve))
      signal.throwIfAborted()
      let page: PdfPage | undefined
      try {
        page = await state.guard(document.getPage(number))
        layouts.push(await analysePage(page, number, state))
      } catch (error) {
        signal.throwIfAborted()
        const problem = toPdfError(error, context.password !== undefined)
        if (layouts.length === 0 || problem.code !== 'CORRUPT_FILE') throw problem
        partial = {
          reason: `Only ${layouts.length} of ${selected.length} pages could be read: page ${number} is damaged (${problem.message})`,
          code: 'CORRUPT_FILE',
        }
        context.warn(partial.reason)
        break
      } finally {
        page?.cleanup()
      }
      context.pageDone()
    }
    const scanned = layouts.filter((l) => l.scanned).map((l) => l.number)
    if (scanned.length > 0 && scanned.length === layouts.length && !partial) {
      const n = layouts.length
      const which = context.pageSelection.all ? 'its' : 'the selected'
      throw new DocloaderError(
        'UNSUPPORTED_TYPE',
        `This PDF is scanned: ${n === 1 ? `${which} page has` : `none of ${which} ${n} pages has`} ${n === 1 ? 'no text layer' : 'a text layer'}. OCR is not available in this version.`,
        { details: { scannedPages: scanned } },
      )
    }
    if (scanned.length > 0) {
      const reason = `${scanned.length === 1 ? 'page' : 'pages'} ${scanned.join(', ')} ${scanned.length === 1 ? 'has' : 'have'} no text layer (scanned); OCR is not available in this version`
      context.warn(reason)
      partial ??= { reason, code: 'OCR_FAILED' }
    }
    const pages = finishDocument(layouts, state.sizes)
    const result: ConvertedDocument = {
      pages,
      metadata: { ...metadata, pageCount, pagesConverted: layouts.length },
    }
    if (partial) result.metadata.partial = partial
    return result
  } finally {
    await task.destroy().catch(() => {})
  }
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
