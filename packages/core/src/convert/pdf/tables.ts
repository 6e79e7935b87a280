import { lineJoin } from './line-joins.js'
import { buildRows, joinLine, makeFragment, splitFragments, type Row } from './text-lines.js'
import type { Box, Fragment, Line, Run, Segment } from './types.js'

/** A table found on a page, with the box it covers (for reading order). */
export interface FoundTable extends Box {
  rows: string[][]
}

const SNAP = 2

/** Merges collinear pieces (cell borders are often drawn one cell at a time). */
function mergeSegments(segments: Segment[]): Segment[] {
  const sorted = [...segments].sort((p, q) => (p.dir === q.dir ? p.pos - q.pos || p.a - q.a : p.dir < q.dir ? -1 : 1))
  const merged: Segment[] = []
  for (const s of sorted) {
    const last = merged.find((m) => m.dir === s.dir && Math.abs(m.pos - s.pos) <= 1 && s.a <= m.b + SNAP && s.b >= m.a - SNAP)
    if (last) {
      last.a = Math.min(last.a, s.a)
      last.b = Math.max(last.b, s.b)
    } else merged.push({ ...s })
  }
  return merged
}

function crosses(h: Segment, v: Segment): boolean {
  return v.pos >= h.a - SNAP && v.pos <= h.b + SNAP && h.pos >= v.a - SNAP && h.pos <= v.b + SNAP
}

/** Distinct positions, those closer than SNAP counted once. */
function distinct(values: number[]): number[] {
  const out: number[] = []
  for (const v of [...values].sort((p, q) => p - q)) {
    if (out.length === 0 || v - out[out.length - 1]! > SNAP) out.push(v)
  }
  return out
}

/**
 * Tables from ruling lines: connected horizontal and vertical lines forming a grid, and
 * rule-only tables (three or more horizontal rules of the same width, booktabs style) whose
 * columns come from text alignment. Runs placed in a table are removed from `runs`.
 */
export function findRuledTables(segments: Segment[], runs: Run[]): { tables: FoundTable[]; rest: Run[] } {
  if (segments.length < 2 || runs.length === 0) return { tables: [], rest: runs }
  const lines = mergeSegments(segments)
  const hs = lines.filter((s) => s.dir === 'h')
  const vs = lines.filter((s) => s.dir === 'v')
  // union-find over crossing lines
  const parent = lines.map((_, i) => i)
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)))
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      const p = lines[i]!
      const q = lines[j]!
      if (p.dir !== q.dir && (p.dir === 'h' ? crosses(p, q) : crosses(q, p))) parent[find(i)] = find(j)
    }
  }
  const groups = new Map<number, Segment[]>()
  lines.forEach((s, i) => {
    const root = find(i)
    groups.set(root, [...(groups.get(root) ?? []), s])
  })
  const grids: Array<{ xs: number[]; ys: number[] }> = []
  for (const group of groups.values()) {
    const gh = group.filter((s) => s.dir === 'h')
    const gv = group.filter((s) => s.dir === 'v')
    if (gh.length < 2 || gv.length < 2) continue
    const x0 = Math.min(...gh.map((s) => s.a))
    const x1 = Math.max(...gh.map((s) => s.b))
    const top = Math.min(...gv.map((s) => s.a))
    const bottom = Math.max(...gv.map((s) => s.b))
    grids.push({ xs: distinct([x0, x1, ...gv.map((s) => s.pos)]), ys: distinct([top, bottom, ...gh.map((s) => s.pos)]) })
  }
  // booktabs-style: horizontal rules of one width with no verticals
  const lone = hs.filter((h) => !vs.some((v) => crosses(h, v)))
  const byExtent: Segment[][] = []
  for (const h of lone.sort((p, q) => p.pos - q.pos)) {
    const set = byExtent.find((g) => Math.abs(g[0]!.a - h.a) < 3 && Math.abs(g[0]!.b - h.b) < 3)
    if (set) set.push(h)
    else byExtent.push([h])
  }
  const tables: FoundTable[] = []
  let rest = runs
  for (const grid of grids) {
    const made = gridTable(grid.xs, grid.ys, rest)
    if (made) {
      tables.push(made.table)
      rest = made.rest
    }
  }
  for (const set of byExtent) {
    if (set.length < 3 || set[0]!.b - set[0]!.a < 60) continue
    const top = set[0]!.pos
    const bottom = set[set.length - 1]!.pos
    const inside = rest.filter((r) => r.baseline > top && r.baseline < bottom && center(r) > set[0]!.a - SNAP && center(r) < set[0]!.b + SNAP)
    const rows = buildRows(inside)
    const table = alignedTable(rows, 1, 2)
    if (table) {
      tables.push({ ...table, x0: set[0]!.a, x1: set[0]!.b, top, bottom })
      const used = new Set(inside)
      rest = rest.filter((r) => !used.has(r))
    }
  }
  return { tables, rest }
}

function center(run: Run): number {
  return (run.x0 + run.x1) / 2
}

function gridTable(xs: number[], ys: number[], runs: Run[]): { table: FoundTable; rest: Run[] } | undefined {
  if (xs.length < 2 || ys.length < 2 || (xs.length - 1) * (ys.length - 1) < 2) return undefined
  const x0 = xs[0]!
  const x1 = xs[xs.length - 1]!
  const top = ys[0]!
  const bottom = ys[ys.length - 1]!
  const cells: Run[][][] = Array.from({ length: ys.length - 1 }, () => Array.from({ length: xs.length - 1 }, () => []))
  const rest: Run[] = []
  for (const run of runs) {
    const cx = center(run)
    const cy = run.baseline - 0.3 * run.size
    if (cx < x0 || cx > x1 || cy < top || cy > bottom) {
      rest.push(run)
      continue
    }
    const col = Math.max(0, xs.findIndex((x) => x > cx) - 1)
    const row = Math.max(0, ys.findIndex((y) => y > cy) - 1)
    cells[row]![col]!.push(run)
  }
  const boxes = columnBoxes(cells, xs)
  let rows = cells.map((row) => row.map((c, i) => cellText(c, boxes[i])))
  rows = rows.filter((row) => row.some((c) => c !== ''))
  const keep = rows[0]?.map((_, i) => rows.some((row) => row[i] !== '')) ?? []
  rows = rows.map((row) => row.filter((_, i) => keep[i]))
  const filled = rows.reduce((n, row) => n + row.filter((c) => c !== '').length, 0)
  if (rows.length < 2 || (rows[0]?.length ?? 0) < 2 || filled < 3) return undefined
  return { table: { rows, x0, x1, top, bottom }, rest }
}

/** The content box of a table column (inside its padding): where cell lines may reach. */
export interface ColumnBox {
  left: number
  right: number
}

/**
 * Text of one cell: its lines in order, joined with spaces (hyphenated words rejoined). With
 * the column's content box, a word a narrow column broke between letters ("Ser" / "vic" / "e")
 * is joined back: see `brokenWord`.
 */
export function cellText(runs: Run[], column?: ColumnBox): string {
  if (runs.length === 0) return ''
  const lines = buildRows(runs).map((row) => joinLine([makeFragment(row.runs, row)]))
  let text = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line.text) continue
    if (text === '') {
      text = line.text
      continue
    }
    if (column && brokenWord(lines[i - 1]!, line, lines[i + 1], column)) text += line.text
    else text = joinTwo(text, line.text)
  }
  return text.trim()
}

/** Whether a line holds one token that fills the column up to less than a character. */
function fullToken(line: Line, column: ColumnBox): boolean {
  if (/\s/.test(line.text)) return false
  // slack on both sides: header cells are often centred
  const slack = column.right - column.left - (line.x1 - line.x0)
  return slack < 0.55 * line.size
}

/**
 * A column narrower than a word breaks it between letters: the line before is that word alone,
 * filling the column (the next letter did not fit). A wrap at a space can leave a full line
 * too, so a piece starting in upper case ("App" / "Vey" / "or") counts only when it is itself
 * a full middle piece, not the next word ("Config" / "Path").
 */
function brokenWord(before: Line, line: Line, after: Line | undefined, column: ColumnBox): boolean {
  if (!fullToken(before, column)) return false
  if (!/^\p{Lu}/u.test(line.text)) return true
  return after !== undefined && fullToken(line, column)
}

function joinTwo(text: string, line: string): string {
  const join = lineJoin(text, line)
  return join === 'dehyphenate' ? text.slice(0, -1) + line : join === 'join' ? text + line : text + ' ' + line
}

export function joinTextLines(lines: string[]): string {
  let text = ''
  for (const line of lines) {
    if (!line) continue
    text = text === '' ? line : joinTwo(text, line)
  }
  return text.trim()
}

/** Content boxes of columns: the text's reach, with the padding on the left mirrored on the right when the rulings are known. */
function columnBoxes(cells: Run[][][], edges?: number[]): Array<ColumnBox | undefined> {
  const count = cells[0]?.length ?? 0
  const boxes: Array<ColumnBox | undefined> = []
  for (let c = 0; c < count; c++) {
    let left = Infinity
    let right = -Infinity
    for (const row of cells) {
      for (const run of row[c] ?? []) {
        left = Math.min(left, run.x0)
        right = Math.max(right, run.x1)
      }
    }
    if (left === Infinity) {
      boxes.push(undefined)
      continue
    }
    const a = edges?.[c]
    const b = edges?.[c + 1]
    if (a !== undefined && b !== undefined && left >= a && b - (left - a) >= right) right = b - (left - a)
    boxes.push({ left, right })
  }
  return boxes
}

interface Gap {
  a: number
  b: number
}

function gapsOf(fragments: Fragment[]): Gap[] {
  const gaps: Gap[] = []
  for (let i = 1; i < fragments.length; i++) gaps.push({ a: fragments[i - 1]!.x1, b: fragments[i]!.x0 })
  return gaps
}

function intersectGaps(common: Gap[], gaps: Gap[]): Gap[] {
  const out: Gap[] = []
  for (const c of common) {
    for (const g of gaps) {
      const a = Math.max(c.a, g.a)
      const b = Math.min(c.b, g.b)
      if (b > a) {
        out.push({ a, b })
        break
      }
    }
  }
  return out
}

/** Whether no fragment of the row lies across one of the column gaps. */
function fitsGaps(fragments: Fragment[], gaps: Gap[]): boolean {
  return fragments.every((f) => gaps.every((g) => f.x1 <= g.a + 1 || f.x0 >= g.b - 1))
}

/**
 * A table from consecutive rows sharing `minGaps` or more aligned column gaps. Rows with a
 * single fragment that fits the columns continue the cell above (wrapped cell text).
 */
export function alignedTable(rows: Row[], minGaps: number, minRows: number): { rows: string[][] } | undefined {
  const split = rows.map(splitFragments)
  const first = split.findIndex((f) => f.length >= minGaps + 1)
  if (first < 0) return undefined
  let common = gapsOf(split[first]!)
  for (let i = first + 1; i < split.length; i++) {
    const f = split[i]!
    if (f.length >= 2) {
      const next = intersectGaps(common, gapsOf(f))
      if (next.length >= minGaps && fitsGaps(f, next)) common = next
      else if (!fitsGaps(f, common)) return undefined
    } else if (!fitsGaps(f, common)) return undefined
  }
  return buildCells(split.slice(first), common, minRows)
}

function buildCells(split: Fragment[][], gaps: Gap[], minRows: number): { rows: string[][] } | undefined {
  const bounds = gaps.map((g) => (g.a + g.b) / 2)
  const table: Run[][][] = []
  for (const fragments of split) {
    const cells: Run[][] = bounds.map(() => []).concat([[]])
    for (const f of fragments) {
      const cx = (f.x0 + f.x1) / 2
      let col = bounds.findIndex((b) => cx < b)
      if (col < 0) col = bounds.length
      cells[col]!.push(...f.runs)
    }
    const filled = cells.filter((c) => c.length > 0).length
    const previous = table[table.length - 1]
    // A lone fragment not in the first column continues the row above (wrapped cell).
    if (previous && filled === 1 && cells[0]!.length === 0) {
      cells.forEach((c, i) => previous[i]!.push(...c))
    } else table.push(cells)
  }
  if (table.length < minRows) return undefined
  const boxes = columnBoxes(table)
  const rows = table.map((cells) => cells.map((c, i) => cellText(c, boxes[i])))
  return { rows }
}

const MATH = /[∑∫∏√∂∞≤≥≈±×·=∈∀∃→⇒]/

/** Math set in pieces (operators, limits, fractions) lines up like a table: it is not one. */
function looksLikeMath(rows: string[][]): boolean {
  const cells = rows.flat().filter((c) => c !== '')
  const math = cells.filter((c) => MATH.test(c) || /^\S{1,2}$/.test(c)).length
  return math > 0.3 * cells.length
}

/**
 * Unruled tables: runs of three or more consecutive rows whose fragments share two or more
 * aligned column gaps. Code (all-monospace rows) is left alone. Returns rows and tables in order.
 */
export function findAlignedTables(rows: Row[]): Array<Row | FoundTable> {
  const out: Array<Row | FoundTable> = []
  let i = 0
  while (i < rows.length) {
    const start = rows[i]!
    const f0 = splitFragments(start)
    if (f0.length < 3 || start.runs.every((r) => r.style.mono)) {
      out.push(start)
      i++
      continue
    }
    let common = gapsOf(f0)
    let j = i + 1
    let real = 1
    while (j < rows.length) {
      const row = rows[j]!
      const f = splitFragments(row)
      // a full row may sit further down (a header row set apart from the body)
      const reach = f.length >= common.length + 1 ? 3.5 : 2.6
      if (row.baseline - rows[j - 1]!.baseline > reach * Math.max(row.size, rows[j - 1]!.size)) break
      if (row.runs.every((r) => r.style.mono)) break
      if (f.length >= 2) {
        const next = intersectGaps(common, gapsOf(f))
        if (next.length < 2 || !fitsGaps(f, next)) break
        common = next
        real++
      } else if (!fitsGaps(f, common)) break
      j++
    }
    const chosen = rows.slice(i, j)
    const built = real >= 3 ? buildCells(chosen.map(splitFragments), common, 3) : undefined
    if (!built || looksLikeMath(built.rows)) {
      out.push(start)
      i++
      continue
    }
    const runs = chosen.flatMap((r) => r.runs)
    out.push({
      rows: built.rows,
      x0: Math.min(...runs.map((r) => r.x0)),
      x1: Math.max(...runs.map((r) => r.x1)),
      top: Math.min(...runs.map((r) => r.baseline - 0.8 * r.size)),
      bottom: Math.max(...runs.map((r) => r.baseline + 0.25 * r.size)),
    })
    i = j
  }
  return out
}

export function isTable(item: Row | FoundTable): item is FoundTable {
  return 'rows' in item
}
