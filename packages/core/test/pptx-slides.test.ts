import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { Document, ListBlock, TableBlock } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'
import { makeZipBomb } from './make-zip-bomb.js'
import { buildPptx, pptxParts } from './pptx-build-deck.js'

const fixture = (name: string) => readFile(new URL(`fixtures/office/${name}`, import.meta.url))

async function convert(bytes: Uint8Array, options: Parameters<ReturnType<typeof createEngine>['convert']>[1] = {}) {
  const engine = createEngine({ concurrency: 1 })
  try {
    return await engine.convert(bytes, options)
  } finally {
    await engine.close()
  }
}

async function toDocument(bytes: Uint8Array): Promise<Document> {
  return JSON.parse((await convert(bytes, { format: 'json' })).content) as Document
}

describe('PPTX: a real deck (pandoc rendering of the Node.js documentation page)', () => {
  it('gives one page per slide with headings, links, sub-headings and the table', async () => {
    const result = await convert(await fixture('node-documentation.pptx'))
    expect(result.metadata).toMatchObject({ sourceFormat: 'pptx', pageCount: 2, pagesConverted: 2, title: 'About this documentation' })
    expect(result.document.pages.map((page) => page.number)).toEqual([1, 2])
    expect(result.document.pages[0]).toMatchObject({ width: 720, height: 405 })
    const md = result.content
    expect(md.startsWith('# About this documentation\n\nWelcome to the official API reference documentation for Node.js!\n')).toBe(true)
    expect(md).toContain('Node.js is a JavaScript runtime built on the [V8 JavaScript engine](https://v8.dev/).')
    // Bold one-line paragraphs that head text are sub-headings, one level below the slide's.
    expect(md.match(/^#+ .*$/gm)).toEqual(['# About this documentation', '## Contributing', '## Stability index', '## Stability overview', '## JSON output', '### System calls and man pages'])
    // The text column left of the table is read before the table.
    expect(md.indexOf('Use caution when making use of Experimental features')).toBeLessThan(md.indexOf('| API | Stability |'))
    const table = result.document.pages[0]!.blocks.find((block): block is TableBlock => block.type === 'table')!
    expect(table.header).toBe(true)
    expect(table.rows[0]).toEqual(['API', 'Stability'])
    expect(table.rows).toHaveLength(43)
    expect(md).toContain('Every `.html` document has a corresponding `.json` document.')
  })
})

describe('PPTX: structure of generated decks', () => {
  it('keeps presentation order (sldIdLst), not the order of the slide parts', async () => {
    const bytes = buildPptx([{ title: 'First' }, { title: 'Second' }, { title: 'Third' }], { reverseParts: true })
    const md = (await convert(bytes)).content
    expect(md.match(/^#+ .*$/gm)).toEqual(['# First', '## Second', '## Third'])
  })

  it('reads text boxes top to bottom, left to right, and a column before the box beside it', async () => {
    const bytes = buildPptx([
      {
        title: 'Layout',
        shapes: [
          { textBox: true, x: 5000000, y: 1000000, width: 3000000, height: 4000000, paragraphs: ['Right column'] },
          { textBox: true, x: 500000, y: 3000000, width: 4000000, height: 1000000, paragraphs: ['Left lower'] },
          { textBox: true, x: 500000, y: 1000000, width: 4000000, height: 1000000, paragraphs: ['Left upper'] },
          { textBox: true, x: 500000, y: 6000000, width: 8000000, height: 500000, paragraphs: ['Footer-wide box'] },
        ],
      },
    ])
    const md = (await convert(bytes)).content
    expect(md).toBe('# Layout\n\nLeft upper\n\nLeft lower\n\nRight column\n\nFooter-wide box\n')
  })

  it('nests bullets by level, numbers buAutoNum lists and keeps plain paragraphs apart', async () => {
    const bytes = buildPptx([
      {
        title: 'Lists',
        shapes: [
          {
            placeholder: 'body',
            paragraphs: [
              { text: 'Intro line', bullet: 'none' },
              { text: 'Step one', bullet: 'number' },
              { text: 'detail a', level: 1 },
              { text: 'detail b', level: 1 },
              { text: 'Step two', bullet: 'number' },
              { text: 'Outro line', bullet: 'none' },
              { text: 'Loose point' },
            ],
          },
        ],
      },
    ])
    const result = await convert(bytes)
    expect(result.content).toBe('# Lists\n\nIntro line\n\n1. Step one\n   - detail a\n   - detail b\n2. Step two\n\nOutro line\n\n- Loose point\n')
    const list = result.document.pages[0]!.blocks[2] as ListBlock
    expect(list).toMatchObject({ type: 'list', ordered: true })
    expect(list.items[0]!.children).toMatchObject({ ordered: false, items: [{ text: 'detail a' }, { text: 'detail b' }] })
  })

  it('does not bullet paragraphs of plain text boxes', async () => {
    const bytes = buildPptx([{ title: 'Box', shapes: [{ textBox: true, paragraphs: ['One', 'Two'] }] }])
    expect((await convert(bytes)).content).toBe('# Box\n\nOne\n\nTwo\n')
  })

  it('turns a:tbl into a table block and keeps speaker notes after the slide', async () => {
    const bytes = buildPptx([
      {
        title: 'Figures',
        shapes: [{ table: [['Quarter', 'Revenue'], ['Q1', '10'], ['Q2', '12']], x: 0, y: 1000000 }],
        notes: 'Mention the Q2 growth.\nThen move on.',
      },
    ])
    const result = await convert(bytes)
    expect(result.content).toBe('# Figures\n\n| Quarter | Revenue |\n| --- | --- |\n| Q1 | 10 |\n| Q2 | 12 |\n\n**Notes:** Mention the Q2 growth.\nThen move on.\n')
    const json = await toDocument(bytes)
    expect(json.pages[0]!.blocks.at(-1)).toMatchObject({ type: 'paragraph', text: 'Notes: Mention the Q2 growth.\nThen move on.' })
  })

  it('names an untitled slide "Slide N", keeps picture descriptions and links, and reads core.xml', async () => {
    const bytes = buildPptx(
      [
        { title: 'Cover' },
        { shapes: [{ textBox: true, x: 0, y: 1000000, paragraphs: [{ text: 'docs', href: 'https://example.org/docs' }] }, { picture: 'A bar chart of sales', x: 0, y: 3000000 }] },
      ],
      { title: 'Quarterly review' },
    )
    const result = await convert(bytes)
    expect(result.content).toBe('# Cover\n\n## Slide 2\n\n[docs](https://example.org/docs)\n\n![A bar chart of sales]()\n')
    expect(result.metadata).toMatchObject({ title: 'Quarterly review', author: 'Test Author', createdAt: '2024-05-01T10:00:00Z', pageCount: 2 })
  })

  it('converts only the selected slides and numbers pages by slide', async () => {
    const bytes = buildPptx([{ title: 'One' }, { title: 'Two' }, { title: 'Three' }])
    const result = await convert(bytes, { pages: '2-3' })
    expect(result.document.pages.map((page) => page.number)).toEqual([2, 3])
    expect(result.metadata).toMatchObject({ pageCount: 3, pagesConverted: 2 })
  })

  it('fails with LIMIT_EXCEEDED past maxPages slides', async () => {
    const bytes = buildPptx([{ title: 'One' }, { title: 'Two' }, { title: 'Three' }])
    await expect(convert(bytes, { limits: { maxPages: 2 } })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })
})

describe('PPTX: big and hostile decks', () => {
  it('converts a 200-slide deck in seconds', async () => {
    const slides = Array.from({ length: 200 }, (_, i) => ({
      title: `Slide title ${i + 1}`,
      shapes: [
        { placeholder: 'body', paragraphs: Array.from({ length: 8 }, (_, j) => ({ text: `Point ${j + 1} of slide ${i + 1} with some words`, level: j % 2 })) },
        { table: [['a', 'b'], [`${i}`, `${i * 2}`]], x: 0, y: 5000000 },
      ],
      notes: `Notes for slide ${i + 1}`,
    }))
    const bytes = buildPptx(slides)
    const started = performance.now()
    const result = await convert(bytes)
    const ms = performance.now() - started
    expect(result.document.pages).toHaveLength(200)
    expect(result.content).toContain('## Slide title 200')
    expect(result.content).toContain('**Notes:** Notes for slide 137')
    expect(ms).toBeLessThan(5000)
  })

  it('never inflates media: a 600 MiB picture entry costs nothing', async () => {
    const bytes = makeZipBomb(600, 'ppt/media/image1.png', pptxParts([{ title: 'Has a huge picture', shapes: [{ picture: 'huge', x: 0, y: 0 }] }]))
    const result = await convert(bytes)
    expect(result.content).toBe('# Has a huge picture\n\n![huge]()\n')
  })

  it('fails a zip bomb in a slide with LIMIT_EXCEEDED', async () => {
    const bytes = makeZipBomb(600, 'ppt/slides/slide1.xml', Object.fromEntries(Object.entries(pptxParts([{ title: 'x' }])).filter(([name]) => name !== 'ppt/slides/slide1.xml')))
    await expect(convert(bytes)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })

  it('does not resolve entities: an XXE slide fails as CORRUPT_FILE without reading the file', async () => {
    const parts = pptxParts([{ title: 'placeholder' }])
    const xxe = `<?xml version="1.0"?><!DOCTYPE p:sld [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id="2" name="t"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>&xxe;</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
    parts['ppt/slides/slide1.xml'] = new TextEncoder().encode(xxe)
    const { zipSync } = await import('fflate')
    const error = await convert(zipSync(parts)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CORRUPT_FILE' })
    expect(String((error as Error).message)).not.toContain('root:')
  })

  it('says CORRUPT_FILE for a ZIP that claims to be a presentation but has no presentation part', async () => {
    const parts = pptxParts([{ title: 'x' }])
    delete parts['ppt/presentation.xml']
    const { zipSync } = await import('fflate')
    await expect(convert(zipSync(parts))).rejects.toMatchObject({ code: 'CORRUPT_FILE' })
  })
})
