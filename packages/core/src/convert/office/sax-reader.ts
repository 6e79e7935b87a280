import { SaxesParser } from 'saxes'
import { TextDecoder } from 'node:util'
import { DocloaderError } from '../../errors.js'

/** Attributes of an element by qualified name as written (`r:id`, `table:number-columns-repeated`). */
export type XmlAttributes = Record<string, string>

/** Callbacks of a streaming XML read. Element names are local names (`a:t` -> `t`). */
export interface XmlHandlers {
  open?(name: string, attributes: XmlAttributes, selfClosing: boolean): void
  text?(text: string): void
  close?(name: string): void
}

export interface ParseXmlOptions {
  /** Checked between chunks, so a long part can be cancelled. */
  signal?: AbortSignal
  /** Name of the part, for error messages (e.g. `xl/worksheets/sheet1.xml`). */
  part?: string
}

/** How much decoded text is handed to the parser at a time. */
const CHUNK_CHARS = 1 << 20

/**
 * Reads XML with a SAX parser (saxes), calling `handlers` for elements and text, from
 * bytes or a stream of byte chunks, never building a tree. Only the five predefined
 * entities and character references are expanded: a DTD is never read, so external and
 * internal entities (XXE, "billion laughs") are not resolved; a document that uses one
 * fails with CORRUPT_FILE.
 */
export async function parseXml(source: Uint8Array | string | AsyncIterable<Uint8Array>, handlers: XmlHandlers, options: ParseXmlOptions = {}): Promise<void> {
  const parser = new SaxesParser({ position: false })
  if (handlers.open) {
    const open = handlers.open
    parser.on('opentag', (tag) => open(localName(tag.name), tag.attributes as XmlAttributes, tag.isSelfClosing))
  }
  if (handlers.close) {
    const close = handlers.close
    parser.on('closetag', (tag) => close(localName(tag.name)))
  }
  if (handlers.text) {
    parser.on('text', handlers.text)
    parser.on('cdata', handlers.text)
  }
  const fail = (error: unknown): never => {
    if (error instanceof DocloaderError) throw error
    throw new DocloaderError('CORRUPT_FILE', `The file is damaged: its part ${options.part ?? 'XML'} is not well-formed XML (${(error as Error).message.split('\n')[0]}).`, { cause: error })
  }
  try {
    if (typeof source === 'string') {
      await writeText(parser, source, options.signal)
    } else if (source instanceof Uint8Array) {
      await writeBytes(parser, source, options.signal)
    } else {
      let decoder: TextDecoder | undefined
      let sinceYield = 0
      for await (const chunk of source) {
        options.signal?.throwIfAborted()
        decoder ??= decoderFor(chunk)
        const text = decoder.decode(chunk, { stream: true })
        if (text) parser.write(text)
        sinceYield += chunk.byteLength
        if (sinceYield >= CHUNK_CHARS) {
          sinceYield = 0
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
      }
      const rest = decoder?.decode() ?? ''
      if (rest) parser.write(rest)
    }
    parser.close()
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason
    fail(error)
  }
}

/** Decodes and parses bytes a slice at a time, so a big part never becomes one huge string. */
async function writeBytes(parser: SaxesParser, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  const decoder = decoderFor(bytes)
  if (bytes.byteLength <= CHUNK_CHARS) {
    parser.write(decoder.decode(bytes))
    return
  }
  for (let offset = 0; offset < bytes.byteLength; offset += CHUNK_CHARS) {
    signal?.throwIfAborted()
    const text = decoder.decode(bytes.subarray(offset, offset + CHUNK_CHARS), { stream: true })
    if (text) parser.write(text)
    // Let timers (time limits) and cancel messages run during a long part.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  const rest = decoder.decode()
  if (rest) parser.write(rest)
}

async function writeText(parser: SaxesParser, text: string, signal: AbortSignal | undefined): Promise<void> {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0
  if (text.length - start <= CHUNK_CHARS) {
    parser.write(start ? text.slice(start) : text)
    return
  }
  for (let offset = start; offset < text.length; offset += CHUNK_CHARS) {
    signal?.throwIfAborted()
    // Never split a surrogate pair between two writes.
    let end = Math.min(text.length, offset + CHUNK_CHARS)
    if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++
    parser.write(text.slice(offset, end))
    offset = end - CHUNK_CHARS
    // Let timers (time limits) and cancel messages run during a long part.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** UTF-8 unless a UTF-16 byte-order mark says otherwise; the BOM itself is dropped. */
function decoderFor(bytes: Uint8Array): TextDecoder {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le')
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be')
  return new TextDecoder('utf-8')
}

function localName(name: string): string {
  const colon = name.indexOf(':')
  return colon === -1 ? name : name.slice(colon + 1)
}
