import type { Page } from '../../document.js'
import { DocloaderError } from '../../errors.js'
import type { Converter } from '../../options.js'
import { type PackageReader, type Relationship, findMainPart, openPackage, readPackageMetadata, readRelationships } from './ooxml-parts.js'
import { notesParagraphs, slideBlocks } from './pptx-slide-blocks.js'
import { type SlideXml, parseSlideXml } from './pptx-slide-xml.js'
import { parseXml } from './sax-reader.js'

const EMU_PER_POINT = 12_700

/**
 * PPTX (PowerPoint): one Page per slide in presentation order (`Page.number` = slide
 * number), each starting with a heading from the slide title, then text boxes in reading
 * order, nested bullet and numbered lists, tables, picture descriptions and the speaker
 * notes (a paragraph starting with "Notes:"). Slides are read one at a time with a SAX
 * parser; layouts and masters are read once each; media files are never inflated.
 */
export const convertPptx: Converter = async (bytes, context) => {
  const { signal } = context
  const pkg = openPackage(bytes, signal)
  const main = await findMainPart(pkg, 'ppt/presentation.xml', signal)
  if (!pkg.has(main)) {
    throw new DocloaderError('CORRUPT_FILE', 'The file is a ZIP archive but not a PowerPoint presentation: it has no ppt/presentation.xml. Check that it is a .pptx file.')
  }
  const presentation = await readPresentation(pkg, main, signal)
  const relationships = await readRelationships(pkg, main, signal)
  const slideParts = presentation.slideIds
    .map((id) => relationships.get(id))
    .filter((relationship): relationship is Relationship => !!relationship && !relationship.external && relationship.type.endsWith('/slide') && pkg.has(relationship.target))
    .map((relationship) => relationship.target)

  const slideCount = slideParts.length
  const selected = context.pageSelection.resolve(slideCount)
  if (selected.length > context.limits.maxPages) {
    throw new DocloaderError(
      'LIMIT_EXCEEDED',
      `The presentation has ${slideCount} slides${context.pageSelection.all ? '' : ` (${selected.length} selected)`}, more than the limit of ${context.limits.maxPages}. Select fewer slides with --pages or the \`pages\` option, or raise limits.maxPages.`,
      { details: { pageCount: slideCount, selected: selected.length, maxPages: context.limits.maxPages } },
    )
  }
  context.setPagesTotal(selected.length)
  const metadata = await readPackageMetadata(pkg, signal)

  // Layouts and masters are shared by many slides: parse each once.
  const templates = new Map<string, Promise<{ xml: SlideXml; relationships: Map<string, Relationship> }>>()
  const template = (part: string) => {
    let entry = templates.get(part)
    if (!entry) {
      entry = (async () => ({ xml: await parseSlideXml(await pkg.read(part), part, signal), relationships: await readRelationships(pkg, part, signal) }))()
      templates.set(part, entry)
    }
    return entry
  }
  const targetOf = (rels: Map<string, Relationship>, type: string) => {
    for (const relationship of rels.values()) if (!relationship.external && relationship.type.endsWith(type) && pkg.has(relationship.target)) return relationship.target
    return undefined
  }

  const pages: Page[] = []
  let firstTitle: string | undefined
  for (const number of selected) {
    signal.throwIfAborted()
    const part = slideParts[number - 1]!
    const slideRelationships = await readRelationships(pkg, part, signal)
    const slide = await parseSlideXml(await pkg.read(part), part, signal)
    const layoutPart = targetOf(slideRelationships, '/slideLayout')
    const layout = layoutPart ? await template(layoutPart) : undefined
    const masterPart = layout ? targetOf(layout.relationships, '/slideMaster') : undefined
    const master = masterPart ? await template(masterPart) : undefined
    const notesPart = targetOf(slideRelationships, '/notesSlide')
    const notes = notesPart ? await parseSlideXml(await pkg.read(notesPart), notesPart, signal) : undefined

    const { title, blocks } = slideBlocks({
      number,
      slide,
      inheritance: { layout: layout?.xml, master: master?.xml },
      relationships: slideRelationships,
      notes: notesParagraphs(notes),
      size: presentation.size,
    })
    if (number === 1) firstTitle = title
    const page: Page = { number, blocks }
    if (presentation.size) {
      page.width = Math.round((presentation.size.width / EMU_PER_POINT) * 100) / 100
      page.height = Math.round((presentation.size.height / EMU_PER_POINT) * 100) / 100
    }
    pages.push(page)
    context.pageDone()
    // A turn for timers and cancel messages between slides.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }

  if (!metadata.title && firstTitle) metadata.title = firstTitle
  return { pages, metadata: { ...metadata, pageCount: slideCount, pagesConverted: pages.length } }
}

interface Presentation {
  /** Relationship ids of the slides, in presentation order (`p:sldIdLst`). */
  slideIds: string[]
  size: { width: number; height: number } | undefined
}

async function readPresentation(pkg: PackageReader, part: string, signal: AbortSignal): Promise<Presentation> {
  const presentation: Presentation = { slideIds: [], size: undefined }
  let inList = false
  await parseXml(
    await pkg.read(part),
    {
      open(name, attributes) {
        if (name === 'sldIdLst') inList = true
        else if (name === 'sldId' && inList && attributes['r:id']) presentation.slideIds.push(attributes['r:id'])
        else if (name === 'sldSz') {
          const width = Number(attributes.cx)
          const height = Number(attributes.cy)
          if (width > 0 && height > 0) presentation.size = { width, height }
        }
      },
      close(name) {
        if (name === 'sldIdLst') inList = false
      },
    },
    { part, signal },
  )
  return presentation
}
