import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { Block, ListBlock } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'

const engine = createEngine({ concurrency: 2 })
const fixture = (name: string) => readFile(new URL(`./fixtures/office/${name}`, import.meta.url))

async function toBlocks(html: string): Promise<Block[]> {
  const result = await engine.convert(Buffer.from(html), { format: 'json' })
  return result.document.pages.flatMap((page) => page.blocks)
}

async function toMarkdown(html: string): Promise<string> {
  return (await engine.convert(Buffer.from(html))).content
}

const page = (body: string, head = '<title>A page</title>') => `<!doctype html><html lang="en"><head>${head}</head><body>${body}</body></html>`

describe('HTML to Markdown', () => {
  it('converts a real page (pandoc HTML of the HTTPie README) with its structure', async () => {
    const result = await engine.convert(await fixture('httpie-readme.html'))
    expect(result.metadata).toMatchObject({ sourceFormat: 'html', mimeType: 'text/html', title: 'httpie-readme', pageCount: 1 })
    const md = result.content
    expect(md).toMatch(/^# HTTPie: human-friendly CLI HTTP client for the API era\n/)
    expect(md).toContain('\n## Getting started\n')
    expect(md).toContain('- [Installation instructions →](https://httpie.io/docs#installation)\n')
    expect(md).toContain('HTTPie (pronounced *aitch-tee-tee-pie*) is')
    expect(md).toContain('```bash\n$ https httpie.io/hello\n```')
    expect(md).not.toMatch(/span\.smallcaps|code\{white-space/) // the inlined CSS is gone
  })

  it('keeps headings, paragraphs, inline formatting and links as written', async () => {
    const md = await toMarkdown(page('<h1>Title</h1><p>Some <b>bold</b>, <em>italic</em>, <code>code()</code> and <a href="../docs/intro.html#x">a relative link</a>.</p><h3>Deeper</h3>'))
    expect(md).toBe('# Title\n\nSome **bold**, *italic*, `code()` and [a relative link](../docs/intro.html#x).\n\n### Deeper\n')
  })

  it('collapses whitespace as a browser does and keeps <br> line breaks', async () => {
    const blocks = await toBlocks(page('<p>\n   one\n   two  <b> three </b>four<br>\n  five   </p><div>six</div>seven'))
    expect(blocks).toEqual([
      { type: 'paragraph', text: 'one two three four\nfive', inlines: [{ text: 'one two ' }, { text: 'three ', bold: true }, { text: 'four' }, { text: '\n' }, { text: 'five' }] },
      { type: 'paragraph', text: 'six' },
      { type: 'paragraph', text: 'seven' },
    ])
  })

  it('prefers <main> and drops scripts, styles, navigation and page chrome', async () => {
    const html = page(`
      <header><p>Site banner</p></header>
      <nav><ul><li>Home</li><li>About</li></ul></nav>
      <main><h1>Article</h1><script>alert(1)</script><style>p{}</style><noscript>enable js</noscript>
        <template><p>template text</p></template><p>Body text.</p><aside>Related links</aside><p hidden>secret</p></main>
      <footer>Copyright</footer>`)
    expect(await toMarkdown(html)).toBe('# Article\n\nBody text.\n')
  })

  it('uses role=main or a single article, else the whole body', async () => {
    expect(await toMarkdown(page('<div>menu</div><div role="main"><p>content</p></div>'))).toBe('content\n')
    expect(await toMarkdown(page('<div>menu</div><article><header><h1>Post</h1></header><p>text</p></article>'))).toBe('# Post\n\ntext\n')
    expect(await toMarkdown(page('<header>Top</header><p>text</p><footer>Bottom</footer>'))).toBe('Top\n\ntext\n\nBottom\n')
  })

  it('turns nested lists into nested list blocks, with the start number of ordered ones', async () => {
    const blocks = await toBlocks(page('<ol start="3"><li>three<ul><li>inner <i>a</i></li><li>inner b</li></ul></li><li><p>four</p><p>more</p></li></ol>'))
    const list = blocks[0] as ListBlock
    expect(list).toMatchObject({ type: 'list', ordered: true, start: 3 })
    expect(list.items.map((item) => item.text)).toEqual(['three', 'four\n\nmore'])
    expect(list.items[0]!.children).toMatchObject({ ordered: false, items: [{ text: 'inner a' }, { text: 'inner b' }] })
    expect(await toMarkdown(page('<ul><li>a<ul><li>b</li></ul></li></ul>'))).toBe('- a\n  - b\n')
  })

  it('lays tables out on a grid: row spans repeated, column spans as empty cells, nested tables as text', async () => {
    const blocks = await toBlocks(
      page(`<table><caption>Prices</caption><thead><tr><th>Item</th><th colspan="2">Cost</th></tr></thead>
        <tbody><tr><td rowspan="2">Tea</td><td>1</td><td>EUR</td></tr><tr><td>2</td><td><table><tr><td>x</td><td>y</td></tr></table></td></tr></tbody></table>`),
    )
    expect(blocks).toEqual([
      { type: 'paragraph', text: 'Prices' },
      { type: 'table', header: true, rows: [['Item', 'Cost', ''], ['Tea', '1', 'EUR'], ['Tea', '2', 'x y']] },
    ])
  })

  it('reads pre/code as code blocks with their language, whitespace kept', async () => {
    const blocks = await toBlocks(page('<pre><code class="language-js">if (a) {\n  b()\n}\n</code></pre><pre class="sourceCode python"><code>x  =  1</code></pre>'))
    expect(blocks).toEqual([
      { type: 'code', text: 'if (a) {\n  b()\n}', language: 'js' },
      { type: 'code', text: 'x  =  1', language: 'python' },
    ])
  })

  it('keeps images as image blocks with their alt text, quotes and definitions as paragraphs', async () => {
    const blocks = await toBlocks(page('<p>Before</p><img src="a.png" alt="A chart"><blockquote><p>Quoted</p></blockquote><dl><dt>Term</dt><dd>Meaning</dd></dl>'))
    expect(blocks).toEqual([
      { type: 'paragraph', text: 'Before' },
      { type: 'image', alt: 'A chart' },
      { type: 'paragraph', text: 'Quoted' },
      { type: 'paragraph', text: 'Term' },
      { type: 'paragraph', text: 'Meaning' },
    ])
  })

  it('puts title, language and author into metadata', async () => {
    const result = await engine.convert(Buffer.from(page('<p>x</p>', '<title> My\n page </title><meta name="author" content="Ada">')))
    expect(result.metadata).toMatchObject({ title: 'My page', language: 'en', author: 'Ada' })
  })

  it('survives hostile nesting depth without a stack overflow, in linear time', async () => {
    const started = performance.now()
    const deep = '<div>'.repeat(50_000) + 'deep <b>text</b>' + '</div>'.repeat(50_000)
    expect(await toMarkdown(page(deep))).toBe('deep text\n')
    expect(await toMarkdown(page('<span>'.repeat(50_000) + 'open' + '</b>'.repeat(50_000)))).toBe('open\n')
    expect(performance.now() - started).toBeLessThan(12_000)
  })
})
