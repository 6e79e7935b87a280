import type { Page } from '../../document.js'
import { DocloaderError } from '../../errors.js'
import type { Converter, ConverterContext } from '../../options.js'
import { type PackageReader, findMainPart, openPackage, readPackageMetadata } from './ooxml-parts.js'
import { parseXml } from './sax-reader.js'
import { CellKind, formatNumber, generalNumber, isoDateText } from './xlsx-cell-values.js'
import { type CellBudget, DEFAULT_SHEET_LIMITS, SheetCollector, type SheetLimits } from './xlsx-sheet-table.js'
import { type CellStyle, readSharedStrings, readStyles, readWorkbook, unescapeOoxml } from './xlsx-workbook.js'

/**
 * XLSX (Excel): one Page per sheet, each a `## <sheet name>` heading and one table.
 * Formulas show their cached values, shared strings are resolved, numbers go through
 * their number format and dates come out as ISO dates (1900 and 1904 date systems).
 * Sheets are read one at a time with a SAX parser, keeping only the shared strings and the
 * current sheet's rows; a sheet past the row limit, or a workbook past the cell limit, is
 * cut with a "Sheet truncated" paragraph and the result flagged partial.
 */
export const convertXlsx: Converter = (bytes, context) => convertWorkbook(bytes, context, DEFAULT_SHEET_LIMITS)

/** The XLSX converter with explicit sheet limits (tests and callers with tighter budgets). */
export async function convertWorkbook(bytes: Uint8Array, context: ConverterContext, limits: SheetLimits): ReturnType<Converter> {
  const { signal } = context
  const pkg = openPackage(bytes, signal)
  const main = await findMainPart(pkg, 'xl/workbook.xml', signal)
  if (!pkg.has(main)) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not an Excel workbook: it has no xl/workbook.xml. Check that it is a .xlsx file.')
  }
  const workbook = await readWorkbook(pkg, main, signal)
  const selected = context.pageSelection.resolve(workbook.sheets.length)
  if (selected.length > context.limits.maxPages) {
    throw new DocloaderError(
      'LIMIT_EXCEEDED',
      `The workbook has ${workbook.sheets.length} sheets${context.pageSelection.all ? '' : ` (${selected.length} selected)`}, more than the limit of ${context.limits.maxPages}. Select fewer sheets with --pages or the \`pages\` option, or raise limits.maxPages.`,
      { details: { pageCount: workbook.sheets.length, selected: selected.length, maxPages: context.limits.maxPages } },
    )
  }
  context.setPagesTotal(selected.length)
  const metadata = await readPackageMetadata(pkg, signal)
  const styles = await readStyles(pkg, workbook.stylesPart, signal)
  const strings = await readSharedStrings(pkg, workbook.sharedStringsPart, signal)

  const budget: CellBudget = { remaining: limits.maxCells }
  const pages: Page[] = []
  const cut: string[] = []
  for (const number of selected) {
    signal.throwIfAborted()
    const sheet = workbook.sheets[number - 1]!
    const collector = new SheetCollector(limits, budget)
    if (sheet.part) await readSheet(pkg, sheet.part, { strings, styles, date1904: workbook.date1904 }, collector, signal)
    pages.push({ number, blocks: [{ type: 'heading', level: 2, text: sheet.name }, ...collector.blocks()] })
    const truncation = collector.truncation
    if (truncation) cut.push(`sheet "${sheet.name}" shows ${truncation.shown} of ${truncation.total} rows`)
    context.pageDone()
  }
  return {
    pages,
    metadata: {
      ...metadata,
      pageCount: workbook.sheets.length,
      pagesConverted: pages.length,
      ...(cut.length ? { partial: { reason: `Sheet limits reached: ${cut.join('; ')}.`, code: 'LIMIT_EXCEEDED' } } : {}),
    },
  }
}

interface SheetContext {
  strings: string[]
  styles: CellStyle[]
  date1904: boolean
}

/** Streams one worksheet's `sheetData` into the collector. */
async function readSheet(pkg: PackageReader, part: string, sheet: SheetContext, collector: SheetCollector, signal: AbortSignal): Promise<void> {
  let inData = false
  let row = -1
  let column = -1
  let type = ''
  let style = 0
  let value = ''
  let inline = ''
  /** 1: inside `v`; 2: inside `is` > `t` (not phonetic). */
  let reading = 0
  let inInline = false
  let phonetic = 0

  await parseXml(
    await pkg.read(part),
    {
      open(name, attributes) {
        switch (name) {
          case 'sheetData':
            inData = true
            return
          case 'row':
            if (!inData) return
            row = attributes.r ? Number(attributes.r) - 1 : row + 1
            column = -1
            return
          case 'c':
            if (!inData) return
            column = attributes.r ? columnIndex(attributes.r) : column + 1
            type = attributes.t ?? 'n'
            style = attributes.s ? Number(attributes.s) : 0
            value = ''
            inline = ''
            return
          case 'v':
            if (inData) reading = 1
            return
          case 'is':
            inInline = true
            return
          case 'rPh':
            phonetic++
            return
          case 't':
            if (inInline && !phonetic) reading = 2
            return
        }
      },
      text(text) {
        if (reading === 1) value += text
        else if (reading === 2) inline += text
      },
      close(name) {
        switch (name) {
          case 'v':
          case 't':
            reading = 0
            return
          case 'is':
            inInline = false
            return
          case 'rPh':
            phonetic--
            return
          case 'sheetData':
            inData = false
            return
          case 'c': {
            if (!inData || row < 0 || column < 0) return
            const cell = cellText(type, value, inline, sheet.styles[style], sheet)
            if (cell) collector.add(row, column, cell.text, cell.kind, sheet.styles[style]?.bold)
            return
          }
        }
      },
    },
    { part, signal },
  )
}

function cellText(type: string, value: string, inline: string, style: CellStyle | undefined, sheet: SheetContext): { text: string; kind: CellKind } | undefined {
  switch (type) {
    case 's': {
      const text = sheet.strings[Number(value)]
      return text ? { text, kind: CellKind.Text } : undefined
    }
    case 'inlineStr':
      return inline ? { text: unescapeOoxml(inline), kind: CellKind.Text } : undefined
    case 'str':
      return value ? { text: unescapeOoxml(value), kind: CellKind.Text } : undefined
    case 'b':
      return value ? { text: value.trim() === '1' || value.trim() === 'true' ? 'TRUE' : 'FALSE', kind: CellKind.Boolean } : undefined
    case 'e':
      return value ? { text: value.trim(), kind: CellKind.Error } : undefined
    case 'd':
      return value ? { text: isoDateText(value), kind: CellKind.Date } : undefined
    default: {
      const trimmed = value.trim()
      if (!trimmed) return undefined
      const number = Number(trimmed)
      if (Number.isNaN(number)) return { text: trimmed, kind: CellKind.Text }
      return style ? formatNumber(number, style.format, sheet.date1904) : { text: generalNumber(number), kind: CellKind.Number }
    }
  }
}

/** `AB12` -> 27 (0-based column of a cell reference). */
export function columnIndex(reference: string): number {
  let column = 0
  for (let i = 0; i < reference.length; i++) {
    const code = reference.charCodeAt(i) | 0x20
    if (code < 0x61 || code > 0x7a) break
    column = column * 26 + (code - 0x60)
  }
  return column - 1
}
