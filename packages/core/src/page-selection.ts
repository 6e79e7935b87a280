import { DocloaderError } from './errors.js'
import type { PageSelection } from './options.js'

interface Range {
  from: number
  /** Inclusive; Infinity for an open range such as `5-`. */
  to: number
}

/**
 * Parses a page selection: `'1-3,7'`, `'5-'`, `'2'`, or a list of numbers.
 * Throws `INVALID_OPTION` for anything else.
 */
export function parsePageSelection(pages: string | number[] | undefined): PageSelection {
  if (pages === undefined || (typeof pages === 'string' && pages.trim() === '')) {
    return { all: true, resolve: (count) => Array.from({ length: count }, (_, i) => i + 1) }
  }
  const ranges = Array.isArray(pages) ? pages.map((n) => toRange(n, n, pages)) : parseRanges(pages)
  return {
    all: false,
    resolve(count) {
      const selected = new Set<number>()
      for (const { from, to } of ranges) {
        for (let page = from; page <= Math.min(to, count); page++) selected.add(page)
      }
      return [...selected].sort((a, b) => a - b)
    },
  }
}

function parseRanges(text: string): Range[] {
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$/.exec(part)
    if (!match) throw invalid(text)
    const from = Number(match[1])
    const to = match[2] ? (match[3] ? Number(match[3]) : Infinity) : from
    return toRange(from, to, text)
  })
}

function toRange(from: number, to: number, original: unknown): Range {
  if (!Number.isInteger(from) || from < 1 || !(Number.isInteger(to) || to === Infinity) || to < from) {
    throw invalid(original)
  }
  return { from, to }
}

function invalid(value: unknown): DocloaderError {
  return new DocloaderError(
    'INVALID_OPTION',
    `Expected \`pages\` to be 1-based page ranges such as "1-3,7" or "5-", got \`${Array.isArray(value) ? value.join(',') : String(value)}\`.`,
  )
}
