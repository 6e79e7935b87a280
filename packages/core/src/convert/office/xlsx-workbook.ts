import { type PackageReader, type Relationship, isTrue, readRelationships } from './ooxml-parts.js'
import { type NumberFormat, numberFormatOf } from './xlsx-cell-values.js'
import { parseXml } from './sax-reader.js'

export interface SheetEntry {
  name: string
  /** Package path of the worksheet part; undefined for chart sheets and missing parts. */
  part: string | undefined
}

export interface Workbook {
  sheets: SheetEntry[]
  /** Dates count from 1904-01-01 (old Mac workbooks) instead of 1900. */
  date1904: boolean
  sharedStringsPart: string | undefined
  stylesPart: string | undefined
}

/** Sheets in tab order, the date system and where shared strings and styles are. */
export async function readWorkbook(pkg: PackageReader, part: string, signal: AbortSignal): Promise<Workbook> {
  const relationships = await readRelationships(pkg, part, signal)
  const workbook: Workbook = { sheets: [], date1904: false, sharedStringsPart: undefined, stylesPart: undefined }
  await parseXml(
    await pkg.read(part),
    {
      open(name, attributes) {
        if (name === 'workbookPr' && isTrue(attributes.date1904)) workbook.date1904 = true
        if (name === 'sheet') {
          const relationship = relationships.get(attributes['r:id'] ?? '')
          const isWorksheet = !!relationship && !relationship.external && relationship.type.endsWith('/worksheet') && pkg.has(relationship.target)
          workbook.sheets.push({ name: attributes.name ?? `Sheet${workbook.sheets.length + 1}`, part: isWorksheet ? relationship.target : undefined })
        }
      },
    },
    { part, signal },
  )
  const find = (type: string) => [...relationships.values()].find((r: Relationship) => !r.external && r.type.endsWith(type) && pkg.has(r.target))?.target
  workbook.sharedStringsPart = find('/sharedStrings')
  workbook.stylesPart = find('/styles')
  return workbook
}

/** What a cell's style index (`c s="3"`) means for display. */
export interface CellStyle {
  format: NumberFormat
  bold: boolean
}

/** Cell styles (`cellXfs`) with their number formats and whether their font is bold. */
export async function readStyles(pkg: PackageReader, part: string | undefined, signal: AbortSignal): Promise<CellStyle[]> {
  if (!part) return []
  const custom = new Map<number, string>()
  const boldFonts: boolean[] = []
  const xfs: Array<{ numFmtId: number; fontId: number }> = []
  let section = ''
  let font = -1
  await parseXml(
    await pkg.read(part),
    {
      open(name, attributes) {
        switch (name) {
          case 'numFmt':
            if (attributes.numFmtId !== undefined && attributes.formatCode !== undefined) custom.set(Number(attributes.numFmtId), attributes.formatCode)
            return
          case 'fonts':
          case 'cellXfs':
          case 'cellStyleXfs':
            section = name
            return
          case 'font':
            if (section === 'fonts') boldFonts[++font] = false
            return
          case 'b':
            if (section === 'fonts' && font >= 0 && attributes.val !== 'false' && attributes.val !== '0') boldFonts[font] = true
            return
          case 'xf':
            if (section === 'cellXfs') xfs.push({ numFmtId: Number(attributes.numFmtId) || 0, fontId: Number(attributes.fontId) || 0 })
            return
        }
      },
      close(name) {
        if (name === section) section = ''
      },
    },
    { part, signal },
  )
  const formats = new Map<number, NumberFormat>()
  return xfs.map(({ numFmtId, fontId }) => {
    let format = formats.get(numFmtId)
    if (!format) formats.set(numFmtId, (format = numberFormatOf(numFmtId, custom)))
    return { format, bold: !!boldFonts[fontId] }
  })
}

/** The shared string table: rich-text runs joined, phonetic guides (`rPh`) left out. */
export async function readSharedStrings(pkg: PackageReader, part: string | undefined, signal: AbortSignal): Promise<string[]> {
  if (!part) return []
  const strings: string[] = []
  let current: string | undefined
  let inText = false
  let phonetic = 0
  await parseXml(
    await pkg.read(part),
    {
      open(name) {
        if (name === 'si') current = ''
        else if (name === 'rPh') phonetic++
        else if (name === 't' && !phonetic) inText = true
      },
      text(text) {
        if (inText && current !== undefined) current += text
      },
      close(name) {
        if (name === 't') inText = false
        else if (name === 'rPh') phonetic--
        else if (name === 'si') {
          strings.push(unescapeOoxml(current ?? ''))
          current = undefined
        }
      },
    },
    { part, signal },
  )
  return strings
}

/** OOXML writes control characters as `_xHHHH_` (`_x000D_` for a carriage return). */
export function unescapeOoxml(text: string): string {
  if (!text.includes('_x')) return text
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/\r\n?/g, '\n')
}
