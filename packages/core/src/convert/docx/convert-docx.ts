import type { Converter } from '../../options.js'
import { DocloaderError, isDocloaderError } from '../../errors.js'
import { htmlToBlocks } from '../html/html-to-blocks.js'
import { openPackage, readPackageMetadata } from '../office/ooxml-parts.js'
import { openZip } from '../zip/read-zip.js'
import { checkPartsSafe } from './check-parts.js'
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
 * DOCX: checked with the safe ZIP reader first (every XML part inflated once under the
 * archive limits, no DTDs), because mammoth's own unzip has no limits; then mammoth turns
 * the document into HTML (headings, lists, tables with merged cells, links, notes) and
 * the HTML module turns that into blocks. Images become image blocks with their alt text;
 * their bytes are never read. Core properties go into metadata.
 */
export const convertDocx: Converter = async (bytes, context) => {
  const archive = openZip(bytes, {}, context.signal)
  if (!archive.has('word/document.xml')) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not a Word document: it has no word/document.xml part.')
  }
  await checkPartsSafe(archive)
  context.signal.throwIfAborted()

  const mammoth = (await import('mammoth')).default
  let html: string
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
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
    context.warn(`Document properties could not be read: ${firstLine(error)}`)
    return {}
  })
  context.setPagesTotal(1)
  context.pageDone()
  return { pages: [{ number: 1, blocks }], metadata: { ...metadata, pageCount: 1, pagesConverted: 1 } }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
}
