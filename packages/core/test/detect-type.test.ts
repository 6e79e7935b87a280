import { describe, expect, it } from 'vitest'
import { detectType } from '../src/detect/detect-type.js'
import { detectSupportedType } from '../src/detect/detect-type.js'
import { SUPPORTED_FORMATS } from '../src/engine/converters.js'

const ascii = (text: string) => new Uint8Array(Buffer.from(text))

describe('detectType', () => {
  it('recognises a PDF by its header, even after junk bytes', async () => {
    expect((await detectType(ascii('%PDF-1.7\n...'))).format).toBe('pdf')
    expect((await detectType(ascii('\r\n\r\n   %PDF-1.4\n'))).format).toBe('pdf')
  })

  it('names a Linux executable for what it is', async () => {
    const elf = new Uint8Array(64)
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1])
    await expect(detectSupportedType(elf, SUPPORTED_FORMATS)).rejects.toMatchObject({
      code: 'UNSUPPORTED_TYPE',
      message: expect.stringContaining('Linux executable'),
    })
  })

  it('names a Windows executable for what it is', async () => {
    const exe = new Uint8Array(512)
    exe.set([0x4d, 0x5a])
    exe.set([0x80, 0, 0, 0], 0x3c)
    exe.set([0x50, 0x45, 0, 0], 0x80)
    await expect(detectSupportedType(exe, SUPPORTED_FORMATS)).rejects.toMatchObject({
      code: 'UNSUPPORTED_TYPE',
      details: { extension: 'exe' },
    })
  })

  it('calls unknown binary data unrecognised', async () => {
    const bytes = new Uint8Array(256).map((_, i) => (i * 37) % 256)
    await expect(detectSupportedType(bytes, SUPPORTED_FORMATS)).rejects.toMatchObject({
      code: 'UNSUPPORTED_TYPE',
      message: expect.stringContaining('unrecognised binary data'),
    })
  })

  it('sniffs Markdown, CSV, TSV, HTML and plain text from content', async () => {
    expect((await detectType(ascii('# Title\n\nSome *text* and a [link](http://x).\n\n- a\n- b\n'))).format).toBe('markdown')
    expect((await detectType(ascii('name,age,city\nAda,36,London\nAlan,41,"Wilmslow, Cheshire"\n'))).mimeType).toBe('text/csv')
    expect((await detectType(ascii('name\tage\nAda\t36\nAlan\t41\n'))).mimeType).toBe('text/tab-separated-values')
    expect((await detectType(ascii('<!DOCTYPE html><html><body><p>x</p></body></html>'))).format).toBe('html')
    expect((await detectType(ascii('Dear reader,\n\nThis is a letter. It has commas, but it is prose.\n'))).format).toBe('text')
  })

  it('does not take Markdown pipe tables for CSV', async () => {
    const table = '| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n'
    expect((await detectType(ascii(table))).format).toBe('markdown')
  })

  it('reads UTF-16 text with a byte-order mark', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello world\n', 'utf16le')])
    expect((await detectType(new Uint8Array(bytes))).format).toBe('text')
  })
})
