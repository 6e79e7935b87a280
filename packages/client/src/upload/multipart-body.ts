import { randomBytes } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { DocloaderError } from '../docloader-error.js'

/**
 * What `createJob` accepts: a file path (or `file:` URL), bytes, a Blob, or a stream.
 * Paths, bytes and Blobs can be sent again on a retry; a stream can be read only once.
 */
export type UploadInput = string | URL | Uint8Array | ArrayBuffer | Blob | NodeJS.ReadableStream | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/** A `multipart/form-data` body that streams its file part and can say whether it can be sent again. */
export interface MultipartBody {
  contentType: string
  /** Total bytes, when known up front (paths, bytes, Blobs); streams go out chunked. */
  length: number | undefined
  /** File name sent in the `file` part. */
  filename: string
  /** Whether `open()` can be called again after bytes were sent (false for one-shot streams). */
  replayable: boolean
  /** Whether a one-shot source has started to be read. */
  readonly consumed: boolean
  /** A fresh body: call once per attempt. `onSent` runs when the last byte was handed over. */
  open(onSent?: () => void): AsyncIterable<Uint8Array>
}

/**
 * Builds the body from `input` and the text `fields` (sent before the file). Nothing is
 * read whole into memory: a path is opened anew for each attempt and read in chunks.
 */
export async function multipartBody(input: UploadInput, fields: Record<string, string>, filename?: string): Promise<MultipartBody> {
  const boundary = `----docloader${randomBytes(16).toString('hex')}`
  const source = await openSource(input)
  const name = filename ?? source.name ?? 'document'
  const head = Buffer.from(
    Object.entries(fields)
      .map(([key, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(key)}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escapeQuoted(name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  let consumed = false
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: source.size === undefined ? undefined : head.length + source.size + tail.length,
    filename: name,
    replayable: source.replayable,
    get consumed() {
      return consumed
    },
    open(onSent) {
      if (!source.replayable && consumed) {
        throw new DocloaderError('NETWORK_ERROR', 'The upload stream was already read once and cannot be sent again; pass a path, Buffer or Blob to make uploads retryable.')
      }
      return (async function* () {
        yield head
        for await (const chunk of source.chunks()) {
          consumed = true
          yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        }
        yield tail
        onSent?.()
      })()
    },
  }
}

interface Source {
  name: string | undefined
  size: number | undefined
  replayable: boolean
  chunks(): AsyncIterable<Uint8Array | string>
}

async function openSource(input: UploadInput): Promise<Source> {
  if (typeof input === 'string' || input instanceof URL) {
    const path = input instanceof URL ? fileURLToPath(input) : input
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new DocloaderError('NOT_FOUND', `Cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`, { cause: error })
    })
    if (!info.isFile()) throw new DocloaderError('INVALID_OPTION', `Expected a file to upload, got ${path} (not a regular file).`)
    return { name: basename(path), size: info.size, replayable: true, chunks: () => createReadStream(path, { highWaterMark: 256 * 1024 }) }
  }
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input
    return { name: undefined, size: bytes.byteLength, replayable: true, chunks: () => chunked(bytes) }
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const name = (input as { name?: unknown }).name
    return {
      name: typeof name === 'string' && name ? name : undefined,
      size: input.size,
      replayable: true,
      chunks: () => input.stream() as unknown as AsyncIterable<Uint8Array>,
    }
  }
  if (isAsyncIterable(input)) {
    const path = (input as Partial<ReadStream>).path
    return { name: typeof path === 'string' ? basename(path) : undefined, size: undefined, replayable: false, chunks: () => input }
  }
  if (typeof (input as unknown as ReadableStream).getReader === 'function') {
    const stream = input as unknown as ReadableStream<Uint8Array>
    return { name: undefined, size: undefined, replayable: false, chunks: () => Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>) }
  }
  throw new TypeError(`Expected a file path, a Buffer, a Blob or a readable stream to upload, got \`${Object.prototype.toString.call(input)}\`.`)
}

async function* chunked(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  const size = 1024 * 1024
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size)
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function' && typeof (value as ReadableStream).getReader !== 'function'
}

/** Quotes in a multipart header value as browsers write them (WHATWG HTML form encoding). */
function escapeQuoted(value: string): string {
  return value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')
}
