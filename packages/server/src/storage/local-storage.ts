import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { OutputFormat } from '../jobs/job.js'
import { fileNames, type Storage, UploadTooLargeError } from './storage.js'

/**
 * Storage in a local folder: `<root>/<org>/<jobId>/upload` and `.../result.<ext>`.
 * Conversions read and write these files in place.
 */
export interface LocalStorage extends Storage {
  readonly root: string
  uploadPath(org: string, jobId: string): string
  resultPath(org: string, jobId: string, format: OutputFormat): string
}

const WRITE_BATCH_BYTES = 512 * 1024

export function createLocalStorage(root: string): LocalStorage {
  const jobDir = (org: string, jobId: string) => join(root, org, jobId)
  const uploadPath = (org: string, jobId: string) => join(jobDir(org, jobId), fileNames.upload)
  const resultPath = (org: string, jobId: string, format: OutputFormat) => join(jobDir(org, jobId), fileNames.result(format))
  return {
    root,
    location: root,
    uploadPath,
    resultPath,

    async writeUpload(org, jobId, head, body, maxBytes) {
      const dir = jobDir(org, jobId)
      await mkdir(dir, { recursive: true })
      const target = join(dir, fileNames.upload)
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

    // The conversion reads the upload and writes the result in place: nothing to copy.
    async prepareConversion(org, jobId, format) {
      return { inputPath: uploadPath(org, jobId), outputPath: resultPath(org, jobId, format), save: async () => {}, dispose: async () => {} }
    },

    async readResult(org, jobId, format) {
      const path = resultPath(org, jobId, format)
      let size: number
      try {
        size = (await stat(path)).size
      } catch {
        return undefined
      }
      return { body: createReadStream(path), size }
    },

    async remove(org, jobId) {
      await rm(jobDir(org, jobId), { recursive: true, force: true })
    },

    ping: async () => true,
  }
}
