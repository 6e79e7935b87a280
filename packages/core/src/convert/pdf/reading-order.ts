import type { Box } from './types.js'

/** Something to place in reading order: a box and how many characters of text it holds. */
export interface Placed extends Box {
  chars: number
  /** Font size of its text, for gap thresholds. */
  size: number
}

/**
 * Recursive XY-cut: splits a region at a vertical white gutter between two columns of text
 * (left before right), or, when full-width boxes (titles, wide figures, footnotes) block the
 * gutter, into horizontal bands around them (top to bottom). Returns the leaf regions in
 * reading order; a leaf is one column of text, read top-down by the caller.
 */
export function xyCut<T extends Placed>(boxes: T[]): T[][] {
  const leaves: T[][] = []
  cut(boxes, leaves, 0)
  return leaves
}

function cut<T extends Placed>(boxes: T[], leaves: T[][], depth: number): void {
  if (boxes.length < 4 || depth > 12) {
    leaves.push(boxes)
    return
  }
  const size = medianSize(boxes)
  const clean = findGutter(boxes, boxes, size)
  if (clean) {
    const left = boxes.filter((b) => b.x1 <= clean)
    const right = boxes.filter((b) => b.x1 > clean)
    cut(left, leaves, depth + 1)
    cut(right, leaves, depth + 1)
    return
  }
  // Full-width boxes may block a gutter that the rest of the region has.
  const x0 = Math.min(...boxes.map((b) => b.x0))
  const x1 = Math.max(...boxes.map((b) => b.x1))
  const narrow = boxes.filter((b) => b.x1 - b.x0 < 0.55 * (x1 - x0))
  if (narrow.length >= 6 && narrow.length >= 0.5 * boxes.length) {
    const gutter = findGutter(narrow, narrow, size)
    if (gutter !== undefined) {
      const spanning = boxes.filter((b) => b.x0 < gutter && b.x1 > gutter)
      if (spanning.length > 0 && spanning.length <= 0.35 * boxes.length) {
        const bands = bandsAround(boxes, spanning)
        if (bands.length > 1) {
          for (const band of bands) cut(band, leaves, depth + 1)
          return
        }
      }
    }
  }
  leaves.push(boxes)
}

function medianSize(boxes: Placed[]): number {
  const sizes = boxes.map((b) => b.size).sort((p, q) => p - q)
  return sizes[Math.floor(sizes.length / 2)] ?? 10
}

/**
 * The x of the widest vertical gap through `within` (no box of `within` crosses it) that has
 * column-like text on both sides; undefined when there is none.
 */
function findGutter(within: Placed[], all: Placed[], size: number): number | undefined {
  const sorted = [...within].sort((p, q) => p.x0 - q.x0)
  const regionX0 = sorted[0]!.x0
  const regionX1 = Math.max(...sorted.map((b) => b.x1))
  const width = regionX1 - regionX0
  let reach = -Infinity
  let best: { at: number; width: number } | undefined
  for (const box of sorted) {
    if (reach > -Infinity && box.x0 - reach >= Math.max(0.9 * size, 6)) {
      const gap = box.x0 - reach
      const at = (box.x0 + reach) / 2
      if ((!best || gap > best.width) && columnsOnBothSides(all, at, width, size)) best = { at, width: gap }
    }
    reach = Math.max(reach, box.x1)
  }
  return best?.at
}

/** Both sides hold several boxes of running text, each side wide enough to be a column. */
function columnsOnBothSides(boxes: Placed[], at: number, width: number, size: number): boolean {
  const left = boxes.filter((b) => b.x1 <= at)
  const right = boxes.filter((b) => b.x0 >= at)
  for (const side of [left, right]) {
    if (side.length < 2) return false
    const sideWidth = Math.max(...side.map((b) => b.x1)) - Math.min(...side.map((b) => b.x0))
    if (sideWidth < Math.max(4 * size, 0.15 * width)) return false
    const chars = side.map((b) => b.chars).sort((p, q) => p - q)
    if ((chars[Math.floor(chars.length / 2)] ?? 0) < 12) return false
    const tall = Math.max(...side.map((b) => b.bottom)) - Math.min(...side.map((b) => b.top))
    if (tall < 2.5 * size) return false
  }
  return true
}

/** Splits boxes into horizontal bands: each spanning box alone, the others between them. */
function bandsAround<T extends Placed>(boxes: T[], spanning: T[]): T[][] {
  const cuts = [...spanning].sort((p, q) => p.top - q.top)
  const span = new Set<T>(spanning)
  const bands: T[][] = []
  const between: T[][] = Array.from({ length: cuts.length + 1 }, () => [])
  for (const box of boxes) {
    if (span.has(box)) continue
    const mid = (box.top + box.bottom) / 2
    let index = cuts.findIndex((c) => mid < (c.top + c.bottom) / 2)
    if (index < 0) index = cuts.length
    between[index]!.push(box)
  }
  cuts.forEach((c, i) => {
    if (between[i]!.length > 0) bands.push(between[i]!)
    // consecutive spanning boxes stay in one band
    const last = bands[bands.length - 1]
    if (last && i > 0 && between[i]!.length === 0 && span.has(last[last.length - 1]!)) last.push(c)
    else bands.push([c])
  })
  if (between[cuts.length]!.length > 0) bands.push(between[cuts.length]!)
  return bands
}
