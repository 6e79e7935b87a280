import { close, createReadStream, fdatasync, open, writev } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
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
      let fd: number | undefined
      try {
        let written = head.byteLength
        if (written > maxBytes) throw new UploadTooLargeError(`The upload is larger than ${maxBytes} bytes.`)
        await mkdir(dir, { recursive: true })
        // Straight to the final name: the job's record, the only way to reach this file, is
        // written after it is complete, and a failed upload removes the folder.
        fd = await openFile(join(dir, fileNames.upload), 'w')
        // Multipart chunks are small: gathered, they reach the file in few vectored writes,
        // without copying them into one buffer.
        let batch: Uint8Array[] = [head]
        let batched = head.byteLength
        for await (const chunk of body) {
          written += chunk.byteLength
          if (written > maxBytes) throw new UploadTooLargeError(`The upload is larger than ${maxBytes} bytes.`)
          batch.push(chunk)
          batched += chunk.byteLength
          if (batched >= WRITE_BATCH_BYTES) {
            await writeAll(fd, batch)
            batch = []
            batched = 0
          }
        }
        await writeAll(fd, batch)
        // On disk before the 202: the job's record is committed durably next, and must never
        // point at an upload a power cut could still take back.
        await syncFile(fd)
        const closing = fd
        fd = undefined
        await closeFile(closing)
        return written
      } catch (error) {
        if (fd !== undefined) await closeFile(fd).catch(() => undefined)
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

// The callback API: a plain descriptor per upload, no FileHandle object to track and collect.
const openFile = promisify(open)
const closeFile = promisify(close)
const writevFile = promisify(writev)
const syncFile = promisify(fdatasync)

/** Writes every byte of `chunks` at the descriptor's position, however many calls it takes. */
async function writeAll(fd: number, chunks: Uint8Array[]): Promise<void> {
  let pending = chunks.filter(chunk => chunk.byteLength > 0)
  while (pending.length > 0) {
    let { bytesWritten } = await writevFile(fd, pending as NodeJS.ArrayBufferView[])
    // A short write (rare on local files): drop what was written and go on with the rest.
    while (pending.length > 0 && bytesWritten >= pending[0]!.byteLength) bytesWritten -= pending.shift()!.byteLength
    if (bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten)
  }
}
