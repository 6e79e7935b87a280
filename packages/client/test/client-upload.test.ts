/** createJob from a path, a Buffer, a Blob and a stream, against a real server; convert() in one call. */
import { createReadStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocloaderClient } from '../src/index.js'
import { ACME_KEY, closeAll, startRealServer, tempDir } from './real-server.js'

const DOCUMENTS = fileURLToPath(new URL('../../../examples/documents/', import.meta.url))
let client: DocloaderClient
let dir: string

beforeAll(async () => {
  const server = await startRealServer()
  client = new DocloaderClient({ baseUrl: server.url, apiKey: ACME_KEY })
  dir = await tempDir()
})
afterAll(closeAll)

const markdown = '# Uploads\n\nA paragraph sent by the client.\n'

describe('createJob', () => {
  it('uploads from a path: the job is pending at once, named after the file, and converts', async () => {
    const path = join(dir, 'from-path.md')
    await writeFile(path, markdown)
    const job = await client.createJob(path)
    expect(job).toMatchObject({ status: 'pending', filename: 'from-path.md', output_format: 'md', size_bytes: Buffer.byteLength(markdown) })
    expect(job.id).toMatch(/^job_[a-z2-7]{24}$/)
    const done = await client.waitForJob(job.id)
    expect(done.status).toBe('completed')
    expect(await client.getResult(job.id)).toContain('# Uploads')
  })

  it('uploads from a Buffer (named by `filename`, else "document") and a Blob', async () => {
    const named = await client.createJob(Buffer.from(markdown), { filename: 'buffer.md' })
    expect(named.filename).toBe('buffer.md')
    const unnamed = await client.createJob(new TextEncoder().encode(markdown))
    expect(unnamed.filename).toBe('document')
    const blob = await client.createJob(new Blob([markdown]), { filename: 'blob.md' })
    for (const job of [named, unnamed, blob]) {
      expect((await client.waitForJob(job.id)).status).toBe('completed')
      expect(await client.getResult(job.id)).toContain('A paragraph sent by the client.')
    }
  })

  it('uploads from a Node stream (named after a file stream\'s path) and a web ReadableStream', async () => {
    const path = join(DOCUMENTS, 'node-documentation.pdf')
    const fromFileStream = await client.createJob(createReadStream(path))
    expect(fromFileStream).toMatchObject({ filename: 'node-documentation.pdf', size_bytes: (await readFile(path)).length, mime_type: 'application/pdf' })
    const web = Readable.toWeb(Readable.from([Buffer.from('# Web'), Buffer.from(' stream\n')])) as ReadableStream<Uint8Array>
    const fromWeb = await client.createJob(web, { filename: 'web.md' })
    expect((await client.waitForJob(fromWeb.id)).status).toBe('completed')
    expect(await client.getResult(fromWeb.id)).toContain('# Web stream')
    expect((await client.waitForJob(fromFileStream.id)).pages_total).toBe(3)
  })

  it('sends the options: output format, pages, OCR settings', async () => {
    const job = await client.createJob(join(DOCUMENTS, 'two-column-paper.pdf'), { outputFormat: 'txt', pages: '1-2', ocr: 'off', ocrProvider: ['tesseract'], language: 'eng' })
    expect(job).toMatchObject({ output_format: 'txt', options: { pages: '1-2', ocr: 'off', ocr_provider: 'tesseract', language: 'eng' } })
    const done = await client.waitForJob(job.id)
    expect(done).toMatchObject({ status: 'completed', pages_done: 2 })
    const stream = await client.getResultStream(job.id)
    expect(stream.contentType).toMatch(/^text\/plain/)
    const chunks: Buffer[] = []
    for await (const chunk of stream.body) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).length).toBe(stream.contentLength)
    expect(Buffer.concat(chunks).toString()).toBe(await client.getResult(job.id))
  })

  it('convert() uploads, waits and returns the content in one call', async () => {
    const content = await client.convert(join(DOCUMENTS, 'prices.csv'))
    expect(content).toMatch(/^\|.+\|\n\| *-{3,}/)
  })

  it('a path that does not exist fails before any request, with code NOT_FOUND', async () => {
    await expect(client.createJob(join(dir, 'missing.pdf'))).rejects.toMatchObject({ name: 'DocloaderError', code: 'NOT_FOUND' })
  })
})
