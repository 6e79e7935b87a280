import { DocloaderError } from '../../errors.js'
import type { Page } from '../../document.js'
import { pageFromOcr, softLimitPartial, stoppedBySoftLimit } from '../../ocr/ocr-page.js'
import { imageError, prepareForOcr } from '../../ocr/prepare-image.js'
import type { ConvertedDocument, Converter } from '../../options.js'
import { decodeBmp, isBmp } from './decode-bmp.js'

/**
 * Images (PNG, JPEG, TIFF with every page, WebP, GIF, BMP): each image or TIFF page is
 * prepared with sharp (pixel limit from the header, EXIF orientation, greyscale, normalised,
 * upscaled to about 300 dpi) and read by the engine's OCR chain. One Page per image or TIFF
 * page, with the provider and confidence that read it in `page.ocr`.
 */
export const convertImage: Converter = async (bytes, context) => {
  const ocr = context.ocr
  if (!ocr) throw new DocloaderError('OCR_FAILED', 'Images need OCR, and none is available here. Convert them through an engine (`convert` or `createEngine`).')
  const maxPixels = context.limits.maxPixels
  let input = bytes
  let raw: { width: number; height: number; channels: 1 | 3 | 4 } | undefined
  let dpi: number | undefined
  if (isBmp(bytes)) {
    const bmp = decodeBmp(bytes, maxPixels)
    input = bmp.data
    raw = { width: bmp.width, height: bmp.height, channels: bmp.channels }
    dpi = bmp.dpi
  }
  const { default: sharp } = await import('sharp')
  const meta = await sharp(input, { limitInputPixels: maxPixels, ...(raw ? { raw } : {}) })
    .metadata()
    .catch((error: unknown) => {
      throw imageError(error, maxPixels)
    })
  // Every page of a TIFF is a page; GIF and WebP animations are read from their first frame.
  const pageCount = meta.format === 'tiff' ? Math.max(1, meta.pages ?? 1) : 1
  if (pageCount > context.limits.maxPages && context.pageSelection.all) {
    throw new DocloaderError('LIMIT_EXCEEDED', `The TIFF has ${pageCount} pages, more than the limit of ${context.limits.maxPages} (limits.maxPages). Select pages or raise the limit.`, {
      details: { limit: 'maxPages', maxPages: context.limits.maxPages, pageCount },
    })
  }
  const selected = context.pageSelection.resolve(pageCount)
  context.setPagesTotal(selected.length)
  const pages: Page[] = []
  const unread: number[] = []
  for (const number of selected) {
    context.signal.throwIfAborted()
    if (context.ocrStop?.aborted) {
      unread.push(number)
      continue
    }
    const image = await prepareForOcr(input, {
      maxPixels,
      ...(pageCount > 1 ? { page: number - 1 } : {}),
      ...(raw ? { raw } : {}),
      ...(dpi ? { dpi } : {}),
    })
    try {
      const result = await ocr(image)
      pages.push(pageFromOcr(number, result, { width: image.sourceWidth, height: image.sourceHeight }, context.warn))
    } catch (error) {
      if (!stoppedBySoftLimit(error, context.signal, context.ocrStop)) throw error
      unread.push(number)
      continue
    }
    context.pageDone()
  }
  const converted: ConvertedDocument = { pages, metadata: { pageCount, pagesConverted: pages.length } }
  if (unread.length > 0) {
    converted.metadata.partial = softLimitPartial(unread, pages.length, context.ocrStop!)
    context.warn(converted.metadata.partial.reason)
  }
  return converted
}
