import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { convertPdf } from '../src/convert/pdf/index.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'

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

type PageSpec = 'text' | 'image' | 'blank'

/** A small PDF written by hand: pages with a line of text, a drawn grey image (a "scan"), or nothing. */
function makePdf(pages: PageSpec[]): Uint8Array {
  const objects: string[] = []
  const add = (body: string): number => objects.push(body)
  const catalog = add('')
  const pagesObj = add('')
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>')
  const image = add(`<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 64 >>\nstream\n${'\x80'.repeat(64)}\nendstream`)
  const kids: number[] = []
  for (const spec of pages) {
    const content = spec === 'text' ? 'BT /F1 12 Tf 72 720 Td (Hello from a page with text) Tj ET' : spec === 'image' ? 'q 400 0 0 500 100 150 cm /Im1 Do Q' : ''
    const stream = add(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`)
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792] /Contents ${stream} 0 R /Resources << /Font << /F1 ${font} 0 R >> /XObject << /Im1 ${image} 0 R >> >> >>`,
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

describe('PDF pages without a text layer (scans)', () => {
  it('fails with UNSUPPORTED_TYPE when every page is a scan', async () => {
    const error = await convertPdf(makePdf(['image', 'image']), context()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
    expect((error as Error).message).toBe('This PDF is scanned: none of its 2 pages has a text layer. OCR is not available in this version.')
  })

  it('fails the same way on a real scanned PDF', async () => {
    const error = await convertPdf(await fixture('scan_amsguide_p10.pdf'), context()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
    expect((error as Error).message).toMatch(/scanned.*OCR is not available/)
  })

  it('converts the pages with text and flags the scanned ones as partial', async () => {
    const ctx = context()
    const result = await convertPdf(makePdf(['text', 'image', 'blank', 'image']), ctx)
    const reason = 'pages 2, 4 have no text layer (scanned); OCR is not available in this version'
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
