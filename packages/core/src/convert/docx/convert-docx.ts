import type { Converter } from '../../options.js'
import { DocloaderError, isDocloaderError } from '../../errors.js'
import { htmlToBlocks } from '../html/html-to-blocks.js'
import { openPackage, readPackageMetadata } from '../office/ooxml-parts.js'
import { type ZipArchive, openZip } from '../zip/read-zip.js'
import { declaresDtd } from './declares-dtd.js'
import { rewriteMath } from './omml-to-text.js'
import { rewriteNotes } from './rewrite-notes.js'

/**
 * Word styles mammoth does not map by default, as pandoc, Word and LibreOffice name them.
 * Headings 1-6 and lists are in mammoth's default map.
 */
const STYLE_MAP = [
  "p[style-name='Title'] => h1:fresh",
  "p[style-name='title'] => h1:fresh",
  "p[style-name='Subtitle'] => p:fresh",
  "p[style-name='Source Code'] => pre:separator('\\n')",
  "p[style-name='Preformatted Text'] => pre:separator('\\n')",
  "p[style-name='HTML Preformatted'] => pre:separator('\\n')",
  "p[style-name='Code'] => pre:separator('\\n')",
  "r[style-name='Verbatim Char'] => code",
  "r[style-name='Source Text'] => code",
  "r[style-name='HTML Code'] => code",
  "r[style-name='Emphasis'] => em",
  "r[style-name='Strong'] => strong",
  "p[style-name='Block Text'] => blockquote > p:fresh",
  "p[style-name='Quote'] => blockquote > p:fresh",
  "p[style-name='Intense Quote'] => blockquote > p:fresh",
  "p[style-name='Quotations'] => blockquote > p:fresh",
]

/**
 * DOCX: mammoth turns the document into HTML (headings, lists, tables with merged cells,
 * links, notes) and the HTML module turns that into blocks. Mammoth reads the package
 * through docloader's safe ZIP reader, not its own unzip (which has no limits): each part
 * is inflated on demand under the archive limits (a zip bomb fails with LIMIT_EXCEEDED),
 * XML parts that declare a DTD are refused (no entity is ever resolved), and equations
 * (Office Math, which mammoth drops) are rewritten into LaTeX-like text first. Images
 * become image blocks with their alt text; their bytes are never read. Core properties
 * go into metadata.
 */
export const convertDocx: Converter = async (bytes, context) => {
  const archive = openZip(bytes, {}, context.signal)
  if (!archive.has('word/document.xml') && !archive.has('word/document2.xml')) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not a Word document: it has no word/document.xml part.')
  }

  const mammoth = (await import('mammoth')).default
  let html: string
  try {
    const result = await mammoth.convertToHtml(
      // mammoth 1.13 accepts a ready zip-file object (`exists`, `read`) as `file` (lib/unzip.js).
      { file: mammothZipFile(archive) } as unknown as { buffer: Buffer },
      {
        styleMap: STYLE_MAP,
        includeEmbeddedStyleMap: false,
        externalFileAccess: false,
        // Only the alt text is wanted: never read or embed the image bytes.
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
      },
    )
    html = result.value
  } catch (error) {
    if (isDocloaderError(error) || context.signal.aborted) throw error
    throw new DocloaderError('CORRUPT_FILE', `The Word document is damaged and could not be read (${firstLine(error)}).`, { cause: error })
  }
  context.signal.throwIfAborted()

  const { blocks } = htmlToBlocks(rewriteNotes(html), { findMain: false })
  const metadata = await readPackageMetadata(openPackage(bytes, context.signal), context.signal).catch((error: unknown) => {
    if (isDocloaderError(error) && error.code !== 'CORRUPT_FILE') throw error
    context.warn(`Document properties could not be read: ${firstLine(error)}`)
    return {}
  })
  context.setPagesTotal(1)
  context.pageDone()
  return { pages: [{ number: 1, blocks }], metadata: { ...metadata, pageCount: 1, pagesConverted: 1 } }
}

/** The zip-file interface mammoth reads packages through, backed by the safe ZIP reader. */
function mammothZipFile(archive: ZipArchive) {
  return {
    exists: (name: string) => archive.has(name),
    async read(name: string, encoding?: string): Promise<Uint8Array | string> {
      let data = await archive.read(name)
      if (/\.(xml|rels)$/i.test(name)) {
        if (declaresDtd(data)) {
          throw new DocloaderError('CORRUPT_FILE', `The document's part ${name} declares a DTD, which Office files never do; it is refused so no entity is ever resolved.`, { details: { part: name } })
        }
        if (/^word\/(document\d*|footnotes|endnotes|comments)\.xml$/i.test(name)) {
          const text = new TextDecoder('utf-8').decode(data)
          const rewritten = rewriteMath(text)
          if (rewritten !== text) data = new TextEncoder().encode(rewritten)
        }
      }
      if (encoding === 'base64') return Buffer.from(data).toString('base64')
      return encoding ? new TextDecoder(encoding).decode(data) : data
    },
    write() {
      throw new Error('read-only')
    },
    toArrayBuffer() {
      throw new Error('read-only')
    },
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
}
