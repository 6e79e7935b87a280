import type { Block } from '../../document.js'
import { CellKind } from './xlsx-cell-values.js'

/** How much of a workbook is kept. Shared by the XLSX and ODS converters. */
export interface SheetLimits {
  /** Rows kept per sheet. @default 100000 */
  maxRows: number
  /** Columns kept per row. @default 16384 (Excel's own maximum) */
  maxColumns: number
  /** Non-empty cells kept in the whole document. @default 2000000 */
  maxCells: number
}

export const DEFAULT_SHEET_LIMITS: SheetLimits = { maxRows: 100_000, maxColumns: 16_384, maxCells: 2_000_000 }

/** Cells left in a document's budget, shared by all its sheets. */
export interface CellBudget {
  remaining: number
}

/** Rows whose cell kinds are kept for header detection. */
const SAMPLE_ROWS = 30

interface StoredRow {
  index: number
  cells: string[]
  /** Cell kinds (and bold, as bit 8) of the first rows only. */
  kinds: Uint8Array | undefined
}

const BOLD = 8

/**
 * Collects the non-empty cells of one sheet as they are parsed, keeping at most
 * `maxRows` rows and the document's cell budget; past them it only counts rows, so
 * the output can say how much was cut.
 */
export class SheetCollector {
  private readonly rows: StoredRow[] = []
  private current: StoredRow | undefined
  private firstRow = -1
  private lastRow = -1
  private lastStoredRow = -1
  private minColumn = Number.POSITIVE_INFINITY
  private maxColumn = -1
  private cut: 'rows' | 'cells' | 'columns' | undefined

  constructor(
    private readonly limits: SheetLimits,
    private readonly budget: CellBudget,
  ) {}

  /** Adds one non-empty cell; rows must come in ascending order, cells left to right. */
  add(row: number, column: number, text: string, kind: CellKind, bold = false): void {
    if (!text) return
    if (this.firstRow === -1) this.firstRow = row
    if (row > this.lastRow) this.lastRow = row
    if (this.current?.index !== row) {
      if (this.cut || row - this.firstRow >= this.limits.maxRows || this.budget.remaining <= 0) {
        this.cut ??= this.budget.remaining <= 0 ? 'cells' : 'rows'
        this.current = undefined
        return
      }
      this.current = { index: row, cells: [], kinds: this.rows.length < SAMPLE_ROWS ? new Uint8Array(0) : undefined }
      this.rows.push(this.current)
      this.lastStoredRow = row
    }
    if (column >= this.limits.maxColumns) {
      this.cut ??= 'columns'
      return
    }
    const stored = this.current
    stored.cells[column] = text
    if (stored.kinds) {
      if (stored.kinds.length <= column) {
        const grown = new Uint8Array(Math.max(column + 1, stored.kinds.length * 2))
        grown.set(stored.kinds)
        stored.kinds = grown
      }
      stored.kinds[column] = kind | (bold ? BOLD : 0)
    }
    this.budget.remaining--
    if (column < this.minColumn) this.minColumn = column
    if (column > this.maxColumn) this.maxColumn = column
  }

  /**
   * The sheet's blocks: its table (empty rows and columns around the data trimmed, header
   * row detected) and, when it was cut, a paragraph saying how much is shown.
   */
  blocks(): Block[] {
    if (!this.rows.length) return this.cut ? [this.truncationNote(0)] : []
    const width = this.maxColumn - this.minColumn + 1
    const table: string[][] = []
    const kinds: Uint8Array[] = []
    let next = 0
    for (let index = this.firstRow; index <= this.lastStoredRow; index++) {
      const stored = this.rows[next]
      if (stored?.index === index) {
        next++
        const cells = new Array<string>(width)
        for (let c = 0; c < width; c++) cells[c] = stored.cells[c + this.minColumn] ?? ''
        table.push(cells)
        if (kinds.length === table.length - 1 && stored.kinds) kinds.push(stored.kinds.subarray(Math.min(this.minColumn, stored.kinds.length)))
      } else {
        table.push(new Array<string>(width).fill(''))
        if (kinds.length === table.length - 1 && table.length <= SAMPLE_ROWS) kinds.push(new Uint8Array(0))
      }
    }
    const blocks: Block[] = [{ type: 'table', rows: table, header: hasHeaderRow(kinds, width) }]
    if (this.cut) blocks.push(this.truncationNote(table.length))
    return blocks
  }

  private truncationNote(shown: number): Block {
    const total = this.lastRow - this.firstRow + 1
    const reason =
      this.cut === 'rows'
        ? `the limit is ${this.limits.maxRows.toLocaleString('en-US')} rows per sheet`
        : this.cut === 'cells'
          ? `the limit is ${this.limits.maxCells.toLocaleString('en-US')} cells per document`
          : `columns past ${this.limits.maxColumns.toLocaleString('en-US')} were left out`
    return { type: 'paragraph', text: `Sheet truncated: showed ${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows (${reason}).` }
  }

  /** Why the sheet was cut, if it was, with its figures. */
  get truncation(): { shown: number; total: number } | undefined {
    if (!this.cut) return undefined
    return { shown: this.rows.length ? this.lastStoredRow - this.firstRow + 1 : 0, total: this.lastRow - this.firstRow + 1 }
  }
}

/**
 * Whether the first row is a header: its cells are all text and, below it, some column
 * holds numbers, dates or booleans; or its cells are bold and the next row's are not.
 */
export function hasHeaderRow(kinds: Uint8Array[], width: number): boolean {
  const first = kinds[0]
  if (!first || kinds.length < 2) return false
  const kindAt = (row: Uint8Array | undefined, column: number) => (row && column < row.length ? row[column]! & 7 : CellKind.Empty)
  const boldAt = (row: Uint8Array | undefined, column: number) => !!(row && column < row.length && row[column]! & BOLD)
  let filled = 0
  for (let c = 0; c < width; c++) {
    const kind = kindAt(first, c)
    if (kind === CellKind.Empty) continue
    if (kind !== CellKind.Text) return false
    filled++
  }
  if (!filled) return false
  for (let c = 0; c < width; c++) {
    if (kindAt(first, c) !== CellKind.Text) continue
    for (let r = 1; r < kinds.length; r++) {
      const kind = kindAt(kinds[r], c)
      if (kind === CellKind.Number || kind === CellKind.Date || kind === CellKind.Boolean) return true
    }
  }
  const second = kinds[1]
  let firstBold = true
  let secondBold = false
  for (let c = 0; c < width; c++) {
    if (kindAt(first, c) !== CellKind.Empty && !boldAt(first, c)) firstBold = false
    if (kindAt(second, c) !== CellKind.Empty && boldAt(second, c)) secondBold = true
  }
  return firstBold && !secondBold
}
