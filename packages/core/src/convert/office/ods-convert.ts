import type { Page } from '../../document.js'
import { DocloaderError } from '../../errors.js'
import type { Converter, ConverterContext } from '../../options.js'
import { openPackage } from './ooxml-parts.js'
import { readOpenDocumentMetadata } from './odp-convert.js'
import { parseXml } from './sax-reader.js'
import { CellKind, generalNumber, isoDateText } from './xlsx-cell-values.js'
import { type CellBudget, DEFAULT_SHEET_LIMITS, SheetCollector, type SheetLimits } from './xlsx-sheet-table.js'

/**
 * ODS (OpenDocument spreadsheet): like XLSX, one Page per sheet with a `## <name>` heading
 * and one table. Numbers come from `office:value`, dates from `office:date-value` (ISO),
 * booleans as TRUE/FALSE; repeated rows and cells (`number-rows-repeated`,
 * `number-columns-repeated`) are expanded only where they hold something, so the
 * thousands of empty repeated cells that end every row cost nothing.
 */
export const convertOds: Converter = (bytes, context) => convertSpreadsheet(bytes, context, DEFAULT_SHEET_LIMITS)

export async function convertSpreadsheet(bytes: Uint8Array, context: ConverterContext, limits: SheetLimits): ReturnType<Converter> {
  const { signal } = context
  const pkg = openPackage(bytes, signal)
  if (!pkg.has('content.xml')) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not an OpenDocument spreadsheet: it has no content.xml. Check that it is a .ods file.')
  }
  const budget: CellBudget = { remaining: limits.maxCells }
  const sheets: Array<{ name: string; collector: SheetCollector }> = []
  let sheet: { name: string; collector: SheetCollector } | undefined
  let row = -1
  let rowRepeat = 1
  let column = 0
  let cells: Array<{ column: number; text: string; kind: CellKind; repeat: number }> = []
  let cell: { type: string; value: string | undefined; repeat: number; text: string; paragraphs: number } | undefined
  let inParagraph = 0
  let annotation = 0
  /** Depth of tables inside the current sheet's cells (read as text of the cell, not as sheets). */
  let innerTables = 0

  await parseXml(
    await pkg.read('content.xml'),
    {
      open(name, a) {
        if (annotation) {
          if (name === 'annotation') annotation++
          return
        }
        switch (name) {
          case 'table':
            if (sheet) innerTables++
            else {
              sheet = { name: a['table:name'] ?? `Sheet${sheets.length + 1}`, collector: new SheetCollector(limits, budget) }
              sheets.push(sheet)
              row = -1
            }
            return
          case 'table-row':
            if (!sheet) return
            row++
            rowRepeat = clampRepeat(a['table:number-rows-repeated'])
            column = 0
            cells = []
            return
          case 'table-cell':
          case 'covered-table-cell': {
            if (!sheet) return
            const type = a['office:value-type'] ?? ''
            const value =
              type === 'date' ? a['office:date-value'] : type === 'time' ? a['office:time-value'] : type === 'boolean' ? a['office:boolean-value'] : (a['office:value'] ?? undefined)
            cell = { type, value, repeat: clampRepeat(a['table:number-columns-repeated']), text: '', paragraphs: 0 }
            return
          }
          case 'annotation':
            annotation = 1
            return
          case 'p':
          case 'h':
            if (cell) {
              if (cell.paragraphs++) cell.text += '\n'
              inParagraph++
            }
            return
          case 's':
            if (cell && inParagraph) cell.text += ' '.repeat(Math.min(100, Number(a['text:c']) || 1))
            return
          case 'tab':
            if (cell && inParagraph) cell.text += '\t'
            return
          case 'line-break':
            if (cell && inParagraph) cell.text += '\n'
            return
        }
      },
      text(text) {
        if (cell && inParagraph && !annotation) cell.text += text
      },
      close(name) {
        if (annotation) {
          if (name === 'annotation') annotation--
          return
        }
        switch (name) {
          case 'p':
          case 'h':
            if (inParagraph) inParagraph--
            return
          case 'table-cell':
          case 'covered-table-cell': {
            if (!cell) return
            const shown = cellText(cell.type, cell.value, cell.text)
            if (shown) cells.push({ column, text: shown.text, kind: shown.kind, repeat: cell.repeat })
            column += cell.repeat
            cell = undefined
            return
          }
          case 'table-row': {
            if (!sheet) return
            if (cells.length) {
              // A repeated row with content is written out, up to one past the row limit.
              const copies = Math.min(rowRepeat, limits.maxRows + 1)
              for (let copy = 0; copy < copies; copy++) {
                for (const entry of cells) {
                  const span = Math.min(entry.repeat, Math.max(0, limits.maxColumns - entry.column))
                  for (let c = 0; c < Math.max(1, span); c++) sheet.collector.add(row + copy, entry.column + c, entry.text, entry.kind)
                }
              }
            }
            row += rowRepeat - 1
            return
          }
          case 'table':
            if (innerTables) innerTables--
            else sheet = undefined
            return
        }
      },
    },
    { part: 'content.xml', signal },
  )

  const selected = context.pageSelection.resolve(sheets.length)
  if (selected.length > context.limits.maxPages) {
    throw new DocloaderError('LIMIT_EXCEEDED', `The spreadsheet has ${sheets.length} sheets, more than the limit of ${context.limits.maxPages}. Select fewer sheets with --pages or the \`pages\` option, or raise limits.maxPages.`, {
      details: { pageCount: sheets.length, selected: selected.length, maxPages: context.limits.maxPages },
    })
  }
  context.setPagesTotal(selected.length)
  const pages: Page[] = []
  const cut: string[] = []
  for (const number of selected) {
    const { name, collector } = sheets[number - 1]!
    pages.push({ number, blocks: [{ type: 'heading', level: 2, text: name }, ...collector.blocks()] })
    const truncation = collector.truncation
    if (truncation) cut.push(`sheet "${name}" shows ${truncation.shown} of ${truncation.total} rows`)
    context.pageDone()
  }
  const metadata = await readOpenDocumentMetadata(pkg, signal)
  return {
    pages,
    metadata: {
      ...metadata,
      pageCount: sheets.length,
      pagesConverted: pages.length,
      ...(cut.length ? { partial: { reason: `Sheet limits reached: ${cut.join('; ')}.`, code: 'LIMIT_EXCEEDED' } } : {}),
    },
  }
}

/** Repeat counts are attacker-controlled: never below 1, never absurd. */
function clampRepeat(value: string | undefined): number {
  const repeat = Number(value)
  return Number.isInteger(repeat) && repeat > 1 ? Math.min(repeat, 1_048_576) : 1
}

function cellText(type: string, value: string | undefined, text: string): { text: string; kind: CellKind } | undefined {
  const shown = text.trim()
  switch (type) {
    case 'float': {
      const number = Number(value)
      return value !== undefined && Number.isFinite(number) ? { text: generalNumber(number), kind: CellKind.Number } : shown ? { text: shown, kind: CellKind.Number } : undefined
    }
    case 'percentage': {
      const number = Number(value)
      return value !== undefined && Number.isFinite(number) ? { text: `${generalNumber(number * 100)}%`, kind: CellKind.Number } : shown ? { text: shown, kind: CellKind.Number } : undefined
    }
    case 'currency':
      return shown ? { text: shown, kind: CellKind.Number } : value ? { text: generalNumber(Number(value)), kind: CellKind.Number } : undefined
    case 'date':
      return value ? { text: isoDateText(value), kind: CellKind.Date } : shown ? { text: shown, kind: CellKind.Date } : undefined
    case 'time':
      return value ? { text: durationText(value), kind: CellKind.Date } : shown ? { text: shown, kind: CellKind.Date } : undefined
    case 'boolean':
      return value !== undefined ? { text: value === 'true' || value === '1' ? 'TRUE' : 'FALSE', kind: CellKind.Boolean } : undefined
    default:
      return shown ? { text: shown, kind: CellKind.Text } : undefined
  }
}

/** `PT14H30M00S` -> `14:30:00`. */
function durationText(value: string): string {
  const match = /^-?P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value.trim())
  if (!match) return value
  const hours = Number(match[1] ?? 0) * 24 + Number(match[2] ?? 0)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(hours)}:${pad(Number(match[3] ?? 0))}:${pad(Math.round(Number(match[4] ?? 0)))}`
}
