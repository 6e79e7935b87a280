import { readFile } from 'node:fs/promises'
import { strToU8, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { createEngine } from '../src/engine/create-engine.js'
import { docxFiles, makeDocx, para, run } from './make-docx.js'
import { makeZipBomb } from './make-zip-bomb.js'

const engine = createEngine({ concurrency: 2 })

async function codeOf(input: Uint8Array): Promise<{ code?: string; message?: string }> {
  try {
    await engine.convert(input)
  } catch (error) {
    return error as { code?: string; message?: string }
  }
  return {}
}

describe('DOCX bad input', () => {
  it('reports a zero-byte .docx as EMPTY_FILE', async () => {
    expect(await codeOf(await readFile('/work/shared/corpus/bad/empty.docx').catch(() => new Uint8Array(0)))).toMatchObject({ code: 'EMPTY_FILE' })
  })

  it('reports truncated and damaged DOCX files as CORRUPT_FILE', async () => {
    const docx = await readFile(new URL('./fixtures/office/node-documentation.docx', import.meta.url))
    expect(await codeOf(docx.subarray(0, Math.floor(docx.byteLength * 0.6)))).toMatchObject({ code: 'CORRUPT_FILE' })
    const damaged = Buffer.from(docx)
    damaged.fill(0x55, 2000, 6000)
    expect(await codeOf(damaged)).toMatchObject({ code: 'CORRUPT_FILE' })
  })

  it('reports broken XML inside a valid container as CORRUPT_FILE', async () => {
    const files = docxFiles({ body: para(run('x')) })
    files['word/document.xml'] = strToU8('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>')
    expect(await codeOf(zipSync(files))).toMatchObject({ code: 'CORRUPT_FILE' })
  })

  it('fails a DOCX zip bomb fast with LIMIT_EXCEEDED, memory flat', async () => {
    const others = docxFiles({ body: para(run('x')) })
    delete others['word/document.xml']
    const bomb = makeZipBomb(300, 'word/document.xml', others)
    global.gc?.()
    const rss = process.memoryUsage().rss
    const started = performance.now()
    const error = await codeOf(bomb)
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    expect(error.message).toMatch(/word\/document\.xml/)
    expect(performance.now() - started).toBeLessThan(3000)
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024)
  })

  it('never inflates pictures: a 300 MiB image entry costs nothing', async () => {
    const files = docxFiles({ body: para(run('text')) })
    const bomb = makeZipBomb(300, 'word/media/image1.png', files)
    expect((await engine.convert(bomb)).content).toBe('text\n')
  })

  it('refuses a DTD (external entity) in a part, so nothing is ever resolved', async () => {
    const files = docxFiles({ body: para(run('x')) })
    files['word/document.xml'] = strToU8(
      '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>',
    )
    const error = await codeOf(zipSync(files))
    expect(error).toMatchObject({ code: 'CORRUPT_FILE' })
    expect(error.message).toMatch(/DTD/)
  })

  it('reports an encrypted ZIP entry as ENCRYPTED', async () => {
    const bytes = makeDocx({ body: para(run('secret')) })
    const buffer = Buffer.from(bytes)
    // Set general-purpose bit 0 on every local and central header.
    for (let at = buffer.indexOf('PK\x03\x04'); at !== -1; at = buffer.indexOf('PK\x03\x04', at + 4)) buffer.writeUInt16LE(buffer.readUInt16LE(at + 6) | 1, at + 6)
    for (let at = buffer.indexOf('PK\x01\x02'); at !== -1; at = buffer.indexOf('PK\x01\x02', at + 4)) buffer.writeUInt16LE(buffer.readUInt16LE(at + 8) | 1, at + 8)
    expect(await codeOf(buffer)).toMatchObject({ code: 'ENCRYPTED' })
  })

  it('says clearly when a ZIP is not an Office document', async () => {
    const error = await codeOf(zipSync({ 'readme.txt': strToU8('hello'), 'data/x.bin': new Uint8Array(100) }))
    expect(error.code).toBe('UNSUPPORTED_TYPE')
    expect(error.message).toMatch(/ZIP archive/)
  })

  it('says clearly when a word/ package lacks its main document', async () => {
    const files = docxFiles({ body: para(run('x')) })
    delete files['word/document.xml']
    const error = await codeOf(zipSync(files))
    expect(error.code).toMatch(/CORRUPT_FILE|UNSUPPORTED_TYPE/)
    expect(error.message).toMatch(/word\/document\.xml|Word|ZIP/)
  })
})
