import type { FontStyles, TextStyles } from './font-styles.js'
import type { PageLayout } from './finish-document.js'
import type { SizeHistogram } from './headings.js'
import { applyLinks, linkAreas } from './links.js'
import type { PdfPage, Pdfjs } from './load-document.js'
import { coverage, findImages } from './page-image.js'
import { readGraphics, type PageGraphics } from './page-graphics.js'
import { layoutLines, makeTextBlock, type ProtoBlock, type TextBlock } from './paragraphs.js'
import { xyCut, type Placed } from './reading-order.js'
import { takeBandRows } from './furniture.js'
import { findAlignedTables, findRuledTables, isTable, type FoundTable } from './tables.js'
import { buildRows, itemsToRuns, joinLine, makeFragment, splitFragments, type Row } from './text-lines.js'
import type { Fragment, Line, Mark, Run } from './types.js'

/** What a page analysis needs from the document-wide state. */
export interface DocumentState {
  pdfjs: Pdfjs
  fonts: FontStyles
  sizes: SizeHistogram
  /** Link annotations by page number (empty when the document has no URL links). */
  links: Map<number, unknown[]>
  /**
   * Pages whose drawings were read, and how many of them held a ruled table or drawn bullets.
   * A document that draws neither on its first pages is not asked again (drawings are costly).
   */
  graphics: { tried: number; useful: number }
  /** Whether pages with an unusable text layer will be OCR'd (else their text is kept). */
  ocrAvailable: boolean
  /** Waits for a pdfjs promise, or rejects at once when the conversion is aborted. */
  guard<T>(promise: Promise<T>): Promise<T>
}

type PlacedItem = Placed & ({ fragment: Fragment; table?: undefined } | { table: FoundTable; fragment?: undefined })

/** Reads one page: text, then (only when needed) drawings and fonts, then layout into blocks. */
export async function analysePage(page: PdfPage, number: number, state: DocumentState): Promise<PageLayout> {
  const viewport = page.getViewport({ scale: 1 })
  const transform = viewport.transform as number[]
  const content = await state.guard(page.getTextContent())
  const styles = content.styles as TextStyles
  let graphics: PageGraphics | undefined
  const fetchGraphics = async (): Promise<PageGraphics> => {
    const operatorList = await state.guard(page.getOperatorList({ annotationMode: state.pdfjs.AnnotationMode.DISABLE }))
    state.fonts.learn(styles, page.commonObjs)
    return readGraphics(state.pdfjs, operatorList, transform)
  }
  // Font names reach us only through an operator list: get one for pages with new fonts.
  if (state.fonts.needsNames(content.items, styles)) graphics = await fetchGraphics()
  let runs = itemsToRuns(content.items, styles, state.fonts, transform)
  // Without OCR a garbled or thin text layer is still the best reading there is.
  const unreadable = runs.length === 0 || state.ocrAvailable ? await unusableTextLayer(page, runs, viewport, state) : undefined
  if (unreadable) return { number, width: viewport.width, height: viewport.height, blocks: [], ...unreadable }
  if (runs.length === 0) return { number, width: viewport.width, height: viewport.height, blocks: [] }
  const worthAsking = state.graphics.useful > 0 || state.graphics.tried < 3
  if (!graphics && worthAsking && mayNeedGraphics(buildRows(runs))) graphics = await fetchGraphics()
  const annotations = state.links.get(number)
  if (annotations) runs = applyLinks(runs, linkAreas(annotations, transform))

  const tables: FoundTable[] = []
  if (graphics) {
    const ruled = findRuledTables(graphics.segments, runs)
    tables.push(...ruled.tables)
    runs = ruled.rest
  }
  const bands = takeBandRows(buildRows(runs), viewport.height)

  const placed: PlacedItem[] = []
  for (const row of bands.body) {
    for (const fragment of splitFragments(row)) {
      placed.push({ ...box(fragment), chars: charCount(fragment), size: fragment.size, fragment })
    }
  }
  for (const table of tables) placed.push({ x0: table.x0, x1: table.x1, top: table.top, bottom: table.bottom, chars: 200, size: 10, table })

  const blocks: ProtoBlock[] = []
  for (const row of bands.top) blocks.push(bandBlock(row, 'top'))
  const bullets = { drawn: 0 }
  const marks = graphics ? [...graphics.marks].sort((p, q) => p.top + p.bottom - (q.top + q.bottom)) : []
  for (const leaf of xyCut(placed)) blocks.push(...layoutLeaf(leaf, marks, bullets))
  if (graphics) {
    state.graphics.tried++
    if (tables.length > 0 || bullets.drawn > 0) state.graphics.useful++
  }
  for (const row of bands.bottom) blocks.push(bandBlock(row, 'bottom'))

  for (const row of bands.body) for (const run of row.runs) state.sizes.add(run.size, run.text.length)
  return { number, width: viewport.width, height: viewport.height, blocks }
}

/** Below this many characters a page's text may be a stamp or a page number on a scan. */
const THIN_TEXT_CHARS = 40
/** Share of unreadable characters from which a text layer is garbage. */
const GARBAGE_SHARE = 0.3

/**
 * Why the page's text layer cannot be used, if it cannot: `no-text` (a scan: no text, draws
 * an image), `garbled` (mostly replacement, private-use or control characters: a broken font
 * encoding) or `image-page` (a few characters over a page-sized image: a stamp on a scan).
 * Pages with a good text layer, and blank pages, give undefined. Drawings are read only for
 * pages with little or no text.
 */
async function unusableTextLayer(
  page: PdfPage,
  runs: Run[],
  viewport: { width: number; height: number },
  state: DocumentState,
): Promise<Pick<PageLayout, 'unreadable' | 'images'> | undefined> {
  let chars = 0
  let bad = 0
  for (const run of runs) {
    for (const ch of run.text) {
      if (/\s/.test(ch)) continue
      chars++
      if (isUnreadable(ch.codePointAt(0)!)) bad++
    }
  }
  if (chars > 0 && bad / chars >= GARBAGE_SHARE) return { unreadable: 'garbled' }
  if (chars > THIN_TEXT_CHARS) return undefined
  const images = await findImages(page, state.pdfjs, state.guard)
  if (images.length === 0) return undefined
  if (chars === 0) return { unreadable: 'no-text', images }
  const largest = Math.max(...images.map((image) => coverage(image, viewport.width, viewport.height)))
  return largest >= 0.5 ? { unreadable: 'image-page', images } : undefined
}

/** U+FFFD, private-use and control characters: what broken font encodings come out as. */
function isUnreadable(code: number): boolean {
  return (
    code === 0xfffd ||
    code < 0x20 ||
    (code >= 0x7f && code < 0xa0) ||
    (code >= 0xe000 && code <= 0xf8ff) ||
    code >= 0xf0000
  )
}

function box(f: Fragment): { x0: number; x1: number; top: number; bottom: number } {
  return { x0: f.x0, x1: f.x1, top: f.top, bottom: f.bottom }
}

function charCount(f: Fragment): number {
  let n = 0
  for (const run of f.runs) n += run.text.length
  return n
}

function bandBlock(row: Row, band: 'top' | 'bottom'): TextBlock {
  const block = makeTextBlock([joinLine([makeFragment(row.runs, row)])])
  block.band = band
  return block
}

/**
 * Cheap test on text alone for what only drawings can tell, since an operator list costs
 * about half as much again as the text: grids of short cells (rows of two or three cells that
 * text alignment alone reads poorly) and list bullets drawn as shapes (several lines indented
 * to the same x with no marker). Code (monospace) rows never count.
 */
function mayNeedGraphics(rows: Row[]): boolean {
  let left = Infinity
  for (const row of rows) left = Math.min(left, row.runs[0]!.x0)
  let tableLike = 0
  const indents = new Map<number, number>()
  let previous: Row | undefined
  for (const row of rows) {
    if (row.runs.every((r) => r.style.mono)) {
      tableLike = 0
      previous = row
      continue
    }
    const fragments = splitFragments(row)
    const short = fragments.some((f) => charCount(f) < 20)
    if (fragments.length >= 2 && short) {
      tableLike = previous && row.baseline - previous.baseline < 3 * row.size ? tableLike + 1 : 1
      if (tableLike >= 3) return true
    } else tableLike = 0
    const first = row.runs[0]!
    if (first.x0 > left + 2.3 * row.size && !/^[•◦▪‣∙●○■□–*\-\d(]/.test(first.text)) {
      const key = Math.round(first.x0)
      const count = (indents.get(key) ?? 0) + 1
      indents.set(key, count)
      if (count >= 3) return true
    }
    previous = row
  }
  return false
}

/**
 * One reading-order region -> blocks. Ruled tables stay whole; the fragments are regrouped
 * into rows (unruled tables are found there, inside one column) and joined into lines.
 */
function layoutLeaf(leaf: PlacedItem[], marks: Mark[], bullets: { drawn: number }): ProtoBlock[] {
  const blocks: ProtoBlock[] = []
  const ordered = [...leaf].sort((p, q) => p.top - q.top || p.x0 - q.x0)
  let pending: Fragment[] = []
  const flush = (): void => {
    if (pending.length === 0) return
    const left = Math.min(...pending.map((f) => f.x0))
    let lines: Line[] = []
    for (const item of findAlignedTables(groupRows(pending).map(rowOf))) {
      if (isTable(item)) {
        blocks.push(...layoutLines(lines, left))
        lines = []
        blocks.push({ kind: 'final', block: { type: 'table', rows: item.rows, header: true } })
      } else lines.push(toLine(item, marks, bullets))
    }
    blocks.push(...layoutLines(lines, left))
    pending = []
  }
  for (const item of ordered) {
    if (item.table) {
      flush()
      blocks.push({ kind: 'final', block: { type: 'table', rows: item.table.rows, header: true } })
    } else pending.push(item.fragment)
  }
  flush()
  return blocks
}

/** Fragments of one region grouped by baseline (side by side, not overlapping). */
function groupRows(fragments: Fragment[]): Fragment[][] {
  const sorted = [...fragments].sort((p, q) => p.baseline - q.baseline)
  const groups: Fragment[][] = []
  for (const f of sorted) {
    const group = groups[groups.length - 1]
    const head = group?.[0]
    if (group && head && Math.abs(f.baseline - head.baseline) <= 0.4 * Math.max(f.size, head.size) && !group.some((g) => g.x0 < f.x1 && f.x0 < g.x1)) group.push(f)
    else groups.push([f])
  }
  return groups
}

function rowOf(group: Fragment[]): Row {
  const head = group.reduce((a, b) => (b.size > a.size ? b : a))
  return { baseline: head.baseline, size: head.size, runs: group.flatMap((f) => f.runs).sort((p, q) => p.x0 - q.x0) }
}

function toLine(row: Row, marks: Mark[], bullets: { drawn: number }): Line {
  const line = joinLine([makeFragment(row.runs, row)])
  // marks are sorted by their middle: look only at those level with the line
  let lo = 0
  let hi = marks.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    const m = marks[mid]!
    if ((m.top + m.bottom) / 2 < line.top) lo = mid + 1
    else hi = mid
  }
  let mark: Mark | undefined
  for (let i = lo; i < marks.length; i++) {
    const m = marks[i]!
    if ((m.top + m.bottom) / 2 > line.bottom) break
    if (m.x1 <= line.x0 + 0.5 && line.x0 - m.x1 < 2.5 * line.size) {
      mark = m
      break
    }
  }
  if (mark) {
    line.drawnBullet = true
    line.drawnBulletX = mark.x0
    bullets.drawn++
  }
  return line
}
