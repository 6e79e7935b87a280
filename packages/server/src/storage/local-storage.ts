import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { OutputFormat } from '../jobs/job.js'

/**
 * Where uploads and results live: `<root>/<org>/<jobId>/upload` and `.../result.<ext>`.
 * Paths are built only from the organisation name (validated when keys are loaded) and our
 * own job ids, never from anything a client sent.
 */
export interface LocalStorage {
  readonly root: string
  uploadPath(org: string, jobId: string): string
  resultPath(org: string, jobId: string, format: OutputFormat): string
  /**
   * Streams `body` into the job's upload file, first writing `head` (bytes already read for
   * type detection). Stops with a `FILE_TOO_LARGE` error as soon as more than `maxBytes`
   * arrived, removing the partial file. Returns the bytes written.
   */
  writeUpload(org: string, jobId: string, head: Uint8Array, body: Readable, maxBytes: number): Promise<number>
  /** Size of the result file, or undefined when there is none. */
  resultSize(org: string, jobId: string, format: OutputFormat): Promise<number | undefined>
  /** Deletes the job's upload and result. */
  remove(org: string, jobId: string): Promise<void>
}

export class UploadTooLargeError extends Error {
  readonly code = 'FILE_TOO_LARGE'
}

const WRITE_BATCH_BYTES = 512 * 1024

const EXTENSIONS: Record<OutputFormat, string> = { md: 'md', txt: 'txt', json: 'json' }

export function createLocalStorage(root: string): LocalStorage {
  const jobDir = (org: string, jobId: string) => join(root, org, jobId)
  return {
    root,
    uploadPath: (org, jobId) => join(jobDir(org, jobId), 'upload'),
    resultPath: (org, jobId, format) => join(jobDir(org, jobId), `result.${EXTENSIONS[format]}`),

    async writeUpload(org, jobId, head, body, maxBytes) {
      const dir = jobDir(org, jobId)
      await mkdir(dir, { recursive: true })
      const target = join(dir, 'upload')
      const partial = `${target}.part`
      let written = 0
      const out = createWriteStream(partial)
      try {
        await pipeline(
          async function* () {
            written += head.byteLength
            if (written > maxBytes) throw new UploadTooLargeError(`The upload is larger than ${maxBytes} bytes.`)
            // Multipart chunks are small: gather them so the file gets few large writes.
            let batch: Uint8Array[] = [head]
            let batched = head.byteLength
            for await (const chunk of body as AsyncIterable<Buffer>) {
              written += chunk.byteLength
              if (written > maxBytes) throw new UploadTooLargeError(`The upload is larger than ${maxBytes} bytes.`)
              batch.push(chunk)
              batched += chunk.byteLength
              if (batched >= WRITE_BATCH_BYTES) {
                yield Buffer.concat(batch, batched)
                batch = []
                batched = 0
              }
            }
            if (batched) yield Buffer.concat(batch, batched)
          },
          out,
        )
        await rename(partial, target)
        return written
      } catch (error) {
        await rm(dir, { recursive: true, force: true })
        throw error
      }
    },

    async resultSize(org, jobId, format) {
      try {
        return (await stat(join(jobDir(org, jobId), `result.${EXTENSIONS[format]}`))).size
      } catch {
        return undefined
      }
    },

    async remove(org, jobId) {
      await rm(jobDir(org, jobId), { recursive: true, force: true })
    },
  }
}
