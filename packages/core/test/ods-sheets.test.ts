import { describe, expect, it } from 'vitest'
import type { TableBlock } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'
import { buildOpenDocument } from './ods-build-document.js'

const NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'

const text = (value: string) => `<table:table-cell office:value-type="string"><text:p>${value}</text:p></table:table-cell>`

function spreadsheet(tables: string): Uint8Array {
  return buildOpenDocument(
    'application/vnd.oasis.opendocument.spreadsheet',
    `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${NS}><office:body><office:spreadsheet>${tables}</office:spreadsheet></office:body></office:document-content>`,
    `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ${NS}><office:meta><dc:title>Ledger</dc:title><meta:initial-creator>Ada</meta:initial-creator><meta:generator>LibreOffice/7.4</meta:generator></office:meta></office:document-meta>`,
  )
}

async function convert(bytes: Uint8Array) {
  const engine = createEngine({ concurrency: 1 })
  try {
    return await engine.convert(bytes)
  } finally {
    await engine.close()
  }
}

describe('ODS', () => {
  it('reads values from office:value, dates as ISO, and expands repeats only where they hold something', async () => {
    const bytes = spreadsheet(
      `<table:table table:name="Data">` +
        `<table:table-row>${text('Name')}${text('When')}${text('Amount')}${text('Paid')}${text('Share')}${text('At')}<table:table-cell table:number-columns-repeated="16378"/></table:table-row>` +
        `<table:table-row>${text('Ada')}<table:table-cell office:value-type="date" office:date-value="2024-03-05"><text:p>05/03/24</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1234.5"><text:p>1.234,50</text:p></table:table-cell><table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>WAHR</text:p></table:table-cell><table:table-cell office:value-type="percentage" office:value="0.25"><text:p>25,00 %</text:p></table:table-cell><table:table-cell office:value-type="time" office:time-value="PT14H30M00S"><text:p>14:30</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16378"/></table:table-row>` +
        `<table:table-row table:number-rows-repeated="2">${text('Rep')}<table:table-cell office:value-type="date" office:date-value="2024-03-05T09:15:00"><text:p>x</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="7" table:number-columns-repeated="2"><text:p>7</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16380"/></table:table-row>` +
        `<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>` +
        `</table:table><table:table table:name="Empty"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>`,
    )
    const result = await convert(bytes)
    expect(result.metadata).toMatchObject({ sourceFormat: 'ods', pageCount: 2, title: 'Ledger', author: 'Ada', creator: 'LibreOffice/7.4' })
    expect(result.content).toBe(
      '## Data\n\n| Name | When | Amount | Paid | Share | At |\n| --- | --- | --- | --- | --- | --- |\n| Ada | 2024-03-05 | 1234.5 | TRUE | 25% | 14:30:00 |\n| Rep | 2024-03-05 09:15:00 | 7 | 7 |  |  |\n| Rep | 2024-03-05 09:15:00 | 7 | 7 |  |  |\n\n## Empty\n',
    )
    const table = result.document.pages[0]!.blocks[1] as TableBlock
    expect(table.header).toBe(true)
  })

  it('joins the paragraphs of a cell, keeps text:s spaces and leaves annotations out', async () => {
    const bytes = spreadsheet(
      `<table:table table:name="Notes"><table:table-row>${text('Key')}${text('Value')}</table:table-row><table:table-row>${text('a')}<table:table-cell office:value-type="string"><office:annotation><text:p>reviewer comment</text:p></office:annotation><text:p>two<text:s text:c="2"/>spaces</text:p><text:p>second line</text:p></table:table-cell></table:table-row></table:table>`,
    )
    const result = await convert(bytes)
    expect((result.document.pages[0]!.blocks[1] as TableBlock).rows[1]).toEqual(['a', 'two  spaces\nsecond line'])
    expect(result.content).not.toContain('reviewer')
  })

  it('cuts a sheet whose non-empty row repeats past the row limit', async () => {
    const bytes = spreadsheet(`<table:table table:name="Many"><table:table-row>${text('n')}</table:table-row><table:table-row table:number-rows-repeated="1000000">${text('same')}</table:table-row></table:table>`)
    const result = await convert(bytes)
    const table = result.document.pages[0]!.blocks[1] as TableBlock
    expect(table.rows).toHaveLength(100_000)
    expect(result.content).toContain('Sheet truncated: showed 100,000 of')
    expect(result.metadata.partial).toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })
})
