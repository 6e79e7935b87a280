import type { ChildNode, Element, ParentNode } from 'domhandler'
import { isTag, isText } from 'domhandler'
import type { Block, Inline, ListBlock, ListItem } from '../../document.js'
import { parseHtml } from './parse-html.js'

/** What an HTML page holds, in the Document model. */
export interface HtmlContent {
  blocks: Block[]
  /** From `<title>`. */
  title?: string
  /** From `<html lang>`. */
  language?: string
  /** From `<meta name="author">`, `<meta name="keywords">`, `<meta name="description">`. */
  author?: string
  keywords?: string
  subject?: string
}

export interface HtmlToBlocksOptions {
  /**
   * Look for the page's main content (`<main>`, `[role=main]`, a single `<article>`) and
   * leave out what surrounds it. Off for HTML that is all content (DOCX through mammoth).
   * @default true
   */
  findMain?: boolean
}

type Style = Omit<Inline, 'text'>

/** Elements whose content is never document text. */
const SKIPPED = new Set(['head', 'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'audio', 'video', 'select', 'textarea', 'button', 'dialog', 'map'])
/** Page chrome left out inside a main-content element. */
const CHROME = new Set(['nav', 'aside'])
const HEADINGS: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 }
/** Elements that end the paragraph before them and start a new one after them. */
const BLOCK_CONTAINERS = new Set([
  'html', 'body', 'main', 'article', 'section', 'div', 'header', 'footer', 'nav', 'aside', 'address', 'blockquote', 'center',
  'details', 'summary', 'dialog', 'dd', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'form', 'hgroup', 'legend', 'li', 'p',
  'caption', 'search', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'frameset', 'noframes', 'listing', 'xmp', 'plaintext',
])
const BOLD = new Set(['b', 'strong'])
const ITALIC = new Set(['i', 'em', 'cite', 'dfn', 'var'])
const CODE = new Set(['code', 'kbd', 'samp', 'tt'])
/** Deeper than this, an element's content is taken as plain text (no recursion, no stack overflow on hostile input). */
const MAX_DEPTH = 400
/** Colspan/rowspan values beyond these are clamped (HTML itself caps them at 1000 / 65534). */
const MAX_COLSPAN = 100
const MAX_ROWSPAN = 1000

/**
 * Parses HTML (htmlparser2, entities decoded, no scripts run, nothing fetched) into blocks:
 * headings, paragraphs, nested lists, tables (spans expanded into empty cells), code blocks,
 * images with their alt text; inline bold, italic, code and links (hrefs as written).
 * Whitespace is collapsed as a browser would, except inside `<pre>`.
 */
export function htmlToBlocks(html: string, options: HtmlToBlocksOptions = {}): HtmlContent {
  const document = parseHtml(html)
  const htmlElement = findFirst(document, (el) => el.name === 'html')
  const titleElement = findFirst(document, (el) => el.name === 'title')
  const meta = (name: string) => {
    const element = findFirst(document, (el) => el.name === 'meta' && el.attribs.name?.toLowerCase() === name)
    return collapse(element?.attribs.content ?? '') || undefined
  }

  let root: ParentNode = findFirst(document, (el) => el.name === 'body') ?? document
  let inMain = false
  if (options.findMain !== false) {
    const main = findFirst(document, (el) => el.name === 'main' || el.attribs.role?.toLowerCase() === 'main')
    const articles = main ? [] : findAll(document, (el) => el.name === 'article')
    const chosen = main ?? (articles.length === 1 ? articles[0] : undefined)
    if (chosen) {
      root = chosen
      inMain = true
    }
  }

  const builder = new BlockBuilder()
  const walker = new Walker(inMain)
  walker.children(root, builder, {}, 0)
  builder.flush()

  const title = titleElement ? collapse(textOf(titleElement)) : ''
  const language = htmlElement?.attribs.lang?.trim() || htmlElement?.attribs['xml:lang']?.trim()
  const author = meta('author')
  const keywords = meta('keywords')
  const subject = meta('description')
  return {
    blocks: builder.blocks,
    ...(title ? { title } : {}),
    ...(language ? { language } : {}),
    ...(author ? { author } : {}),
    ...(keywords ? { keywords } : {}),
    ...(subject ? { subject } : {}),
  }
}

/** Walks the DOM, sending text to a builder and turning block elements into blocks. */
class Walker {
  constructor(private readonly inMain: boolean) {}

  children(node: ParentNode, builder: BlockBuilder, style: Style, depth: number): void {
    for (const child of node.children) this.node(child, builder, style, depth + 1)
  }

  node(node: ChildNode, builder: BlockBuilder, style: Style, depth: number): void {
    if (isText(node)) {
      builder.text(node.data, style)
      return
    }
    if (!isTag(node) || isHidden(node)) return
    const name = node.name
    if (SKIPPED.has(name) || (this.inMain && CHROME.has(name))) return
    if (depth > MAX_DEPTH) {
      builder.text(textOf(node), style)
      return
    }
    const level = HEADINGS[name]
    if (level) {
      builder.flush()
      this.children(node, builder, style, depth)
      builder.flush({ heading: level })
      return
    }
    switch (name) {
      case 'br':
        builder.lineBreak(style)
        return
      case 'hr':
        builder.flush()
        return
      case 'img': {
        const alt = collapse(node.attribs.alt ?? node.attribs.title ?? '')
        builder.flush()
        builder.push({ type: 'image', ...(alt ? { alt } : {}) })
        return
      }
      case 'input':
        if (node.attribs.type?.toLowerCase() === 'checkbox') builder.text(node.attribs.checked !== undefined ? '[x] ' : '[ ] ', style)
        return
      case 'ul':
      case 'ol':
      case 'menu': {
        builder.flush()
        const list = this.list(node, style, depth)
        if (list.items.length) builder.push(list)
        return
      }
      case 'table': {
        builder.flush()
        this.table(node, builder, depth)
        return
      }
      case 'pre':
      case 'listing':
      case 'xmp':
      case 'plaintext': {
        builder.flush()
        const text = preText(node).replace(/^\n/, '').replace(/\s+$/, '')
        const language = codeLanguage(node)
        if (text.trim()) builder.push({ type: 'code', text, ...(language ? { language } : {}) })
        return
      }
      case 'a': {
        const href = node.attribs.href?.trim()
        if (href && href.startsWith('#') && /^[\s¶#§🔗]*$/u.test(textOf(node))) return // heading permalink glyphs
        const linked = href && !/^\s*javascript:/i.test(href) ? { ...style, href } : style
        this.children(node, builder, linked, depth)
        return
      }
    }
    if (BLOCK_CONTAINERS.has(name)) {
      builder.flush()
      this.children(node, builder, style, depth)
      builder.flush()
      return
    }
    let inner = style
    if (BOLD.has(name)) inner = { ...style, bold: true }
    else if (ITALIC.has(name)) inner = { ...style, italic: true }
    else if (CODE.has(name)) inner = { ...style, code: true }
    this.children(node, builder, inner, depth)
  }

  list(element: Element, style: Style, depth: number): ListBlock {
    const ordered = element.name === 'ol'
    const start = ordered ? Number.parseInt(element.attribs.start ?? '', 10) : Number.NaN
    const items: ListItem[] = []
    for (const child of element.children) {
      if (!isTag(child) || isHidden(child)) continue
      if (child.name === 'ul' || child.name === 'ol') {
        // A list directly inside a list (invalid but common): nest it under the previous item.
        const nested = this.list(child, style, depth + 1)
        const last = items[items.length - 1]
        if (last) last.children = mergeLists(last.children, nested)
        else items.push(...nested.items)
        continue
      }
      const item = new BlockBuilder()
      if (child.name === 'li') this.children(child, item, style, depth + 1)
      else this.node(child, item, style, depth + 1)
      item.flush()
      items.push(listItem(item.blocks))
    }
    return { type: 'list', ordered, ...(ordered && Number.isFinite(start) && start !== 1 ? { start } : {}), items: items.filter((item) => item.text.trim() || item.children?.items.length) }
  }

  table(element: Element, builder: BlockBuilder, depth: number): void {
    const rows: { cells: Element[] }[] = []
    let caption: Element | undefined
    const collect = (parent: ParentNode) => {
      for (const child of parent.children) {
        if (!isTag(child) || isHidden(child)) continue
        if (child.name === 'tr') rows.push({ cells: child.children.filter((c): c is Element => isTag(c) && (c.name === 'td' || c.name === 'th') && !isHidden(c)) })
        else if (child.name === 'thead' || child.name === 'tbody' || child.name === 'tfoot') collect(child)
        else if (child.name === 'caption') caption = child
      }
    }
    collect(element)
    if (caption) {
      this.children(caption, builder, {}, depth)
      builder.flush()
    }
    // Lay cells out on a grid. A cell spanning rows repeats its text in each row, so every row
    // reads complete on its own (a category cell applies to all its rows); a cell spanning
    // columns fills its first slot and leaves the others empty (no duplicated headings).
    const grid: string[][] = []
    rows.forEach((row, r) => {
      grid[r] ??= []
      let column = 0
      for (const cell of row.cells) {
        while (grid[r]![column] !== undefined) column++
        const colspan = clampSpan(cell.attribs.colspan, MAX_COLSPAN)
        const rowspan = Math.min(clampSpan(cell.attribs.rowspan, MAX_ROWSPAN), rows.length - r)
        const text = this.cellText(cell, depth)
        for (let dr = 0; dr < rowspan; dr++) {
          const target = (grid[r + dr] ??= [])
          for (let dc = 0; dc < colspan; dc++) target[column + dc] = dc === 0 ? text : ''
        }
        column += colspan
      }
    })
    const width = Math.max(0, ...grid.map((row) => row.length))
    const table = grid.map((row) => Array.from({ length: width }, (_, i) => row[i] ?? ''))
    if (!table.some((row) => row.some((cell) => cell.trim()))) return
    builder.push({ type: 'table', rows: table, header: true })
  }

  /** A cell's content as one line of plain text; nested tables and lists are flattened. */
  private cellText(cell: Element, depth: number): string {
    const inner = new BlockBuilder()
    this.children(cell, inner, {}, depth + 1)
    inner.flush()
    return collapse(inner.blocks.map(plainText).join(' '))
  }
}

/** Collects inline runs into paragraphs and headings; block elements call `flush`. */
class BlockBuilder {
  readonly blocks: Block[] = []
  private runs: Inline[] = []

  text(text: string, style: Style): void {
    if (text) this.runs.push({ ...style, text: text.replace(/[ \t\n\r\f]+/g, ' ') })
  }

  lineBreak(style: Style): void {
    this.runs.push({ ...style, text: '\n' })
  }

  push(block: Block): void {
    this.blocks.push(block)
  }

  /** Ends the current paragraph (or heading of `level`), if it has any text. */
  flush(as: { heading?: number } = {}): void {
    const runs = normaliseRuns(this.runs)
    this.runs = []
    const text = runs.map((run) => run.text).join('')
    if (!text.trim()) return
    const inlines = runs.some((run) => run.bold || run.italic || run.code || run.href) ? runs : undefined
    if (as.heading) this.blocks.push({ type: 'heading', level: as.heading, text: text.replace(/\s*\n\s*/g, ' '), ...(inlines ? { inlines: inlines.map((run) => ({ ...run, text: run.text.replace(/\n/g, ' ') })) } : {}) })
    else this.blocks.push({ type: 'paragraph', text, ...(inlines ? { inlines } : {}) })
  }
}

/** Collapses spaces across runs the way a browser lays out inline text: none at line starts and ends. */
function normaliseRuns(runs: Inline[]): Inline[] {
  const out: Inline[] = []
  let atLineStart = true
  for (const run of runs) {
    let text = run.text
    if (text === '\n') {
      trimTrailing(out)
      out.push({ ...run, text })
      atLineStart = true
      continue
    }
    if (atLineStart) text = text.replace(/^ +/, '')
    if (!text) continue
    out.push({ ...run, text })
    atLineStart = text.endsWith(' ')
  }
  trimTrailing(out)
  while (out.length && out[0]!.text === '\n') out.shift()
  while (out.length && out[out.length - 1]!.text === '\n') out.pop()
  return out.map(cleanRun)
}

function trimTrailing(runs: Inline[]): void {
  while (runs.length) {
    const last = runs[runs.length - 1]!
    if (last.text === '\n') return
    last.text = last.text.replace(/ +$/, '')
    if (last.text) return
    runs.pop()
  }
}

function cleanRun(run: Inline): Inline {
  const out: Inline = { text: run.text }
  if (run.bold) out.bold = true
  if (run.italic) out.italic = true
  if (run.code) out.code = true
  if (run.href) out.href = run.href
  return out
}

/** A list item from the blocks of its content: the first nested list becomes its children. */
function listItem(blocks: Block[]): ListItem {
  let children: ListBlock | undefined
  const parts: Inline[][] = []
  for (const block of blocks) {
    if (block.type === 'list') {
      children = mergeLists(children, block)
      continue
    }
    if (block.type === 'paragraph' || block.type === 'heading') parts.push(block.inlines ?? [{ text: block.text }])
    else {
      const text = plainText(block)
      if (text) parts.push([{ text, ...(block.type === 'code' ? { code: !text.includes('\n') } : {}) }])
    }
  }
  const inlines: Inline[] = []
  parts.forEach((part, index) => {
    if (index) inlines.push({ text: '\n\n' })
    inlines.push(...part)
  })
  const text = inlines.map((run) => run.text).join('')
  const styled = inlines.some((run) => run.bold || run.italic || run.code || run.href)
  return { text, ...(styled ? { inlines } : {}), ...(children ? { children } : {}) }
}

function mergeLists(into: ListBlock | undefined, list: ListBlock): ListBlock {
  if (!into) return list
  return { ...into, items: [...into.items, ...list.items] }
}

/** A block as plain text on one line (for table cells and list items). */
export function plainText(block: Block): string {
  switch (block.type) {
    case 'heading':
    case 'paragraph':
    case 'code':
      return block.text
    case 'image':
      return block.alt ?? ''
    case 'table':
      return block.rows.map((row) => row.filter(Boolean).join(' ')).join(' ')
    case 'list':
      return block.items.map((item) => [item.text, item.children ? plainText(item.children) : ''].filter(Boolean).join(' ')).join(' ')
  }
}

/** Text of a `<pre>`, whitespace kept, `<br>` as a line break. */
function preText(element: Element): string {
  let out = ''
  walkIterative(element, (node) => {
    if (isText(node)) out += node.data
    else if (isTag(node) && node.name === 'br') out += '\n'
  })
  return out
}

/** The code language from `language-x` / `lang-x` classes or pandoc's `sourceCode x` on a pre or its code. */
function codeLanguage(pre: Element): string | undefined {
  const code = pre.children.find((c): c is Element => isTag(c) && c.name === 'code')
  for (const element of [code, pre]) {
    const classes = (element?.attribs.class ?? '').split(/\s+/).filter(Boolean)
    for (const name of classes) {
      const match = /^(?:language|lang|highlight-source)-(.+)$/.exec(name)
      if (match) return match[1]
    }
    if (classes.includes('sourceCode')) {
      const other = classes.find((name) => name !== 'sourceCode' && name !== 'numberSource' && name !== 'numberLines')
      if (other) return other
    }
  }
  return element(pre.attribs['data-lang'])
}

function element(value: string | undefined): string | undefined {
  return value?.trim() || undefined
}

function isHidden(el: Element): boolean {
  if (el.attribs.hidden !== undefined) return true
  if (el.attribs['aria-hidden'] === 'true') return true
  const style = el.attribs.style
  return !!style && /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style)
}

function clampSpan(value: string | undefined, max: number): number {
  const n = Number.parseInt(value ?? '', 10)
  return Number.isFinite(n) && n >= 1 ? Math.min(n, max) : 1
}

export function collapse(text: string): string {
  return text.replace(/[ \t\n\r\f]+/g, ' ').trim()
}

/** Text content of a node, without recursion. */
function textOf(node: ParentNode): string {
  let out = ''
  walkIterative(node, (child) => {
    if (isText(child)) out += child.data
  })
  return out
}

/** Visits descendants in document order, skipping scripts and styles, with an explicit stack. */
function walkIterative(root: ParentNode, visit: (node: ChildNode) => void): void {
  const stack: ChildNode[] = [...root.children].reverse()
  while (stack.length) {
    const node = stack.pop()!
    visit(node)
    if (isTag(node) && !SKIPPED.has(node.name)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!)
  }
}

function findFirst(root: ParentNode, test: (el: Element) => boolean): Element | undefined {
  const stack: ChildNode[] = [...root.children].reverse()
  while (stack.length) {
    const node = stack.pop()!
    if (!isTag(node)) continue
    if (test(node)) return node
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!)
  }
  return undefined
}

function findAll(root: ParentNode, test: (el: Element) => boolean): Element[] {
  const found: Element[] = []
  const stack: ChildNode[] = [...root.children].reverse()
  while (stack.length) {
    const node = stack.pop()!
    if (!isTag(node)) continue
    if (test(node)) found.push(node)
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!)
  }
  return found
}
