import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { convertPdf } from '../src/convert/pdf/index.js'
import { cellText } from '../src/convert/pdf/tables.js'
import type { Run } from '../src/convert/pdf/types.js'
import type { TableBlock } from '../src/document.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'

const plain = { bold: false, italic: false, mono: false }
/** One line of a cell: `text` from x0 to x1 on the given baseline, 11 pt. */
const line = (text: string, x0: number, x1: number, baseline: number): Run => ({ text, x0, x1, baseline, size: 11, style: plain })

describe('PDF table cells', () => {
  const column = { left: 36.2, right: 59 }

  it('joins a word a narrow column broke between letters', () => {
    expect(cellText([line('Tra', 36.2, 55.4, 90), line('vis', 36.2, 51.6, 105), line('CI', 36.2, 49, 120)], column)).toBe('Travis CI')
    // a centred header cell
    expect(cellText([line('Ser', 37.3, 58, 40), line('vic', 39.1, 56.3, 55), line('e', 44.2, 51.2, 70)], column)).toBe('Service')
    // a capital after a full line joins only when it is itself a full middle piece
    expect(cellText([line('App', 36.2, 56.8, 90), line('Vey', 36.2, 55.9, 105), line('or', 36.2, 48.1, 120)], column)).toBe('AppVeyor')
    expect(cellText([line('Config', 35.6, 58.3, 40), line('Path', 41.3, 51, 55)], column)).toBe('Config Path')
  })

  it('keeps the space where a line ends with room to spare, and between two addresses', () => {
    expect(cellText([line('Circle', 36.2, 53.4, 90), line('CI', 36.2, 49, 105)], column)).toBe('Circle CI')
    const wide = { left: 267.3, right: 524.7 }
    expect(cellText([line('https://example.com/blog/integration/', 267.3, 440, 90), line('https://example.org/x', 267.3, 400, 105)], wide)).toBe(
      'https://example.com/blog/integration/ https://example.org/x',
    )
    expect(cellText([line('https://example.com/tutorial/#to-', 267.3, 480, 90), line('get-started', 267.3, 330, 105)], wide)).toBe('https://example.com/tutorial/#to-get-started')
    // without a column box: lines meet with a space
    expect(cellText([line('Tra', 36.2, 55.4, 90), line('vis', 36.2, 51.6, 105)])).toBe('Tra vis')
  })

  it('reads a ruled table with words broken in its narrow columns', async () => {
    const context: ConverterContext = {
      signal: new AbortController().signal,
      pageSelection: parsePageSelection(undefined),
      limits: DEFAULT_LIMITS,
      setPagesTotal() {},
      pageDone() {},
      warn() {},
    }
    const { pages } = await convertPdf(await readFile(new URL('./fixtures/pdf/zstd-contributing-p5.pdf', import.meta.url)), context)
    const tables = pages.flatMap((p) => p.blocks).filter((b): b is TableBlock => b.type === 'table')
    expect(tables).toHaveLength(1)
    const rows = tables[0]!.rows
    expect(rows.map((r) => r[0])).toEqual(['Service', 'Travis CI', 'AppVeyor', 'Cirrus CI', 'Circle CI'])
    expect(rows.map((r) => r[3])).toEqual(['Config Path', '.travis.yml', 'appveyor.yml', '.cirrus.yml', '.circleci/config.yml'])
    expect(rows[2]![2]).toBe('https://www.appveyor.com/blog/2018/10/02/github-apps-integration/ https://github.com/marketplace/appveyor')
  })
})
