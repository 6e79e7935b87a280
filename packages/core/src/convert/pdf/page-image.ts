import { OCR_DPI } from '../../ocr/prepare-image.js'
import type { PdfDocument, PdfPage, Pdfjs } from './load-document.js'
import { type Matrix, multiply } from './page-graphics.js'

/** Where an image is drawn on a page, in top-down page coordinates (points). */
export interface ImagePlacement {
  /** pdfjs object id of the image (absent for inline images). */
  name?: string
  x0: number
  x1: number
  top: number
  bottom: number
  /** Drawn upright and unmirrored (no rotation, no flip), so its pixels are the page's. */
  upright: boolean
}

/** Pixels of a page, ready for `prepareForOcr({ raw })`. */
export interface PagePixels {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 3 | 4
  /** Pixels per inch of the page. */
  dpi: number
  /** How the pixels were obtained: the page's own scan image, or a rendering of the page. */
  source: 'embedded' | 'rendered'
}

/**
 * Every image a page draws, with where it lands. Reading the operator list makes pdfjs decode
 * the images, so a scan image found here can be taken from `page.objs` without decoding again.
 */
export async function findImages(page: PdfPage, pdfjs: Pdfjs, guard: <T>(p: Promise<T>) => Promise<T>): Promise<ImagePlacement[]> {
  const OPS = pdfjs.OPS
  const imageOps = new Set<number>([
    OPS.paintImageXObject, OPS.paintInlineImageXObject, OPS.paintImageMaskXObject, OPS.paintImageXObjectRepeat,
    OPS.paintInlineImageXObjectGroup, OPS.paintImageMaskXObjectGroup, OPS.paintImageMaskXObjectRepeat,
  ])
  const { fnArray, argsArray } = await guard(page.getOperatorList({ annotationMode: pdfjs.AnnotationMode.DISABLE }))
  let ctm = page.getViewport({ scale: 1 }).transform.slice(0, 6) as Matrix
  const stack: Matrix[] = []
  const found: ImagePlacement[] = []
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i]!
    const args = argsArray[i] as unknown[] | null
    if (fn === OPS.save) stack.push(ctm)
    else if (fn === OPS.restore) ctm = stack.pop() ?? ctm
    else if (fn === OPS.transform && args) ctm = multiply(ctm, args as Matrix)
    else if (fn === OPS.paintFormXObjectBegin && args) {
      stack.push(ctm)
      const matrix = args[0] as Matrix | null
      if (matrix?.length === 6) ctm = multiply(ctm, matrix)
    } else if (fn === OPS.paintFormXObjectEnd) ctm = stack.pop() ?? ctm
    else if (imageOps.has(fn)) {
      // An image fills the unit square of the current matrix; its first row is at y = 1.
      const xs = [ctm[4], ctm[0] + ctm[4], ctm[2] + ctm[4], ctm[0] + ctm[2] + ctm[4]]
      const ys = [ctm[5], ctm[1] + ctm[5], ctm[3] + ctm[5], ctm[1] + ctm[3] + ctm[5]]
      const name = fn === OPS.paintImageXObject && typeof args?.[0] === 'string' ? args[0] : undefined
      // In top-down coordinates an upright image has a positive x scale and a negative y scale.
      const upright = ctm[0] > 0 && ctm[3] < 0 && Math.abs(ctm[1]) < 1e-6 && Math.abs(ctm[2]) < 1e-6
      found.push({ ...(name ? { name } : {}), x0: Math.min(...xs), x1: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys), upright })
    }
  }
  return found
}

/** Share of the page an image covers, from 0 to 1. */
export function coverage(image: ImagePlacement, width: number, height: number): number {
  const w = Math.max(0, Math.min(image.x1, width) - Math.max(image.x0, 0))
  const h = Math.max(0, Math.min(image.bottom, height) - Math.max(image.top, 0))
  return (w * h) / (width * height)
}

/**
 * The page's own scan image when that is all the page is: one upright image covering nearly
 * the whole page, at a resolution OCR can use. Taking its decoded pixels skips rendering the
 * page (the most expensive step after OCR itself). Undefined when the page needs rendering.
 */
export async function embeddedScan(page: PdfPage, images: ImagePlacement[], size: { width: number; height: number }): Promise<PagePixels | undefined> {
  const [image] = images
  if (images.length !== 1 || !image?.name || !image.upright || coverage(image, size.width, size.height) < 0.85) return undefined
  // Images used on several pages live in the document's objects ("g_" ids), the others in the page's.
  const store = image.name.startsWith('g_') ? page.commonObjs : page.objs
  const decoded = await new Promise<unknown>((resolve) => {
    try {
      store.get(image.name!, resolve)
    } catch {
      resolve(undefined)
    }
  })
  const pixels = decoded as { width?: number; height?: number; kind?: number; data?: Uint8Array | Uint8ClampedArray } | undefined
  if (!pixels?.data || !pixels.width || !pixels.height) return undefined
  const { width, height } = pixels
  const dpi = width / ((image.x1 - image.x0) / 72)
  if (dpi < 100) return undefined
  const bytes = pixels.data instanceof Uint8Array ? pixels.data : new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength)
  // pdfjs ImageKind: 1 = bilevel, packed bits (fax-like scans: CCITT, JBIG2), 2 = RGB, 3 = RGBA.
  if (pixels.kind === 1) {
    const grey = unpackBits(bytes, width, height)
    return grey && { data: grey, width, height, channels: 1, dpi, source: 'embedded' }
  }
  const channels = pixels.kind === 2 ? 3 : pixels.kind === 3 ? 4 : undefined
  if (!channels || bytes.length < width * height * channels) return undefined
  return { data: bytes, width, height, channels, dpi, source: 'embedded' }
}

/** pdfjs's bilevel rows (a set bit is white, rows padded to whole bytes) as 8-bit grey. */
function unpackBits(bits: Uint8Array, width: number, height: number): Uint8Array | undefined {
  const rowBytes = (width + 7) >> 3
  if (bits.length < rowBytes * height) return undefined
  const grey = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes
    const out = y * width
    for (let x = 0; x < width; x++) grey[out + x] = bits[row + (x >> 3)]! & (0x80 >> (x & 7)) ? 255 : 0
  }
  return grey
}

/**
 * Renders a page with pdfjs onto a canvas (pdfjs's own factory: @napi-rs/canvas in Node) at
 * about 300 dpi, fewer when the page would exceed `maxPixels`. `/Rotate` is applied by the
 * viewport, so the pixels are the page as it is shown.
 */
export async function renderPage(
  page: PdfPage,
  document: PdfDocument,
  maxPixels: number,
  signal: AbortSignal,
): Promise<PagePixels> {
  const base = page.getViewport({ scale: 1 })
  const scale = Math.min(OCR_DPI / 72, Math.sqrt(maxPixels / (base.width * base.height)))
  const viewport = page.getViewport({ scale })
  const width = Math.max(1, Math.floor(viewport.width))
  const height = Math.max(1, Math.floor(viewport.height))
  const factory = document.canvasFactory as {
    create(width: number, height: number): { canvas: unknown; context: CanvasContext }
    destroy(target: { canvas: unknown; context: CanvasContext }): void
  }
  const target = factory.create(width, height)
  try {
    const task = page.render({ canvas: target.canvas, canvasContext: target.context, viewport, background: 'white' } as unknown as Parameters<PdfPage['render']>[0])
    const cancel = (): void => task.cancel()
    signal.addEventListener('abort', cancel, { once: true })
    try {
      await task.promise
    } finally {
      signal.removeEventListener('abort', cancel)
    }
    signal.throwIfAborted()
    const { data } = target.context.getImageData(0, 0, width, height)
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4, dpi: scale * 72, source: 'rendered' }
  } finally {
    factory.destroy(target)
  }
}

interface CanvasContext {
  getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray }
}
