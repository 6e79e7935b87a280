import type { Block } from '../../document.js'
import { DocloaderError } from '../../errors.js'
import type { Converter } from '../../options.js'
import { htmlToBlocks } from '../html/html-to-blocks.js'
import { parseXml } from '../office/sax-reader.js'
import { type ZipArchive, openZip } from '../zip/read-zip.js'
import { OdfStyles } from './odt-styles.js'
import { OdtToHtml } from './odt-to-html.js'

/**
 * ODT (OpenDocument text): styles.xml and content.xml are read with a SAX parser (no DTD,
 * no entities) and the text body is turned into HTML for the HTML module, so headings,
 * lists, tables, links and emphasis follow the same rules as HTML and DOCX. Metadata comes
 * from meta.xml. A password-protected ODT fails with ENCRYPTED.
 */
export const convertOdt: Converter = async (bytes, context) => {
  const { signal } = context
  const archive = openZip(bytes, {}, signal)
  if (!archive.has('content.xml')) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not an OpenDocument text: it has no content.xml part.')
  }
  await refuseEncrypted(archive, signal)

  const styles = new OdfStyles()
  if (archive.has('styles.xml')) {
    await parseXml(await archive.read('styles.xml'), { open: (name, attributes) => styles.open(name, attributes), close: (name) => styles.close(name) }, { part: 'styles.xml', signal })
  }
  const converter = new OdtToHtml(styles)
  await parseXml(
    await archive.read('content.xml'),
    { open: (name, attributes) => converter.open(name, attributes), text: (text) => converter.text(text), close: (name) => converter.close(name) },
    { part: 'content.xml', signal },
  )
  const blocks = mergeCodeBlocks(htmlToBlocks(converter.html(), { findMain: false }).blocks)
  const metadata = archive.has('meta.xml') ? await readMeta(archive, signal) : {}
  context.setPagesTotal(1)
  context.pageDone()
  return { pages: [{ number: 1, blocks }], metadata: { ...metadata, pageCount: 1, pagesConverted: 1 } }
}

/** Each preformatted paragraph is its own `<pre>`: join neighbours into one code block. */
function mergeCodeBlocks(blocks: Block[]): Block[] {
  const out: Block[] = []
  for (const block of blocks) {
    const last = out[out.length - 1]
    if (block.type === 'code' && last?.type === 'code') last.text += `\n${block.text}`
    else out.push(block)
  }
  return out
}

async function refuseEncrypted(archive: ZipArchive, signal: AbortSignal): Promise<void> {
  if (!archive.has('META-INF/manifest.xml')) return
  let path = ''
  let encrypted = false
  await parseXml(
    await archive.read('META-INF/manifest.xml'),
    {
      open(name, attributes) {
        if (name === 'file-entry') path = attributes['manifest:full-path'] ?? ''
        else if (name === 'encryption-data' && path === 'content.xml') encrypted = true
      },
    },
    { part: 'META-INF/manifest.xml', signal },
  )
  if (encrypted) {
    throw new DocloaderError('ENCRYPTED', 'The OpenDocument file is password-protected. docloader cannot decrypt it: open it in LibreOffice, remove the password and save it again.')
  }
}

async function readMeta(archive: ZipArchive, signal: AbortSignal) {
  const metadata: { title?: string; author?: string; subject?: string; keywords?: string; createdAt?: string; modifiedAt?: string; language?: string; creator?: string } = {}
  const keywords: string[] = []
  let field: string | undefined
  let text = ''
  const wanted = new Set(['title', 'description', 'subject', 'keyword', 'initial-creator', 'creator', 'creation-date', 'date', 'language', 'generator'])
  await parseXml(
    await archive.read('meta.xml'),
    {
      open(name) {
        field = wanted.has(name) ? name : undefined
        text = ''
      },
      text(value) {
        if (field) text += value
      },
      close(name) {
        if (field !== name) return
        const value = text.replace(/\s+/g, ' ').trim()
        field = undefined
        if (!value) return
        if (name === 'title') metadata.title = value
        else if (name === 'subject') metadata.subject = value
        else if (name === 'description') metadata.subject ??= value
        else if (name === 'keyword') keywords.push(value)
        else if (name === 'initial-creator') metadata.author = value
        else if (name === 'creator') metadata.author ??= value
        else if (name === 'creation-date') metadata.createdAt = value
        else if (name === 'date') metadata.modifiedAt = value
        else if (name === 'language') metadata.language = value
        else if (name === 'generator') metadata.creator = value
      },
    },
    { part: 'meta.xml', signal },
  )
  if (keywords.length) metadata.keywords = keywords.join(', ')
  return metadata
}
