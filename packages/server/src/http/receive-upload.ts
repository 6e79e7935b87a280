import { Readable } from 'node:stream'
import busboy from 'busboy'
import { type DetectedType, SUPPORTED_FORMATS, detectSupportedType } from '@docloader/core'
import { type Storage, UploadTooLargeError } from '../storage/storage.js'
import { HttpError } from './http-error.js'

/** Bytes read before deciding the type: enough for magic numbers and text sniffing. */
const HEAD_BYTES = 64 * 1024

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

  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: { files: 1, fields: 20, fieldSize: 16 * 1024, parts: 30, fileSize: target.maxBytes + 1 },
    })
  } catch (error) {
    throw new HttpError(400, 'INVALID_OPTION', `The multipart body cannot be read: ${(error as Error).message}.`)
  }
  const fields: Record<string, string> = {}
  let upload: Promise<{ filename: string; type: DetectedType; bytes: number }> | undefined
  let uploadFailed: (error: unknown) => void = () => {}
  // Rejects as soon as storing the file fails (413, 415...), without waiting for the body's end.
  const failure = new Promise<never>((_, reject) => (uploadFailed = reject))
  failure.catch(() => undefined)

  const body = incoming ?? Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>)
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) reject(new HttpError(400, 'INVALID_OPTION', `The field \`${name}\` is too long.`))
      else fields[name] = value
    })
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || upload) {
        stream.resume()
        return
      }
      upload = storeFile(stream, info.filename ?? '', target)
      upload.catch((error: unknown) => {
        stream.resume()
        uploadFailed(error)
      })
    })
    parser.on('partsLimit', () => reject(new HttpError(400, 'INVALID_OPTION', 'Too many parts in the multipart body.')))
    parser.on('fieldsLimit', () => reject(new HttpError(400, 'INVALID_OPTION', 'Too many fields in the multipart body.')))
    parser.on('close', resolve)
    parser.on('error', (error: Error) => reject(new HttpError(400, 'INVALID_OPTION', `The multipart body is malformed: ${error.message}.`)))
    body.on('error', reject)
  })
  body.pipe(parser)
  try {
    await Promise.race([finished, failure])
    if (!upload) throw new HttpError(400, 'INVALID_OPTION', 'The `file` field is missing; send the document as multipart field `file`.')
    return { fields, ...(await upload) }
  } catch (error) {
    body.unpipe(parser)
    if (!incoming) body.destroy()
    await upload?.catch(() => undefined)
    // The client's error (413, 415...) is the answer; object storage failing to clean up must
    // not replace it (a refused S3 upload never became an object anyway).
    await target.storage.remove(target.org, target.jobId).catch(() => undefined)
    throw error
  }
}

async function storeFile(
  stream: Readable & { truncated?: boolean },
  clientName: string,
  target: { storage: Storage; org: string; jobId: string; maxBytes: number },
): Promise<{ filename: string; type: DetectedType; bytes: number }> {
  // Read the head for type detection, then stream the rest to storage.
  const chunks: Buffer[] = []
  let headLength = 0
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>
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
    if (stream.truncated) throw tooLarge(target.maxBytes)
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
