import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { Block, ListBlock } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'
import { makeDocx, para, run } from './make-docx.js'

const engine = createEngine({ concurrency: 2 })
const fixture = (name: string) => readFile(new URL(`./fixtures/office/${name}`, import.meta.url))

async function blocksOf(bytes: Uint8Array): Promise<Block[]> {
  const result = await engine.convert(bytes, { format: 'json' })
  return result.document.pages.flatMap((page) => page.blocks)
}

const NUMBERING =
  '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
const listPara = (text: string, level: number) => para(run(text), undefined, `<w:numPr><w:ilvl w:val="${level}"/><w:numId w:val="1"/></w:numPr>`)

describe('DOCX to Markdown', () => {
  it('converts a real pandoc DOCX: headings, block quotes, a 42-row table', async () => {
    const result = await engine.convert(await fixture('node-documentation.docx'))
    expect(result.metadata).toMatchObject({ sourceFormat: 'docx', pageCount: 1 })
    const md = result.content
    expect(md).toMatch(/^# About this documentation\n/m)
    expect(md).toContain('\n## Stability index\n')
    expect(md).toContain('| API | Stability |\n| --- | --- |\n| Assert | (2) Stable |\n')
    expect(md.match(/^\| /gm)).toHaveLength(44) // header, delimiter, 42 rows
    expect(md).toContain('[semantic versioning](https://semver.org/)')
  })

  it('converts the libffi README: code blocks, a table and links', async () => {
    const blocks = await blocksOf(await fixture('libffi-readme.docx'))
    expect(blocks.filter((b) => b.type === 'heading').map((b) => (b as { text: string }).text)).toContain('What is libffi?')
    const table = blocks.find((b) => b.type === 'table')
    expect(table).toMatchObject({ rows: expect.arrayContaining([['Architecture', 'Operating System', 'Compiler'], ['AArch64', 'Linux', 'GCC']]) })
    expect(blocks.some((b) => b.type === 'code')).toBe(true)
  })

  it('maps Title and Heading styles to heading levels and keeps bold, italic, code and links', async () => {
    const docx = makeDocx({
      body:
        para(run('The Title'), 'Title') +
        para(run('Part one'), 'Heading1') +
        para(run('Section'), 'Heading2') +
        para(run('Bold', '<w:b/>') + run(' and ') + run('italic', '<w:i/>') + run(' and ') + run('code()', '<w:rStyle w:val="VerbatimChar"/>') + run(' and ') + '<w:hyperlink r:id="rLink"><w:r><w:t>a link</w:t></w:r></w:hyperlink>'),
      relationships: '<Relationship Id="rLink" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/a?b=1" TargetMode="External"/>',
    })
    expect((await engine.convert(docx)).content).toBe('# The Title\n\n# Part one\n\n## Section\n\n**Bold** and *italic* and `code()` and [a link](https://example.com/a?b=1)\n')
  })

  it('keeps list nesting and numbering kinds', async () => {
    const docx = makeDocx({ body: listPara('one', 0) + listPara('one.a', 1) + listPara('one.b', 1) + listPara('two', 0), numbering: NUMBERING })
    const [list] = (await blocksOf(docx)) as [ListBlock]
    expect(list).toMatchObject({ type: 'list', ordered: false, items: [{ text: 'one', children: { ordered: true, items: [{ text: 'one.a' }, { text: 'one.b' }] } }, { text: 'two' }] })
    expect((await engine.convert(docx)).content).toBe('- one\n  1. one.a\n  2. one.b\n- two\n')
  })

  it('expands merged cells: vertical merges repeat their text, horizontal ones leave empty cells', async () => {
    const cell = (text: string, props = '') => `<w:tc>${props ? `<w:tcPr>${props}</w:tcPr>` : ''}${para(text ? run(text) : '')}</w:tc>`
    const docx = makeDocx({
      body: `<w:tbl><w:tr>${cell('Name')}${cell('Span', '<w:gridSpan w:val="2"/>')}</w:tr><w:tr>${cell('a', '<w:vMerge w:val="restart"/>')}${cell('b')}${cell('c')}</w:tr><w:tr>${cell('', '<w:vMerge/>')}${cell('d')}${cell('e')}</w:tr></w:tbl>`,
    })
    expect(await blocksOf(docx)).toEqual([{ type: 'table', header: true, rows: [['Name', 'Span', ''], ['a', 'b', 'c'], ['a', 'd', 'e']] }])
  })

  it('keeps footnotes as a numbered list under a Footnotes heading, references as [n]', async () => {
    const docx = makeDocx({
      body: para(run('Claim') + '<w:r><w:footnoteReference w:id="1"/></w:r>' + run(' continues.')),
      footnotes: `<w:footnote w:id="1">${para(run('The source.'))}</w:footnote>`,
    })
    expect((await engine.convert(docx)).content).toBe('Claim\\[1\\] continues.\n\n## Footnotes\n\n1. The source.\n')
  })

  it('turns pictures into image blocks with their alt text, without reading the image', async () => {
    const drawing =
      '<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:extent cx="10" cy="10"/><wp:docPr id="1" name="Picture 1" descr="A red square"/>' +
      '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:blipFill><a:blip r:embed="rImg"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>'
    const docx = makeDocx({
      body: para(run('Before')) + para(drawing) + para(run('After')),
      relationships: '<Relationship Id="rImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/>',
      extra: { 'word/media/image1.png': 'not really a PNG' },
    })
    expect(await blocksOf(docx)).toEqual([
      { type: 'paragraph', text: 'Before' },
      { type: 'image', alt: 'A red square' },
      { type: 'paragraph', text: 'After' },
    ])
  })

  it('keeps equations (Office Math, which mammoth drops) as LaTeX-like text', async () => {
    const m = (inner: string) => `<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">${inner}</m:oMath>`
    const r = (text: string) => `<m:r><m:t>${text}</m:t></m:r>`
    const fraction = `<m:f><m:num>${r('a')}</m:num><m:den>${r('b')}</m:den></m:f>`
    const docx = makeDocx({
      body:
        para(run('Area ') + m(`${r('A=π')}<m:sSup><m:e>${r('r')}</m:e><m:sup>${r('2')}</m:sup></m:sSup>`) + run(' holds.')) +
        para(`<m:oMathPara xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">${m(`<m:sSup><m:e>${fraction}</m:e><m:sup>${r('2')}</m:sup></m:sSup>${r('+')}<m:rad><m:radPr><m:degHide m:val="1"/></m:radPr><m:deg/><m:e>${r('x')}</m:e></m:rad>`)}</m:oMathPara>`),
    })
    const blocks = await blocksOf(docx)
    expect(blocks.map((b) => (b as { text: string }).text)).toEqual(['Area $A=πr^{2}$ holds.', '$${\\frac{a}{b}}^{2}+\\sqrt{x}$$'])
  })

  it('puts the core properties into metadata', async () => {
    const docx = makeDocx({
      body: para(run('x')),
      core: '<dc:title>Annual report</dc:title><dc:creator>Ada Lovelace</dc:creator><dc:subject>Finance</dc:subject><cp:keywords>money, year</cp:keywords><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-02T03:04:05Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2024-02-03T04:05:06Z</dcterms:modified>',
    })
    const { metadata } = await engine.convert(docx)
    expect(metadata).toMatchObject({
      title: 'Annual report',
      author: 'Ada Lovelace',
      subject: 'Finance',
      keywords: 'money, year',
      createdAt: '2024-01-02T03:04:05Z',
      modifiedAt: '2024-02-03T04:05:06Z',
    })
  })
})
