import { strToU8, unzipSync, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { createEngine } from '../src/engine/create-engine.js'
import { makeEpub } from './make-epub.js'
import { makeZipBomb } from './make-zip-bomb.js'

const engine = createEngine({ concurrency: 2 })

async function failure(input: Uint8Array): Promise<{ code?: string; message?: string }> {
  try {
    await engine.convert(input)
  } catch (error) {
    return error as { code?: string; message?: string }
  }
  return {}
}

const book = () =>
  makeEpub(
    [
      { href: 'ch1.xhtml', body: '<h1>Chapter One</h1><p>It was a <em>dark</em> night.</p>' },
      { href: 'part%202/ch2.xhtml', body: '<section><h2>Chapter Two</h2><ul><li>apples<ul><li>red</li></ul></li></ul><table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table></section>' },
      { href: 'ch3.xhtml', body: '<h2>Chapter Three</h2><p>See <a href="ch1.xhtml#top">the start</a>.</p><img src="i.png" alt="A map"/>' },
    ],
    { title: 'The Book', author: 'A. Writer' },
  )

describe('EPUB to Markdown', () => {
  it('reads chapters in spine order, one page each, through the HTML rules', async () => {
    const result = await engine.convert(book())
    expect(result.metadata).toMatchObject({ sourceFormat: 'epub', title: 'The Book', author: 'A. Writer', language: 'en', pageCount: 3, pagesConverted: 3 })
    expect(result.content).toBe(
      '# Chapter One\n\nIt was a *dark* night.\n\n## Chapter Two\n\n- apples\n  - red\n\n| k | v |\n| --- | --- |\n| a | 1 |\n\n## Chapter Three\n\nSee [the start](ch1.xhtml#top).\n\n![A map]()\n',
    )
    expect(result.document.pages.map((page) => page.number)).toEqual([1, 2, 3])
  })

  it('converts only the selected chapters', async () => {
    const result = await engine.convert(book(), { pages: '2-3', format: 'json' })
    expect(result.document.pages.map((page) => page.number)).toEqual([2, 3])
    expect(result.metadata).toMatchObject({ pageCount: 3, pagesConverted: 2 })
  })

  it('reports a missing container or package document as CORRUPT_FILE', async () => {
    const files = unzipSync(book())
    delete files['META-INF/container.xml']
    expect(await failure(zipSync({ mimetype: [files.mimetype!, { level: 0 }], ...files }))).toMatchObject({ code: 'CORRUPT_FILE' })
    const broken = unzipSync(book())
    broken['OEBPS/content.opf'] = strToU8('<package><manifest><item id="x"')
    expect(await failure(zipSync({ mimetype: [broken.mimetype!, { level: 0 }], ...broken }))).toMatchObject({ code: 'CORRUPT_FILE' })
    const bytes = book()
    expect(await failure(bytes.subarray(0, bytes.byteLength - 200))).toMatchObject({ code: 'CORRUPT_FILE' })
  })

  it('refuses DRM-encrypted chapters with ENCRYPTED but accepts obfuscated fonts', async () => {
    const encryption = (algorithm: string, uri: string) =>
      `<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="${algorithm}"/><enc:CipherData><enc:CipherReference URI="${uri}"/></enc:CipherData></enc:EncryptedData></encryption>`
    const drm = makeEpub([{ href: 'ch1.xhtml', body: '<p>x</p>' }], { extra: { 'META-INF/encryption.xml': encryption('http://www.w3.org/2001/04/xmlenc#aes128-cbc', 'OEBPS/ch1.xhtml') } })
    expect(await failure(drm)).toMatchObject({ code: 'ENCRYPTED' })
    const fonts = makeEpub([{ href: 'ch1.xhtml', body: '<p>x</p>' }], { extra: { 'META-INF/encryption.xml': encryption('http://www.idpf.org/2008/embedding', 'OEBPS/font.otf') } })
    expect((await engine.convert(fonts)).content).toBe('x\n')
  })

  it('fails a zip-bomb chapter with LIMIT_EXCEEDED', async () => {
    const files = unzipSync(makeEpub([{ href: 'ch1.xhtml', body: '<p>x</p>' }]))
    delete files['OEBPS/ch1.xhtml']
    const { mimetype, ...rest } = files
    const bomb = makeZipBomb(300, 'OEBPS/ch1.xhtml', { mimetype: mimetype!, ...rest })
    expect(await failure(bomb)).toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })
})
