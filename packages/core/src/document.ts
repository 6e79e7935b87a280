/**
 * The Document model every converter produces and every renderer reads.
 * It is also the JSON output format (`format: 'json'`), so changes here are contract changes.
 */

/** A run of inline text with its formatting. Concatenated `text`s equal the block's `text`. */
export interface Inline {
  text: string
  bold?: boolean
  italic?: boolean
  code?: boolean
  /** Target URL when this run is a link. */
  href?: string
}

/**
 * Page furniture: repeated running headers, footers and page numbers. Blocks with a role
 * are kept in JSON but left out of Markdown and text unless `includeFurniture` is set.
 */
export type BlockRole = 'header' | 'footer' | 'page-number'

interface BlockBase {
  /** Set on page furniture (running header, footer, page number). */
  role?: BlockRole
}

export interface HeadingBlock extends BlockBase {
  type: 'heading'
  /** 1 (largest) to 6. */
  level: number
  text: string
  inlines?: Inline[]
}

export interface ParagraphBlock extends BlockBase {
  type: 'paragraph'
  text: string
  inlines?: Inline[]
}

export interface ListItem {
  text: string
  inlines?: Inline[]
  /** A nested list under this item. */
  children?: ListBlock
}

export interface ListBlock extends BlockBase {
  type: 'list'
  ordered: boolean
  /** First number of an ordered list. @default 1 */
  start?: number
  items: ListItem[]
}

export interface TableBlock extends BlockBase {
  type: 'table'
  /** Rows of cell texts; every row has the same number of cells. */
  rows: string[][]
  /** Whether the first row is a header row. @default true */
  header?: boolean
}

export interface CodeBlock extends BlockBase {
  type: 'code'
  text: string
  language?: string
}

export interface ImageBlock extends BlockBase {
  type: 'image'
  alt?: string
  /** Text read from the image by OCR. */
  ocrText?: string
}

export type Block = HeadingBlock | ParagraphBlock | ListBlock | TableBlock | CodeBlock | ImageBlock

export interface Page {
  /** 1-based page number in the source document. */
  number: number
  /** Page size in points (PDF) or pixels (images), when the source has one. */
  width?: number
  height?: number
  blocks: Block[]
  /**
   * Set only on pages whose text was read by OCR (optional: absent on pages with a text
   * layer): which provider read it, how sure it was (0-1), and the providers that failed first.
   */
  ocr?: PageOcr
}

/** How a page was read by OCR. */
export interface PageOcr {
  /** The provider that produced the page's text, e.g. `tesseract` or `mistral`. */
  provider: string
  /** The provider's confidence, 0 to 1. */
  confidence: number
  /** Providers tried before it, with why each failed or was passed over. */
  attempts?: { provider: string; error: string; code?: string; ms: number }[]
}

export interface DocumentMetadata {
  /** What the input really is, from its bytes (e.g. `application/pdf`). */
  mimeType: string
  /** Converter family that read it: pdf, text, markdown, csv... */
  sourceFormat: string
  title?: string
  author?: string
  subject?: string
  keywords?: string
  creator?: string
  producer?: string
  createdAt?: string
  modifiedAt?: string
  language?: string
  /** Pages in the source document (before `pages` selection). */
  pageCount: number
  /** Pages actually converted. */
  pagesConverted: number
  /** Set when the result is incomplete (damaged file, soft limit); says why. */
  partial?: { reason: string; code?: string }
  /** Non-fatal problems met on the way. */
  warnings?: string[]
  /** Milliseconds spent per stage. */
  timings: { detectMs: number; convertMs: number; totalMs: number }
}

export interface Document {
  /** JSON schema version of this model. */
  version: 1
  metadata: DocumentMetadata
  pages: Page[]
}
