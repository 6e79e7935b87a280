/**
 * The upload route's multipart reader on bodies written byte by byte here, cut into chunks at
 * every position, so a boundary split across chunks is always among the cases.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MultipartError, type MultipartLimits, multipartBoundary, readMultipart } from '../src/http/multipart.js'

const LIMITS: MultipartLimits = { parts: 30, fields: 20, fieldBytes: 16 * 1024, headerBytes: 16 * 1024 }
const BOUNDARY = '----docloader-test-7MA4YWxkTrZu0gW'

interface Read {
  fields: Record<string, string>
  files: { name: string; filename: string; contentType?: string; content: Buffer }[]
}

async function* chunked(body: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0
  for (let i = 0; at < body.byteLength; i++) {
    const size = sizes[i % sizes.length]!
    yield body.subarray(at, at + size)
    at += size
  }
}

async function read(body: Buffer, sizes: number[] = [body.byteLength], limits = LIMITS, boundary = BOUNDARY): Promise<Read> {
  const result: Read = { fields: {}, files: [] }
  for await (const part of readMultipart(chunked(body, sizes), boundary, limits)) {
    if (part.kind === 'field') result.fields[part.name] = part.value
    else {
      const chunks: Buffer[] = []
      for await (const chunk of part.content) chunks.push(chunk)
      result.files.push({ name: part.name, filename: part.filename, ...(part.contentType ? { contentType: part.contentType } : {}), content: Buffer.concat(chunks) })
    }
  }
  return result
}

/** A body as curl -F writes it: each part's headers, a blank line, its bytes. */
function body(parts: { headers: string; content: Buffer | string }[], { preamble = '', epilogue = '\r\n' } = {}): Buffer {
  const pieces: Buffer[] = [Buffer.from(preamble ? `${preamble}\r\n` : '')]
  for (const part of parts) {
    pieces.push(Buffer.from(`--${BOUNDARY}\r\n${part.headers}\r\n\r\n`, 'latin1'), Buffer.from(part.content), Buffer.from('\r\n'))
  }
  pieces.push(Buffer.from(`--${BOUNDARY}--${epilogue}`))
  return Buffer.concat(pieces)
}

const file = (content: Buffer | string, disposition = 'name="file"; filename="report.pdf"', type = 'application/pdf') => ({
  headers: `Content-Disposition: form-data; ${disposition}\r\nContent-Type: ${type}`,
  content,
})
const field = (name: string, value: string) => ({ headers: `Content-Disposition: form-data; name="${name}"`, content: value })

describe('readMultipart', () => {
  // Content that holds near-misses of the delimiter: CRLF, dashes, the boundary without its CRLF.
  const tricky = Buffer.concat([
    Buffer.from(`%PDF-1.7\r\n--\r\n--${BOUNDARY.slice(0, 10)}\r\n-${BOUNDARY}\r\n\r\r\n--`),
    randomBytes(3000),
    Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X`),
  ])
  const sample = body([field('output_format', 'md'), file(tricky), field('pages', '1-3')])

  it('reads fields and the file whatever the chunking, a delimiter split at every position', async () => {
    const whole = await read(sample)
    expect(whole.fields).toEqual({ output_format: 'md', pages: '1-3' })
    expect(whole.files).toHaveLength(1)
    expect(whole.files[0]).toMatchObject({ name: 'file', filename: 'report.pdf', contentType: 'application/pdf' })
    expect(whole.files[0]!.content.equals(tricky)).toBe(true)
    for (const size of [1, 2, 3, 7, 13, BOUNDARY.length, BOUNDARY.length + 3, 64, 1000]) {
      expect(await read(sample, [size])).toEqual(whole)
    }
    // Two chunks, cut at every offset around the file's end and the last field.
    const end = sample.indexOf(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="pages"`)
    for (let cut = end - 60; cut < end + 60; cut++) expect(await read(sample, [cut, sample.byteLength])).toEqual(whole)
    for (let round = 0; round < 50; round++) {
      const sizes = Array.from({ length: 20 }, () => 1 + Math.floor(Math.random() * 200))
      expect(await read(sample, sizes)).toEqual(whole)
    }
  })

  it('ignores a preamble and an epilogue, and accepts padding after a boundary', async () => {
    const padded = Buffer.from(body([field('a', '1')]).toString('latin1').replace(`--${BOUNDARY}\r\n`, `--${BOUNDARY} \t\r\n`), 'latin1')
    expect((await read(padded)).fields).toEqual({ a: '1' })
    const framed = body([field('a', '1'), file('x')], { preamble: 'This is a multipart message.', epilogue: '\r\nepilogue text' })
    expect(await read(framed, [5])).toMatchObject({ fields: { a: '1' }, files: [{ content: Buffer.from('x') }] })
  })

  it('reads an empty field and an empty file', async () => {
    expect(await read(body([field('a', ''), file('')]))).toEqual({ fields: { a: '' }, files: [{ name: 'file', filename: 'report.pdf', contentType: 'application/pdf', content: Buffer.alloc(0) }] })
  })

  it('takes the file name from filename* (RFC 5987) over filename, raw UTF-8, quotes and backslashes', async () => {
    const names = async (disposition: string) => (await read(body([file('x', disposition)]))).files[0]?.filename
    expect(await names(`name="file"; filename="fallback.pdf"; filename*=UTF-8''%E2%82%AC%20rapport.pdf`)).toBe('€ rapport.pdf')
    expect(await names(`name="file"; filename*=iso-8859-1'fr'caf%E9.pdf`)).toBe('café.pdf')
    expect(await names(`name="file"; filename*=unknown''x.pdf; filename="plain.pdf"`)).toBe('plain.pdf')
    expect(await names(`name="file"; filename="${Buffer.from('Vertrag-Müller.pdf', 'utf8').toString('latin1')}"`)).toBe('Vertrag-Müller.pdf')
    expect(await names('name="file"; filename="say \\"hi\\".pdf"')).toBe('say "hi".pdf')
    expect(await names('name="file"; filename="C:\\Users\\me\\a.pdf"')).toBe('C:\\Users\\me\\a.pdf')
    expect(await names('NAME=file; FILENAME=bare.pdf')).toBe('bare.pdf')
  })

  it('makes a part with a file name a file, one without a field, and skips parts that are not form data', async () => {
    const parts = [
      { headers: 'Content-Disposition: form-data; name="notes"; filename="notes.txt"', content: 'a file too' },
      { headers: 'Content-Disposition: attachment; name="other"', content: 'skipped' },
      { headers: 'Content-Type: text/plain', content: 'no disposition: skipped' },
      { headers: 'Content-Disposition: form-data; name="kept"', content: 'yes' },
    ]
    const result = await read(body(parts))
    expect(result.fields).toEqual({ kept: 'yes' })
    expect(result.files.map((f) => [f.name, f.content.toString()])).toEqual([['notes', 'a file too']])
  })

  it('skips what the consumer of a file left unread and goes on with the next part', async () => {
    const seen: string[] = []
    for await (const part of readMultipart(chunked(body([file(randomBytes(50_000)), field('after', 'ok')]), [999]), BOUNDARY, LIMITS)) {
      seen.push(part.kind === 'field' ? `${part.name}=${part.value}` : part.filename)
    }
    expect(seen).toEqual(['report.pdf', 'after=ok'])
  })

  it.each([
    ['no closing boundary', Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue`), /closing boundary/],
    ['no boundary at all', Buffer.from('not really multipart'), /before its first boundary/],
    ['an end inside a header', Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`), /inside a part header/],
    ['bytes after a boundary', Buffer.from(`--${BOUNDARY}garbage\r\n\r\nx\r\n--${BOUNDARY}--`), /after a boundary/],
    ['a raw NUL in a header', Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a\u0000b.pdf"\r\n\r\nx\r\n--${BOUNDARY}--`, 'latin1'), /control characters/],
    ['a header line without a colon', Buffer.from(`--${BOUNDARY}\r\nnonsense\r\n\r\nx\r\n--${BOUNDARY}--`), /Name: value/],
    ['a header block past the limit', Buffer.from(`--${BOUNDARY}\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\nx\r\n--${BOUNDARY}--`), /longer than 16384 bytes/],
  ])('refuses a body with %s as malformed', async (_case, bad, message) => {
    for (const sizes of [[bad.byteLength], [3]]) {
      const error = await read(bad, sizes).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(MultipartError)
      expect((error as MultipartError).message).toMatch(message)
      expect((error as MultipartError).limit).toBe(false)
    }
  })

  it('refuses too many parts, too many fields and a field too long, as limits', async () => {
    const limits = { parts: 3, fields: 2, fieldBytes: 10, headerBytes: 1024 }
    const cases: [Buffer, RegExp][] = [
      [body([field('a', '1'), field('b', '2'), file('x'), file('y')]), /more than 3 parts/],
      [body([field('a', '1'), field('b', '2'), field('c', '3')]), /more than 2 fields/],
      [body([field('a', '12345678901')]), /`a` is longer than 10 bytes/],
    ]
    for (const [bad, message] of cases) {
      const error = await read(bad, [bad.byteLength], limits).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(MultipartError)
      expect((error as MultipartError).message).toMatch(message)
      expect((error as MultipartError).limit).toBe(true)
    }
  })

  it('stops reading the body when the consumer stops', async () => {
    let returned = false
    const source = {
      [Symbol.asyncIterator]() {
        const inner = chunked(body([file(randomBytes(10_000))]), [100])
        return {
          next: () => inner.next(),
          return: async () => {
            returned = true
            return { done: true as const, value: undefined }
          },
        }
      },
    }
    for await (const part of readMultipart(source, BOUNDARY, LIMITS)) {
      expect(part.kind).toBe('file')
      break
    }
    expect(returned).toBe(true)
  })
})

describe('multipartBoundary', () => {
  it('reads a plain or quoted boundary', () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY)
    expect(multipartBoundary('multipart/form-data; charset=utf-8; BOUNDARY="a b:c"')).toBe('a b:c')
    expect(multipartBoundary('multipart/form-data;boundary=xyz;charset=utf-8')).toBe('xyz')
  })

  it('refuses a Content-Type without one', () => {
    expect(() => multipartBoundary('multipart/form-data')).toThrow(/no boundary/)
    expect(() => multipartBoundary('multipart/form-data; boundary=')).toThrow(MultipartError)
    expect(() => multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toThrow(MultipartError)
  })
})
