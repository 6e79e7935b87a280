import type { SourceFormat } from '../detect/detect-type.js'
import type { Converter } from '../options.js'

/** Converters by family, each loaded on first use so unused ones cost nothing at start-up. */
const loaders: Partial<Record<SourceFormat, () => Promise<Converter>>> = {
  pdf: async () => (await import('../convert/pdf/index.js')).convertPdf,
  text: async () => (await import('../convert/text/convert-text.js')).convertText,
  markdown: async () => (await import('../convert/text/convert-markdown.js')).convertMarkdown,
  csv: async () => (await import('../convert/text/convert-csv.js')).convertCsv,
  image: async () => (await import('../convert/image/convert-image.js')).convertImage,
  odt: async () => (await import('../convert/odt/convert-odt.js')).convertOdt,
  epub: async () => (await import('../convert/epub/convert-epub.js')).convertEpub,
  html: async () => (await import('../convert/html/convert-html.js')).convertHtml,
  docx: async () => (await import('../convert/docx/convert-docx.js')).convertDocx,
  pptx: async () => (await import('../convert/office/pptx-convert.js')).convertPptx,
  xlsx: async () => (await import('../convert/office/xlsx-convert.js')).convertXlsx,
  ods: async () => (await import('../convert/office/ods-convert.js')).convertOds,
  odp: async () => (await import('../convert/office/odp-convert.js')).convertOdp,
  'legacy-office': async () => (await import('../convert/office/legacy-convert.js')).convertLegacy,
}

export const SUPPORTED_FORMATS: ReadonlySet<SourceFormat> = new Set(Object.keys(loaders) as SourceFormat[])

export async function loadConverter(format: SourceFormat): Promise<Converter> {
  const load = loaders[format]
  if (!load) throw new Error(`No converter for ${format}`)
  return load()
}
