import type { Box } from './pptx-slide-xml.js'

export interface Placed<T> {
  box: Box | undefined
  item: T
}

/**
 * Orders shapes for reading: top to bottom, left to right, by recursive XY-cut. A region is
 * split at horizontal gaps that no shape crosses (bands, read top-down), else at vertical
 * gaps (columns, read left to right), so a text column beside a tall table is read whole
 * before the table. Shapes without a position come last, in document order.
 * @param slop overlap in EMU still taken as a gap (shapes often overlap by a hair)
 */
export function readingOrder<T>(items: Array<Placed<T>>, slop = 0): T[] {
  const placed: Array<{ box: Box; item: T; index: number }> = []
  const unplaced: T[] = []
  items.forEach((entry, index) => {
    if (entry.box) placed.push({ box: entry.box, item: entry.item, index })
    else unplaced.push(entry.item)
  })
  return [...xyCut(placed, slop, 0).map((entry) => entry.item), ...unplaced]
}

interface Entry<T> {
  box: Box
  item: T
  index: number
}

function xyCut<T>(entries: Array<Entry<T>>, slop: number, depth: number): Array<Entry<T>> {
  if (entries.length <= 1 || depth > 32) return entries
  const bands = split(entries, 'y', slop)
  if (bands.length > 1) return bands.flatMap((band) => xyCut(band, slop, depth + 1))
  const columns = split(entries, 'x', slop)
  if (columns.length > 1) return columns.flatMap((column) => xyCut(column, slop, depth + 1))
  return [...entries].sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x || a.index - b.index)
}

/** Groups entries separated by gaps along one axis, in order along it. */
function split<T>(entries: Array<Entry<T>>, axis: 'x' | 'y', slop: number): Array<Array<Entry<T>>> {
  const start = (e: Entry<T>) => (axis === 'x' ? e.box.x : e.box.y)
  const end = (e: Entry<T>) => start(e) + Math.max(0, axis === 'x' ? e.box.width : e.box.height)
  const sorted = [...entries].sort((a, b) => start(a) - start(b) || a.index - b.index)
  const groups: Array<Array<Entry<T>>> = []
  let reach = -Infinity
  for (const entry of sorted) {
    const current = groups[groups.length - 1]
    // Overlap allowed: the smaller of `slop` and a quarter of the entry's own extent.
    const extent = end(entry) - start(entry)
    const allowance = Math.min(slop, extent / 4)
    if (!current || start(entry) >= reach - allowance) groups.push([entry])
    else current.push(entry)
    reach = Math.max(reach, end(entry))
  }
  return groups
}
