import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { convertPdf } from '../src/convert/pdf/index.js'
import type { Block, HeadingBlock, ListBlock, Page, TableBlock } from '../src/document.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'

const fixture = (name: string): Promise<Buffer> => readFile(new URL(`./fixtures/pdf/${name}`, import.meta.url))

function context(pages?: string): ConverterContext {
  return {
    signal: new AbortController().signal,
    pageSelection: parsePageSelection(pages),
    limits: DEFAULT_LIMITS,
    setPagesTotal() {},
    pageDone() {},
    warn() {},
  }
}

const blocks = (pages: Page[]): Block[] => pages.flatMap((p) => p.blocks)
const content = (pages: Page[]): Block[] => blocks(pages).filter((b) => !b.role)
const texts = (pages: Page[]): string =>
  content(pages)
    .map((b) => ('text' in b ? b.text : b.type === 'table' ? b.rows.flat().join(' ') : b.type === 'list' ? b.items.map((i) => i.text).join(' ') : ''))
    .join('\n')

describe('PDF layout analysis', () => {
  it('finds headings and ranks their levels by size', async () => {
    const { pages } = await convertPdf(await fixture('systemd-distro-porting.pdf'), context())
    const headings = content(pages).filter((b): b is HeadingBlock => b.type === 'heading')
    expect(headings.map((h) => [h.level, h.text])).toEqual(
      expect.arrayContaining([
        [1, 'Porting systemd To New Distributions'],
        [2, 'HOWTO'],
        [2, 'Compilation options'],
        [2, 'Contributing Upstream'],
      ]),
    )
  })

  it('reads numbered lists with bullet lists drawn as shapes nested by indent, and links', async () => {
    const { pages } = await convertPdf(await fixture('systemd-distro-porting.pdf'), context())
    const list = content(pages).find((b): b is ListBlock => b.type === 'list' && b.ordered)
    expect(list?.items.map((i) => i.text)).toEqual(['Find the right configure parameters for:', 'Try it out.'])
    const nested = list!.items[0]!.children
    expect(nested?.ordered).toBe(false)
    expect(nested?.items.map((i) => i.text)).toContain('-Drootprefix=')
    expect(nested?.items).toHaveLength(10)
    // monospace runs are inline code
    expect(nested?.items[0]!.inlines?.[0]).toMatchObject({ text: '-Drootprefix=', code: true })
    const inlines = content(pages).flatMap((b) => ('inlines' in b ? (b.inlines ?? []) : []))
    expect(inlines.some((i) => i.href?.startsWith('http'))).toBe(true)
  })

  it('reads two columns left before right and rejoins hyphenated words', async () => {
    const { pages } = await convertPdf(await fixture('dafx_p009.pdf'), context('1'))
    const text = texts(pages)
    expect(text).toContain('aims at producing conference proceedings in electronic form')
    const order = ['ABSTRACT', '1.1. Figures', '1.2. Tables'].map((s) => text.indexOf(s))
    expect(order.every((i) => i >= 0)).toBe(true)
    expect(order).toEqual([...order].sort((a, b) => a - b))
    // the first lines of the two columns are not glued together
    expect(text).not.toMatch(/International\s+vectorial/)
  })

  it('flags running headers and page numbers as furniture', async () => {
    const { pages } = await convertPdf(await fixture('dafx_p009.pdf'), context())
    const furniture = blocks(pages).filter((b) => b.role)
    expect(furniture.some((b) => b.role === 'header' && 'text' in b && b.text.startsWith('Proc. of the 9th Int. Conference'))).toBe(true)
    expect(furniture.some((b) => b.role === 'footer' || b.role === 'page-number')).toBe(true)
    // once per page at most for each kind, never body text
    expect(furniture.length).toBeLessThanOrEqual(pages.length * 3)
    expect(texts(pages)).not.toContain('Proc. of the 9th Int. Conference')
  })

  it('reads a ruled table that runs over a page break as one table', async () => {
    const { pages } = await convertPdf(await fixture('node-documentation.pdf'), context())
    const tables = content(pages).filter((b): b is TableBlock => b.type === 'table')
    expect(tables).toHaveLength(1)
    const [table] = tables
    expect(table!.rows[0]).toEqual(['API', 'Stability'])
    expect(table!.rows).toContainEqual(['Buffer', '(2) Stable'])
    expect(table!.rows).toContainEqual(['Zlib', '(2) Stable'])
    // the header row Chromium repeats on the next page is not kept twice
    expect(table!.rows.filter((r) => r[0] === 'API')).toHaveLength(1)
    expect(table!.rows.every((r) => r.length === 2)).toBe(true)
  })

  it('reads metadata and counts pages', async () => {
    const { metadata, pages } = await convertPdf(await fixture('node-documentation.pdf'), context())
    expect(metadata).toMatchObject({ pageCount: 3, pagesConverted: 3, title: 'node-documentation', producer: 'Skia/PDF m156' })
    expect(metadata.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect(metadata.partial).toBeUndefined()
    expect(pages.map((p) => p.number)).toEqual([1, 2, 3])
    expect(pages[0]!.width).toBeCloseTo(612, 0)
  })
})
