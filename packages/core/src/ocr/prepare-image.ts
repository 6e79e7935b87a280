import type { Sharp, SharpOptions } from 'sharp'
import { DocloaderError } from '../errors.js'
import type { OcrImage } from './ocr-provider.js'

/** Resolution tesseract reads best at. */
export const OCR_DPI = 300

export interface PrepareOptions {
  /** Pixels an input may declare (width x height); above it LIMIT_EXCEEDED before decoding. */
  maxPixels: number
  /** 0-based page of a multi-page TIFF. */
  page?: number
  /** The input's resolution when the caller knows it better than the file (e.g. a PDF page rendered at 300 dpi). */
  dpi?: number
  /** Raw pixels instead of an encoded image (e.g. a decoded BMP). */
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 }
}

/** Images are not upscaled past this many pixels (about an A3 page at 300 dpi). */
const MAX_UPSCALED_PIXELS = 40_000_000

/**
 * Makes an image ready for OCR with sharp: EXIF orientation applied, transparency flattened
 * onto white, greyscale, contrast normalised, and small or low-resolution images upscaled to
 * about 300 dpi with the density written into the PNG (tesseract's accuracy collapses on
 * upscaled pages that do not say their density). The pixel limit is enforced from the header,
 * before any decoding.
 */
export async function prepareForOcr(input: Uint8Array, options: PrepareOptions): Promise<OcrImage & { sourceWidth: number; sourceHeight: number }> {
  const { default: sharp } = await import('sharp')
  const sharpOptions: SharpOptions = { limitInputPixels: options.maxPixels, failOn: 'error', ...(options.page !== undefined ? { page: options.page } : {}) }
  if (options.raw) sharpOptions.raw = options.raw
  const open = (): Sharp => sharp(input, sharpOptions)
  const meta = await open()
    .metadata()
    .catch((error: unknown) => {
      throw imageError(error, options.maxPixels)
    })
  const width = meta.width ?? options.raw?.width ?? 0
  const height = meta.height ?? options.raw?.height ?? 0
  if (!width || !height) throw new DocloaderError('CORRUPT_FILE', 'The image has no size in its header; it is damaged or not an image.')
  const dpi = options.dpi ?? plausibleDensity(meta.density) ?? estimateDensity(width, height)
  let scale = dpi < OCR_DPI * 0.85 ? OCR_DPI / dpi : 1
  scale = Math.min(scale, 4, Math.sqrt(MAX_UPSCALED_PIXELS / (width * height)))
  let pipeline = open().rotate().flatten({ background: '#ffffff' }).greyscale().normalise()
  if (scale > 1.05) pipeline = pipeline.resize({ width: Math.round(width * scale), kernel: 'lanczos3' })
  const outputDpi = Math.round(dpi * Math.max(scale, 1))
  const { data, info } = await pipeline
    .withMetadata({ density: outputDpi })
    .png({ compressionLevel: 1 })
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageError(error, options.maxPixels)
    })
  const upright = meta.autoOrient ?? { width, height }
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    dpi: outputDpi,
    sourceWidth: upright.width,
    sourceHeight: upright.height,
  }
}

/** Densities below 50 dpi are placeholders (72/96 "screen" values are real enough to scale from). */
function plausibleDensity(density: number | undefined): number | undefined {
  return density && density >= 50 && density <= 2400 ? density : undefined
}

/**
 * Without a density: a page-shaped image is taken to be a letter/A4 page (its short side
 * 8.3 inches); anything else (a photo, a text snippet) is left at its size.
 */
function estimateDensity(width: number, height: number): number {
  const ratio = Math.max(width, height) / Math.min(width, height)
  if (ratio >= 1.2 && ratio <= 1.6) return Math.max(72, Math.min(width, height) / 8.3)
  return OCR_DPI
}

/** sharp's errors as ours: the pixel limit is LIMIT_EXCEEDED, anything else a damaged image. */
export function imageError(error: unknown, maxPixels: number): DocloaderError {
  const message = error instanceof Error ? error.message : String(error)
  if (/pixel limit/i.test(message)) {
    return new DocloaderError(
      'LIMIT_EXCEEDED',
      `The image declares more than ${Math.round(maxPixels / 1e6)} megapixels (limits.maxPixels), which is more than docloader decodes. Scale it down or raise the limit.`,
      { cause: error, details: { limit: 'maxPixels', maxPixels } },
    )
  }
  return new DocloaderError('CORRUPT_FILE', `The image could not be decoded (${message}); it is damaged or truncated.`, { cause: error })
}
