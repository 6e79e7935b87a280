import type { Block, BlockRole, Inline, ListBlock, ListItem } from '../../document.js'
import type { Relationship } from './ooxml-parts.js'
import { type Placed, readingOrder } from './pptx-reading-order.js'
import {
  type BulletKind,
  type Box,
  type Placeholder,
  type Shape,
  type SlideParagraph,
  type SlideXml,
  type TextShape,
  paragraphText,
} from './pptx-slide-xml.js'

/** What a slide inherits from its layout and master: placeholder positions and bullet styles. */
export interface SlideInheritance {
  layout: SlideXml | undefined
  master: SlideXml | undefined
}

export interface SlideInput {
  /** 1-based slide number. */
  number: number
  slide: SlideXml
  inheritance: SlideInheritance
  relationships: Map<string, Relationship>
  /** Paragraphs of the slide's speaker notes. */
  notes: SlideParagraph[]
  /** Slide size in EMU. */
  size: { width: number; height: number } | undefined
}

export interface SlideBlocks {
  title: string | undefined
  blocks: Block[]
}

const TITLE_TYPES = new Set(['title', 'ctrTitle'])
const FURNITURE: Record<string, BlockRole> = { dt: 'footer', ftr: 'footer', hdr: 'header', sldNum: 'page-number' }
/** Placeholders whose paragraphs are bulleted by default (the master's body style). */
const BODY_TYPES = new Set(['body', 'obj'])

/**
 * Turns one parsed slide into blocks: a heading from its title placeholder (`##`, or `#` on
 * the first slide and on title slides; on an untitled slide its opening bold line, else
 * `## Slide N`), then its shapes in
 * reading order (paragraphs, nested lists, tables, pictures), then its speaker notes as a
 * paragraph starting with "Notes:".
 */
export function slideBlocks(input: SlideInput): SlideBlocks {
  const { slide, inheritance } = input
  const titleShape = slide.shapes.find((shape): shape is TextShape => shape.kind === 'text' && !!shape.placeholder && TITLE_TYPES.has(shape.placeholder.type) && shape.paragraphs.some((p) => paragraphText(p)))
  const title = titleShape
    ? titleShape.paragraphs
        .map(paragraphText)
        .filter(Boolean)
        .join(' ')
    : undefined
  const level = input.number === 1 || titleShape?.placeholder?.type === 'ctrTitle' ? 1 : 2
  const blocks: Block[] = []

  const slop = input.size ? Math.round(input.size.height * 0.02) : 0
  const shapes = slide.shapes.filter((shape) => shape !== titleShape)
  const context: BlockContext = { inheritance, relationships: input.relationships, headingLevel: Math.min(6, level + 1), more: false }
  const ordered = orderShapes(shapes, inheritance, slop)
  ordered.forEach((shape, index) => blocks.push(...shapeBlocks(shape, { ...context, more: index < ordered.length - 1 }, slop)))

  // An untitled slide that opens with a bold line (a continuation slide) takes that line as its title.
  let heading = title
  const first = blocks[0]
  if (heading === undefined && first?.type === 'heading') {
    heading = first.text
    blocks.shift()
  }
  blocks.unshift({ type: 'heading', level, text: heading ?? `Slide ${input.number}` })

  const notes = input.notes.map((paragraph) => paragraphText(paragraph)).filter(Boolean)
  if (notes.length) {
    const body = notes.join('\n')
    blocks.push({ type: 'paragraph', text: `Notes: ${body}`, inlines: [{ text: 'Notes:', bold: true }, { text: ` ${body}` }] })
  }
  return { title: heading, blocks }
}

interface BlockContext {
  inheritance: SlideInheritance
  relationships: Map<string, Relationship>
  /** Level of headings found inside the slide (bold one-line paragraphs). */
  headingLevel: number
  /** Whether more shapes follow this one on the slide (a last bold line can head them). */
  more: boolean
}

function orderShapes(shapes: Shape[], inheritance: SlideInheritance, slop: number): Shape[] {
  const placed: Array<Placed<Shape>> = shapes.map((shape) => ({ box: shape.box ?? inheritedBox(shape, inheritance), item: shape }))
  return readingOrder(placed, slop)
}

function shapeBlocks(shape: Shape, context: BlockContext, slop: number): Block[] {
  switch (shape.kind) {
    case 'group':
      // Children are placed in the group's own coordinates: order them among themselves.
      {
      const children = orderShapes(shape.children, context.inheritance, slop)
      return children.flatMap((child, index) => shapeBlocks(child, { ...context, more: context.more || index < children.length - 1 }, slop))
    }
    case 'table':
      return [{ type: 'table', rows: shape.rows, header: shape.firstRow }]
    case 'picture':
      return [shape.alt ? { type: 'image', alt: shape.alt } : { type: 'image' }]
    case 'text':
      return textBlocks(shape, context)
  }
}

/** A paragraph with its resolved bullet. */
interface Line {
  paragraph: SlideParagraph
  text: string
  inlines: Inline[] | undefined
  bullet: Exclude<BulletKind, 'inherit'>
}

function textBlocks(shape: TextShape, context: BlockContext): Block[] {
  const role = shape.placeholder ? FURNITURE[shape.placeholder.type] : undefined
  const lines: Line[] = []
  for (const paragraph of shape.paragraphs) {
    const { text, inlines } = paragraphInlines(paragraph, context.relationships)
    if (!text.trim()) {
      lines.push({ paragraph, text: '', inlines: undefined, bullet: 'none' })
      continue
    }
    lines.push({ paragraph, text, inlines, bullet: role ? 'none' : bulletOf(paragraph, shape, context.inheritance) })
  }
  if (role) {
    const text = lines.map((line) => line.text).filter(Boolean).join(' ')
    return text ? [{ type: 'paragraph', text, role }] : []
  }

  const blocks: Block[] = []
  let list: ListBuilder | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line.text) continue
    if (line.bullet !== 'none') {
      if (list && !list.accepts(line)) {
        blocks.push(list.block)
        list = undefined
      }
      list ??= new ListBuilder(line)
      list.add(line)
      continue
    }
    // An indented paragraph right after a list item continues that item (a second paragraph).
    if (list && (line.paragraph.level > 0 || (line.paragraph.marginLeft ?? 0) > 0) && list.continueLast(line)) continue
    if (list) {
      blocks.push(list.block)
      list = undefined
    }
    const next = lines.slice(i + 1).find((candidate) => candidate.text)
    if ((next || (context.more && blocks.length > 0)) && isHeadingLike(line)) blocks.push({ type: 'heading', level: context.headingLevel, text: line.text.replace(/\s+/g, ' ').trim() })
    else blocks.push(line.inlines ? { type: 'paragraph', text: line.text, inlines: line.inlines } : { type: 'paragraph', text: line.text })
  }
  if (list) blocks.push(list.block)
  return blocks
}

/** A short paragraph in bold only, with more text after it in the same shape: a sub-heading. */
function isHeadingLike(line: Line): boolean {
  if (line.paragraph.level > 0 || line.text.length > 80 || line.text.includes('\n') || /[.:;,!?]$/.test(line.text)) return false
  const runs = line.paragraph.runs.filter((run) => run.text.trim())
  return runs.length > 0 && runs.every((run) => run.bold)
}

function bulletOf(paragraph: SlideParagraph, shape: TextShape, inheritance: SlideInheritance): Exclude<BulletKind, 'inherit'> {
  if (paragraph.bullet !== 'inherit') return paragraph.bullet
  const level = paragraph.level
  const own = shape.listStyle[level]
  if (own && own !== 'inherit') return own
  const placeholder = shape.placeholder
  if (placeholder && !shape.textBox) {
    const fromLayout = findPlaceholder(inheritance.layout, placeholder, false)?.listStyle[level]
    if (fromLayout && fromLayout !== 'inherit') return fromLayout
    const fromMaster = findPlaceholder(inheritance.master, placeholder, true)?.listStyle[level]
    if (fromMaster && fromMaster !== 'inherit') return fromMaster
    if (BODY_TYPES.has(placeholder.type)) {
      const body = inheritance.master?.bodyStyle?.[level]
      return body && body !== 'inherit' ? body : 'char'
    }
    return 'none'
  }
  const other = inheritance.master?.otherStyle?.[level]
  return other && other !== 'inherit' ? other : 'none'
}

/** Where a placeholder without its own position sits: on its layout, else on the master. */
function inheritedBox(shape: Shape, inheritance: SlideInheritance): Box | undefined {
  if (shape.kind !== 'text' || !shape.placeholder) return undefined
  return findPlaceholder(inheritance.layout, shape.placeholder, false)?.box ?? findPlaceholder(inheritance.master, shape.placeholder, true)?.box
}

/** The layout placeholder with the same idx (else type), or the master one of the same type. */
function findPlaceholder(source: SlideXml | undefined, placeholder: Placeholder, byTypeOnly: boolean): TextShape | undefined {
  if (!source) return undefined
  const candidates = source.shapes.filter((shape): shape is TextShape => shape.kind === 'text' && !!shape.placeholder)
  if (!byTypeOnly && placeholder.idx !== undefined) {
    const byIdx = candidates.find((shape) => shape.placeholder!.idx === placeholder.idx)
    if (byIdx) return byIdx
  }
  const type = masterType(placeholder.type)
  return candidates.find((shape) => (byTypeOnly ? masterType(shape.placeholder!.type) : shape.placeholder!.type) === (byTypeOnly ? type : placeholder.type))
}

/** Masters hold only title, body and furniture placeholders. */
function masterType(type: string): string {
  if (type === 'ctrTitle') return 'title'
  if (type === 'subTitle' || type === 'obj') return 'body'
  return type
}

function paragraphInlines(paragraph: SlideParagraph, relationships: Map<string, Relationship>): { text: string; inlines: Inline[] | undefined } {
  const inlines: Inline[] = []
  for (const run of paragraph.runs) {
    const text = run.text.replace(/\v/g, '\n')
    const inline: Inline = { text }
    if (run.bold) inline.bold = true
    if (run.italic) inline.italic = true
    if (run.code) inline.code = true
    const link = run.linkId ? relationships.get(run.linkId) : undefined
    if (link?.external && isSafeLink(link.target)) inline.href = link.target
    inlines.push(inline)
  }
  // Trim the paragraph's outer whitespace without touching inner runs.
  while (inlines.length && !inlines[0]!.text.trim()) inlines.shift()
  while (inlines.length && !inlines[inlines.length - 1]!.text.trim()) inlines.pop()
  if (inlines.length) {
    inlines[0]!.text = inlines[0]!.text.trimStart()
    inlines[inlines.length - 1]!.text = inlines[inlines.length - 1]!.text.trimEnd()
  }
  const text = inlines.map((inline) => inline.text).join('')
  const formatted = inlines.some((inline) => inline.bold || inline.italic || inline.code || inline.href)
  return { text, inlines: formatted ? inlines : undefined }
}

/** Any web, mail or relative link; never script or data URLs. */
function isSafeLink(target: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target.trim())?.[1]?.toLowerCase()
  return scheme === undefined || ['http', 'https', 'mailto', 'ftp', 'ftps', 'tel', 'news'].includes(scheme)
}

/** Builds one (nested) list from consecutive bulleted paragraphs, nesting by outline level. */
class ListBuilder {
  readonly block: ListBlock
  private readonly baseLevel: number
  /** Open lists, outermost first, with the outline level each holds. */
  private readonly stack: Array<{ list: ListBlock; level: number }>

  constructor(first: Line) {
    this.baseLevel = first.paragraph.level
    this.block = newList(first)
    this.stack = [{ list: this.block, level: first.paragraph.level }]
  }

  /** Whether this line belongs to the same list (a top-level item of another kind starts a new one). */
  accepts(line: Line): boolean {
    if (line.paragraph.level > this.baseLevel) return true
    return line.paragraph.level === this.baseLevel ? (line.bullet === 'number') === this.block.ordered : false
  }

  add(line: Line): void {
    const level = line.paragraph.level
    while (this.stack.length > 1 && this.stack[this.stack.length - 1]!.level > level) this.stack.pop()
    let top = this.stack[this.stack.length - 1]!
    if (level > top.level) {
      const parent = top.list.items[top.list.items.length - 1]
      if (parent) {
        parent.children = newList(line)
        top = { list: parent.children, level }
        this.stack.push(top)
      }
    }
    const item: ListItem = { text: line.text }
    if (line.inlines) item.inlines = line.inlines
    top.list.items.push(item)
  }

  /** Appends an indented plain paragraph to the last item of the list at the level above it. */
  continueLast(line: Line): boolean {
    const level = line.paragraph.level
    const holder = [...this.stack].reverse().find((entry) => entry.level < level) ?? this.stack[this.stack.length - 1]!
    const item = holder.list.items[holder.list.items.length - 1]
    if (!item) return false
    // Close deeper lists: what follows belongs after this paragraph.
    while (this.stack.length > 1 && this.stack[this.stack.length - 1] !== holder) this.stack.pop()
    const inlines = item.inlines ?? [{ text: item.text }]
    item.text = `${item.text}\n\n${line.text}`
    if (item.inlines || line.inlines) item.inlines = [...inlines, { text: '\n\n' }, ...(line.inlines ?? [{ text: line.text }])]
    return true
  }
}

function newList(line: Line): ListBlock {
  const ordered = line.bullet === 'number'
  const list: ListBlock = { type: 'list', ordered, items: [] }
  if (ordered && line.paragraph.startAt !== undefined && line.paragraph.startAt !== 1) list.start = line.paragraph.startAt
  return list
}

/** The text of speaker notes paragraphs: the body placeholder of a notes slide. */
export function notesParagraphs(notes: SlideXml | undefined): SlideParagraph[] {
  if (!notes) return []
  return notes.shapes.flatMap((shape) => (shape.kind === 'text' && shape.placeholder?.type === 'body' ? shape.paragraphs : []))
}
