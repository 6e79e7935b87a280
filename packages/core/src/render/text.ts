import type { Block, Document, ListBlock } from '../document.js'
import type { RenderOptions } from './markdown.js'

/**
 * Renders the Document as plain text: one block per paragraph, list items with a marker,
 * table rows with tab-separated cells, pages separated by a form feed (as pdftotext does).
 */
export function renderText(document: Document, options: RenderOptions = {}): string {
  const pages = document.pages.map((page) =>
    page.blocks
      .filter((block) => !block.role || options.includeFurniture)
      .map(renderBlock)
      .filter(Boolean)
      .join('\n\n'),
  )
  const text = pages.join('\n\f')
  return text.trim() ? `${text.replace(/\s+$/, '')}\n` : ''
}

function renderBlock(block: Block): string {
  switch (block.type) {
    case 'heading':
    case 'paragraph':
      return block.text
    case 'code':
      return block.text.replace(/\n+$/, '')
    case 'list':
      return renderList(block, '')
    case 'table':
      return block.rows.map((row) => row.map((cell) => cell.replace(/\s+/g, ' ').trim()).join('\t')).join('\n')
    case 'image':
      return [block.alt, block.ocrText].filter(Boolean).join('\n')
  }
}

function renderList(list: ListBlock, indent: string): string {
  const start = list.start ?? 1
  return list.items
    .map((item, index) => {
      const marker = list.ordered ? `${start + index}. ` : '- '
      const line = `${indent}${marker}${item.text.replace(/\n/g, `\n${indent}${' '.repeat(marker.length)}`)}`
      return item.children?.items.length ? `${line}\n${renderList(item.children, indent + ' '.repeat(marker.length))}` : line
    })
    .join('\n')
}
