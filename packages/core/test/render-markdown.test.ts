import { describe, expect, it } from 'vitest'
import type { Block, Document } from '../src/document.js'
import { renderMarkdown } from '../src/render/markdown.js'
import { renderText } from '../src/render/text.js'

function documentOf(...pages: Block[][]): Document {
  return {
    version: 1,
    metadata: { mimeType: 'application/pdf', sourceFormat: 'pdf', pageCount: pages.length, pagesConverted: pages.length, timings: { detectMs: 0, convertMs: 0, totalMs: 0 } },
    pages: pages.map((blocks, i) => ({ number: i + 1, blocks })),
  }
}

describe('renderMarkdown', () => {
  it('renders headings with their level, paragraphs, and a blank line between blocks', () => {
    const md = renderMarkdown(documentOf([
      { type: 'heading', level: 1, text: 'Title' },
      { type: 'heading', level: 3, text: 'Sub' },
      { type: 'paragraph', text: 'Body text.' },
    ]))
    expect(md).toBe('# Title\n\n### Sub\n\nBody text.\n')
  })

  it('renders nested bullet and numbered lists with indentation', () => {
    const md = renderMarkdown(documentOf([
      {
        type: 'list',
        ordered: true,
        items: [{ text: 'one', children: { type: 'list', ordered: false, items: [{ text: 'inner' }] } }, { text: 'two' }],
      },
    ]))
    expect(md).toBe('1. one\n   - inner\n2. two\n')
  })

  it('renders tables as GFM pipe tables, escaping pipes and padding short rows', () => {
    const md = renderMarkdown(documentOf([{ type: 'table', rows: [['a', 'b'], ['x|y'], ['1', '2']] }]))
    expect(md).toBe('| a | b |\n| --- | --- |\n| x\\|y |  |\n| 1 | 2 |\n')
  })

  it('fences code with a fence longer than any backtick run inside', () => {
    const md = renderMarkdown(documentOf([{ type: 'code', text: 'a ``` b\n  indented' }]))
    expect(md).toBe('````\na ``` b\n  indented\n````\n')
  })

  it('leaves page furniture out unless asked, and keeps it in order when asked', () => {
    const doc = documentOf([
      { type: 'paragraph', text: 'Running head', role: 'header' },
      { type: 'paragraph', text: 'Body' },
      { type: 'paragraph', text: '7', role: 'page-number' },
    ])
    expect(renderMarkdown(doc)).toBe('Body\n')
    expect(renderMarkdown(doc, { includeFurniture: true })).toBe('Running head\n\nBody\n\n7\n')
  })

  it('renders bold, italic, code and links from inline runs', () => {
    const md = renderMarkdown(documentOf([
      {
        type: 'paragraph',
        text: 'See the docs now',
        inlines: [{ text: 'See ' }, { text: 'the docs', href: 'https://example.org/a b' }, { text: ' ' }, { text: 'now', bold: true }],
      },
      { type: 'paragraph', text: 'run x()', inlines: [{ text: 'run ' }, { text: 'x()', code: true }] },
    ]))
    expect(md).toBe('See [the docs](https://example.org/a%20b) **now**\n\nrun `x()`\n')
  })

  it('escapes backticks only where they would pair into a code span', () => {
    const md = renderMarkdown(documentOf([
      { type: 'paragraph', text: "IP encapsulated in IP (officially ``IP'')" },
      { type: 'paragraph', text: 'a `b` c' },
    ]))
    expect(md).toBe("IP encapsulated in IP (officially ``IP'')\n\na \\`b\\` c\n")
  })

  it('escapes text that Markdown would read as structure', () => {
    const md = renderMarkdown(documentOf([
      { type: 'paragraph', text: '# not a heading' },
      { type: 'paragraph', text: '1. not a list' },
      { type: 'paragraph', text: 'a *b* [c] snake_case 2 * 3' },
    ]))
    expect(md).toBe('\\# not a heading\n\n\\1. not a list\n\na \\*b\\* \\[c\\] snake_case 2 * 3\n')
  })
})

describe('renderText', () => {
  it('separates pages with a form feed and tables with tabs', () => {
    const text = renderText(documentOf([{ type: 'heading', level: 1, text: 'T' }], [{ type: 'table', rows: [['a', 'b'], ['1', '2']] }]))
    expect(text).toBe('T\n\fa\tb\n1\t2\n')
  })
})
