import { strToU8, zipSync } from 'fflate'

/** Builds minimal valid XLSX files for tests. */

export type CellSpec =
  | string
  | number
  | boolean
  | null
  /** A number with a style: `date` (yyyy-mm-dd), `datetime`, `percent`, `money` (#,##0.00), `bold` text. */
  | { value: number | string; style?: 'date' | 'datetime' | 'percent' | 'money' | 'bold' | 'time'; formula?: string; error?: boolean }

export interface SheetSpec {
  name: string
  rows: CellSpec[][]
  /** Rows of raw `<row>` XML appended after `rows` (for huge generated sheets). */
  rawRows?: string
}

const STYLE_INDEX = { date: 1, datetime: 2, percent: 3, money: 4, bold: 5, time: 6 } as const
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function columnName(index: number): string {
  let name = ''
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name
  return name
}

export function buildXlsx(sheets: SheetSpec[], options: { date1904?: boolean; inlineStrings?: boolean } = {}): Uint8Array {
  const strings: string[] = []
  const stringIndex = new Map<string, number>()
  const shared = (text: string) => {
    let index = stringIndex.get(text)
    if (index === undefined) {
      index = strings.length
      strings.push(text)
      stringIndex.set(text, index)
    }
    return index
  }
  const cellXml = (cell: CellSpec, ref: string): string => {
    if (cell === null) return ''
    if (typeof cell === 'string') return options.inlineStrings ? `<c r="${ref}" t="inlineStr"><is><t>${escape(cell)}</t></is></c>` : `<c r="${ref}" t="s"><v>${shared(cell)}</v></c>`
    if (typeof cell === 'number') return `<c r="${ref}"><v>${cell}</v></c>`
    if (typeof cell === 'boolean') return `<c r="${ref}" t="b"><v>${cell ? 1 : 0}</v></c>`
    const style = cell.style ? ` s="${STYLE_INDEX[cell.style]}"` : ''
    const formula = cell.formula ? `<f>${escape(cell.formula)}</f>` : ''
    if (cell.error) return `<c r="${ref}" t="e">${formula}<v>${escape(String(cell.value))}</v></c>`
    if (typeof cell.value === 'string') return `<c r="${ref}"${style} t="${cell.formula ? 'str' : 's'}">${formula}<v>${cell.formula ? escape(cell.value) : shared(cell.value)}</v></c>`
    return `<c r="${ref}"${style}>${formula}<v>${cell.value}</v></c>`
  }

  const files: Record<string, Uint8Array> = {}
  const sheetEntries: string[] = []
  const rels: string[] = []
  const overrides: string[] = []
  sheets.forEach((sheet, i) => {
    const rows = sheet.rows
      .map((row, r) => {
        const cells = row.map((cell, c) => cellXml(cell, `${columnName(c)}${r + 1}`)).join('')
        return cells ? `<row r="${r + 1}">${cells}</row>` : ''
      })
      .join('')
    files[`xl/worksheets/sheet${i + 1}.xml`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>${rows}${sheet.rawRows ?? ''}</sheetData></worksheet>`,
    )
    sheetEntries.push(`<sheet name="${escape(sheet.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
    rels.push(`<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
    overrides.push(`<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
  })
  rels.push('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
  rels.push('<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>')
  files['xl/sharedStrings.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${escape(s)}</t></si>`).join('')}</sst>`,
  )
  files['xl/styles.xml'] = strToU8(
    '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/><numFmt numFmtId="165" formatCode="[$-409]h:mm\\ AM/PM"/></numFmts>' +
      '<fonts count="2"><font><sz val="11"/></font><font><b/><sz val="11"/></font></fonts>' +
      '<cellXfs count="7"><xf numFmtId="0" fontId="0"/><xf numFmtId="14" fontId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" applyNumberFormat="1"/><xf numFmtId="10" fontId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" applyFont="1"/><xf numFmtId="165" fontId="0" applyNumberFormat="1"/></cellXfs></styleSheet>',
  )
  files['xl/workbook.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr${options.date1904 ? ' date1904="1"' : ''}/><sheets>${sheetEntries.join('')}</sheets></workbook>`,
  )
  files['xl/_rels/workbook.xml.rels'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`)
  files['_rels/.rels'] = strToU8(
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  )
  const types = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${overrides.join('')}</Types>`,
  )
  return zipSync({ '[Content_Types].xml': types, ...files })
}
