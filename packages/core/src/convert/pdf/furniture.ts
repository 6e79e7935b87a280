import { splitFragments, type Row } from './text-lines.js'
import type { TextBlock } from './paragraphs.js'

const BAND = 0.11

/**
 * Rows in the top or bottom band of a page, set apart from the body by a gap: candidates
 * for running headers, footers and page numbers. Returns them and the remaining rows.
 */
export function takeBandRows(rows: Row[], pageHeight: number): { top: Row[]; bottom: Row[]; body: Row[] } {
  const top: Row[] = []
  const bottom: Row[] = []
  let start = 0
  let end = rows.length
  for (let i = 0; i < Math.min(2, rows.length - 1); i++) {
    const row = rows[i]!
    const next = rows[i + 1]!
    if (row.baseline > BAND * pageHeight) break
    if (next.baseline - next.size * 0.8 - row.baseline < 0.9 * row.size) break
    if (headsColumns(row, next)) break
    top.push(row)
    start = i + 1
  }
  for (let i = rows.length - 1; i > Math.max(start, rows.length - 3); i--) {
    const row = rows[i]!
    const previous = rows[i - 1]!
    if (row.baseline - row.size < (1 - BAND) * pageHeight) break
    if (row.baseline - row.size * 0.8 - previous.baseline < 0.9 * row.size) break
    bottom.unshift(row)
    end = i
  }
  return { top, bottom, body: rows.slice(start, end) }
}

/** A table header row (repeated on each page) lines up its cells with the row below. */
function headsColumns(row: Row, next: Row): boolean {
  const cells = splitFragments(row)
  const below = splitFragments(next)
  if (cells.length < 2 || below.length < 2) return false
  const aligned = cells.filter((c) => below.some((b) => Math.abs(b.x0 - c.x0) < 2 || Math.abs(b.x1 - c.x1) < 2)).length
  return aligned >= 2
}

const PAGE_NUMBER = /^(?:page\s+|p\.\s*|-\s*)?(?:\d{1,5}|[ivxlcdm]{1,7})(?:\s*(?:of|\/)\s*\d{1,5})?(?:\s*-)?$/i

function foldKey(text: string): string {
  return text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim()
}

/**
 * Cross-page pass: a band line whose text (digits folded) comes back on a large share of the
 * pages is a running header or footer; bare page numbers likewise. Flags them with `role`.
 */
export function flagFurniture(bandBlocks: TextBlock[][], pageCount: number): void {
  if (pageCount < 2) return
  const needed = Math.max(2, Math.ceil(0.3 * pageCount))
  const pagesByKey = new Map<string, number>()
  let numberedPages = 0
  for (const blocks of bandBlocks) {
    const keys = new Set(blocks.map((b) => b.band + ':' + foldKey(b.text)))
    for (const key of keys) pagesByKey.set(key, (pagesByKey.get(key) ?? 0) + 1)
    if (blocks.some((b) => PAGE_NUMBER.test(b.text.trim()))) numberedPages++
  }
  for (const blocks of bandBlocks) {
    for (const block of blocks) {
      if (PAGE_NUMBER.test(block.text.trim()) && numberedPages >= needed) block.role = 'page-number'
      else if ((pagesByKey.get(block.band + ':' + foldKey(block.text)) ?? 0) >= needed) block.role = block.band === 'top' ? 'header' : 'footer'
    }
  }
}
