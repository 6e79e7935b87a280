import { describe, expect, it } from 'vitest'
import { resolveBlocks, SizeHistogram } from '../src/convert/pdf/headings.js'
import type { ProtoBlock, TextBlock } from '../src/convert/pdf/paragraphs.js'

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
})
