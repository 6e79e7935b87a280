import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { convertPdf } from '../src/convert/pdf/index.js'
import { xyCut, type Placed } from '../src/convert/pdf/reading-order.js'
import { DEFAULT_LIMITS } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'

interface Named extends Placed {
  name: string
}

const box = (name: string, x0: number, x1: number, top: number, size: number, chars = 60): Named => ({ name, x0, x1, top, bottom: top + size, size, chars })

/** Two columns of body text, nine lines each, from `top` down. */
function columns(top: number, size = 9): Named[] {
  const out: Named[] = []
  for (let i = 0; i < 9; i++) {
    out.push(box(`L${i}`, 58, 295, top + i * 11, size))
    out.push(box(`R${i}`, 317, 554, top + i * 11, size))
  }
  return out
}

const order = (leaves: Named[][]): string[] => leaves.flatMap((leaf) => [...leaf].sort((p, q) => p.top - q.top || p.x0 - q.x0).map((b) => b.name))

describe('PDF reading order', () => {
  it('reads two columns left before right', () => {
    const names = order(xyCut(columns(100)))
    expect(names.indexOf('L8')).toBeLessThan(names.indexOf('R0'))
  })

  it('reads an author block set side by side above the columns before them', () => {
    const authors = [
      box('A1', 165, 218, 120, 12, 12), box('B1', 377, 433, 120, 12, 12),
      box('A2', 117, 267, 138, 12, 27), box('B2', 305, 509, 138, 12, 40),
      box('A3', 103, 281, 151, 12, 35), box('B3', 352, 460, 151, 12, 22),
    ]
    const names = order(xyCut([...authors, ...columns(200)]))
    const last = Math.max(...['A1', 'A2', 'A3', 'B1', 'B2', 'B3'].map((n) => names.indexOf(n)))
    expect(last).toBeLessThan(names.indexOf('L0'))
    expect(names.indexOf('L8')).toBeLessThan(names.indexOf('R0'))
  })

  it('keeps columns whole when the text above a white band is in the body size', () => {
    // a section break across both columns at the same height is not a header band
    const names = order(xyCut([...columns(100), ...columns(220).map((b) => ({ ...b, name: b.name + "'" }))]))
    expect(names.indexOf("L8'")).toBeLessThan(names.indexOf('R0'))
  })

  it('reads the four authors of the DAFx template before the abstract', async () => {
    const context = { signal: new AbortController().signal, pageSelection: parsePageSelection('1'), limits: DEFAULT_LIMITS, setPagesTotal() {}, pageDone() {}, warn() {} }
    const { pages } = await convertPdf(await readFile(new URL('./fixtures/pdf/dafx_p009.pdf', import.meta.url)), context)
    const text = pages.flatMap((p) => p.blocks).map((b) => ('text' in b ? b.text : '')).join('\n')
    const at = ['Jøhn', 'Kéñt', 'Lòu', 'Mànfréd', 'ABSTRACT', 'This is the template file'].map((s) => text.indexOf(s))
    expect(at.every((i) => i >= 0)).toBe(true)
    expect(at).toEqual([...at].sort((a, b) => a - b))
  })
})
