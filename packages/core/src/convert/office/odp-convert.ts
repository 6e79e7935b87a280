import type { DocumentMetadata, Page } from '../../document.js'
import { DocloaderError } from '../../errors.js'
import type { Converter } from '../../options.js'
import { type PackageReader, openPackage } from './ooxml-parts.js'
import { notesParagraphs, slideBlocks } from './pptx-slide-blocks.js'
import type { Box, Shape, SlideParagraph, SlideXml, TextRun, TextShape } from './pptx-slide-xml.js'
import { parseXml } from './sax-reader.js'

/**
 * ODP (OpenDocument presentation): one Page per `draw:page` in document order, mapped onto
 * the PPTX slide model so both read the same way: the `presentation:class="title"` frame
 * gives the heading, frames are read by position, `text:list` nesting gives list levels
 * (numbered when the list style numbers that level), tables become table blocks, and the
 * `presentation:notes` text the "Notes:" paragraph.
 */
export const convertOdp: Converter = async (bytes, context) => {
  const { signal } = context
  const pkg = openPackage(bytes, signal)
  if (!pkg.has('content.xml')) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not an OpenDocument presentation: it has no content.xml. Check that it is a .odp file.')
  }
  const slides = await readSlides(await pkg.read('content.xml'), signal)
  const selected = context.pageSelection.resolve(slides.length)
  if (selected.length > context.limits.maxPages) {
    throw new DocloaderError('LIMIT_EXCEEDED', `The presentation has ${slides.length} slides, more than the limit of ${context.limits.maxPages}. Select fewer slides with --pages or the \`pages\` option, or raise limits.maxPages.`, {
      details: { pageCount: slides.length, selected: selected.length, maxPages: context.limits.maxPages },
    })
  }
  context.setPagesTotal(selected.length)
  const pages: Page[] = []
  let firstTitle: string | undefined
  for (const number of selected) {
    const slide = slides[number - 1]!
    const { title, blocks } = slideBlocks({
      number,
      slide: slide.xml,
      inheritance: { layout: undefined, master: undefined },
      // ODF links carry their URL inline; the slide model resolves link ids through relationships.
      relationships: new Map([...slide.links].map((url) => [url, { type: 'hyperlink', target: url, external: true }])),
      notes: notesParagraphs(slide.notes),
      size: undefined,
    })
    if (number === 1) firstTitle = title
    pages.push({ number, blocks })
    context.pageDone()
  }
  const metadata = await readOpenDocumentMetadata(pkg, signal)
  if (!metadata.title && firstTitle) metadata.title = firstTitle
  return { pages, metadata: { ...metadata, pageCount: slides.length, pagesConverted: pages.length } }
}

interface OdpSlide {
  xml: SlideXml
  notes: SlideXml | undefined
  links: Set<string>
}

/** Lengths in ODF (`2.5cm`, `1in`, `72pt`) as EMU. */
function toEmu(length: string | undefined): number | undefined {
  const match = /^(-?[\d.]+)(cm|mm|in|pt|pc|px)?$/.exec(length?.trim() ?? '')
  if (!match) return undefined
  const value = Number(match[1])
  const per: Record<string, number> = { cm: 360_000, mm: 36_000, in: 914_400, pt: 12_700, pc: 152_400, px: 9_525 }
  return Math.round(value * (per[match[2] ?? 'cm'] ?? 360_000))
}

/** Reads every `draw:page` of content.xml in one SAX pass. */
async function readSlides(content: Uint8Array, signal: AbortSignal): Promise<OdpSlide[]> {
  const slides: OdpSlide[] = []
  /** List styles: name -> whether each level (0-based) is numbered. */
  const listStyles = new Map<string, boolean[]>()
  let listStyle: { name: string; levels: boolean[] } | undefined
  let slide: OdpSlide | undefined
  let inNotes = false
  let shape: TextShape | undefined
  let table: { rows: string[][]; row: string[] | undefined; cell: string[] | undefined } | undefined
  let picture: { alt: string; box: Box | undefined; reading: '' | 'title' | 'desc' } | undefined
  let paragraph: SlideParagraph | undefined
  let run: TextRun | undefined
  /** Open lists: style name in force and item state. */
  const lists: Array<{ style: string | undefined; itemParagraphs: number }> = []
  let href: string | undefined
  let skip = 0

  const target = () => (inNotes ? (slide!.notes ??= { shapes: [] }) : slide!.xml)
  const boxOf = (a: Record<string, string>): Box | undefined => {
    const x = toEmu(a['svg:x'])
    const y = toEmu(a['svg:y'])
    if (x === undefined || y === undefined) return undefined
    return { x, y, width: toEmu(a['svg:width']) ?? 0, height: toEmu(a['svg:height']) ?? 0 }
  }

  await parseXml(
    content,
    {
      open(name, a) {
        if (skip) {
          skip++
          return
        }
        switch (name) {
          case 'list-style':
            listStyle = { name: a['style:name'] ?? '', levels: [] }
            return
          case 'list-level-style-number':
          case 'list-level-style-bullet':
          case 'list-level-style-image':
            if (listStyle) listStyle.levels[Math.max(0, (Number(a['text:level']) || 1) - 1)] = name === 'list-level-style-number'
            return
          case 'page':
            if (a['draw:name'] !== undefined || a['draw:master-page-name'] !== undefined) {
              slide = { xml: { shapes: [] }, notes: undefined, links: new Set() }
              slides.push(slide)
            }
            return
          case 'notes':
            if (slide) inNotes = true
            return
          case 'annotation':
            skip = 1
            return
          case 'frame':
          case 'custom-shape':
          case 'rect':
          case 'ellipse': {
            if (!slide || shape) return
            const kind = a['presentation:class']
            const box = boxOf(a)
            shape = { kind: 'text', name: a['draw:name'] ?? '', textBox: !kind, paragraphs: [], listStyle: [] }
            if (box) shape.box = box
            if (kind === 'title') shape.placeholder = { type: 'title' }
            else if (kind === 'subtitle') shape.placeholder = { type: 'subTitle' }
            else if (kind === 'outline') shape.placeholder = { type: 'body' }
            else if (kind === 'notes') shape.placeholder = { type: 'body' }
            else if (kind === 'page-number') shape.placeholder = { type: 'sldNum' }
            else if (kind === 'footer' || kind === 'date-time') shape.placeholder = { type: 'ftr' }
            else if (kind === 'page') shape = undefined
            return
          }
          case 'image':
            if (shape && !picture) picture = { alt: '', box: shape.box, reading: '' }
            return
          case 'title':
          case 'desc':
            if (picture) picture.reading = name
            return
          case 'table':
            if (shape && !table) table = { rows: [], row: undefined, cell: undefined }
            return
          case 'table-row':
            if (table) table.row = []
            return
          case 'table-cell':
          case 'covered-table-cell':
            if (table?.row) table.cell = []
            return
          case 'list': {
            const outer = lists[lists.length - 1]
            lists.push({ style: a['text:style-name'] ?? outer?.style, itemParagraphs: 0 })
            return
          }
          case 'list-item':
            if (lists.length) lists[lists.length - 1]!.itemParagraphs = 0
            return
          case 'p':
          case 'h':
            if (shape) {
              const list = lists[lists.length - 1]
              const level = Math.max(0, lists.length - 1)
              paragraph = { runs: [], level, bullet: 'none' }
              if (list && !table) {
                if (list.itemParagraphs++ === 0) {
                  const numbered = listStyles.get(list.style ?? '')?.[level] ?? false
                  paragraph.bullet = numbered ? 'number' : 'char'
                } else {
                  // A second paragraph of an item continues it.
                  paragraph.level = level + 1
                  paragraph.marginLeft = 1
                }
              }
            }
            return
          case 'a':
            href = a['xlink:href']
            return
          case 's':
            if (paragraph) paragraph.runs.push({ text: ' '.repeat(Math.min(100, Number(a['text:c']) || 1)) })
            return
          case 'tab':
            if (paragraph) paragraph.runs.push({ text: '\t' })
            return
          case 'line-break':
            if (paragraph) paragraph.runs.push({ text: '\n' })
            return
        }
      },
      text(text) {
        if (skip) return
        if (picture?.reading) picture.alt += text
        else if (paragraph) {
          run = { text }
          if (href && slide) {
            run.linkId = href
            slide.links.add(href)
          }
          paragraph.runs.push(run)
        }
      },
      close(name) {
        if (skip) {
          skip--
          return
        }
        switch (name) {
          case 'list-style':
            if (listStyle) listStyles.set(listStyle.name, listStyle.levels)
            listStyle = undefined
            return
          case 'notes':
            inNotes = false
            return
          case 'title':
          case 'desc':
            if (picture) picture.reading = ''
            return
          case 'a':
            href = undefined
            return
          case 'list':
            lists.pop()
            return
          case 'p':
          case 'h':
            if (paragraph && shape) {
              const text = paragraph.runs.map((r) => r.text).join('')
              if (table?.cell) table.cell.push(text.trim())
              else shape.paragraphs.push(paragraph)
            }
            paragraph = undefined
            return
          case 'table-cell':
          case 'covered-table-cell':
            if (table?.row && table.cell) table.row.push(table.cell.filter(Boolean).join(' '))
            if (table) table.cell = undefined
            return
          case 'table-row':
            if (table?.row) table.rows.push(table.row)
            if (table) table.row = undefined
            return
          case 'frame':
          case 'custom-shape':
          case 'rect':
          case 'ellipse': {
            if (!shape || !slide) return
            const shapes: Shape[] = target().shapes
            if (table) {
              const width = Math.max(0, ...table.rows.map((r) => r.length))
              const rows = table.rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''))
              if (rows.length) shapes.push({ kind: 'table', name: shape.name, ...(shape.box ? { box: shape.box } : {}), rows, firstRow: true })
            } else if (picture && !shape.paragraphs.length) {
              const alt = picture.alt.replace(/\s+/g, ' ').trim()
              shapes.push({ kind: 'picture', name: shape.name, ...(shape.box ? { box: shape.box } : {}), ...(alt ? { alt } : {}) })
            } else if (shape.paragraphs.length) shapes.push(shape)
            shape = undefined
            table = undefined
            picture = undefined
            return
          }
        }
      },
    },
    { part: 'content.xml', signal },
  )
  return slides
}

type OpenDocumentMetadata = Pick<DocumentMetadata, 'title' | 'author' | 'subject' | 'keywords' | 'creator' | 'createdAt' | 'modifiedAt' | 'language'>

/** Title, author, dates and generator from meta.xml of an OpenDocument package. */
export async function readOpenDocumentMetadata(pkg: PackageReader, signal: AbortSignal): Promise<OpenDocumentMetadata> {
  const metadata: OpenDocumentMetadata = {}
  if (!pkg.has('meta.xml')) return metadata
  const fields: Record<string, keyof OpenDocumentMetadata> = {
    title: 'title',
    'initial-creator': 'author',
    subject: 'subject',
    keyword: 'keywords',
    generator: 'creator',
    'creation-date': 'createdAt',
    date: 'modifiedAt',
    language: 'language',
  }
  let field: keyof OpenDocumentMetadata | undefined
  let text = ''
  let creator = ''
  let inCreator = false
  await parseXml(
    await pkg.read('meta.xml'),
    {
      open(name) {
        field = fields[name]
        inCreator = name === 'creator'
        text = ''
      },
      text(value) {
        if (field || inCreator) text += value
      },
      close() {
        const value = text.trim()
        if (field && value && !metadata[field]) metadata[field] = value
        if (inCreator && value) creator = value
        field = undefined
        inCreator = false
      },
    },
    { part: 'meta.xml', signal },
  )
  if (!metadata.author && creator) metadata.author = creator
  return metadata
}
