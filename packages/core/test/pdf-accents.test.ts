import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { combineAccents } from '../src/convert/pdf/accents.js'
import { convertPdf } from '../src/convert/pdf/index.js'
import type { Run } from '../src/convert/pdf/types.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'

const plain = { bold: false, italic: false, mono: false }
const run = (text: string, x0: number, x1: number, extra: Partial<Run> = {}): Run => ({ text, x0, x1, baseline: 100, size: 12, style: plain, ...extra })
const texts = (runs: Run[]): string[] => runs.map((r) => r.text)

describe('TeX spacing accents', () => {
  it('puts an accent that ends an item onto the overlapping letter that starts the next', () => {
    // "J¨" then "oe," moved back under the accent
    expect(texts(combineAccents([run('Jøhn J¨', 164.9, 201), run('oe,', 196.1, 210.2)]))).toEqual(['Jøhn J', 'öe,'])
    expect(texts(combineAccents([run('K´', 377, 389.7), run('e˜', 385, 395.3), run('nt Kˆ', 390.4, 414.3), run('ıng,', 410.6, 428.9)]))).toEqual(['K', 'é', 'ñt K', 'îng,'])
  })

  it('drops the kern read as a space before an accented capital after a lone capital', () => {
    const out = combineAccents([run('TEMPLATES F ´', 206.2, 295.6), run('OR F `', 289, 323.9), run('O ¨', 317.3, 332.8), run('UR `', 326.6, 353.1), run('AUTHORS', 346.8, 406)])
    expect(texts(out)).toEqual(['TEMPLATES F', 'ÓR F', 'Ò', 'ÜR ', 'ÀUTHORS'])
  })

  it('puts an accent that starts an item onto the letter it overlaps before it', () => {
    expect(texts(combineAccents([run('caf', 10, 28), run('e', 28, 34), run('´', 28.5, 33)]))).toEqual(['caf', 'é'])
    expect(texts(combineAccents([run('n', 10, 16), run('˜o', 10.5, 22)]))).toEqual(['ñ', 'o'])
  })

  it('combines a raised accent item and a dotless i, and ASCII stand-ins outside code only', () => {
    expect(texts(combineAccents([run('ˇ', 10, 16, { baseline: 97 }), run('ıvan', 10.5, 34)]))).toEqual(['ǐvan'])
    expect(texts(combineAccents([run('Fran¸', 10, 40), run('cais', 36, 60)]))).toEqual(['Fran', 'çais'])
    expect(texts(combineAccents([run('na^', 10, 28), run('ive', 23, 40)]))).toEqual(['na', 'îve'])
    const mono = { bold: false, italic: false, mono: true }
    expect(texts(combineAccents([run('x^', 10, 22, { style: mono }), run('y', 16, 22, { style: mono })]))).toEqual(['x^', 'y'])
  })

  it('leaves accents alone when no letter sits under them', () => {
    // a spacing accent quoted in text, followed by a word after a real gap
    expect(texts(combineAccents([run('the ´', 10, 40), run('key', 44, 60)]))).toEqual(['the ´', 'key'])
    expect(texts(combineAccents([run("it's", 10, 30), run('fine', 33, 50)]))).toEqual(["it's", 'fine'])
  })

  it('reads the accented names of the DAFx template', async () => {
    const context: ConverterContext = {
      signal: new AbortController().signal,
      pageSelection: parsePageSelection('1'),
      limits: DEFAULT_LIMITS,
      setPagesTotal() {},
      pageDone() {},
      warn() {},
    }
    const { pages } = await convertPdf(await readFile(new URL('./fixtures/pdf/dafx_p009.pdf', import.meta.url)), context)
    const text = pages.flatMap((p) => p.blocks).map((b) => ('text' in b ? b.text : '')).join('\n')
    for (const name of ['TEMPLATES FÓR FÒÜR ÀUTHORS', 'Jöe', 'Kéñt Kîng', 'Lòu Lóu', 'Mànfréd J. Môstĕkı']) expect(text).toContain(name)
    expect(text).not.toMatch(/[´¨ˆ˜˘`]/)
  })
})
