/**
 * A streaming reader of multipart/form-data bodies (RFC 7578) for the upload route: parts come
 * out one by one as they arrive, a file's content as a stream of the body's own chunks (views,
 * never copies), read at the pace its consumer reads them.
 *
 * Why not busboy: on a 174 KiB upload its byte-by-byte boundary search in JavaScript cost the
 * event loop ~0.3 ms, a third of all the work of accepting an upload (bench/RESULTS.md,
 * server-load). Here the boundary is found with Buffer#indexOf (native memory search, ~20x
 * faster). What it accepts follows what browsers and curl send, and what busboy accepted:
 * preamble and epilogue ignored, transport padding after a delimiter, `filename*` (RFC 5987)
 * over `filename`, a part is a file when it has a file name; raw control characters in a part
 * header are refused as malformed.
 */

/** The body is not valid multipart, or goes past a limit: a client error (HTTP 400). */
export class MultipartError extends Error {
  override readonly name = 'MultipartError'
  /** Whether a limit was passed (the body may be well formed). */
  readonly limit: boolean

  constructor(message: string, options: { limit?: boolean } = {}) {
    super(message)
    this.limit = options.limit ?? false
  }
}

export interface MultipartLimits {
  /** Most parts, fields and files together. */
  parts: number
  /** Most fields (parts that are not files). */
  fields: number
  /** Largest field value in bytes. */
  fieldBytes: number
  /** Largest header block of one part in bytes. */
  headerBytes: number
}

export type MultipartPart =
  | { kind: 'field'; name: string; value: string }
  /**
   * `content` must be read to its end (or the whole read abandoned) before asking for the
   * next part: the parts share one body.
   */
  | { kind: 'file'; name: string; filename: string; contentType: string | undefined; content: AsyncIterable<Buffer> }

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')

/** The boundary of a `multipart/form-data; boundary=...` Content-Type (quoted or not). */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.){1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType)
  const boundary = match ? (match[1]?.replace(/\\(.)/g, '$1') ?? match[2]) : undefined
  if (!boundary) throw new MultipartError('the Content-Type header names no boundary (multipart/form-data; boundary=...)')
  return boundary
}

/**
 * The parts of a multipart body, in order. Throws MultipartError when the body is malformed
 * or a limit is passed; errors of `body` itself pass through.
 *
 * @example
 * for await (const part of readMultipart(request, multipartBoundary(type), limits)) {
 *   if (part.kind === 'file') await save(part.content)
 * }
 */
export async function* readMultipart(body: AsyncIterable<Buffer>, boundary: string, limits: MultipartLimits): AsyncGenerator<MultipartPart> {
  const reader = new BodyReader(body[Symbol.asyncIterator]())
  // The first delimiter may start the body (no CRLF before it); later ones follow a CRLF.
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  let parts = 0
  let fields = 0
  try {
    if (!(await reader.skipPast(delimiter.subarray(2)))) throw new MultipartError('the body ends before its first boundary')
    for (;;) {
      const after = await reader.afterDelimiter()
      if (after === 'end') break
      if (++parts > limits.parts) throw new MultipartError(`more than ${limits.parts} parts`, { limit: true })
      const headers = parseHeaders(await reader.headerBlock(limits.headerBytes))
      const disposition = headers.get('content-disposition')
      const params = disposition ? dispositionParams(disposition) : undefined
      const name = params?.get('name')
      const filename = params?.has('filename*') ? decodeExtValue(params.get('filename*')!) ?? params.get('filename') : params?.get('filename')
      if (params && name !== undefined && filename !== undefined) {
        const content = reader.content(delimiter)
        yield { kind: 'file', name, filename, contentType: headers.get('content-type'), content }
        // What the consumer left unread is skipped.
        for await (const _ of content);
        continue
      }
      if (params && name !== undefined) {
        if (++fields > limits.fields) throw new MultipartError(`more than ${limits.fields} fields`, { limit: true })
        const chunks: Buffer[] = []
        let size = 0
        for await (const chunk of reader.content(delimiter)) {
          size += chunk.byteLength
          if (size > limits.fieldBytes) throw new MultipartError(`the field \`${name}\` is longer than ${limits.fieldBytes} bytes`, { limit: true })
          chunks.push(chunk)
        }
        yield { kind: 'field', name, value: Buffer.concat(chunks, size).toString('utf8') }
        continue
      }
      // Not form data (no Content-Disposition: form-data; name=...): skipped.
      for await (const _ of reader.content(delimiter));
    }
  } finally {
    await reader.close()
  }
}

/** The body's chunks with a cursor: what is buffered (`pending`) is a view of the last chunks. */
class BodyReader {
  private pending: Buffer = Buffer.alloc(0)
  private ended = false

  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  /** The body's next chunk, or undefined at its end. */
  private async nextChunk(): Promise<Buffer | undefined> {
    if (this.ended) return undefined
    const next = await this.chunks.next()
    if (next.done) {
      this.ended = true
      return undefined
    }
    return Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array)
  }

  /** Reads one more chunk onto `pending` (copying both when something is pending); false at the body's end. */
  private async more(): Promise<boolean> {
    const chunk = await this.nextChunk()
    if (!chunk) return false
    this.pending = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk])
    return true
  }

  /** Drops everything up to and including `needle` (the preamble); false if the body ends first. */
  async skipPast(needle: Buffer): Promise<boolean> {
    for (;;) {
      const at = this.pending.indexOf(needle)
      if (at !== -1) {
        this.pending = this.pending.subarray(at + needle.byteLength)
        return true
      }
      // Keep only what could be the start of the needle.
      this.pending = this.pending.subarray(Math.max(0, this.pending.byteLength - needle.byteLength + 1))
      if (!(await this.more())) return false
    }
  }

  /** After a delimiter: `--` ends the body, else optional padding and CRLF start a part. */
  async afterDelimiter(): Promise<'end' | 'part'> {
    for (;;) {
      const crlf = this.pending.indexOf(CRLF)
      if (this.pending.byteLength >= 2 && this.pending[0] === 0x2d && this.pending[1] === 0x2d) {
        this.pending = Buffer.alloc(0)
        return 'end'
      }
      if (crlf !== -1) {
        // Transport padding (spaces and tabs) may sit between the boundary and its CRLF.
        if (!/^[ \t]*$/.test(this.pending.toString('latin1', 0, crlf))) throw new MultipartError('unexpected bytes after a boundary')
        this.pending = this.pending.subarray(crlf + 2)
        return 'part'
      }
      if (this.pending.byteLength > 1024) throw new MultipartError('unexpected bytes after a boundary')
      if (!(await this.more())) throw new MultipartError('the body ends without its closing boundary')
    }
  }

  /** The part's header block (without its blank line), at most `limit` bytes. */
  async headerBlock(limit: number): Promise<Buffer> {
    for (;;) {
      // A part with no header at all starts with its blank line.
      if (this.pending.byteLength >= 2 && this.pending[0] === 0x0d && this.pending[1] === 0x0a) {
        this.pending = this.pending.subarray(2)
        return Buffer.alloc(0)
      }
      const end = this.pending.indexOf(HEADER_END)
      if (end !== -1) {
        if (end > limit) break
        const block = this.pending.subarray(0, end)
        this.pending = this.pending.subarray(end + HEADER_END.byteLength)
        return block
      }
      if (this.pending.byteLength > limit + HEADER_END.byteLength) break
      if (!(await this.more())) throw new MultipartError('the body ends inside a part header')
    }
    throw new MultipartError(`a part header is longer than ${limit} bytes`)
  }

  /**
   * The part's content up to the next delimiter, as views of the body's chunks. At its end
   * the cursor stands right after that delimiter.
   */
  async *content(delimiter: Buffer): AsyncGenerator<Buffer> {
    const span = delimiter.byteLength - 1
    for (;;) {
      const at = this.pending.indexOf(delimiter)
      if (at !== -1) {
        const last = this.pending.subarray(0, at)
        this.pending = this.pending.subarray(at + delimiter.byteLength)
        if (last.byteLength > 0) yield last
        return
      }
      // All but the last `span` bytes are content for sure; those may begin a delimiter that
      // the next chunk completes.
      const safe = this.pending.byteLength - span
      if (safe > 0) {
        const out = this.pending.subarray(0, safe)
        this.pending = this.pending.subarray(safe)
        yield out
      }
      const chunk = await this.nextChunk()
      if (!chunk) throw new MultipartError('the body ends without its closing boundary')
      const tail = this.pending
      if (tail.byteLength === 0 || chunk.byteLength < span) {
        this.pending = tail.byteLength === 0 ? chunk : Buffer.concat([tail, chunk])
        continue
      }
      // A delimiter across the two: look in the tail plus the chunk's first bytes only, so the
      // chunk itself is never copied. (A match there starts in the tail: `span` bytes cannot
      // hold a delimiter.)
      const across = Buffer.concat([tail, chunk.subarray(0, span)]).indexOf(delimiter)
      if (across !== -1) {
        if (across > 0) yield tail.subarray(0, across)
        this.pending = chunk.subarray(across + delimiter.byteLength - tail.byteLength)
        return
      }
      yield tail
      this.pending = chunk
    }
  }

  /** Stops reading the body (the caller answers; the server drains or closes the rest). */
  async close(): Promise<void> {
    if (!this.ended) await this.chunks.return?.()
  }
}

/** Header names (lower case) to values. Raw control characters make the part malformed. */
function parseHeaders(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>()
  if (block.byteLength === 0) return headers
  // Browsers send file names as raw UTF-8 in the header.
  for (const line of block.toString('utf8').split('\r\n')) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) throw new MultipartError('a part header holds raw control characters')
    const colon = line.indexOf(':')
    if (colon <= 0) throw new MultipartError(`a part header line is not "Name: value": ${JSON.stringify(line.slice(0, 80))}`)
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return headers
}

/**
 * The parameters of a `form-data` Content-Disposition (names in lower case, values unquoted),
 * or undefined when the disposition is not form-data.
 */
function dispositionParams(value: string): Map<string, string> | undefined {
  const type = /^\s*([^;\s]+)/.exec(value)?.[1]
  if (type?.toLowerCase() !== 'form-data') return undefined
  const params = new Map<string, string>()
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const name = match[1]!.toLowerCase()
    // In a quoted value only \" and \\ are escapes: Windows paths keep their backslashes.
    const text = match[2] !== undefined ? match[2].replace(/\\(["\\])/g, '$1') : match[3]!.trim()
    if (!params.has(name)) params.set(name, text)
  }
  return params
}

/** An RFC 5987 value (`UTF-8''%e2%82%ac.pdf`) decoded, or undefined when it cannot be. */
function decodeExtValue(value: string): string | undefined {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value)
  if (!match) return undefined
  const charset = match[1]!.toLowerCase()
  const encoding = charset === 'utf-8' || charset === 'utf8' ? 'utf8' : charset === 'iso-8859-1' || charset === 'latin1' ? 'latin1' : undefined
  if (!encoding) return undefined
  const bytes: number[] = []
  const text = match[2]!
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(text.charCodeAt(i) & 0xff)
  }
  return Buffer.from(bytes).toString(encoding)
}
