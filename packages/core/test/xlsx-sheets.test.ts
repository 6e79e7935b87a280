import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { TableBlock } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'
import { convertWorkbook } from '../src/convert/office/xlsx-convert.js'
import { parseFormatCode, formatNumber } from '../src/convert/office/xlsx-cell-values.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { buildXlsx, columnName } from './xlsx-build-workbook.js'

const fixture = (name: string) => readFile(new URL(`fixtures/office/${name}`, import.meta.url))

async function convert(bytes: Uint8Array, options: Parameters<ReturnType<typeof createEngine>['convert']>[1] = {}) {
  const engine = createEngine({ concurrency: 1 })
  try {
    return await engine.convert(bytes, options)
  } finally {
    await engine.close()
  }
}

function tables(result: Awaited<ReturnType<typeof convert>>): TableBlock[] {
  return result.document.pages.flatMap((page) => page.blocks.filter((block): block is TableBlock => block.type === 'table'))
}

describe('XLSX: real workbooks (LibreOffice exports of Debian data files)', () => {
  it('renders /etc/protocols as one sheet heading and one pipe table with its header row', async () => {
    const result = await convert(await fixture('etc-protocols.xlsx'))
    expect(result.metadata).toMatchObject({ sourceFormat: 'xlsx', pageCount: 1, pagesConverted: 1 })
    expect(result.content.startsWith('## protocols\n\n| Protocol | Number | Aliases | Comment |\n| --- | --- | --- | --- |\n| ip | 0 | IP | internet protocol, pseudo protocol number |\n')).toBe(true)
    const [table] = tables(result)
    expect(table!.header).toBe(true)
    expect(table!.rows[0]).toHaveLength(4)
  })

  it('gives each sheet its page, heading and table; a bold first row is a header even over text', async () => {
    const result = await convert(await fixture('scripts-countries.xlsx'))
    expect(result.document.pages.map((page) => page.number)).toEqual([1, 2])
    expect(result.content.match(/^## .*$/gm)).toEqual(['## ISO 15924 scripts', '## ISO 3166 countries'])
    const [scripts, countries] = tables(result)
    expect(scripts!.rows.slice(0, 2)).toEqual([
      ['Code', 'Numeric', 'Name'],
      ['Adlm', '166', 'Adlam'],
    ])
    expect(countries!.header).toBe(true)
    expect(countries!.rows[0]).toEqual(['Code', 'Country'])
    expect(countries!.rows[1]).toEqual(['AD', 'Andorra'])
  })
})

describe('XLSX: values as the spreadsheet shows them', () => {
  it('shows cached formula values, dates as ISO, booleans, errors, percent and money formats', async () => {
    const bytes = buildXlsx([
      {
        name: 'Values',
        rows: [
          ['Item', 'When', 'Stamp', 'Share', 'Cost', 'Done', 'Formula', 'Check', 'Time'],
          [
            'alpha',
            { value: 45292, style: 'date' },
            { value: 45292.5, style: 'datetime' },
            { value: 0.125, style: 'percent' },
            { value: 1234567.891, style: 'money' },
            true,
            { value: 42, formula: 'SUM(1,41)' },
            { value: '#DIV/0!', error: true, formula: '1/0' },
            { value: 0.75, style: 'time' },
          ],
          ['beta', { value: 60.0, style: 'date' }, null, { value: 1, style: 'percent' }, { value: -3.5, style: 'money' }, false, { value: 'joined', formula: 'A3&"x"' }, null, null],
        ],
      },
    ])
    const result = await convert(bytes)
    const [table] = tables(result)
    expect(table!.header).toBe(true)
    expect(table!.rows[1]).toEqual(['alpha', '2024-01-01', '2024-01-01 12:00', '12.50%', '1,234,567.89', 'TRUE', '42', '#DIV/0!', '18:00'])
    expect(table!.rows[2]).toEqual(['beta', '1900-03-01', '', '100.00%', '-3.50', 'FALSE', 'joined', '', ''])
  })

  it('counts dates from 1904 when the workbook says so', async () => {
    const bytes = buildXlsx([{ name: 'Mac', rows: [['Day'], [{ value: 0, style: 'date' }], [{ value: 43830, style: 'date' }]] }], { date1904: true })
    expect(tables(await convert(bytes))[0]!.rows).toEqual([['Day'], ['1904-01-01'], ['2024-01-01']])
  })

  it('shows General numbers with at most 15 significant digits, like Excel', () => {
    const general = parseFormatCode('General')
    expect(formatNumber(0.1 + 0.2, general).text).toBe('0.3')
    expect(formatNumber(5.1, general).text).toBe('5.1')
    expect(formatNumber(1e21, general).text).toBe('1E+21')
    expect(parseFormatCode('[$-409]d\\-mmm\\-yyyy;@')).toMatchObject({ kind: 'date', date: true, time: false })
    expect(parseFormatCode('"Total: "#,##0.0')).toEqual({ kind: 'fixed', decimals: 1, thousands: true, percent: false })
    expect(parseFormatCode('[Red]0.00;[Blue]-0.00')).toMatchObject({ kind: 'fixed', decimals: 2 })
  })

  it('reads inline strings', async () => {
    const bytes = buildXlsx([{ name: 'Inline', rows: [['Name', 'Score'], ['Ada', 3]] }], { inlineStrings: true })
    expect((await convert(bytes)).content).toBe('## Inline\n\n| Name | Score |\n| --- | --- |\n| Ada | 3 |\n')
  })
})

describe('XLSX: table shape', () => {
  it('trims empty rows and columns around the data and keeps inner gaps', async () => {
    const bytes = buildXlsx([
      {
        name: 'Offset',
        rows: [[], [], [null, null, 'Name', 'Count', null], [null, null, 'a', 1, null], [], [null, null, 'b', 2, null], [], [], [null, null, null, null, null]],
      },
    ])
    expect((await convert(bytes)).content).toBe('## Offset\n\n| Name | Count |\n| --- | --- |\n| a | 1 |\n|  |  |\n| b | 2 |\n')
  })

  it('has no header row when the first row is not text over differently typed rows', async () => {
    const numbers = buildXlsx([{ name: 'Numbers', rows: [[1, 2], [3, 4]] }])
    expect(tables(await convert(numbers))[0]!.header).toBe(false)
    expect((await convert(numbers)).content).toBe('## Numbers\n\n|  |  |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n')
    const words = buildXlsx([{ name: 'Words', rows: [['red', 'apple'], ['yellow', 'banana']] }])
    expect(tables(await convert(words))[0]!.header).toBe(false)
    const bold = buildXlsx([{ name: 'Bold', rows: [[{ value: 'Colour', style: 'bold' }, { value: 'Fruit', style: 'bold' }], ['yellow', 'banana']] }])
    expect(tables(await convert(bold))[0]!.header).toBe(true)
  })

  it('gives an empty sheet its heading only', async () => {
    const bytes = buildXlsx([{ name: 'Empty', rows: [] }, { name: 'Data', rows: [['x'], ['y']] }])
    expect((await convert(bytes)).content).toBe('## Empty\n\n## Data\n\n|  |\n| --- |\n| x |\n| y |\n')
  })
})

describe('XLSX: limits', () => {
  it('cuts a sheet past 100,000 rows with a note, flags the result partial, and stays fast', async () => {
    const rows: string[] = []
    for (let r = 2; r <= 100_003; r++) rows.push(`<row r="${r}"><c r="A${r}"><v>${r}</v></c><c r="B${r}" t="b"><v>1</v></c></row>`)
    const bytes = buildXlsx([{ name: 'Big', rows: [['n', 'ok']], rawRows: rows.join('') }])
    const started = performance.now()
    const result = await convert(bytes)
    expect(performance.now() - started).toBeLessThan(20_000)
    const [table] = tables(result)
    expect(table!.rows).toHaveLength(100_000)
    expect(table!.rows[99_999]).toEqual(['100000', 'TRUE'])
    expect(result.content.endsWith('\n\nSheet truncated: showed 100,000 of 100,003 rows (the limit is 100,000 rows per sheet).\n')).toBe(true)
    expect(result.metadata.partial).toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })

  it('shares the cell budget between sheets', async () => {
    const bytes = buildXlsx([
      { name: 'First', rows: Array.from({ length: 10 }, (_, r) => [`r${r}`, r]) },
      { name: 'Second', rows: Array.from({ length: 10 }, (_, r) => [`s${r}`, r]) },
    ])
    const context: ConverterContext = {
      signal: new AbortController().signal,
      pageSelection: { resolve: (count) => Array.from({ length: count }, (_, i) => i + 1), all: true },
      limits: DEFAULT_LIMITS,
      setPagesTotal: () => {},
      pageDone: () => {},
      warn: () => {},
    }
    const result = await convertWorkbook(bytes, context, { maxRows: 100, maxColumns: 100, maxCells: 25 })
    const [first, second] = result.pages
    expect(first!.blocks).toHaveLength(2)
    expect(second!.blocks.at(-1)).toEqual({ type: 'paragraph', text: 'Sheet truncated: showed 3 of 10 rows (the limit is 25 cells per document).' })
    expect(result.metadata.partial?.reason).toContain('sheet "Second" shows 3 of 10 rows')
  })

  it('names columns like Excel in the builder (sanity of the test helper)', () => {
    expect([0, 25, 26, 701, 702].map(columnName)).toEqual(['A', 'Z', 'AA', 'ZZ', 'AAA'])
  })
})
