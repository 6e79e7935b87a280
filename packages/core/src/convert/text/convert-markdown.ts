import type { Token, Tokens } from 'marked'
import type { Block, Inline, ListBlock } from '../../document.js'
import type { Converter } from '../../options.js'
import { decode, ensureNewline } from './convert-text.js'

/**
 * Markdown: passes through unchanged as Markdown; parsed (marked's lexer) into the Document
 * model for JSON and text output.
 */
export const convertMarkdown: Converter = async (bytes, context) => {
  const source = decode(bytes)
  const blocks = await markdownToBlocks(source)
  const title = blocks.find((block) => block.type === 'heading' && block.level === 1)
  context.setPagesTotal(1)
  context.pageDone()
  return {
    pages: [{ number: 1, blocks }],
    metadata: { pageCount: 1, pagesConverted: 1, ...(title && 'text' in title ? { title: title.text } : {}) },
    passthrough: { markdown: ensureNewline(source) },
  }
}

/** Parses GitHub-flavoured Markdown into Document blocks (headings, paragraphs, lists, tables, code). */
export async function markdownToBlocks(source: string): Promise<Block[]> {
  const { Lexer } = await import('marked')
  return new Lexer({ gfm: true }).lex(source).flatMap(toBlocks)
}

function toBlocks(token: Token): Block[] {
  switch (token.type) {
    case 'heading': {
      const { text, inlines } = fromInline((token as Tokens.Heading).tokens)
      return [{ type: 'heading', level: (token as Tokens.Heading).depth, text, inlines }]
    }
    case 'paragraph':
    case 'text': {
      const { text, inlines } = fromInline((token as Tokens.Paragraph).tokens ?? [])
      return text.trim() ? [{ type: 'paragraph', text, inlines }] : []
    }
    case 'code':
      return [{ type: 'code', text: (token as Tokens.Code).text, ...((token as Tokens.Code).lang ? { language: (token as Tokens.Code).lang } : {}) }]
    case 'list':
      return [toList(token as Tokens.List)]
    case 'table': {
      const table = token as Tokens.Table
      const rows = [table.header.map((cell) => fromInline(cell.tokens).text), ...table.rows.map((row) => row.map((cell) => fromInline(cell.tokens).text))]
      return [{ type: 'table', rows, header: true }]
    }
    case 'blockquote':
      return (token as Tokens.Blockquote).tokens.flatMap(toBlocks)
    case 'html': {
      const text = (token as Tokens.HTML).text.trim()
      return text ? [{ type: 'paragraph', text }] : []
    }
    default:
      return []
  }
}

function toList(list: Tokens.List): ListBlock {
  return {
    type: 'list',
    ordered: list.ordered,
    ...(list.ordered && typeof list.start === 'number' && list.start !== 1 ? { start: list.start } : {}),
    items: list.items.map((item) => {
      const nested = item.tokens.find((t): t is Tokens.List => t.type === 'list')
      const own = item.tokens.filter((t) => t.type !== 'list')
      const { text, inlines } = fromInline(own.flatMap((t) => ('tokens' in t && t.tokens ? t.tokens : [t])))
      return { text, inlines, ...(nested ? { children: toList(nested) } : {}) }
    }),
  }
}

/** Flattens marked's inline tokens into text plus formatted runs. */
function fromInline(tokens: Token[], style: Omit<Inline, 'text'> = {}): { text: string; inlines: Inline[] } {
  const inlines: Inline[] = []
  const walk = (list: Token[], current: Omit<Inline, 'text'>) => {
    for (const token of list) {
      switch (token.type) {
        case 'strong':
          walk((token as Tokens.Strong).tokens, { ...current, bold: true })
          break
        case 'em':
          walk((token as Tokens.Em).tokens, { ...current, italic: true })
          break
        case 'codespan':
          inlines.push({ ...current, code: true, text: unescapeEntities((token as Tokens.Codespan).text) })
          break
        case 'link':
          walk((token as Tokens.Link).tokens, { ...current, href: (token as Tokens.Link).href })
          break
        case 'br':
          inlines.push({ ...current, text: '\n' })
          break
        case 'image':
          inlines.push({ ...current, text: (token as Tokens.Image).text })
          break
        default:
          if ('tokens' in token && Array.isArray(token.tokens) && token.tokens.length) walk(token.tokens, current)
          else if ('text' in token && typeof token.text === 'string') inlines.push({ ...current, text: unescapeEntities(token.text) })
      }
    }
  }
  walk(tokens, style)
  const runs = inlines.map((run) => Object.fromEntries(Object.entries(run).filter(([, v]) => v !== undefined && v !== false)) as unknown as Inline)
  const text = runs.map((run) => run.text).join('')
  return { text, inlines: runs.some((run) => Object.keys(run).length > 1) ? runs : [] }
}

function unescapeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? _)
}
