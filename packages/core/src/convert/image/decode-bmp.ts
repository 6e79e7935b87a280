import { DocloaderError } from '../../errors.js'

/** A BMP decoded to raw pixels sharp can read (`raw` input). */
export interface DecodedBmp {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 3 | 4
  /** Horizontal resolution from the header, when set. */
  dpi?: number
}

/** Whether bytes start like a Windows bitmap. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length > 26 && bytes[0] === 0x42 && bytes[1] === 0x4d
}

/**
 * Decodes an uncompressed Windows BMP (libvips, hence sharp, reads none): 1, 4 and 8 bits
 * with a palette (to grey), 24 bits, and 32 bits with the usual masks; bottom-up or
 * top-down. The size is checked against `maxPixels` from the header before any pixel is
 * allocated. RLE and other rare variants are UNSUPPORTED_TYPE with a hint.
 */
export function decodeBmp(bytes: Uint8Array, maxPixels: number): DecodedBmp {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const corrupt = (why: string) => new DocloaderError('CORRUPT_FILE', `The BMP image is damaged: ${why}.`)
  if (bytes.length < 54) throw corrupt('its header is cut short')
  const pixelOffset = view.getUint32(10, true)
  const headerSize = view.getUint32(14, true)
  if (headerSize < 40) throw unsupported('an OS/2 bitmap header')
  const width = view.getInt32(18, true)
  const rawHeight = view.getInt32(22, true)
  const height = Math.abs(rawHeight)
  const bits = view.getUint16(28, true)
  const compression = view.getUint32(30, true)
  if (width <= 0 || height === 0) throw corrupt(`it declares a size of ${width} x ${rawHeight}`)
  if (width * height > maxPixels) {
    throw new DocloaderError(
      'LIMIT_EXCEEDED',
      `The image declares ${width} x ${height} pixels, more than ${Math.round(maxPixels / 1e6)} megapixels (limits.maxPixels). Scale it down or raise the limit.`,
      { details: { limit: 'maxPixels', maxPixels, width, height } },
    )
  }
  const bitfields = compression === 3 || compression === 6
  if (compression !== 0 && !(bitfields && bits === 32)) throw unsupported(compression === 1 || compression === 2 ? 'RLE compression' : `compression method ${compression}`)
  if (![1, 4, 8, 24, 32].includes(bits)) throw unsupported(`${bits} bits per pixel`)
  const masks = bitfields ? [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)] : [0xff0000, 0xff00, 0xff]
  if (bits === 32 && (masks[0] !== 0xff0000 || masks[1] !== 0xff00 || masks[2] !== 0xff)) throw unsupported('unusual 32-bit colour masks')

  const stride = Math.ceil((width * bits) / 32) * 4
  if (pixelOffset + stride * height > bytes.length) throw corrupt('its pixel data is cut short')
  const topDown = rawHeight < 0
  const row = (y: number) => pixelOffset + (topDown ? y : height - 1 - y) * stride
  const ppm = view.getInt32(38, true)
  const dpi = ppm > 0 ? Math.round(ppm * 0.0254) : undefined

  if (bits <= 8) {
    const colours = view.getUint32(46, true) || 2 ** bits
    const paletteStart = 14 + headerSize + (compression === 3 ? 12 : 0)
    const grey = new Uint8Array(256)
    for (let i = 0; i < Math.min(colours, 256); i++) {
      const at = paletteStart + i * 4
      if (at + 3 > pixelOffset) break
      grey[i] = Math.round(0.114 * bytes[at]! + 0.587 * bytes[at + 1]! + 0.299 * bytes[at + 2]!)
    }
    const out = new Uint8Array(width * height)
    const perByte = 8 / bits
    const mask = (1 << bits) - 1
    for (let y = 0; y < height; y++) {
      const start = row(y)
      for (let x = 0; x < width; x++) {
        const byte = bytes[start + Math.floor(x / perByte)]!
        const shift = 8 - bits * ((x % perByte) + 1)
        out[y * width + x] = grey[(byte >> shift) & mask]!
      }
    }
    return { data: out, width, height, channels: 1, ...(dpi ? { dpi } : {}) }
  }
  const size = bits / 8
  // Only a V3+ header with an alpha mask makes the fourth byte of 32-bit pixels alpha; usually it is unused (0).
  const alpha = bits === 32 && headerSize >= 56 && view.getUint32(66, true) === 0xff000000
  const channels = alpha ? 4 : 3
  const out = new Uint8Array(width * height * channels)
  for (let y = 0; y < height; y++) {
    const start = row(y)
    for (let x = 0; x < width; x++) {
      const from = start + x * size
      const to = (y * width + x) * channels
      out[to] = bytes[from + 2]!
      out[to + 1] = bytes[from + 1]!
      out[to + 2] = bytes[from]!
      if (alpha) out[to + 3] = bytes[from + 3]!
    }
  }
  return { data: out, width, height, channels, ...(dpi ? { dpi } : {}) }
}

function unsupported(what: string): DocloaderError {
  return new DocloaderError('UNSUPPORTED_TYPE', `This BMP image uses ${what}, which docloader does not decode. Save it as PNG and convert that.`, { details: { mimeType: 'image/bmp' } })
}
