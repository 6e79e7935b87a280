import sharp from 'sharp'

/** Renders lines of large, clear text to a PNG with sharp's SVG renderer (offline). */
export async function renderTextImage(lines: string[] | string, options: { width?: number; fontSize?: number } = {}): Promise<Buffer> {
  const list = Array.isArray(lines) ? lines : [lines]
  const fontSize = options.fontSize ?? 72
  const width = options.width ?? 1400
  const height = Math.round(fontSize * 1.6 * list.length + fontSize)
  const text = list
    .map((line, i) => `<text x="${fontSize}" y="${Math.round(fontSize * 1.3 + i * fontSize * 1.6)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}">${line}</text>`)
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`
  return sharp(Buffer.from(svg)).png().withMetadata({ density: 300 }).toBuffer()
}
