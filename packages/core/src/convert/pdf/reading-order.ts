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
    const header = headerBand(boxes, clean, size)
    if (header) {
      cut(header.above, leaves, depth + 1)
      cut(header.below, leaves, depth + 1)
      return
    }
    const left = boxes.filter((b) => b.x1 <= clean)
    const right = boxes.filter((b) => b.x1 > clean)
    cut(left, leaves, depth + 1)
    cut(right, leaves, depth + 1)
    return
  }
  // Full-width boxes (titles, abstracts, wide figures, footnotes) may block a gutter that the
  // rest of the region has: read them as bands above, between and below the columns.
  const blocked = gutterBehindSpanningBoxes(boxes, size)
  if (blocked) {
    const bands = bandsAround(boxes, blocked)
    if (bands.length > 1) {
      for (const band of bands) cut(band, leaves, depth + 1)
      return
    }
  }
  leaves.push(boxes)
}

/**
 * The boxes to cut around when all but a few boxes leave a vertical gutter free: the x with
 * the fewest boxes across it, where the others form text columns on both sides.
 */
function gutterBehindSpanningBoxes<T extends Placed>(boxes: T[], size: number): T[] | undefined {
  const x0 = Math.min(...boxes.map((b) => b.x0))
  const x1 = Math.max(...boxes.map((b) => b.x1))
  const width = x1 - x0
  const limit = Math.floor(0.35 * boxes.length)
  let best: { crossing: T[]; gap: number } | undefined
  const minGap = Math.max(0.9 * size, 6)
  for (const candidate of boxes) {
    const at = candidate.x1 + minGap / 2
    if (at < x0 + 0.15 * width || at > x1 - 0.15 * width) continue
    const crossing = boxes.filter((b) => b.x0 < at && b.x1 > at)
    if (crossing.length === 0 || crossing.length > limit) continue
    if (best && crossing.length > best.crossing.length) continue
    const rest = boxes.filter((b) => !(b.x0 < at && b.x1 > at))
    const leftEdge = Math.max(...rest.filter((b) => b.x1 <= at).map((b) => b.x1))
    const rightEdge = Math.min(...rest.filter((b) => b.x0 >= at).map((b) => b.x0))
    const gap = rightEdge - leftEdge
    if (!(gap >= minGap)) continue
    if (best && crossing.length === best.crossing.length && gap <= best.gap) continue
    if (!columnsOnBothSides(rest, (leftEdge + rightEdge) / 2, width, size)) continue
    best = { crossing, gap }
  }
  return best?.crossing
}

/**
 * A block set in another size above the columns and across both sides of their gutter (the
 * authors and affiliations of a paper, side by side under the title) is read before the
 * columns, not as the top of each: the boxes above a full-width white band, when their size
 * differs from that of the text below and they hold a small share of the characters.
 */
function headerBand<T extends Placed>(boxes: T[], gutter: number, size: number): { above: T[]; below: T[] } | undefined {
  const sorted = [...boxes].sort((p, q) => p.top - q.top)
  let total = 0
  for (const b of sorted) total += b.chars
  let reach = -Infinity
  let chars = 0
  for (let i = 0; i < sorted.length - 1; i++) {
    const box = sorted[i]!
    reach = Math.max(reach, box.bottom)
    chars += box.chars
    if (chars > 0.35 * total) return undefined
    if (sorted[i + 1]!.top - reach < Math.max(size, 6)) continue
    const above = sorted.slice(0, i + 1)
    const below = sorted.slice(i + 1)
    if (above.length < 2 || !above.some((b) => b.x1 <= gutter) || !above.some((b) => b.x0 >= gutter)) continue
    const upper = medianSize(above)
    const lower = medianSize(below)
    if (Math.max(upper, lower) > 1.15 * Math.min(upper, lower)) return { above, below }
  }
  return undefined
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
    // running text: most characters sit in long boxes (not short cells or pieces of math)
    let total = 0
    let long = 0
    let longBoxes = 0
    for (const b of side) {
      total += b.chars
      if (b.chars >= 15) {
        long += b.chars
        longBoxes++
      }
    }
    if (longBoxes < 2 || long < 0.6 * total) return false
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
