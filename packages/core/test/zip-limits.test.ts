import { strToU8, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { isEncryptedOffice, openZip, validateZip } from '../src/convert/zip/read-zip.js'
import { makeZipBomb } from './make-zip-bomb.js'

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('ZIP reader', () => {
  it('lists entries with declared sizes and reads one entry on demand', async () => {
    const bytes = zipSync({ 'a.txt': strToU8('hello'), 'dir/b.xml': strToU8('<x/>'.repeat(100)) })
    const zip = openZip(bytes, {})
    expect(zip.entries.map((entry) => [entry.name, entry.declaredSize])).toEqual([
      ['a.txt', 5],
      ['dir/b.xml', 400],
    ])
    expect(await zip.readText('a.txt')).toBe('hello')
    expect(zip.inflatedBytes).toBe(5)
    expect(await codeOf(zip.read('missing.xml'))).toBe('NOT_FOUND')
  })

  it('stops a zip bomb at the compression-ratio limit quickly, with flat memory', async () => {
    const bomb = makeZipBomb(200)
    expect(bomb.byteLength).toBeLessThan(1024 * 1024)
    const zip = openZip(bomb, {})
    // The central directory declares the truth here; the reader must not need it.
    expect(zip.entries[0]!.declaredSize).toBe(200 * 1024 * 1024)
    global.gc?.()
    const rssBefore = process.memoryUsage().rss
    const started = performance.now()
    const error = (await zip.read('word/document.xml').catch((e: unknown) => e)) as Error & { code: string }
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    expect(error.message).toMatch(/compression-ratio limit/)
    expect(performance.now() - started).toBeLessThan(2000)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024)
    expect(zip.inflatedBytes).toBeLessThan(20 * 1024 * 1024)
  })

  it('stops at the total-size limit when the ratio limit is raised', async () => {
    const zip = openZip(makeZipBomb(64), { maxTotalBytes: 16 * 1024 * 1024, maxRatio: 1e9 })
    const error = (await zip.read('word/document.xml').catch((e: unknown) => e)) as Error & { code: string }
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    expect(error.message).toMatch(/total decompressed-size limit/)
    expect(zip.inflatedBytes).toBeLessThan(32 * 1024 * 1024)
  })

  it('counts the total across entries, not per entry', async () => {
    const megabyte = new Uint8Array(1024 * 1024).fill(65)
    const zip = openZip(zipSync({ a: megabyte, b: megabyte, c: megabyte }), { maxTotalBytes: 2.5 * 1024 * 1024, maxRatio: 1e9 })
    await zip.read('a')
    await zip.read('b')
    expect(await codeOf(zip.read('c'))).toBe('LIMIT_EXCEEDED')
  })

  it('refuses an archive listing too many entries before reading any', async () => {
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, strToU8('x')]))
    const bytes = zipSync(files)
    expect(await codeOf(() => openZip(bytes, { maxEntries: 10 }))).toBe('LIMIT_EXCEEDED')
    expect(() => openZip(bytes, { maxEntries: 10 })).toThrow(/entry-count limit/)
    expect(openZip(bytes, { maxEntries: 30 }).entries).toHaveLength(30)
  })

  it('reports truncated and damaged archives as CORRUPT_FILE', async () => {
    const bytes = zipSync({ 'word/document.xml': strToU8('<w:document>'.repeat(2000)) }, { level: 0 })
    expect(await codeOf(() => openZip(bytes.subarray(0, Math.floor(bytes.byteLength / 2)), {}))).toBe('CORRUPT_FILE')
    expect(await codeOf(() => openZip(new Uint8Array(10), {}))).toBe('CORRUPT_FILE')
    expect(await codeOf(() => openZip(strToU8('PK\x03\x04 but nothing else of a zip file at all'), {}))).toBe('CORRUPT_FILE')

    const damaged = bytes.slice()
    damaged[100] = damaged[100]! ^ 0xff // inside the stored entry's data
    expect(await codeOf(openZip(damaged, {}).read('word/document.xml'))).toBe('CORRUPT_FILE')

    const deflated = zipSync({ 'a.xml': strToU8('<a>text</a>'.repeat(500)) })
    const garbled = deflated.slice()
    for (let i = 40; i < 60; i++) garbled[i] = 0xff
    expect(await codeOf(openZip(garbled, {}).read('a.xml'))).toBe('CORRUPT_FILE')
  })

  it('reports an encrypted entry (general-purpose flag bit 0) as ENCRYPTED', async () => {
    const bytes = zipSync({ 'secret.xml': strToU8('<x/>') })
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    view.setUint16(6, view.getUint16(6, true) | 1, true) // local header flags
    const central = Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    view.setUint16(central + 8, view.getUint16(central + 8, true) | 1, true)
    const zip = openZip(bytes, {})
    expect(zip.entries[0]!.encrypted).toBe(true)
    expect(await codeOf(zip.read('secret.xml'))).toBe('ENCRYPTED')
    expect(await codeOf(validateZip(zip))).toBe('ENCRYPTED')
  })

  it('stops reading when the signal aborts', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    const zip = openZip(zipSync({ a: strToU8('abc') }), {}, controller.signal)
    await expect(zip.read('a')).rejects.toThrow('stop')
  })
})

/** A minimal OLE compound file whose directory holds the given stream names. */
function compoundFile(names: string[]): Uint8Array {
  const bytes = new Uint8Array(512 * 3)
  const view = new DataView(bytes.buffer)
  bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])
  view.setUint16(0x18, 0x3e, true)
  view.setUint16(0x1a, 3, true)
  view.setUint16(0x1c, 0xfffe, true)
  view.setUint16(0x1e, 9, true)
  view.setUint16(0x20, 6, true)
  view.setUint32(0x2c, 1, true) // one FAT sector
  view.setUint32(0x30, 1, true) // directory starts at sector 1
  view.setUint32(0x38, 4096, true)
  view.setUint32(0x3c, 0xfffffffe, true)
  view.setUint32(0x44, 0xfffffffe, true)
  for (let i = 0; i < 109; i++) view.setUint32(0x4c + i * 4, i === 0 ? 0 : 0xffffffff, true)
  const fat = 512
  for (let i = 0; i < 128; i++) view.setUint32(fat + i * 4, 0xffffffff, true)
  view.setUint32(fat, 0xfffffffd, true)
  view.setUint32(fat + 4, 0xfffffffe, true)
  const directory = 1024
  ;['Root Entry', ...names].forEach((name, index) => {
    const entry = directory + index * 128
    for (let i = 0; i < name.length; i++) view.setUint16(entry + i * 2, name.charCodeAt(i), true)
    view.setUint16(entry + 0x40, (name.length + 1) * 2, true)
    view.setUint8(entry + 0x42, index === 0 ? 5 : 2)
  })
  return bytes
}

describe('isEncryptedOffice', () => {
  it('finds EncryptedPackage in the compound-file directory', () => {
    expect(isEncryptedOffice(compoundFile(['EncryptionInfo', 'EncryptedPackage']))).toBe(true)
  })

  it('is false for plain legacy Office files and non-CFB data', () => {
    expect(isEncryptedOffice(compoundFile(['WordDocument', '1Table']))).toBe(false)
    expect(isEncryptedOffice(zipSync({ a: strToU8('EncryptedPackage') }))).toBe(false)
    expect(isEncryptedOffice(new Uint8Array(0))).toBe(false)
  })
})
