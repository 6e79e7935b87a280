import type { ConvertedDocument } from '../../options.js'
import type { PdfDocument } from './load-document.js'

type Metadata = ConvertedDocument['metadata']

/** Title, author, dates and language from the PDF's info dictionary and XMP metadata. */
export async function readMetadata(document: PdfDocument): Promise<Partial<Metadata>> {
  const { info, metadata: xmp } = await document.getMetadata().catch(() => ({ info: {}, metadata: null }))
  const dict = (info ?? {}) as Record<string, unknown>
  const text = (key: string, xmpKey?: string): string | undefined => {
    const fromXmp = xmpKey && xmp ? xmp.get(xmpKey) : undefined
    const value = typeof dict[key] === 'string' ? (dict[key] as string) : typeof fromXmp === 'string' ? fromXmp : undefined
    const trimmed = value?.replace(/\0/g, '').trim()
    return trimmed ? trimmed : undefined
  }
  const result: Partial<Metadata> = {}
  const set = <K extends keyof Metadata>(key: K, value: Metadata[K] | undefined): void => {
    if (value !== undefined) result[key] = value
  }
  set('title', text('Title', 'dc:title'))
  set('author', text('Author', 'dc:creator'))
  set('subject', text('Subject', 'dc:description'))
  set('keywords', text('Keywords', 'pdf:keywords'))
  set('creator', text('Creator', 'xmp:creatortool'))
  set('producer', text('Producer', 'pdf:producer'))
  set('createdAt', parsePdfDate(text('CreationDate')))
  set('modifiedAt', parsePdfDate(text('ModDate')))
  set('language', text('Language'))
  return result
}

/** `D:YYYYMMDDHHmmSSOHH'mm'` to ISO 8601; undefined when unreadable. */
export function parsePdfDate(value: string | undefined): string | undefined {
  if (!value) return undefined
  const match = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*([Zz+-])?\s*(\d{2})?'?(\d{2})?'?/.exec(value)
  if (!match) return undefined
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = match
  const offset = !sign || sign === 'Z' || sign === 'z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om))
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offset * 60_000
  const date = new Date(utc)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}
