import { combineAccents } from './accents.js'
import type { FontStyles, TextStyles } from './font-styles.js'
import type { Fragment, Line, Run } from './types.js'

/** The fields of a pdfjs text item this module reads. */
export interface PdfTextItem {
  str: string
  transform: number[]
  width: number
  fontName: string
}

/** A gap wider than this share of the font size splits a line into fragments (columns, cells). */
const FRAGMENT_GAP = 1.0
/** A gap wider than this share of the font size between two runs is a word space. */
const SPACE_GAP = 0.15

/**
 * pdfjs items -> runs in top-down page coordinates. `pageTransform` is the viewport transform
 * of the page at scale 1 (it flips y and applies the page's rotation and offset).
 */
export function itemsToRuns(
  items: readonly unknown[],
  styles: TextStyles,
  fonts: FontStyles,
  pageTransform: number[],
): Run[] {
  const [a = 1, b = 0, c = 0, d = -1, e = 0, f = 0] = pageTransform
  const runs: Run[] = []
  for (const raw of items) {
    const item = raw as Partial<PdfTextItem>
    if (typeof item.str !== 'string' || !item.transform) continue
    const text = item.str.replace(/\u0000/g, '')
    if (text.trim() === '') continue
    const [ia = 0, ib = 0, ic = 0, id = 0, ie = 0, iff = 0] = item.transform
    // t = pageTransform x itemTransform, only the parts we need
    const tc = a * ic + c * id
    const td = b * ic + d * id
    const x = a * ie + c * iff + e
    const y = b * ie + d * iff + f
    const size = Math.hypot(tc, td) || Math.hypot(ia, ib) || 1
    const scaleX = Math.hypot(a, b) || 1
    const width = Math.max(0, (item.width ?? 0) * scaleX)
    runs.push({
      text,
      x0: x,
      x1: x + width,
      baseline: y,
      size,
      style: fonts.styleOf(item.fontName ?? '', styles),
    })
  }
  return combineAccents(runs)
}

export interface Row {
  baseline: number
  size: number
  runs: Run[]
}

/**
 * Groups runs whose baselines agree within a share of the larger font size (so sub- and
 * superscripts stay on their line), each row sorted left to right.
 */
export function buildRows(runs: Run[]): Row[] {
  const sorted = [...runs].sort((p, q) => p.baseline - q.baseline)
  const rows: Row[] = []
  let current: Row | undefined
  let mainChars = 0
  for (const run of sorted) {
    if (current && Math.abs(run.baseline - current.baseline) <= 0.4 * Math.max(run.size, current.size)) {
      current.runs.push(run)
      if (run.size > current.size * 1.05 || (run.size >= current.size * 0.95 && run.text.length > mainChars)) {
        current.baseline = run.baseline
        current.size = run.size
        mainChars = run.text.length
      }
      continue
    }
    current = { baseline: run.baseline, size: run.size, runs: [run] }
    mainChars = run.text.length
    rows.push(current)
  }
  for (const row of rows) {
    row.runs.sort((p, q) => p.x0 - q.x0)
    row.runs = dropDuplicates(row.runs)
  }
  return rows
}

/** Fake bold and shadows draw the same text twice, a hair apart: keep one copy. */
function dropDuplicates(runs: Run[]): Run[] {
  const kept: Run[] = []
  for (const run of runs) {
    // runs are sorted by x0: a twin is among the last kept runs that start near this one
    let twin = false
    for (let j = kept.length - 1; j >= 0; j--) {
      const k = kept[j]!
      if (run.x0 - k.x0 >= 0.3 * run.size) break
      if (k.text === run.text && Math.abs(k.baseline - run.baseline) < 0.3 * run.size) {
        twin = true
        break
      }
    }
    if (!twin) kept.push(run)
  }
  return kept
}

/** Splits a row at gaps wider than a share of the font size (columns, table cells). */
export function splitFragments(row: Row): Fragment[] {
  const fragments: Fragment[] = []
  let current: Run[] = []
  let end = -Infinity
  for (const run of row.runs) {
    if (current.length > 0 && run.x0 - end > FRAGMENT_GAP * Math.max(run.size, row.size)) {
      fragments.push(makeFragment(current, row))
      current = []
    }
    current.push(run)
    end = Math.max(end, run.x1)
  }
  if (current.length > 0) fragments.push(makeFragment(current, row))
  return fragments
}

export function makeFragment(runs: Run[], row: { baseline: number; size: number }): Fragment {
  let x0 = Infinity
  let x1 = -Infinity
  let main: Run | undefined
  for (const run of runs) {
    x0 = Math.min(x0, run.x0)
    x1 = Math.max(x1, run.x1)
    if (!main || run.size > main.size * 1.05 || (run.size >= main.size * 0.95 && run.text.length > main.text.length)) main = run
  }
  // A fragment's own baseline and size: a row can join a column's line with a slightly
  // offset heading in the next column.
  const baseline = main?.baseline ?? row.baseline
  const size = main?.size ?? row.size
  return { runs, x0, x1, top: baseline - 0.8 * size, bottom: baseline + 0.25 * size, baseline, size }
}

/** Joins the fragments of one baseline into a line, inserting spaces where glyphs leave a gap. */
export function joinLine(fragments: Fragment[]): Line {
  const runs = fragments.flatMap((f) => f.runs).sort((p, q) => p.x0 - q.x0)
  const spans: Run[] = []
  let previous: Run | undefined
  for (const run of runs) {
    let text = run.text
    if (previous) {
      const gap = run.x0 - previous.x1
      const spaced = isSpace(previous.text.charCodeAt(previous.text.length - 1)) || isSpace(text.charCodeAt(0))
      if (!spaced && gap > SPACE_GAP * Math.min(run.size, previous.size)) text = ' ' + text
    }
    spans.push({ ...run, text })
    previous = run
  }
  // Trim the ends so the line text has no outer whitespace.
  const first = spans[0]
  if (first) first.text = first.text.replace(/^\s+/, '')
  const last = spans[spans.length - 1]
  if (last) last.text = last.text.replace(/\s+$/, '')
  let size = 0
  let sizeChars = -1
  const bySize = new Map<number, number>()
  // Inline code is often set smaller: the size of the prose decides when there is prose.
  const prose = spans.some((s) => !s.style.mono && s.text.trim() !== '')
  for (const span of spans) {
    if (prose && span.style.mono) continue
    const key = Math.round(span.size * 2) / 2
    const chars = (bySize.get(key) ?? 0) + span.text.length
    bySize.set(key, chars)
    if (chars > sizeChars) {
      sizeChars = chars
      size = span.size
    }
  }
  const base = makeFragment(runs, { baseline: fragments[0]?.baseline ?? 0, size })
  return { ...base, size, spans, text: spans.map((s) => s.text).join('') }
}

/** Whether a UTF-16 code unit is white space (the common cases, as `\s` matches them). */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 160 || code === 0x3000 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0xfeff || code === 0x1680
}
