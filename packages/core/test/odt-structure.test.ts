import { describe, expect, it } from 'vitest'
import type { Block } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'
import { makeOdt } from './make-odt.js'

const engine = createEngine({ concurrency: 2 })

async function blocksOf(bytes: Uint8Array): Promise<Block[]> {
  return (await engine.convert(bytes, { format: 'json' })).document.pages.flatMap((page) => page.blocks)
}

const LIST_STYLES =
  '<text:list-style style:name="L1"><text:list-level-style-bullet text:level="1" text:bullet-char="•"/><text:list-level-style-number text:level="2" style:num-format="1"/></text:list-style>' +
  '<text:list-style style:name="L2"><text:list-level-style-number text:level="1" style:num-format="1"/></text:list-style>'

describe('ODT to Markdown', () => {
  it('reads headings by outline level, paragraphs, emphasis from styles, links and line breaks', async () => {
    const odt = makeOdt({
      automaticStyles: '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style><style:style style:name="T2" style:family="text" style:parent-style-name="Emphasis"/>',
      body:
        '<text:p text:style-name="Title">Report</text:p><text:h text:outline-level="2">Scope</text:h>' +
        '<text:p>Some <text:span text:style-name="T1">bold</text:span>,<text:s/> <text:span text:style-name="T2">italic</text:span> and <text:span text:style-name="Source_20_Text">code</text:span>' +
        ' with <text:a xlink:href="https://example.com/x">a link</text:a>.<text:line-break/>Next line.</text:p>',
    })
    expect((await engine.convert(odt)).content).toBe('# Report\n\n## Scope\n\nSome **bold**, *italic* and `code` with [a link](https://example.com/x).\nNext line.\n')
  })

  it('keeps nested lists, numbered or bulleted per level of the list style', async () => {
    const odt = makeOdt({
      automaticStyles: LIST_STYLES,
      body:
        '<text:list text:style-name="L1"><text:list-item><text:p>fruit</text:p><text:list><text:list-item><text:p>apple</text:p></text:list-item><text:list-item><text:p>pear</text:p></text:list-item></text:list></text:list-item><text:list-item><text:p>bread</text:p></text:list-item></text:list>' +
        '<text:list text:style-name="L2"><text:list-item><text:p>first</text:p></text:list-item></text:list>',
    })
    expect((await engine.convert(odt)).content).toBe('- fruit\n  1. apple\n  2. pear\n- bread\n\n1. first\n')
  })

  it('reads tables with spanned and covered cells', async () => {
    const cell = (text: string, attributes = '') => `<table:table-cell${attributes}><text:p>${text}</text:p></table:table-cell>`
    const odt = makeOdt({
      body:
        '<table:table table:name="T"><table:table-column table:number-columns-repeated="3"/><table:table-header-rows><table:table-row>' +
        cell('Name') + cell('Span', ' table:number-columns-spanned="2"') + '<table:covered-table-cell/></table:table-row></table:table-header-rows>' +
        `<table:table-row>${cell('a', ' table:number-rows-spanned="2"')}${cell('b')}${cell('c')}</table:table-row>` +
        `<table:table-row><table:covered-table-cell><text:p>hidden</text:p></table:covered-table-cell>${cell('d')}${cell('e')}</table:table-row></table:table>`,
    })
    expect(await blocksOf(odt)).toEqual([{ type: 'table', header: true, rows: [['Name', 'Span', ''], ['a', 'b', 'c'], ['a', 'd', 'e']] }])
  })

  it('joins preformatted paragraphs into one code block, spaces kept', async () => {
    const odt = makeOdt({
      body: '<text:p>Run:</text:p><text:p text:style-name="Preformatted_20_Text">if x:</text:p><text:p text:style-name="Preformatted_20_Text"><text:s text:c="4"/>go()</text:p>',
    })
    expect(await blocksOf(odt)).toEqual([
      { type: 'paragraph', text: 'Run:' },
      { type: 'code', text: 'if x:\n    go()' },
    ])
  })

  it('keeps footnotes as [n] and a list at the end; images as alt text', async () => {
    const odt = makeOdt({
      body:
        '<text:p>Claim<text:note text:id="n1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>The source.</text:p></text:note-body></text:note> holds.</text:p>' +
        '<text:p><draw:frame draw:name="img1"><draw:image xlink:href="Pictures/1.png"/><svg:title>A diagram</svg:title></draw:frame></text:p>',
    })
    expect((await engine.convert(odt)).content).toBe('Claim\\[1\\] holds.\n\n![A diagram]()\n\n## Footnotes\n\n1. The source.\n')
  })

  it('puts meta.xml into metadata', async () => {
    const odt = makeOdt({ body: '<text:p>x</text:p>', meta: '<dc:title>Minutes</dc:title><meta:initial-creator>Ada</meta:initial-creator><meta:keyword>a</meta:keyword><meta:keyword>b</meta:keyword><dc:language>de</dc:language><meta:creation-date>2024-05-06T07:08:09</meta:creation-date>' })
    expect((await engine.convert(odt)).metadata).toMatchObject({ sourceFormat: 'odt', title: 'Minutes', author: 'Ada', keywords: 'a, b', language: 'de', createdAt: '2024-05-06T07:08:09' })
  })

  it('fails a password-protected ODT with ENCRYPTED and broken XML with CORRUPT_FILE', async () => {
    const manifest =
      '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"><manifest:algorithm manifest:algorithm-name="Blowfish CFB"/></manifest:encryption-data></manifest:file-entry></manifest:manifest>'
    await expect(engine.convert(makeOdt({ body: '<text:p>x</text:p>', manifest }))).rejects.toMatchObject({ code: 'ENCRYPTED' })
    await expect(engine.convert(makeOdt({ body: '<text:p>x</text:p><text:p' }))).rejects.toMatchObject({ code: 'CORRUPT_FILE' })
    await expect(engine.convert(makeOdt({ body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><text:p>&e;</text:p>' }))).rejects.toMatchObject({ code: 'CORRUPT_FILE' })
  })
})
