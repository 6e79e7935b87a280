import type { Block, ListBlock, ListItem } from '../document.js'

/** The parts of tesseract.js's `blocks` output that layout uses. */
export interface TesseractBox {
  x0: number
  y0: number
  x1: number
  y1: number
}
export interface TesseractWord {
  text: string
  confidence: number
}
export interface TesseractLine {
  text: string
  bbox: TesseractBox
  words: TesseractWord[]
  rowAttributes?: { rowHeight: number }
}
export interface TesseractParagraph {
  lines: TesseractLine[]
}
export interface TesseractBlock {
  paragraphs: TesseractParagraph[]
}

export interface OcrLayout {
  blocks: Block[]
  /** Paragraph texts separated by blank lines. */
  text: string
  /** Mean word confidence from 0 to 1 (0 when no word was read). */
  confidence: number
  /** Words read. */
  words: number
}

/** Paragraph lines at least this much taller than the page's median line are headings. */
const HEADING_RATIO = 1.3
/** Lines whose words tesseract is this unsure of (0-100) are specks and rules, not text. */
const NOISE_CONFIDENCE = 25
const BULLET = /^(?:[•●▪◦‣∙·*■□➢►–—-]|\(?(\d{1,3}|[a-z])[.)])\s+/

interface Para {
  lines: string[]
  height: number
}

/**
 * Turns tesseract's blocks, paragraphs and lines into the Document model: paragraphs
 * (lines joined, hyphenation at line ends undone), headings where a paragraph's lines are
 * clearly taller than the page's median line, and lists where lines start with a bullet or
 * number.
 */
export function layoutFromTesseract(blocks: readonly TesseractBlock[] | null | undefined): OcrLayout {
  const paragraphs: Para[] = []
  let confidenceSum = 0
  let words = 0
  const lineHeights: number[] = []
  for (const block of blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      const lines: string[] = []
      const heights: number[] = []
      for (const line of paragraph.lines) {
        const text = line.text.replace(/\s+/g, ' ').trim()
        const lineWords = line.words.filter((word) => word.text.trim())
        if (!text || !lineWords.length) continue
        const mean = lineWords.reduce((sum, word) => sum + word.confidence, 0) / lineWords.length
        if (mean < NOISE_CONFIDENCE && !/[\p{L}\p{N}]{3}/u.test(text)) continue
        for (const word of lineWords) confidenceSum += word.confidence
        words += lineWords.length
        const height = line.rowAttributes?.rowHeight || line.bbox.y1 - line.bbox.y0
        lines.push(text)
        heights.push(height)
        if (text.length >= 3) lineHeights.push(height)
      }
      if (lines.length) paragraphs.push({ lines, height: median(heights) })
    }
  }
  const bodyHeight = lineHeights.length >= 3 ? median(lineHeights) : Infinity
  const isHeading = (p: Para) => p.lines.length <= 3 && p.height >= bodyHeight * HEADING_RATIO && p.lines.join(' ').length <= 150 && /\p{L}/u.test(p.lines.join(''))
  const levels = headingLevels(paragraphs.filter(isHeading).map((p) => p.height))

  const out: Block[] = []
  for (const paragraph of paragraphs) {
    if (isHeading(paragraph)) {
      out.push({ type: 'heading', level: levels(paragraph.height), text: joinLines(paragraph.lines) })
      continue
    }
    const list = BULLET.test(paragraph.lines[0]!) ? toList(paragraph.lines) : undefined
    const previous = out.at(-1)
    if (list && previous?.type === 'list' && previous.ordered === list.ordered) previous.items.push(...list.items)
    else if (list) out.push(list)
    else out.push({ type: 'paragraph', text: joinLines(paragraph.lines) })
  }
  const text = out.map((block) => (block.type === 'list' ? block.items.map((item) => `- ${item.text}`).join('\n') : 'text' in block ? block.text : '')).join('\n\n')
  return { blocks: out, text, confidence: words ? confidenceSum / words / 100 : 0, words }
}

/** Joins lines, undoing a hyphen at a line end when the next line goes on in lower case. */
export function joinLines(lines: readonly string[]): string {
  let text = ''
  for (const line of lines) {
    if (!text) text = line
    else if (/\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line)) text = text.slice(0, -1) + line
    else text += ` ${line}`
  }
  return text
}

function toList(lines: readonly string[]): ListBlock {
  const items: string[][] = []
  let ordered = false
  let start: number | undefined
  for (const line of lines) {
    const match = BULLET.exec(line)
    if (match) {
      if (!items.length && match[1] !== undefined) {
        ordered = true
        if (/^\d+$/.test(match[1])) start = Number(match[1])
      }
      items.push([line.slice(match[0].length)])
    } else {
      items.at(-1)!.push(line)
    }
  }
  const listItems: ListItem[] = items.map((item) => ({ text: joinLines(item) }))
  return { type: 'list', ordered, ...(ordered && start !== undefined && start !== 1 ? { start } : {}), items: listItems }
}

/** Levels by rank of distinct heading heights (within 10% counts as the same), largest first, at most 4. */
function headingLevels(heights: number[]): (height: number) => number {
  const tiers: number[] = []
  for (const height of [...heights].sort((a, b) => b - a)) {
    if (!tiers.length || height < tiers.at(-1)! * 0.9) tiers.push(height)
  }
  return (height) => {
    const index = tiers.findIndex((tier) => height >= tier * 0.9)
    return Math.min((index === -1 ? tiers.length : index) + 1, 4)
  }
}

function median(values: readonly number[]): number {
  if (!values.length) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
