import type { Readable } from 'node:stream'
import type { OutputFormat } from '../jobs/job.js'

/**
 * Where uploads and results live: a local folder (the default) or S3-compatible object
 * storage. Both lay files out as `<org>/<jobId>/upload` and `<org>/<jobId>/result.<ext>`,
 * built only from the organisation name (validated when keys are loaded) and our own job
 * ids, never from anything a client sent.
 */
export interface Storage {
  /** Where the files are, for logs and start-up banners: a folder or `s3://bucket/prefix`. */
  readonly location: string
  /**
   * Streams `body` into the job's upload, first writing `head` (bytes already read for type
   * detection). Stops with an `UploadTooLargeError` as soon as more than `maxBytes` arrived,
   * leaving nothing stored. Returns the bytes written.
   */
  writeUpload(org: string, jobId: string, head: Uint8Array, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<number>
  /**
   * Local files for one conversion (conversion threads read and write files): the upload to
   * read and the path to write the result to. Call `save()` once the result is written, and
   * `dispose()` always, on success, failure or cancel alike.
   */
  prepareConversion(org: string, jobId: string, format: OutputFormat, signal?: AbortSignal): Promise<ConversionFiles>
  /** The result's bytes and size, or undefined when there is none. */
  readResult(org: string, jobId: string, format: OutputFormat): Promise<StoredResult | undefined>
  /**
   * A link that downloads the result straight from storage, without the API (S3: a
   * presigned GET URL that expires), or undefined when there is no result. Absent on
   * storage that has no such links (a local folder): the API then serves the bytes itself.
   */
  resultLink?(org: string, jobId: string, format: OutputFormat): Promise<string | undefined>
  /** Deletes the job's upload and result. */
  remove(org: string, jobId: string): Promise<void>
  /** Whether the storage answers now, for `/readyz`. Never throws. */
  ping(): Promise<boolean>
  /** Releases connections. */
  close?(): void
}

export interface ConversionFiles {
  /** The upload, as a local file the conversion reads. */
  readonly inputPath: string
  /** Where the conversion writes the result. */
  readonly outputPath: string
  /** Stores the result written at `outputPath` (a no-op when it already is in place). */
  save(): Promise<void>
  /** Removes temporary copies; never throws. */
  dispose(): Promise<void>
}

export interface StoredResult {
  body: Readable
  size: number
}

export class UploadTooLargeError extends Error {
  readonly code = 'FILE_TOO_LARGE'
}

const EXTENSIONS: Record<OutputFormat, string> = { md: 'md', txt: 'txt', json: 'json' }

/** `upload` or `result.<ext>`: the file names inside a job's folder (or key prefix). */
export const fileNames = {
  upload: 'upload',
  result: (format: OutputFormat) => `result.${EXTENSIONS[format]}`,
}

/**
 * Storage that failed: `UNAVAILABLE` (unreachable, missing bucket, refused credentials; at
 * start), `NOT_FOUND` (the upload is gone) or `INTERNAL` (a transfer failed; worth a retry).
 */
export class StorageError extends Error {
  override readonly name = 'StorageError'
  constructor(
    readonly code: 'UNAVAILABLE' | 'NOT_FOUND' | 'INTERNAL',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Content types of results, also stored with S3 objects so presigned downloads carry them. */
export const RESULT_CONTENT_TYPES: Record<OutputFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
}
