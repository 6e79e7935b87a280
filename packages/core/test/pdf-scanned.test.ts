import { readFile } from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { convertPdf } from '../src/convert/pdf/index.js'
import { loadPdfjs, openDocument } from '../src/convert/pdf/load-document.js'
import { embeddedScan, findImages } from '../src/convert/pdf/page-image.js'
import { createEngine } from '../src/engine/create-engine.js'
import type { OcrProvider } from '../src/ocr/ocr-provider.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'
import { renderTextImage } from './render-text-image.js'

const fixture = (name: string): Promise<Buffer> => readFile(new URL(`./fixtures/pdf/${name}`, import.meta.url))

function context(pages?: string): ConverterContext & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    signal: new AbortController().signal,
    pageSelection: parsePageSelection(pages),
    limits: DEFAULT_LIMITS,
    setPagesTotal() {},
    pageDone() {},
    warn(message) {
      warnings.push(message)
    },
  }
}

type PageSpec = 'text' | 'image' | 'blank' | 'garbled' | 'stamped' | 'turned'

const LINE = 'Hello from a page with text'

/**
 * A small PDF written by hand. Pages: `text` a line of text; `image` a drawn grey image (a
 * "scan"); `blank` nothing; `garbled` large text whose font maps every character to the
 * private-use area (a broken encoding: it renders as letters, extracts as garbage); `stamped`
 * a page-sized image with a short stamp of text; `turned` large text on a page with /Rotate 90.
 */
function makePdf(pages: PageSpec[]): Uint8Array {
  const objects: string[] = []
  const add = (body: string): number => objects.push(body)
  const catalog = add('')
  const pagesObj = add('')
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>')
  const cmap =
    '/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Garbage def /CMapType 2 def ' +
    '1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <E020> endbfrange endcmap ' +
    'CMapName currentdict /CMap defineresource pop end end'
  const toUnicode = add(`<< /Length ${cmap.length} >>\nstream\n${cmap}\nendstream`)
  const garbledFont = add(`<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode ${toUnicode} 0 R >>`)
  const image = add(`<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 64 >>\nstream\n${'\x80'.repeat(64)}\nendstream`)
  const kids: number[] = []
  for (const spec of pages) {
    const content = {
      text: `BT /F1 12 Tf 72 720 Td (${LINE}) Tj ET`,
      image: 'q 400 0 0 500 100 150 cm /Im1 Do Q',
      blank: '',
      garbled: `BT /F2 28 Tf 72 700 Td (${LINE}) Tj ET`,
      stamped: 'q 560 0 0 740 26 26 cm /Im1 Do Q BT /F1 9 Tf 40 770 Td (COPY 0001) Tj ET',
      turned: `BT /F1 28 Tf 72 700 Td (${LINE}) Tj ET`,
    }[spec]
    const stream = add(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`)
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792]${spec === 'turned' ? ' /Rotate 90' : ''} /Contents ${stream} 0 R ` +
          `/Resources << /Font << /F1 ${font} 0 R /F2 ${garbledFont} 0 R >> /XObject << /Im1 ${image} 0 R >> >> >>`,
      ),
    )
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`
  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((body, i) => {
    offsets.push(out.length)
    out += `${i + 1} 0 obj\n${body}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

/**
 * A one-page PDF that is only a 1-bit image of `lines` at 300 dpi (DeviceGray, 1 bit per
 * component, uncompressed: a set bit is white), the page exactly the image's size.
 */
async function bilevelScanPdf(lines: string[]): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp')
  const png = await renderTextImage(lines, { fontSize: 48, width: 1200 })
  const { data, info } = await sharp(png).greyscale().threshold(128).raw().toBuffer({ resolveWithObject: true })
  const rowBytes = (info.width + 7) >> 3
  const bits = Buffer.alloc(rowBytes * info.height)
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) if (data[y * info.width + x]! > 127) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7)
  }
  const w = (info.width * 72) / 300
  const h = (info.height * 72) / 300
  const content = `q ${w} 0 0 ${h} 0 0 cm /Im1 Do Q`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>`,
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    `<< /Type /XObject /Subtype /Image /Width ${info.width} /Height ${info.height} /ColorSpace /DeviceGray /BitsPerComponent 1 /Length ${bits.length} >>\nstream\n${bits.toString('latin1')}\nendstream`,
  ]
  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((body, i) => {
    offsets.push(out.length)
    out += `${i + 1} 0 obj\n${body}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

describe('PDF pages without a text layer, converted without OCR', () => {
  it('fails with UNSUPPORTED_TYPE when every page is a scan', async () => {
    const error = await convertPdf(makePdf(['image', 'image']), context()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
    expect((error as Error).message).toBe(
      'This PDF is scanned: none of its 2 pages has a text layer, and OCR is not available here (convert through an engine to read scans).',
    )
  })

  it('fails the same way on a real scanned PDF', async () => {
    const error = await convertPdf(await fixture('scan_amsguide_p10.pdf'), context()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
    expect((error as Error).message).toMatch(/scanned.*OCR is not available here/)
  })

  it('converts the pages with text and flags the scanned ones as partial', async () => {
    const ctx = context()
    const result = await convertPdf(makePdf(['text', 'image', 'blank', 'image']), ctx)
    const reason = 'pages 2, 4 have no text layer (scanned), and OCR is not available here (convert through an engine to read scans)'
    expect(result.metadata.partial).toEqual({ reason, code: 'OCR_FAILED' })
    expect(ctx.warnings).toEqual([reason])
    expect(result.pages[0]!.blocks.some((b) => 'text' in b && b.text === 'Hello from a page with text')).toBe(true)
  })

  it('reads a mixed PDF made from a text page and a scanned page', async () => {
    const ctx = context()
    const result = await convertPdf(await fixture('mixed-text-and-scan.pdf'), ctx)
    expect(result.metadata.partial).toMatchObject({ code: 'OCR_FAILED', reason: expect.stringContaining('page 2 has no text layer') })
    expect(result.pages[0]!.blocks.length).toBeGreaterThan(0)
  })

  it('treats blank pages as fine, and a selection of scanned pages as scanned', async () => {
    const blank = await convertPdf(makePdf(['text', 'blank']), context())
    expect(blank.metadata.partial).toBeUndefined()
    const error = await convertPdf(makePdf(['text', 'image']), context('2')).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
    expect((error as Error).message).toContain('the selected page has no text layer')
  })
})

describe('PDF pages read by OCR', () => {
  const engine = createEngine({ ocr: { tesseract: { workers: 1 } } })
  afterAll(() => engine.close())

  it('reads a real scanned PDF under the default `ocr: auto`, recording the provider per page', async () => {
    const result = await engine.convert(await fixture('scan_amsguide_p10.pdf'))
    expect(result.document.pages).toHaveLength(1)
    expect(result.document.pages[0]!.ocr).toMatchObject({ provider: 'tesseract', confidence: expect.any(Number) })
    expect(result.document.pages[0]!.ocr!.confidence).toBeGreaterThan(0.8)
    expect(result.content).toContain('Book Formatting')
    expect(result.content).toMatch(/\\?\\roster/)
    expect(result.metadata.partial).toBeUndefined()
  })

  it('OCRs only the scanned page of a mixed PDF and keeps the text layer of the other', async () => {
    const result = await engine.convert(makePdf(['text', 'garbled', 'blank']))
    const [text, garbled, blank] = result.document.pages
    expect(text!.ocr).toBeUndefined()
    expect(text!.blocks).toEqual([expect.objectContaining({ text: LINE })])
    expect(garbled!.ocr).toMatchObject({ provider: 'tesseract' })
    expect(garbled!.blocks.map((b) => ('text' in b ? b.text : '')).join(' ')).toContain(LINE)
    expect(blank!.ocr).toBeUndefined()
    expect(result.content).not.toMatch(/[\uE000-\uF8FF]/)
  })

  it('reads a page turned by /Rotate the right way up, and OCRs every page under `ocr: force`', async () => {
    const result = await engine.convert(makePdf(['text', 'turned']), { ocr: 'force' })
    expect(result.document.pages.map((p) => p.ocr?.provider)).toEqual(['tesseract', 'tesseract'])
    expect(result.content.match(new RegExp(LINE, 'g'))).toHaveLength(2)
  })

  it('OCRs a scan that carries a short stamp of text, and never a page with a good text layer', async () => {
    const result = await engine.convert(makePdf(['stamped', 'text']))
    expect(result.document.pages[0]!.ocr).toMatchObject({ provider: 'tesseract' })
    // The page is rendered, not taken from its scan image alone: the stamp is read too.
    expect(result.content).toContain('COPY 0001')
    expect(result.document.pages[1]!.ocr).toBeUndefined()
    const born = await engine.convert(await fixture('node-documentation.pdf'))
    expect(born.document.pages.every((page) => page.ocr === undefined)).toBe(true)
  })

  it('keeps the garbled text and flags a scan as partial under `ocr: off`', async () => {
    const result = await engine.convert(makePdf(['garbled', 'image']), { ocr: 'off' })
    expect(result.document.pages.every((page) => page.ocr === undefined)).toBe(true)
    expect(result.metadata.partial).toEqual({ code: 'OCR_FAILED', reason: 'page 2 has no text layer (scanned), and OCR is off (`--ocr off`)' })
    const error = await engine.convert(await fixture('scan_amsguide_p10.pdf'), { ocr: 'off' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE', message: expect.stringContaining('OCR is off') })
  })

  it('reads a bilevel scan (1 bit per pixel, as fax-like CCITT and JBIG2 scans decode) from its embedded image', async () => {
    const pdf = await bilevelScanPdf(['Bilevel scan of a contract', 'signed by both parties'])
    const pdfjs = await loadPdfjs()
    const { task, document } = await openDocument(pdfjs, pdf, undefined)
    try {
      const page = await document.getPage(1)
      const pixels = await embeddedScan(page, await findImages(page, pdfjs, (p) => p), page.getViewport({ scale: 1 }))
      expect(pixels).toMatchObject({ source: 'embedded', channels: 1 })
      expect(pixels!.data[0]).toBe(255) // the corner is paper: white, not inverted
    } finally {
      await task.destroy()
    }
    const result = await engine.convert(pdf)
    expect(result.document.pages[0]!.ocr).toMatchObject({ provider: 'tesseract' })
    expect(result.content).toContain('Bilevel scan of a contract')
  })

  it('takes a scan page from its embedded image instead of rendering it', async () => {
    const pdfjs = await loadPdfjs()
    const { task, document } = await openDocument(pdfjs, await fixture('scan_amsguide_p10.pdf'), undefined)
    try {
      const page = await document.getPage(1)
      const size = page.getViewport({ scale: 1 })
      const images = await findImages(page, pdfjs, (p) => p)
      expect(images).toHaveLength(1)
      const pixels = await embeddedScan(page, images, size)
      expect(pixels).toMatchObject({ source: 'embedded', channels: 3 })
      expect(pixels!.dpi).toBeGreaterThan(190)
      expect(pixels!.dpi).toBeLessThan(210)
    } finally {
      await task.destroy()
    }
  })
})

describe('the soft time limit (`softTimeout`)', () => {
  /**
   * An OCR provider that answers its first `quick` calls at once and then hangs until aborted;
   * `aborted` counts the calls that ended by the signal.
   */
  function slowAfter(quick: number): OcrProvider & { aborted: number } {
    let calls = 0
    const provider = {
      name: 'slow',
      aborted: 0,
      recognize(_image: unknown, _options: unknown, signal: AbortSignal) {
        calls++
        if (signal.aborted) {
          provider.aborted++
          return Promise.reject(signal.reason as Error)
        }
        if (calls <= quick) return Promise.resolve({ text: `Page read by OCR number ${calls}`, confidence: 0.9, provider: 'slow' })
        return new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            provider.aborted++
            reject(signal.reason as Error)
          })
        })
      },
    }
    return provider
  }

  it('stops OCR at the limit, keeps the pages read and the text pages, and flags the result partial', async () => {
    const provider = slowAfter(1)
    const engine = createEngine({ ocr: { provider } })
    try {
      await engine.convert(makePdf(['text'])) // pdfjs loaded before the clock starts
      const result = await engine.convert(makePdf(['image', 'image', 'text', 'image']), { softTimeout: 4000 })
      expect(provider.aborted).toBe(1)
      expect(result.metadata.partial).toEqual({ code: 'TIMEOUT', reason: 'OCR stopped at the soft time limit of 4 s: pages 2, 4 were not read.' })
      expect(result.metadata.warnings).toContain(result.metadata.partial!.reason)
      expect(result.content).toContain('Page read by OCR number 1')
      expect(result.content).toContain(LINE)
      expect(result.document.pages.map((p) => p.ocr?.provider)).toEqual(['slow', undefined, undefined, undefined])
    } finally {
      await engine.close()
    }
  })

  it('fails with TIMEOUT when no page was read by the limit, for PDFs and images alike', async () => {
    const engine = createEngine({ ocr: { provider: slowAfter(0) } })
    try {
      const error = await engine.convert(makePdf(['image', 'image']), { softTimeout: 200 }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('No page had been read') })
      const image = await engine.convert(await renderTextImage('Too slow'), { softTimeout: 200 }).catch((e: unknown) => e)
      expect(image).toMatchObject({ code: 'TIMEOUT' })
      await expect(engine.convert(makePdf(['text']), { softTimeout: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    } finally {
      await engine.close()
    }
  })
})
