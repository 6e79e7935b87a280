import type { Block, BlockRole, Inline } from '../../document.js'
import { codeText, isCodeLine } from './code-blocks.js'
import { lineJoin } from './line-joins.js'
import { toInlines } from './inlines.js'
import { buildLists, listMarker, type LaidOutItem } from './lists.js'
import type { Line, Run } from './types.js'

/** A run of text lines whose fate (heading or paragraph) is decided once the whole document is read. */
export interface TextBlock {
  kind: 'text'
  text: string
  spans: Run[]
  /** Dominant font size. */
  size: number
  /** All visible text is bold. */
  bold: boolean
  lineCount: number
  role?: BlockRole
  /** Furniture candidate key (text with digits folded), set on lines of the top and bottom bands. */
  band?: 'top' | 'bottom'
}

export type ProtoBlock = TextBlock | { kind: 'final'; block: Block }

/** Joins lines into one span list: a space between lines, or none after a hyphen that splits a word. */
export function joinSpans(lines: Line[]): Run[] {
  const out: Run[] = []
  for (const line of lines) {
    const spans = line.spans.map((s) => ({ ...s }))
    const last = out[out.length - 1]
    const first = spans[0]
    if (last && first) {
      const join = lineJoin(last.text, first.text)
      if (join === 'dehyphenate') last.text = last.text.slice(0, -1)
      else if (join === 'space') first.text = ' ' + first.text
    }
    out.push(...spans)
  }
  return out
}

function isBold(line: Line): boolean {
  let visible = 0
  for (const span of line.spans) {
    if (span.text.trim() === '') continue
    if (!span.style.bold) return false
    visible++
  }
  return visible > 0
}

/** Removes the first `count` characters (a list marker) from spans. */
function dropChars(spans: Run[], count: number): Run[] {
  const out: Run[] = []
  let left = count
  for (const span of spans) {
    if (left >= span.text.length) {
      left -= span.text.length
      continue
    }
    out.push(left > 0 ? { ...span, text: span.text.slice(left) } : span)
    left = 0
  }
  const first = out[0]
  if (first) first.text = first.text.replace(/^\s+/, '')
  return out
}

function textOf(spans: Run[]): string {
  return spans.map((s) => s.text).join('')
}

export function makeTextBlock(lines: Line[]): TextBlock {
  const spans = joinSpans(lines)
  const chars = new Map<number, number>()
  let size = lines[0]?.size ?? 0
  let best = -1
  const prose = spans.some((s) => !s.style.mono && s.text.trim() !== '')
  for (const span of spans) {
    if (prose && span.style.mono) continue
    const key = Math.round(span.size * 2) / 2
    const n = (chars.get(key) ?? 0) + span.text.trim().length
    chars.set(key, n)
    if (n > best) {
      best = n
      size = span.size
    }
  }
  return { kind: 'text', text: textOf(spans), spans, size, bold: lines.every(isBold), lineCount: lines.length }
}

interface OpenItem {
  markerX: number
  ordered: boolean
  number?: number
  markerLength: number
  lines: Line[]
}

/**
 * Lines of one reading-order region (top-down) -> blocks: paragraphs (broken at wider gaps,
 * first-line indents and changes of size or weight), lists, and code.
 */
export function layoutLines(lines: Line[], left: number): ProtoBlock[] {
  const blocks: ProtoBlock[] = []
  let paragraph: Line[] = []
  let code: Line[] = []
  let items: OpenItem[] = []

  const flushParagraph = (): void => {
    if (paragraph.length > 0) blocks.push(makeTextBlock(paragraph))
    paragraph = []
  }
  const flushCode = (): void => {
    // a lone bold monospace line is a heading such as `### readStream.isRaw`, not code
    if (code.length === 1 && isBold(code[0]!)) blocks.push(makeTextBlock(code))
    else if (code.length > 0) blocks.push({ kind: 'final', block: { type: 'code', text: codeText(code) } })
    code = []
  }
  const flushList = (): void => {
    if (items.length === 0) return
    const size = items[0]!.lines[0]!.size
    const laidOut: LaidOutItem[] = items.map((item) => {
      const spans = dropChars(joinSpans(item.lines), item.markerLength)
      const entry: LaidOutItem = { markerX: item.markerX, ordered: item.ordered, text: textOf(spans) }
      if (item.number !== undefined) entry.number = item.number
      const inlines: Inline[] | undefined = toInlines(spans)
      if (inlines) entry.inlines = inlines
      return entry
    })
    for (const list of buildLists(laidOut, size)) blocks.push({ kind: 'final', block: list })
    items = []
  }

  for (const line of lines) {
    const marker = listMarker(line)
    const codeLine = isCodeLine(line)
    const size = line.size
    // "1. INTRODUCTION" in bold is a numbered section heading, not a list item
    const sectionHeading = marker?.ordered === true && isBold(line) && line.text.length <= 80
    if (marker && !sectionHeading && !(codeLine && !line.drawnBullet && items.length === 0)) {
      flushParagraph()
      flushCode()
      const item: OpenItem = {
        markerX: line.drawnBullet ? line.drawnBulletX ?? line.x0 : line.x0,
        ordered: marker.ordered,
        markerLength: marker.length,
        lines: [line],
      }
      if (marker.number !== undefined) item.number = marker.number
      items.push(item)
      continue
    }
    const openItem = items[items.length - 1]
    if (openItem) {
      const last = openItem.lines[openItem.lines.length - 1]!
      const gap = line.baseline - last.baseline
      if (!codeLine && line.x0 >= openItem.markerX + 0.5 * size && gap > 0 && gap <= 1.6 * Math.max(size, last.size)) {
        openItem.lines.push(line)
        continue
      }
      flushList()
    }
    if (codeLine) {
      flushParagraph()
      const last = code[code.length - 1]
      const gap = last ? line.baseline - last.baseline : 0
      // a bold code line set apart below a code block is a heading (`### readStream.isRaw`)
      const apart = last !== undefined && isBold(line) && !isBold(last) && gap > 2 * Math.max(size, last.size)
      if (last && (gap > 4 * size || gap <= 0 || apart)) flushCode()
      code.push(line)
      continue
    }
    flushCode()
    const last = paragraph[paragraph.length - 1]
    if (last && !continuesParagraph(paragraph, line, left)) flushParagraph()
    paragraph.push(line)
  }
  flushParagraph()
  flushCode()
  flushList()
  return blocks
}

function continuesParagraph(paragraph: Line[], line: Line, left: number): boolean {
  const last = paragraph[paragraph.length - 1]!
  const size = Math.max(line.size, last.size)
  if (Math.abs(line.size - last.size) > 0.12 * Math.min(line.size, last.size)) return false
  if (isBold(line) !== isBold(last)) return false
  const gap = line.baseline - last.baseline
  if (gap <= 0) return false
  const previous = paragraph[paragraph.length - 2]
  const spacing = previous ? last.baseline - previous.baseline : undefined
  if (spacing !== undefined && spacing > 0 ? gap > spacing * 1.3 + 0.5 : gap > 1.55 * size) return false
  // first-line indent opens a new paragraph
  if (line.x0 > last.x0 + 0.8 * size && line.x0 > left + 0.8 * size) return false
  return true
}
