import type { Block, Page, TableBlock } from '../../document.js'
import { flagFurniture } from './furniture.js'
import { resolveBlocks, type SizeHistogram } from './headings.js'
import type { ImagePlacement } from './page-image.js'
import type { ProtoBlock, TextBlock } from './paragraphs.js'

export interface PageLayout {
  number: number
  width: number
  height: number
  blocks: ProtoBlock[]
  /**
   * Why the page's text layer is not usable (see `unusableTextLayer`): a scan without text,
   * garbage from a broken font encoding, or a few characters stamped on a page-sized image.
   */
  unreadable?: 'no-text' | 'garbled' | 'image-page'
  /** The images the page draws, when they were read (pages with little or no text). */
  images?: ImagePlacement[]
}

/**
 * The cross-page passes, run once all pages are read: furniture, heading levels, and tables
 * that continue over a page break (same columns, a repeated header row dropped).
 */
export function finishDocument(layouts: PageLayout[], sizes: SizeHistogram): Page[] {
  const bands = layouts.map((l) => l.blocks.filter((b): b is TextBlock => b.kind === 'text' && b.band !== undefined))
  flagFurniture(bands, layouts.length)
  const resolved = resolveBlocks(layouts.map((l) => l.blocks), sizes)
  const pages: Page[] = layouts.map((l, i) => ({ number: l.number, width: l.width, height: l.height, blocks: resolved[i]! }))
  mergeTablesAcrossPages(pages)
  return pages
}

function mergeTablesAcrossPages(pages: Page[]): void {
  let open: TableBlock | undefined
  let openPage = -1
  for (const page of pages) {
    const firstIndex = page.blocks.findIndex((b) => !b.role)
    const first = page.blocks[firstIndex]
    if (open && page.number === openPage + 1 && first?.type === 'table' && first.rows[0]?.length === open.rows[0]?.length) {
      const header = open.rows[0]!
      const repeated = first.rows[0]!.every((c, k) => c === header[k])
      open.rows.push(...(repeated ? first.rows.slice(1) : first.rows))
      page.blocks.splice(firstIndex, 1)
      if (!page.blocks.some((b) => !b.role)) {
        openPage = page.number
        continue
      }
    }
    const last = lastContent(page.blocks)
    open = last?.type === 'table' ? last : undefined
    openPage = page.number
  }
}

function lastContent(blocks: Block[]): Block | undefined {
  for (let i = blocks.length - 1; i >= 0; i--) if (!blocks[i]!.role) return blocks[i]
  return undefined
}
