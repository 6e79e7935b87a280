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
 * onto white, greyscale, contrast stretched, and small or low-resolution images upscaled to
 * about 300 dpi with the density written into the PNG (tesseract's accuracy collapses on
 * upscaled pages that do not say their density). The pixel limit is enforced from the header,
 * before any decoding. The PNG has one grey channel: tesseract.js decodes it in WebAssembly,
 * where a three-channel page costs about half a second more.
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
  const fail = (error: unknown): never => {
    throw imageError(error, options.maxPixels)
  }
  // Upright, on white, one 8-bit grey channel. ('b-w', not greyscale(): that one writes three
  // equal channels, which also triples the PNG tesseract would decode.)
  let { data, info } = await open().rotate().flatten({ background: '#ffffff' }).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }).catch(fail)
  if (info.channels !== 1) throw new DocloaderError('CORRUPT_FILE', `The image could not be read as grey pixels (${info.channels} channels).`)
  stretchContrast(data)
  const grey = (pixels: Buffer, w: number, h: number): Sharp => sharp(pixels, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w')
  if (scale > 1.05) {
    ;({ data, info } = await grey(data, info.width, info.height).resize({ width: Math.round(info.width * scale), kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true }).catch(fail))
  }
  const outputDpi = Math.round(dpi * Math.max(scale, 1))
  const png = await grey(data, info.width, info.height).withDensity(outputDpi).png({ compressionLevel: 1 }).toBuffer().catch(fail)
  const upright = meta.autoOrient ?? { width, height }
  return {
    data: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
    width: info.width,
    height: info.height,
    dpi: outputDpi,
    sourceWidth: upright.width,
    sourceHeight: upright.height,
  }
}

/** Share of pixels let go to pure black and to pure white when stretching contrast (as sharp's `normalise()`: 1 and 99 percentiles). */
const STRETCH_CLIP = 0.01

/**
 * Stretches the grey levels in place so the darkest 1% of pixels become black and the lightest
 * 1% white (sharp's `normalise()` does the same through a LAB conversion, ten times slower).
 */
export function stretchContrast(pixels: Uint8Array): void {
  const histogram = new Uint32Array(256)
  for (let i = 0; i < pixels.length; i++) histogram[pixels[i]!]!++
  const clip = pixels.length * STRETCH_CLIP
  let low = 0
  for (let seen = histogram[0]!; seen <= clip && low < 255; seen += histogram[++low]!);
  let high = 255
  for (let seen = histogram[255]!; seen <= clip && high > 0; seen += histogram[--high]!);
  if (high - low < 2 || (low === 0 && high === 255)) return
  const table = new Uint8Array(256)
  for (let value = 0; value < 256; value++) table[value] = Math.max(0, Math.min(255, Math.round(((value - low) * 255) / (high - low))))
  for (let i = 0; i < pixels.length; i++) pixels[i] = table[pixels[i]!]!
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
