import { describe, expect, it } from 'vitest'
import { resolveBlocks, SizeHistogram } from '../src/convert/pdf/headings.js'
import { layoutLines, type ProtoBlock, type TextBlock } from '../src/convert/pdf/paragraphs.js'
import type { Line } from '../src/convert/pdf/types.js'

const style = (bold: boolean, mono = false) => ({ bold, italic: false, mono })
function block(text: string, size: number, bold: boolean, mono = false): TextBlock {
  return { kind: 'text', text, spans: [{ text, x0: 0, x1: 100, baseline: 0, size, style: style(bold, mono) }], size, bold, lineCount: 1 }
}

describe('PDF heading levels', () => {
  it('ranks bold headings set smaller than the body below those at body size, and code-only headings with the smallest heading size', () => {
    const sizes = new SizeHistogram()
    sizes.add(11, 5000)
    const body = (): TextBlock => block('Some body text that runs on for a while, as paragraphs do.', 11, false)
    const blocks: ProtoBlock[] = [
      block('Title', 22, true), body(),
      block('Section', 16.5, true), body(),
      block('Subsection', 12.9, true), body(),
      block('Stage 2: Transfers', 11, true), body(),
      block('Uploads', 9.1, true), body(),
      block('readStream.isRaw', 9, true, true), body(),
    ]
    const headings = resolveBlocks([blocks], sizes)[0]!.flatMap((b) => (b.type === 'heading' ? [[b.level, b.text]] : []))
    expect(headings).toEqual([[1, 'Title'], [2, 'Section'], [3, 'Subsection'], [4, 'Stage 2: Transfers'], [5, 'Uploads'], [3, 'readStream.isRaw']])
  })

  it('takes a bold code line set apart below a code block out of it, as a heading candidate', () => {
    const line = (text: string, baseline: number, bold: boolean, x0 = 36): Line => {
      const run = { text, x0, x1: x0 + 6 * text.length, baseline, size: 9, style: style(bold, true) }
      return { runs: [run], spans: [run], text, x0: run.x0, x1: run.x1, top: baseline - 7, bottom: baseline + 2, baseline, size: 9 }
    }
    const blocks = layoutLines([line("process.stdout.on('resize', () => {", 316.5, false), line('console.log(1);', 328.5, false, 47), line('});', 352.5, false), line('writeStream.clearLine(dir[, callback])', 387, true, 31)], 31)
    expect(blocks.map((b) => b.kind)).toEqual(['final', 'text'])
    expect(blocks[1]).toMatchObject({ kind: 'text', text: 'writeStream.clearLine(dir[, callback])', bold: true })
    // a bold line at the code's own spacing stays in the block
    const kept = layoutLines([line('if (x) {', 100, false), line('return', 111, true, 47), line('}', 122, false)], 36)
    expect(kept.map((b) => b.kind)).toEqual(['final'])
  })
})
