import { open, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { DocloaderError } from '../errors.js'

/** What `convert` accepts: a file path, bytes, or a stream of bytes. */
export type ConvertInput = string | URL | Buffer | Uint8Array | ArrayBuffer | NodeJS.ReadableStream | ReadableStream<Uint8Array>

/** Where an input came from, for messages and progress events. */
export function describeInput(input: ConvertInput): string | undefined {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.protocol === 'file:' ? decodeURIComponent(input.pathname) : input.href
  return undefined
}

/**
 * Reads an input into memory, enforcing `maxBytes` while reading: a file is checked by its
 * size before it is read, a stream is stopped at the first chunk past the limit.
 */
export async function readInput(input: ConvertInput, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  let bytes: Uint8Array
  if (typeof input === 'string' || input instanceof URL) {
    bytes = await readFileWithin(input, maxBytes, signal)
  } else if (input instanceof Uint8Array) {
    bytes = input
  } else if (input instanceof ArrayBuffer) {
    bytes = new Uint8Array(input)
  } else if (isReadable(input)) {
    bytes = await readStreamWithin(input, maxBytes, signal)
  } else {
    throw new DocloaderError(
      'INVALID_OPTION',
      `Expected the input to be a file path, URL, Buffer, Uint8Array, ArrayBuffer or readable stream, got \`${typeOf(input)}\`.`,
    )
  }
  if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength, maxBytes)
  if (bytes.byteLength === 0) {
    throw new DocloaderError('EMPTY_FILE', 'The file is empty (0 bytes). Check that it was copied or downloaded completely.')
  }
  return bytes
}

async function readFileWithin(path: string | URL, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const name = describeInput(path) ?? String(path)
  let handle
  try {
    const info = await stat(path)
    if (info.isDirectory()) {
      throw new DocloaderError('INVALID_OPTION', `${name} is a folder; give a file, or use the CLI, which converts the files inside folders.`)
    }
    if (info.size > maxBytes) throw tooLarge(info.size, maxBytes)
    handle = await open(path, 'r')
    // Read through the stream path so a file that grows while read still stops at the limit.
    return await readStreamWithin(handle.createReadStream({ autoClose: false }), maxBytes, signal)
  } catch (error) {
    if (error instanceof DocloaderError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DocloaderError('NOT_FOUND', `${name} does not exist. Check the path.`, { cause: error })
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DocloaderError('NOT_FOUND', `${name} cannot be read (permission denied). Check its permissions.`, { cause: error })
    }
    throw error
  } finally {
    await handle?.close()
  }
}

async function readStreamWithin(
  stream: NodeJS.ReadableStream | ReadableStream<Uint8Array>,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const readable = stream instanceof ReadableStream ? Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>) : stream
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of readable as AsyncIterable<Uint8Array | string>) {
    signal?.throwIfAborted()
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    total += bytes.byteLength
    if (total > maxBytes) {
      if ('destroy' in readable && typeof readable.destroy === 'function') readable.destroy()
      throw tooLarge(total, maxBytes, true)
    }
    chunks.push(bytes)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
}

function tooLarge(size: number, maxBytes: number, atLeast = false): DocloaderError {
  return new DocloaderError(
    'FILE_TOO_LARGE',
    `The file is ${atLeast ? 'more than ' : ''}${formatBytes(atLeast ? maxBytes : size)}, above the limit of ${formatBytes(maxBytes)}. Raise the limit (limits.maxBytes / --max-bytes) if you trust the file.`,
    { details: { size: atLeast ? undefined : size, maxBytes } },
  )
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

function isReadable(value: unknown): value is NodeJS.ReadableStream | ReadableStream<Uint8Array> {
  if (value instanceof ReadableStream) return true
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}
