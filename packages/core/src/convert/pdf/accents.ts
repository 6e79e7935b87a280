import type { Run } from './types.js'

/** Spacing diacritics -> the combining mark they stand for. */
const SPACING: Record<string, string> = {
  '\u00b4': '\u0301', // ´ acute
  '\u02ca': '\u0301',
  '`': '\u0300', // grave (TeX fonts encode it as the ASCII grave)
  '\u02cb': '\u0300',
  '\u00a8': '\u0308', // ¨ diaeresis
  '\u02c6': '\u0302', // ˆ circumflex
  '\u02dc': '\u0303', // ˜ tilde
  '\u00af': '\u0304', // ¯ macron
  '\u02c9': '\u0304',
  '\u02d8': '\u0306', // ˘ breve
  '\u02d9': '\u0307', // ˙ dot above
  '\u02da': '\u030a', // ˚ ring
  '\u02dd': '\u030b', // ˝ double acute
  '\u02c7': '\u030c', // ˇ caron
  '\u00b8': '\u0327', // ¸ cedilla
  '\u02db': '\u0328', // ˛ ogonek
}

/** ASCII stand-ins some fonts map their accent glyphs to: only outside code, and only where boxes overlap. */
const ASCII: Record<string, string> = { '^': '\u0302', '~': '\u0303', "'": '\u0301', '"': '\u0308' }

/** Marks set below the letter: a dotless i keeps its shape under them. */
const BELOW = new Set(['\u0327', '\u0328'])

function markOf(char: string | undefined, run: Run): string | undefined {
  if (char === undefined) return undefined
  return SPACING[char] ?? (run.style.mono ? undefined : ASCII[char])
}

/** The letter and a combining mark as one precomposed letter (a dotless i takes its dot back for marks above). */
export function combine(letter: string, mark: string): string {
  let base = letter
  if (!BELOW.has(mark)) base = base === '\u0131' ? 'i' : base === '\u0237' ? 'j' : base
  return (base + mark).normalize('NFC')
}

const LETTER = /\p{L}/u

/**
 * TeX (dvips, OT1 fonts) sets accented letters as a spacing accent plus the letter, moved
 * back under it: pdfjs gives "F ´" and "OR" as two items whose boxes overlap. Where an item
 * ends in a spacing accent and the next starts with a letter it overlaps (or an item starts
 * with an accent that overlaps the letter ending the previous one), the two become the
 * precomposed letter. Runs are in content order; a run left empty is dropped.
 */
export function combineAccents(runs: Run[]): Run[] {
  let changed = false
  for (let i = 1; i < runs.length; i++) {
    const p = runs[i - 1]!
    const q = runs[i]!
    if (!p.text || !q.text) continue
    const size = Math.max(p.size, q.size)
    if (Math.abs(p.baseline - q.baseline) > 0.6 * size) continue
    // the letter must sit under the accent: boxes overlap
    if (q.x0 > p.x1 - 0.1 * size || q.x1 < p.x0) continue
    const before = markOf(p.text[p.text.length - 1], p)
    const first = firstChar(q.text)
    if (before && first && LETTER.test(first)) {
      const letter = combine(first, before)
      let head = p.text.slice(0, -1)
      // a kern before the accent reads as a space: "F ´OR" is FÓR (a lone capital before it)
      if (/(?:^|\s)\p{Lu} $/u.test(head) && letter === letter.toUpperCase()) head = head.slice(0, -1)
      p.text = head
      q.text = letter + q.text.slice(first.length)
      changed = true
      continue
    }
    const after = markOf(q.text[0], q)
    const last = lastChar(p.text)
    if (after && last && LETTER.test(last)) {
      p.text = p.text.slice(0, -last.length) + combine(last, after)
      q.text = q.text.slice(1)
      changed = true
    }
  }
  return changed ? runs.filter((r) => r.text.trim() !== '') : runs
}

function firstChar(text: string): string | undefined {
  const code = text.codePointAt(0)
  return code === undefined ? undefined : String.fromCodePoint(code)
}

function lastChar(text: string): string | undefined {
  const chars = Array.from(text.slice(-2))
  return chars[chars.length - 1]
}
