import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { prepareForOcr, stretchContrast } from '../src/ocr/prepare-image.js'
import { createTesseractProvider } from '../src/ocr/tesseract-provider.js'
import { languagePath } from '../src/ocr/tesseract-language-data.js'
import { layoutFromTesseract, type TesseractLine } from '../src/ocr/tesseract-layout.js'
import { runOcrProviderSuite } from './ocr-provider-suite.js'
import { renderTextImage } from './render-text-image.js'

runOcrProviderSuite('tesseract', () => createTesseractProvider({ workers: 1 }))

const signal = new AbortController().signal

describe('tesseract provider', () => {
  it('names the npm package to install for a missing language, before starting any worker', async () => {
    const provider = createTesseractProvider({ workers: 1 })
    const image = { data: await renderTextImage('x'), width: 10, height: 10 }
    const error = await provider.recognize(image, { languages: ['eng', 'deu'] }, signal).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'OCR_FAILED', details: { retryable: false, package: '@tesseract.js-data/deu' } })
    expect((error as Error).message).toContain('@tesseract.js-data/deu')
    expect(provider.workersStarted).toBe(0)
    await expect(provider.recognize(image, { languages: ['../etc'] }, signal)).rejects.toMatchObject({ code: 'OCR_FAILED' })
    await provider.close?.()
  })

  it('finds language data inside npm packages; several languages are linked into one temp folder, never the working directory', async () => {
    expect(await languagePath(['eng'], '4.0.0_best_int')).toMatch(/@tesseract\.js-data[/\\]eng[/\\]4\.0\.0_best_int$/)
    const dir = await languagePath(['eng', 'osd'], '4.0.0_best_int')
    expect(dir.startsWith(tmpdir())).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['eng.traineddata.gz', 'osd.traineddata.gz'])
  })

  it('reuses its worker, and replaces it after recycleAfterPages pages', async () => {
    const provider = createTesseractProvider({ workers: 1, recycleAfterPages: 2, orientation: false })
    const data = await renderTextImage('Recycle me', { fontSize: 80 })
    const image = { data, width: 1400, height: 208, dpi: 300 }
    for (let i = 0; i < 3; i++) expect((await provider.recognize(image, { languages: ['eng'] }, signal)).text).toMatch(/Recycle me/)
    expect(provider.workersStarted).toBe(2)
    await provider.close?.()
  })

  it('runs recognition in worker threads, not on the main thread', async () => {
    const provider = createTesseractProvider({ workers: 1, orientation: false })
    const data = await renderTextImage(['Main thread stays free', 'while tesseract reads'], { fontSize: 80 })
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    const started = performance.now()
    await provider.recognize({ data, width: 1400, height: 336, dpi: 300 }, { languages: ['eng'] }, signal)
    clearInterval(timer)
    const elapsed = performance.now() - started
    // A blocked event loop would fire the timer about once; a free one roughly every 10 ms.
    expect(ticks).toBeGreaterThan(elapsed / 10 / 4)
    await provider.close?.()
  })
})

describe('prepared images', () => {
  it('come as a one-channel PNG with its density, contrast stretched and upscaled to about 300 dpi', async () => {
    // Grey text on grey paper at 150 dpi: black on white at 300 dpi after preparation.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="700" height="120"><rect width="100%" height="100%" fill="#b0b0b0"/><text x="20" y="80" font-family="DejaVu Sans" font-size="48" fill="#606060">Faded ink</text></svg>`
    const input = await sharp(Buffer.from(svg)).png().withMetadata({ density: 150 }).toBuffer()
    const image = await prepareForOcr(input, { maxPixels: 1e8 })
    expect(image).toMatchObject({ width: 1400, height: 240, dpi: 300, sourceWidth: 700, sourceHeight: 120 })
    expect(await sharp(image.data).metadata()).toMatchObject({ width: 1400, height: 240, channels: 1, density: 300 })
    const { data } = await sharp(image.data).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
    expect(data.length).toBe(1400 * 240)
    expect(data.reduce((a, b) => Math.min(a, b), 255)).toBe(0)
    expect(data.reduce((a, b) => Math.max(a, b), 0)).toBe(255)
  })

  it('stretchContrast maps the 1st and 99th percentiles to black and white, and leaves full-range and flat images alone', () => {
    const pixels = new Uint8Array(1000).fill(200)
    pixels.fill(60, 0, 100)
    stretchContrast(pixels)
    expect([pixels[0], pixels[999]]).toEqual([0, 255])
    const full = Uint8Array.from([0, 128, 255, 255])
    stretchContrast(full)
    expect([...full]).toEqual([0, 128, 255, 255])
    const flat = new Uint8Array(10).fill(90)
    stretchContrast(flat)
    expect([...flat]).toEqual(new Array(10).fill(90))
  })

  it('of a page upside down are read the right way up (orientation check)', async () => {
    const lines = ['The quick brown fox jumps over the lazy dog.', 'Pack my box with five dozen liquor jugs.', 'How vexingly quick daft zebras jump!', 'Sphinx of black quartz, judge my vow.']
    const turned = await sharp(await renderTextImage(lines, { fontSize: 48, width: 1500 })).rotate(180).png().withMetadata({ density: 300 }).toBuffer()
    const image = await prepareForOcr(turned, { maxPixels: 1e8 })
    const provider = createTesseractProvider({ workers: 1 })
    const unchecked = createTesseractProvider({ workers: 1, orientation: false })
    try {
      const read = await provider.recognize(image, { languages: ['eng'] }, signal)
      expect(read.text).toMatch(/quick brown fox/)
      expect(read.confidence).toBeGreaterThan(0.75)
      expect((await unchecked.recognize(image, { languages: ['eng'] }, signal)).text).not.toMatch(/quick brown fox/)
    } finally {
      await Promise.all([provider.close?.(), unchecked.close?.()])
    }
  })
})

describe('tesseract layout', () => {
  const line = (text: string, height: number, y: number, confidence = 90): TesseractLine => ({
    text,
    bbox: { x0: 0, y0: y, x1: 100, y1: y + height },
    rowAttributes: { rowHeight: height },
    words: text.split(' ').map((word) => ({ text: word, confidence })),
  })

  it('turns tall lines into headings, joins paragraph lines, undoes hyphenation and finds lists', () => {
    const layout = layoutFromTesseract([
      {
        paragraphs: [
          { lines: [line('Annual Report', 60, 0)] },
          { lines: [line('This paragraph has a hyphen-', 20, 80), line('ated word and goes on.', 20, 105)] },
          { lines: [line('Section two', 32, 140)] },
          { lines: [line('• first item', 20, 190), line('• second item that', 20, 215), line('wraps', 20, 240)] },
          { lines: [line('1. numbered', 20, 280)] },
          { lines: [line('||| ~', 20, 300, 10)] },
        ],
      },
    ])
    expect(layout.blocks).toEqual([
      { type: 'heading', level: 1, text: 'Annual Report' },
      { type: 'paragraph', text: 'This paragraph has a hyphenated word and goes on.' },
      { type: 'heading', level: 2, text: 'Section two' },
      { type: 'list', ordered: false, items: [{ text: 'first item' }, { text: 'second item that wraps' }] },
      { type: 'list', ordered: true, items: [{ text: 'numbered' }] },
    ])
    expect(layout.confidence).toBeCloseTo(0.9)
  })

  it('gives an empty page no blocks and confidence 0', () => {
    expect(layoutFromTesseract([])).toEqual({ blocks: [], text: '', confidence: 0, words: 0 })
    expect(layoutFromTesseract(null)).toMatchObject({ blocks: [], confidence: 0 })
  })
})

describe('lazy loading', () => {
  it('importing @docloader/core loads neither tesseract.js, sharp nor the Mistral SDK', () => {
    const index = fileURLToPath(new URL('../dist/index.js', import.meta.url))
    const hooks = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) { const r = await next(s, c); if (/node_modules\\/(\\.pnpm\\/)?[^\\/]*(tesseract|sharp|mistralai)/.test(r.url)) console.log("LOADED " + r.url); return r }',
    )}`
    const script = `import { register } from 'node:module'; register(${JSON.stringify(hooks)}); await import(${JSON.stringify(index)}); console.log('IMPORTED')`
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(run.stdout).toContain('IMPORTED')
    expect(run.stdout).not.toContain('LOADED')
  })
})
