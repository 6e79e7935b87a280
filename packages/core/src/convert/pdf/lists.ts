import type { Inline, ListBlock, ListItem } from '../../document.js'
import type { Line } from './types.js'

export interface Marker {
  ordered: boolean
  /** Number of an ordered item (letters and roman numerals count from 1). */
  number?: number
  /** Characters of the line text taken by the marker and the space after it. */
  length: number
}

const BULLET = /^([•◦▪▫‣∙●○■□➢►–*-])(\s+|(?=\S))/
const NUMBERED = /^(\d{1,3}|[a-z]|[ivx]{1,5})([.)])\s+(?=\S)/
const PAREN = /^\((\d{1,3}|[a-z]|[ivx]{1,5})\)\s+(?=\S)/

/** The list marker that opens a line, if any: a bullet glyph, `1.`, `1)`, `a)`, `i.`, `(a)`. */
export function listMarker(line: Line): Marker | undefined {
  const text = line.text
  const bullet = BULLET.exec(text)
  // '-', '*' and '–' only count with a space after them, and not before a digit (a negative number).
  const dash = bullet && '-*–'.includes(bullet[1]!) && (!bullet[2] || /^\s*\d/.test(text.slice(1)))
  if (bullet && !dash && text.length > bullet[0].length) return { ordered: false, length: bullet[0].length }
  const numbered = NUMBERED.exec(text) ?? PAREN.exec(text)
  if (numbered) {
    const label = numbered[1]!
    // A lone capital or word such as "I." starting a sentence is not caught: only lower case letters.
    const number = /^\d+$/.test(label) ? Number(label) : /^[ivx]+$/.test(label) && label !== 'i' && label.length > 1 ? roman(label) : label.length === 1 ? label.charCodeAt(0) - 96 : roman(label)
    if (!/^\d+$/.test(label) && numbered[2] === '.' && label.length === 1 && !/^[a-z]\.\s+[A-Z(]/.test(text)) return undefined
    return { ordered: true, number, length: numbered[0].length }
  }
  if (line.drawnBullet) return { ordered: false, length: 0 }
  return undefined
}

function roman(text: string): number {
  const values: Record<string, number> = { i: 1, v: 5, x: 10 }
  let total = 0
  for (let i = 0; i < text.length; i++) {
    const v = values[text[i]!] ?? 0
    const next = values[text[i + 1] ?? ''] ?? 0
    total += v < next ? -v : v
  }
  return total
}

/** One list item as laid out: where its marker sits, and its text. */
export interface LaidOutItem {
  markerX: number
  ordered: boolean
  number?: number
  text: string
  inlines?: Inline[]
}

/** Items -> nested lists, nesting from the marker indent. */
export function buildLists(items: LaidOutItem[], size: number): ListBlock[] {
  const tolerance = 0.6 * size
  const roots: ListBlock[] = []
  const stack: Array<{ x: number; list: ListBlock }> = []
  for (const item of items) {
    const entry: ListItem = { text: item.text }
    if (item.inlines) entry.inlines = item.inlines
    while (stack.length > 0 && stack[stack.length - 1]!.x > item.markerX + tolerance) stack.pop()
    let top = stack[stack.length - 1]
    if (top && Math.abs(item.markerX - top.x) <= tolerance) {
      if (top.list.ordered === item.ordered) {
        top.list.items.push(entry)
        continue
      }
      stack.pop()
      top = stack[stack.length - 1]
    }
    const list: ListBlock = { type: 'list', ordered: item.ordered, items: [entry] }
    if (item.ordered && item.number !== undefined && item.number !== 1) list.start = item.number
    if (!top) {
      roots.push(list)
    } else {
      const parent = top.list.items[top.list.items.length - 1]!
      if (parent.children) {
        // an item holds one nested list: a second kind at the same depth joins it
        parent.children.items.push(entry)
        continue
      }
      parent.children = list
    }
    stack.push({ x: item.markerX, list })
  }
  return roots
}
