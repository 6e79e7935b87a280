import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeBmp } from '../src/convert/image/decode-bmp.js'
import { createEngine } from '../src/engine/create-engine.js'
import type { OcrProvider } from '../src/ocr/ocr-provider.js'
import { startFakeMistralServer } from './fake-mistral-server.js'
import { renderTextImage } from './render-text-image.js'

const engine = createEngine({ concurrency: 2, ocr: { providers: ['tesseract'], tesseract: { workers: 1 } } })
afterAll(() => engine.close())

/** A 24-bit BMP (bottom-up, or top-down with a negative height) of an RGB raw image. */
function encodeBmp(rgb: Buffer, width: number, height: number, topDown = false): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4
  const file = Buffer.alloc(54 + stride * height)
  file.write('BM', 0, 'latin1')
  file.writeUInt32LE(file.length, 2)
  file.writeUInt32LE(54, 10)
  file.writeUInt32LE(40, 14)
  file.writeInt32LE(width, 18)
  file.writeInt32LE(topDown ? -height : height, 22)
  file.writeUInt16LE(1, 26)
  file.writeUInt16LE(24, 28)
  file.writeInt32LE(11811, 38) // 300 dpi
  file.writeInt32LE(11811, 42)
  for (let y = 0; y < height; y++) {
    const row = 54 + (topDown ? y : height - 1 - y) * stride
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3
      file[row + x * 3] = rgb[from + 2]!
      file[row + x * 3 + 1] = rgb[from + 1]!
      file[row + x * 3 + 2] = rgb[from]!
    }
  }
  return file
}

describe('image converter', () => {
  it('reads a PNG by OCR into blocks, recording the provider and confidence per page', async () => {
    const png = await renderTextImage(['Quarterly Report', 'Sales rose in every region.'], { fontSize: 72 })
    const result = await engine.convert(png, { format: 'json' })
    expect(result.metadata).toMatchObject({ sourceFormat: 'image', mimeType: 'image/png', pageCount: 1, pagesConverted: 1 })
    const page = result.document.pages[0]!
    expect(page.ocr).toMatchObject({ provider: 'tesseract', confidence: expect.any(Number) })
    expect(page.ocr!.confidence).toBeGreaterThan(0.6)
    expect(page.width).toBe(1400)
    expect(JSON.stringify(page.blocks)).toMatch(/Quarterly Report/)
    expect((await engine.convert(png)).content).toMatch(/Sales rose in every region\./)
  })

  it('reads every page of a multi-page TIFF, and honours a page selection', async () => {
    const pages = await Promise.all(['First page here', 'Second page here'].map((text) => renderTextImage(text, { fontSize: 80 })))
    const tiff = await sharp(pages, { join: { animated: true } }).tiff().toBuffer()
    const result = await engine.convert(tiff, { format: 'json' })
    expect(result.metadata).toMatchObject({ mimeType: 'image/tiff', pageCount: 2, pagesConverted: 2 })
    expect(result.document.pages.map((page) => page.number)).toEqual([1, 2])
    expect(result.content).toMatch(/First page here[\s\S]*Second page here/)
    const second = await engine.convert(tiff, { pages: '2', format: 'text' })
    expect(second.content).toMatch(/Second page here/)
    expect(second.content).not.toMatch(/First/)
  })

  it('reads WebP and GIF (first frame)', async () => {
    const png = await renderTextImage('Web formats', { fontSize: 80 })
    for (const [bytes, mimeType] of [
      [await sharp(png).webp({ lossless: true }).toBuffer(), 'image/webp'],
      [await sharp(png).gif().toBuffer(), 'image/gif'],
    ] as const) {
      const result = await engine.convert(bytes, { format: 'text' })
      expect(result.metadata.mimeType).toBe(mimeType)
      expect(result.content).toMatch(/Web formats/)
    }
  })

  it('applies EXIF orientation before reading a JPEG', async () => {
    const upright = await renderTextImage('Turned by EXIF', { fontSize: 80 })
    // Stored turned 90 degrees anticlockwise, with orientation 6 (rotate 90 clockwise to view).
    const jpeg = await sharp(upright).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6, density: 300 }).toBuffer()
    const result = await engine.convert(jpeg, { format: 'text' })
    expect(result.content).toMatch(/Turned by EXIF/)
  })

  it('decodes BMP itself (libvips has no BMP reader): bottom-up and top-down 24-bit', async () => {
    const png = await renderTextImage('Bitmap text', { fontSize: 80 })
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    const bottomUp = encodeBmp(data, info.width, info.height)
    const decoded = decodeBmp(bottomUp, 1e8)
    expect(decoded).toMatchObject({ width: info.width, height: info.height, channels: 3, dpi: 300 })
    expect(Buffer.from(decoded.data).equals(data)).toBe(true)
    expect(Buffer.from(decodeBmp(encodeBmp(data, info.width, info.height, true), 1e8).data).equals(data)).toBe(true)
    const result = await engine.convert(bottomUp, { format: 'text' })
    expect(result.metadata.mimeType).toBe('image/bmp')
    expect(result.content).toMatch(/Bitmap text/)
  })

  it('refuses an RLE-compressed BMP with UNSUPPORTED_TYPE saying what to do', async () => {
    const bmp = encodeBmp(Buffer.alloc(4 * 4 * 3, 255), 4, 4)
    bmp.writeUInt16LE(8, 28)
    bmp.writeUInt32LE(1, 30)
    await expect(engine.convert(bmp)).rejects.toMatchObject({ code: 'UNSUPPORTED_TYPE', message: expect.stringMatching(/RLE.*PNG/) })
  })

  it('fails an image declaring huge dimensions with LIMIT_EXCEEDED before decoding, fast and with bounded memory', async () => {
    const huge = await readFile(new URL('fixtures/images/huge_dims.jpg', import.meta.url))
    const rss = process.memoryUsage().rss
    const started = performance.now()
    await expect(engine.convert(huge)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('megapixels') })
    expect(performance.now() - started).toBeLessThan(1000)
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024)
    const bmp = encodeBmp(Buffer.alloc(3), 1, 1)
    bmp.writeInt32LE(50_000, 18)
    bmp.writeInt32LE(50_000, 22)
    await expect(engine.convert(bmp)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' })
    const png = await renderTextImage('x', { fontSize: 40 })
    await expect(engine.convert(png, { limits: { maxPixels: 1000 } })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })

  it('fails a corrupt image with CORRUPT_FILE', async () => {
    const png = await renderTextImage('Truncated', { fontSize: 60 })
    await expect(engine.convert(png.subarray(0, 200))).rejects.toMatchObject({ code: 'CORRUPT_FILE' })
  })

  it("fails with OCR_FAILED under ocr 'off', and INVALID_OPTION for a bad mode or provider", async () => {
    const png = await renderTextImage('Off', { fontSize: 60 })
    await expect(engine.convert(png, { ocr: 'off' })).rejects.toMatchObject({ code: 'OCR_FAILED', message: expect.stringContaining('OCR is off') })
    await expect(engine.convert(png, { ocr: 'sometimes' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(engine.convert(png, { ocrProviders: ['abbyy'] })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('abbyy') })
  })

  it('flags low-confidence pages; a provider that hangs hits the time limit without stopping the rest of the batch', async () => {
    const unsure: OcrProvider = { name: 'unsure', recognize: async () => ({ text: 'maybe words', confidence: 0.2, provider: 'unsure' }) }
    const hanging: OcrProvider = { name: 'hanging', recognize: (_image, _options, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) }
    const png = await renderTextImage('Any', { fontSize: 60 })
    const custom = createEngine({ ocr: { provider: unsure } })
    try {
      const result = await custom.convert(png)
      expect(result.metadata.warnings).toEqual([expect.stringMatching(/^Page 1: OCR confidence 0\.20 \(unsure\) is low/)])
    } finally {
      await custom.close()
    }
    const stuck = createEngine({ ocr: { provider: hanging } })
    try {
      const items = []
      for await (const item of stuck.convertMany([png, Buffer.from('# fine\n')], { timeout: 300 })) items.push(item)
      const byIndex = items.sort((a, b) => a.index - b.index)
      expect(byIndex[0]).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
      expect(byIndex[1]).toMatchObject({ ok: true })
    } finally {
      await stuck.close()
    }
  })

  it('records per page which provider read it: mistral for one page, tesseract after mistral failed for the other', async () => {
    const fake = await startFakeMistralServer('page-key')
    const pages = await Promise.all(['Alpha page', 'Beta page'].map((text) => renderTextImage(text, { fontSize: 80 })))
    const tiff = await sharp(pages, { join: { animated: true } }).tiff().toBuffer()
    const chained = createEngine({ ocr: { providers: ['mistral', 'tesseract'], tesseract: { workers: 1 }, retries: 0 } })
    try {
      fake.script({ kind: 'status', status: 500 }, { kind: 'ok', markdown: '## Beta page\n\nfrom mistral' })
      const result = await chained.convert(tiff, { format: 'json', mistral: { apiKey: 'page-key', serverUrl: fake.url } })
      const [first, second] = result.document.pages
      expect(first!.ocr).toMatchObject({ provider: 'tesseract', attempts: [{ provider: 'mistral', code: 'OCR_FAILED', error: expect.stringContaining('HTTP 500') }] })
      expect(JSON.stringify(first!.blocks)).toMatch(/Alpha page/)
      expect(second!.ocr).toMatchObject({ provider: 'mistral', confidence: 1 })
      expect(second!.ocr!.attempts).toBeUndefined()
      expect(second!.blocks[0]).toMatchObject({ type: 'heading', level: 2, text: 'Beta page' })
      expect(result.metadata.warnings).toEqual([expect.stringContaining('Page 1: read by tesseract after mistral (')])
      expect(fake.requests).toHaveLength(2)
    } finally {
      await chained.close()
      await fake.close()
    }
  })
})

