import type { Block } from '../../document.js'
import type { Converter } from '../../options.js'
import { decodeText } from '../../detect/sniff-text.js'
import { DocloaderError } from '../../errors.js'

/** Plain text: paragraphs split at blank lines; the text itself passes through unchanged. */
export const convertText: Converter = async (bytes, context) => {
  const text = decode(bytes)
  const blocks: Block[] = text
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.replace(/^\n+|\s+$/g, ''))
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => ({ type: 'paragraph', text: paragraph }))
  context.setPagesTotal(1)
  context.pageDone()
  return { pages: [{ number: 1, blocks }], metadata: { pageCount: 1, pagesConverted: 1 }, passthrough: { text: ensureNewline(text) } }
}

/** Decodes text input and normalises line endings; throws CORRUPT_FILE for undecodable bytes. */
export function decode(bytes: Uint8Array): string {
  const text = decodeText(bytes)
  if (text === undefined) throw new DocloaderError('CORRUPT_FILE', 'The text file could not be decoded as UTF-8, UTF-16 or Windows-1252.')
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

export function ensureNewline(text: string): string {
  return text.endsWith('\n') || text === '' ? text : `${text}\n`
}
