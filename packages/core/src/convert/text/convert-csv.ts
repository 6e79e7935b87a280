import type { Converter } from '../../options.js'
import { DocloaderError } from '../../errors.js'
import { detectDelimiter } from '../../detect/sniff-text.js'
import { decode } from './convert-text.js'

/** CSV/TSV (delimiter sniffed): one table, first row as header, ragged rows padded. */
export const convertCsv: Converter = async (bytes, context) => {
  const text = decode(bytes)
  const { parse } = await import('csv-parse/sync')
  let rows: string[][]
  try {
    rows = parse(text, {
      delimiter: detectDelimiter(text) ?? ',',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
    }) as string[][]
  } catch (error) {
    throw new DocloaderError('CORRUPT_FILE', `The CSV file could not be parsed: ${(error as Error).message}`, { cause: error })
  }
  const width = Math.max(0, ...rows.map((row) => row.length))
  const table = rows.map((row) => Array.from({ length: width }, (_, i) => (row[i] ?? '').trim()))
  context.setPagesTotal(1)
  context.pageDone()
  return {
    pages: [{ number: 1, blocks: table.length ? [{ type: 'table', rows: table, header: true }] : [] }],
    metadata: { pageCount: 1, pagesConverted: 1 },
  }
}
