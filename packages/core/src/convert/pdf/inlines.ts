import type { Inline } from '../../document.js'
import type { Run } from './types.js'

/**
 * Runs -> inline runs with formatting, neighbours with the same formatting merged.
 * Undefined when there is no formatting at all (the block's `text` says everything).
 */
export function toInlines(spans: Run[], options: { ignoreBold?: boolean } = {}): Inline[] | undefined {
  const inlines: Inline[] = []
  let formatted = false
  for (const span of spans) {
    if (span.text === '') continue
    const inline: Inline = { text: span.text }
    if (span.style.bold && !options.ignoreBold) inline.bold = true
    if (span.style.italic) inline.italic = true
    if (span.style.mono) inline.code = true
    if (span.href) inline.href = span.href
    const last = inlines[inlines.length - 1]
    const blank = span.text.trim() === ''
    if (last && (blank || sameFormat(last, inline))) {
      last.text += span.text
      continue
    }
    if (inline.bold || inline.italic || inline.code || inline.href) formatted = true
    inlines.push(inline)
  }
  if (!formatted) return undefined
  // Keep formatting off the outer spaces, which belong to the plain text between runs.
  const out: Inline[] = []
  for (const inline of inlines) {
    const lead = /^\s+/.exec(inline.text)?.[0] ?? ''
    const trail = inline.text.length > lead.length ? (/\s+$/.exec(inline.text)?.[0] ?? '') : ''
    const core = inline.text.slice(lead.length, inline.text.length - trail.length)
    const plain = !inline.bold && !inline.italic && !inline.code && !inline.href
    if (plain || core === '') {
      pushPlain(out, inline.text, inline)
      continue
    }
    if (lead) pushPlain(out, lead)
    out.push({ ...inline, text: core })
    if (trail) pushPlain(out, trail)
  }
  return out
}

function pushPlain(out: Inline[], text: string, like?: Inline): void {
  const last = out[out.length - 1]
  const plainLike = !like || (!like.bold && !like.italic && !like.code && !like.href)
  if (last && plainLike && !last.bold && !last.italic && !last.code && !last.href) last.text += text
  else out.push(plainLike ? { text } : { ...like, text })
}

function sameFormat(a: Inline, b: Inline): boolean {
  return !!a.bold === !!b.bold && !!a.italic === !!b.italic && !!a.code === !!b.code && a.href === b.href
}
