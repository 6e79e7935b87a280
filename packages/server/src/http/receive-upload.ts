import { Readable } from 'node:stream'
import { type DetectedType, SUPPORTED_FORMATS, detectSupportedType } from '@docloader/core'
import { type Storage, UploadTooLargeError } from '../storage/storage.js'
import { HttpError } from './http-error.js'
import { MultipartError, multipartBoundary, readMultipart } from './multipart.js'

/** Bytes read before deciding the type: enough for magic numbers and text sniffing. */
const HEAD_BYTES = 64 * 1024

const LIMITS = { parts: 30, fields: 20, fieldBytes: 16 * 1024, headerBytes: 16 * 1024 }

export interface ReceivedUpload {
  fields: Record<string, string>
  filename: string
  type: DetectedType
  bytes: number
}

/**
 * Streams a multipart upload (`file` plus text fields) into storage. The type is decided
 * from the first bytes (415 and nothing kept when unsupported); the size limit stops the
 * upload mid-stream (413); nothing is held whole in memory. Fields may come before or
 * after the file (curl sends them in command-line order).
 */
export async function receiveUpload(
  request: Request,
  target: { storage: Storage; org: string; jobId: string; maxBytes: number },
  /**
   * The Node request the body arrives on, when served by @hono/node-server: read directly it
   * skips the conversion of every chunk to a web stream and back (a third of the event loop's
   * time per upload). Left undrained on failure: the server drains or closes it after the answer.
   */
  incoming?: Readable,
): Promise<ReceivedUpload> {
  const contentType = request.headers.get('content-type') ?? ''
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new HttpError(400, 'INVALID_OPTION', 'Expected a multipart/form-data body with a `file` field, e.g. curl -F "file=@document.pdf".')
  }
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > target.maxBytes + 64 * 1024) {
    throw tooLarge(target.maxBytes)
  }
  if (!incoming && !request.body) throw new HttpError(400, 'INVALID_OPTION', 'The request has no body; send the document as the `file` field.')

  let boundary: string
  try {
    boundary = multipartBoundary(contentType)
  } catch (error) {
    throw new HttpError(400, 'INVALID_OPTION', `The multipart body cannot be read: ${(error as Error).message}.`)
  }

  // Read without destroying the Node request when reading stops early (413, 415): the answer
  // still goes out on its socket.
  const body = incoming
    ? (incoming.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>)
    : Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>)
  const fields: Record<string, string> = {}
  let upload: { filename: string; type: DetectedType; bytes: number } | undefined
  let storing = false
  try {
    for await (const part of readMultipart(body, boundary, LIMITS)) {
      if (part.kind === 'field') fields[part.name] = part.value
      // Another file part, or a second `file`, is skipped.
      else if (part.name === 'file' && !storing) {
        storing = true
        upload = await storeFile(part.content, part.filename, target)
      }
    }
    if (!upload) throw new HttpError(400, 'INVALID_OPTION', 'The `file` field is missing; send the document as multipart field `file`.')
    return { fields, ...upload }
  } catch (error) {
    if (!incoming) (body as Readable).destroy()
    // The client's error (413, 415...) is the answer; object storage failing to clean up must
    // not replace it (a refused S3 upload never became an object anyway).
    if (storing) await target.storage.remove(target.org, target.jobId).catch(() => undefined)
    if (error instanceof MultipartError) {
      throw new HttpError(400, 'INVALID_OPTION', `The multipart body is ${error.limit ? 'refused' : 'malformed'}: ${error.message}.`)
    }
    throw error
  }
}

async function storeFile(
  content: AsyncIterable<Buffer>,
  clientName: string,
  target: { storage: Storage; org: string; jobId: string; maxBytes: number },
): Promise<{ filename: string; type: DetectedType; bytes: number }> {
  // Read the head for type detection, then stream the rest to storage.
  const chunks: Buffer[] = []
  let headLength = 0
  const iterator = content[Symbol.asyncIterator]()
  while (headLength < HEAD_BYTES) {
    const next = await iterator.next()
    if (next.done) break
    chunks.push(next.value)
    headLength += next.value.byteLength
  }
  const head = Buffer.concat(chunks)
  if (head.byteLength === 0) throw new HttpError(400, 'EMPTY_FILE', 'The uploaded file is empty (0 bytes).')
  if (head.byteLength > target.maxBytes) throw tooLarge(target.maxBytes)
  let type: DetectedType
  try {
    type = await detectSupportedType(head, SUPPORTED_FORMATS)
  } catch (error) {
    throw new HttpError(415, 'UNSUPPORTED_TYPE', (error as Error).message)
  }
  const rest = { [Symbol.asyncIterator]: () => iterator }
  try {
    const bytes = await target.storage.writeUpload(target.org, target.jobId, head, rest, target.maxBytes)
    return { filename: safeFilename(clientName), type, bytes }
  } catch (error) {
    if (error instanceof UploadTooLargeError) throw tooLarge(target.maxBytes)
    throw error
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'FILE_TOO_LARGE', `The upload is larger than the limit of ${maxBytes} bytes.`)
}

/**
 * The client's file name, kept as metadata only: control characters removed, path parts
 * dropped for display, length bounded. It is never used to build a path.
 */
export function safeFilename(name: string): string {
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  const last = cleaned.split(/[\\/]/).filter(Boolean).pop() ?? ''
  return (last === '.' || last === '..' ? '' : last).slice(0, 255) || 'upload'
}
