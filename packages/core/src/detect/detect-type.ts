import { DocloaderError } from '../errors.js'
import { sniffText } from './sniff-text.js'

/** Converter families. */
export type SourceFormat =
  | 'pdf'
  | 'text'
  | 'markdown'
  | 'csv'
  | 'html'
  | 'docx'
  | 'pptx'
  | 'xlsx'
  | 'odt'
  | 'odp'
  | 'ods'
  | 'epub'
  /** DOC, XLS, PPT (OLE compound files) and RTF: converted through LibreOffice when installed. */
  | 'legacy-office'
  /** PNG, JPEG, TIFF, WebP, GIF and BMP images, read by OCR. */
  | 'image'

/** file-type extensions that map to a converter family. */
const FAMILIES: Record<string, SourceFormat> = {
  docx: 'docx',
  pptx: 'pptx',
  xlsx: 'xlsx',
  odt: 'odt',
  odp: 'odp',
  ods: 'ods',
  epub: 'epub',
  cfb: 'legacy-office',
  doc: 'legacy-office',
  xls: 'legacy-office',
  ppt: 'legacy-office',
  rtf: 'legacy-office',
  jpg: 'image',
  png: 'image',
  tif: 'image',
  webp: 'image',
  gif: 'image',
  bmp: 'image',
}

export interface DetectedType {
  /** Converter family, or undefined when docloader cannot convert it. */
  format: SourceFormat | undefined
  mimeType: string
  /** Usual file extension of the detected type, without a dot. */
  extension: string
}

const PDF_MAGIC = Buffer.from('%PDF-')

/**
 * Finds what bytes really are, from magic numbers (file-type) and, for text formats that
 * have none, from their content. The file name's extension is never consulted.
 */
export async function detectType(bytes: Uint8Array): Promise<DetectedType> {
  // Many PDFs carry a few junk bytes before the header; readers accept it within 1 KiB.
  if (Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).indexOf(PDF_MAGIC) !== -1) {
    return { format: 'pdf', mimeType: 'application/pdf', extension: 'pdf' }
  }
  // A byte-order mark means text; file-type would take UTF-16's FF FE for MPEG audio.
  if (hasByteOrderMark(bytes)) {
    const text = sniffText(bytes)
    if (text) return text
  }
  const { fileTypeFromBuffer } = await import('file-type')
  const found = await fileTypeFromBuffer(bytes)
  if (found) return { format: FAMILIES[found.ext], mimeType: found.mime, extension: found.ext }
  const text = sniffText(bytes)
  if (text) return text
  return { format: undefined, mimeType: 'application/octet-stream', extension: 'bin' }
}

function hasByteOrderMark(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
}

/** Like detectType, but throws UNSUPPORTED_TYPE naming the real type when it cannot be converted. */
export async function detectSupportedType(bytes: Uint8Array, supported: ReadonlySet<SourceFormat>): Promise<DetectedType & { format: SourceFormat }> {
  const type = await detectType(bytes)
  if (type.format && supported.has(type.format)) return type as DetectedType & { format: SourceFormat }
  const what = type.mimeType === 'application/octet-stream' ? 'unrecognised binary data' : `${describeType(type)}`
  throw new DocloaderError(
    'UNSUPPORTED_TYPE',
    `The file is ${what}, which docloader cannot convert (supported: ${[...supported].map(formatLabel).join(', ')}). The file's extension is not used to decide its type.`,
    { details: { mimeType: type.mimeType, extension: type.extension } },
  )
}

function describeType(type: DetectedType): string {
  const names: Record<string, string> = {
    exe: 'a Windows executable',
    elf: 'a Linux executable (ELF)',
    'mach-o': 'a macOS executable (Mach-O)',
    zip: 'a ZIP archive',
    gz: 'a gzip archive',
    docx: 'a Word document (DOCX)',
    pptx: 'a PowerPoint presentation (PPTX)',
    xlsx: 'an Excel workbook (XLSX)',
    html: 'an HTML page',
    jpg: 'a JPEG image',
    png: 'a PNG image',
    gif: 'a GIF image',
    tif: 'a TIFF image',
    webp: 'a WebP image',
    bmp: 'a BMP image',
    cfb: 'a legacy Office file (DOC, XLS or PPT)',
    rtf: 'an RTF document',
    epub: 'an EPUB book',
    odt: 'an OpenDocument text',
    odp: 'an OpenDocument presentation',
    ods: 'an OpenDocument spreadsheet',
  }
  return `${names[type.extension] ?? `${type.extension.toUpperCase()} data`} (${type.mimeType})`
}

function formatLabel(format: SourceFormat): string {
  return {
    pdf: 'PDF',
    text: 'plain text',
    markdown: 'Markdown',
    csv: 'CSV',
    html: 'HTML',
    docx: 'DOCX',
    pptx: 'PPTX',
    xlsx: 'XLSX',
    odt: 'ODT',
    odp: 'ODP',
    ods: 'ODS',
    epub: 'EPUB',
    'legacy-office': 'DOC/XLS/PPT/RTF with LibreOffice',
    image: 'images (PNG, JPEG, TIFF, WebP, GIF, BMP)',
  }[format]
}
