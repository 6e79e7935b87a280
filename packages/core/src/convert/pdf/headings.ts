import type { Block } from '../../document.js'
import { toInlines } from './inlines.js'
import type { ProtoBlock, TextBlock } from './paragraphs.js'

/** Characters per font size (rounded to half points), to find the body size. */
export class SizeHistogram {
  private readonly chars = new Map<number, number>()
  total = 0

  add(size: number, chars: number): void {
    const key = Math.round(size * 2) / 2
    this.chars.set(key, (this.chars.get(key) ?? 0) + chars)
    this.total += chars
  }

  /** The most common size weighted by characters. */
  body(): number {
    let best = 0
    let bestChars = -1
    for (const [size, chars] of this.chars) {
      if (chars > bestChars) {
        best = size
        bestChars = chars
      }
    }
    return best || 10
  }
}

const SIZE_RATIO = 1.15

/** Whether a text block can be a heading by its size alone. */
function largeEnough(block: TextBlock, body: number): boolean {
  return block.size >= body * SIZE_RATIO && block.lineCount <= 3 && block.text.length <= 200 && /\p{L}/u.test(block.text)
}

function boldHeading(block: TextBlock, next: ProtoBlock | undefined, body: number): boolean {
  if (!block.bold || block.lineCount > 1 || block.text.length > 90 || block.size < body * 0.8) return false
  if (!/\p{L}/u.test(block.text) || /[.,;:]$/.test(block.text)) return false
  if (!next) return false
  // followed by body text: not another bold line of the same kind
  return !(next.kind === 'text' && next.bold && Math.abs(next.size - block.size) < 0.5)
}

/**
 * Decides which text blocks are headings once the whole document is read, and their levels:
 * distinct heading sizes ranked from the largest (1) down, bold body-size headings after them.
 * A size that holds a large share of the text is body text, not a heading size.
 */
export function resolveBlocks(pages: ProtoBlock[][], sizes: SizeHistogram): Block[][] {
  const body = sizes.body()
  const flat = pages.flat().filter((b) => !(b.kind === 'text' && b.role))
  const next = new Map<ProtoBlock, ProtoBlock | undefined>()
  flat.forEach((b, i) => next.set(b, flat[i + 1]))
  // size classes of size-based candidates, with their character share
  const classChars = new Map<number, number>()
  for (const b of flat) {
    if (b.kind === 'text' && largeEnough(b, body)) {
      const key = Math.round(b.size * 2) / 2
      classChars.set(key, (classChars.get(key) ?? 0) + b.text.length)
    }
  }
  const classes = [...classChars.entries()]
    .filter(([, chars]) => chars <= 0.3 * sizes.total || sizes.total < 400)
    .map(([size]) => size)
    .sort((p, q) => q - p)
  // sizes within 5% of each other share a level
  const levels = new Map<number, number>()
  let level = 0
  let previous = Infinity
  for (const size of classes) {
    if (size < previous * 0.95) level++
    levels.set(size, Math.min(level, 6))
    previous = size
  }
  const boldLevel = Math.min(level + 1, 6)
  return pages.map((blocks) =>
    blocks.map((b): Block => {
      if (b.kind === 'final') return b.block
      if (!b.role) {
        const sizeLevel = largeEnough(b, body) ? levels.get(Math.round(b.size * 2) / 2) : undefined
        // bold headings set smaller than the body (h5, h6 in browsers) rank below those at body
        // size. A heading all in code is set in the code size whatever its level (renderers
        // shrink code inside headings too): it ranks with the smallest heading size.
        const code = !b.spans.some((s) => !s.style.mono && s.text.trim() !== '')
        const smaller = b.size < body * 0.95 && !code
        const bold = code ? Math.max(1, level) : Math.min(boldLevel + (smaller ? 1 : 0), 6)
        const headingLevel = sizeLevel ?? (boldHeading(b, next.get(b), body) ? bold : undefined)
        if (headingLevel !== undefined) {
          const inlines = toInlines(b.spans, { ignoreBold: true })
          return inlines ? { type: 'heading', level: headingLevel, text: b.text, inlines } : { type: 'heading', level: headingLevel, text: b.text }
        }
      }
      const inlines = toInlines(b.spans)
      const block: Block = inlines ? { type: 'paragraph', text: b.text, inlines } : { type: 'paragraph', text: b.text }
      if (b.role) block.role = b.role
      return block
    }),
  )
}
