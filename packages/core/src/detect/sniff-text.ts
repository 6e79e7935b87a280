import type { DetectedType } from './detect-type.js'

const SAMPLE = 64 * 1024

/**
 * Decides whether bytes are text and which kind: HTML, CSV/TSV, Markdown or plain text.
 * Returns undefined for binary data. Looks only at the first 64 KiB.
 */
export function sniffText(bytes: Uint8Array): DetectedType | undefined {
  const text = decodeText(bytes.subarray(0, SAMPLE), bytes.byteLength > SAMPLE)
  if (text === undefined) return undefined
  if (looksLikeHtml(text)) return { format: 'html', mimeType: 'text/html', extension: 'html' }
  const delimiter = detectDelimiter(text)
  if (delimiter) {
    return delimiter === '\t'
      ? { format: 'csv', mimeType: 'text/tab-separated-values', extension: 'tsv' }
      : { format: 'csv', mimeType: 'text/csv', extension: 'csv' }
  }
  if (looksLikeMarkdown(text)) return { format: 'markdown', mimeType: 'text/markdown', extension: 'md' }
  return { format: 'text', mimeType: 'text/plain', extension: 'txt' }
}

/**
 * Decodes text (UTF-8, or UTF-16 with a byte-order mark). Undefined when the bytes hold NULs
 * or control characters, or are not valid UTF-8 and mostly non-ASCII (binary).
 */
export function decodeText(bytes: Uint8Array, truncated = false): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  let control = 0
  for (const byte of bytes) {
    if (byte === 0) return undefined
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) control++
  }
  if (control > bytes.byteLength / 100) return undefined
  try {
    // A sample cut mid-character must not count as invalid UTF-8: `stream` keeps the tail.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated })
  } catch {
    // Legacy 8-bit text (Latin-1, Windows-1252) is still text.
    let high = 0
    for (const byte of bytes) if (byte >= 0x80) high++
    return high < bytes.byteLength / 4 ? new TextDecoder('windows-1252').decode(bytes) : undefined
  }
}

function looksLikeHtml(text: string): boolean {
  const head = text.slice(0, 2048).trimStart().toLowerCase()
  return head.startsWith('<!doctype html') || head.startsWith('<html') || (/^<\?xml[^>]*>\s*<!doctype html/.test(head) || /^(<!--[\s\S]*?-->\s*)*<html[\s>]/.test(head))
}

/** A delimiter that splits most lines into the same number (>= 2) of fields. */
export function detectDelimiter(text: string): string | undefined {
  const all = text.split(/\r?\n/).slice(0, 51)
  const lines = all.filter((line) => line.trim() !== '')
  if (lines.length < 2) return undefined
  // Tables have no blank lines between rows; prose has them between paragraphs.
  const lastFilled = all.findLastIndex((line) => line.trim() !== '')
  if (all.slice(0, lastFilled).some((line) => line.trim() === '')) return undefined
  let best: { delimiter: string; score: number } | undefined
  for (const delimiter of [',', '\t', ';', '|']) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter))
    const first = counts[0]!
    if (first < 1) continue
    const agreeing = counts.filter((count) => count === first).length
    if (agreeing / counts.length < 0.9) continue
    // Markdown pipe tables have a '|---|' delimiter row: not CSV.
    if (delimiter === '|' && lines.some((line) => /^\s*\|?\s*:?-{3,}/.test(line))) continue
    const score = agreeing * first
    if (!best || score > best.score) best = { delimiter, score }
  }
  // Prose with commas agrees by chance on short samples; require short, field-like lines.
  if (best && best.delimiter !== '\t') {
    const averageLength = lines.reduce((sum, line) => sum + line.length, 0) / lines.length
    const proseLike = lines.filter((line) => /[.!?]\s+[A-Z]/.test(line)).length > lines.length / 2
    if (proseLike && averageLength > 80) return undefined
  }
  return best?.delimiter
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0
  let quoted = false
  for (const char of line) {
    if (char === '"') quoted = !quoted
    else if (char === delimiter && !quoted) count++
  }
  return count
}

function looksLikeMarkdown(text: string): boolean {
  const sample = text.slice(0, 16 * 1024)
  let signals = 0
  if (/^#{1,6}\s+\S/m.test(sample)) signals += 2
  if (/^```/m.test(sample)) signals += 2
  if (/^\s*\|.*\|\s*$\n^\s*\|?\s*:?-{3,}/m.test(sample)) signals += 2
  if (/\[[^\]\n]+\]\([^)\s]+\)/.test(sample)) signals++
  if (/^\s*[-*+]\s+\S/m.test(sample)) signals++
  if (/\*\*[^*\n]+\*\*|`[^`\n]+`/.test(sample)) signals++
  if (/^>\s/m.test(sample)) signals++
  return signals >= 2
}
