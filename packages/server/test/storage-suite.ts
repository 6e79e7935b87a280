/**
 * Conformance suite for Storage implementations, in the manner of @keyv/test-suite: one
 * function runs the same tests against a local folder and an S3 bucket. It uses only the
 * Storage interface plus a listing of what is stored, so it says what every storage must
 * do, not how.
 *
 * @example
 * runStorageSuite('local folder', async () => ({ storage, stored: () => listFiles(root), cleanup }))
 */
import { readFile, writeFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Storage } from '../src/storage/storage.js'
import { newJobId } from './job-store-suite.js'

export interface StorageHarness {
  /** A storage over an empty folder or bucket prefix. */
  storage: Storage
  /** Every stored file or object, as `<org>/<jobId>/<name>`, sorted. */
  stored: () => Promise<string[]>
  /** Closes the storage and removes what it wrote. */
  cleanup: () => Promise<void>
}

const MiB = 1024 * 1024

/** A body of `chunks` chunks of `size` bytes (chunk i filled with i), counting how many were read. */
function countingBody(chunks: number, size: number): { body: Readable; read: () => number; expected: () => Buffer } {
  let read = 0
  const chunk = (index: number) => Buffer.alloc(size, index & 255)
  const body = Readable.from(
    (function* () {
      for (let index = 0; index < chunks; index++) {
        read++
        yield chunk(index)
      }
    })(),
  )
  return { body, read: () => read, expected: () => Buffer.concat(Array.from({ length: chunks }, (_, index) => chunk(index))) }
}

export function runStorageSuite(name: string, open: () => Promise<StorageHarness>): void {
  describe(`Storage conformance: ${name}`, () => {
    let harness: StorageHarness
    let storage: Storage
    beforeEach(async () => {
      harness = await open()
      storage = harness.storage
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('stores an upload within the limit (head, then the streamed rest) and hands it to a conversion as a file', async () => {
      const jobId = newJobId()
      const head = Buffer.from('%PDF-1.7 head ')
      const { body, expected } = countingBody(8, 64 * 1024)
      expect(await storage.writeUpload('acme', jobId, head, body, 10 * MiB)).toBe(head.byteLength + 8 * 64 * 1024)
      expect(await harness.stored()).toEqual([`acme/${jobId}/upload`])
      const files = await storage.prepareConversion('acme', jobId, 'md')
      try {
        expect((await readFile(files.inputPath)).equals(Buffer.concat([head, expected()]))).toBe(true)
      } finally {
        await files.dispose()
      }
    })

    it('stops an upload over the limit mid-stream and keeps nothing of it', async () => {
      const jobId = newJobId()
      // 12 MiB arrive before the limit trips: past S3's 5 MiB multipart parts, so some parts went up.
      const { body, read } = countingBody(100, MiB)
      const refused = storage.writeUpload('acme', jobId, Buffer.alloc(0), body, 12 * MiB)
      await expect(refused).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' })
      expect(read(), 'MiB read before stopping').toBeLessThan(40)
      expect(await harness.stored()).toEqual([])
    })

    it('round-trips a result: written by the conversion, saved, read back with its size', async () => {
      const jobId = newJobId()
      await storage.writeUpload('acme', jobId, Buffer.from('# Title\n'), Readable.from([]), MiB)
      const files = await storage.prepareConversion('acme', jobId, 'md')
      const markdown = `# Title\n\n${'Some text. '.repeat(5000)}\n`
      try {
        await writeFile(files.outputPath, markdown)
        await files.save()
      } finally {
        await files.dispose()
      }
      expect(await harness.stored()).toEqual([`acme/${jobId}/result.md`, `acme/${jobId}/upload`])
      const result = await storage.readResult('acme', jobId, 'md')
      expect(result?.size).toBe(Buffer.byteLength(markdown))
      const chunks: Buffer[] = []
      for await (const chunk of result!.body) chunks.push(chunk as Buffer)
      expect(Buffer.concat(chunks).toString()).toBe(markdown)
    })

    it('has no result before one is saved, nor in another format', async () => {
      const jobId = newJobId()
      await storage.writeUpload('acme', jobId, Buffer.from('text'), Readable.from([]), MiB)
      expect(await storage.readResult('acme', jobId, 'md')).toBeUndefined()
      const files = await storage.prepareConversion('acme', jobId, 'txt')
      await writeFile(files.outputPath, 'text')
      await files.save()
      await files.dispose()
      expect(await storage.readResult('acme', jobId, 'json')).toBeUndefined()
      expect(await storage.readResult('acme', jobId, 'txt')).toMatchObject({ size: 4 })
    })

    it("remove deletes the job's upload and result, leaves other jobs alone, and may be repeated", async () => {
      const [gone, kept] = [newJobId(), newJobId()]
      for (const jobId of [gone, kept]) {
        await storage.writeUpload('acme', jobId, Buffer.from('text'), Readable.from([]), MiB)
        const files = await storage.prepareConversion('acme', jobId, 'txt')
        await writeFile(files.outputPath, 'result')
        await files.save()
        await files.dispose()
      }
      await storage.remove('acme', gone)
      await storage.remove('acme', gone)
      expect(await harness.stored()).toEqual([`acme/${kept}/result.txt`, `acme/${kept}/upload`])
      expect(await storage.readResult('acme', gone, 'txt')).toBeUndefined()
    })

    it('keeps organisations apart', async () => {
      const jobId = newJobId()
      await storage.writeUpload('acme', jobId, Buffer.from('acme'), Readable.from([]), MiB)
      await storage.writeUpload('globex', jobId, Buffer.from('globex'), Readable.from([]), MiB)
      await storage.remove('globex', jobId)
      expect(await harness.stored()).toEqual([`acme/${jobId}/upload`])
    })

    it('answers ping', async () => {
      expect(await storage.ping()).toBe(true)
    })
  })
}
