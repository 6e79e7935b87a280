import { strToU8, zipSync } from 'fflate'

/** Builds minimal valid PPTX files for tests: only the parts PowerPoint itself requires. */

const NS = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'

export interface ParagraphSpec {
  text: string
  level?: number
  bullet?: 'char' | 'number' | 'none'
  bold?: boolean
  /** External hyperlink target (added to the slide's relationships). */
  href?: string
}

export interface ShapeSpec {
  x?: number
  y?: number
  width?: number
  height?: number
  /** `title`, `body`... */
  placeholder?: string
  textBox?: boolean
  paragraphs?: Array<ParagraphSpec | string>
  /** A table instead of text. */
  table?: string[][]
  /** A picture with this description. */
  picture?: string
}

export interface SlideSpec {
  title?: string
  shapes?: ShapeSpec[]
  notes?: string
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function xfrm(shape: ShapeSpec): string {
  if (shape.x === undefined) return ''
  return `<a:xfrm><a:off x="${shape.x}" y="${shape.y ?? 0}"/><a:ext cx="${shape.width ?? 1000000}" cy="${shape.height ?? 500000}"/></a:xfrm>`
}

function shapeXml(shape: ShapeSpec, id: number, links: string[]): string {
  if (shape.table) {
    const rows = shape.table.map((row) => `<a:tr h="0">${row.map((cell) => `<a:tc><a:txBody><a:bodyPr/><a:p><a:r><a:t>${escape(cell)}</a:t></a:r></a:p></a:txBody></a:tc>`).join('')}</a:tr>`).join('')
    return `<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="${id}" name="Table ${id}"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="${shape.x ?? 0}" y="${shape.y ?? 0}"/><a:ext cx="${shape.width ?? 1000000}" cy="${shape.height ?? 1000000}"/></p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl><a:tblPr firstRow="1"/><a:tblGrid/>${rows}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>`
  }
  if (shape.picture !== undefined) {
    return `<p:pic><p:nvPicPr><p:cNvPr id="${id}" name="Picture ${id}" descr="${escape(shape.picture)}"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rIdMissing"/></p:blipFill><p:spPr>${xfrm(shape)}</p:spPr></p:pic>`
  }
  const paragraphs = (shape.paragraphs ?? [])
    .map((spec) => (typeof spec === 'string' ? { text: spec } : spec))
    .map((p) => {
      const bullet = p.bullet === 'char' ? '<a:buChar char="•"/>' : p.bullet === 'number' ? '<a:buAutoNum type="arabicPeriod"/>' : p.bullet === 'none' ? '<a:buNone/>' : ''
      let link = ''
      if (p.href) {
        links.push(p.href)
        link = `<a:hlinkClick r:id="rIdLink${links.length}"/>`
      }
      return `<a:p><a:pPr lvl="${p.level ?? 0}">${bullet}</a:pPr><a:r><a:rPr lang="en-US"${p.bold ? ' b="1"' : ''}>${link}</a:rPr><a:t>${escape(p.text)}</a:t></a:r></a:p>`
    })
    .join('')
  const ph = shape.placeholder ? `<p:ph type="${shape.placeholder}"${shape.placeholder === 'body' ? ' idx="1"' : ''}/>` : ''
  return `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="Shape ${id}"/><p:cNvSpPr${shape.textBox ? ' txBox="1"' : ''}/><p:nvPr>${ph}</p:nvPr></p:nvSpPr><p:spPr>${xfrm(shape)}</p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>${paragraphs}</p:txBody></p:sp>`
}

/** A PPTX with these slides, in this order; `options.reverseParts` stores slide parts in reverse to test ordering. */
export function buildPptx(slides: SlideSpec[], options: { title?: string; reverseParts?: boolean } = {}): Uint8Array {
  return zipSync(pptxParts(slides, options))
}

/** The parts of `buildPptx`, content types first, to zip with extra entries. */
export function pptxParts(slides: SlideSpec[], options: { title?: string; reverseParts?: boolean } = {}): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {}
  const overrides: string[] = []
  const presentationRels: string[] = []
  const ids: string[] = []
  slides.forEach((slide, index) => {
    const n = options.reverseParts ? slides.length - index : index + 1
    const links: string[] = []
    const shapes = [...(slide.title !== undefined ? [{ placeholder: 'title', x: 0, y: 0, width: 9000000, height: 800000, paragraphs: [slide.title] }] : []), ...(slide.shapes ?? [])]
    const body = shapes.map((shape, i) => shapeXml(shape, i + 2, links)).join('')
    files[`ppt/slides/slide${n}.xml`] = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sld ${NS}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>${body}</p:spTree></p:cSld></p:sld>`)
    const rels = links.map((href, i) => `<Relationship Id="rIdLink${i + 1}" Type="${REL}/hyperlink" Target="${escape(href)}" TargetMode="External"/>`)
    if (slide.notes !== undefined) {
      rels.push(`<Relationship Id="rIdNotes" Type="${REL}/notesSlide" Target="../notesSlides/notesSlide${n}.xml"/>`)
      files[`ppt/notesSlides/notesSlide${n}.xml`] = strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><p:notes ${NS}><p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id="2" name="Slide Image"/><p:cNvSpPr/><p:nvPr><p:ph type="sldImg"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp><p:sp><p:nvSpPr><p:cNvPr id="3" name="Notes"/><p:cNvSpPr/><p:nvPr><p:ph type="body" idx="1"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>${slide.notes
          .split('\n')
          .map((line) => `<a:p><a:r><a:t>${escape(line)}</a:t></a:r></a:p>`)
          .join('')}</p:txBody></p:sp></p:spTree></p:cSld></p:notes>`,
      )
      overrides.push(`<Override PartName="/ppt/notesSlides/notesSlide${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.notesSlide+xml"/>`)
    }
    if (rels.length) files[`ppt/slides/_rels/slide${n}.xml.rels`] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`)
    overrides.push(`<Override PartName="/ppt/slides/slide${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`)
    presentationRels.push(`<Relationship Id="rId${index + 10}" Type="${REL}/slide" Target="slides/slide${n}.xml"/>`)
    ids.push(`<p:sldId id="${256 + index}" r:id="rId${index + 10}"/>`)
  })
  files['[Content_Types].xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>${overrides.join('')}</Types>`,
  )
  files['_rels/.rels'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="ppt/presentation.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`,
  )
  files['docProps/core.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>${escape(options.title ?? '')}</dc:title><dc:creator>Test Author</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2024-05-01T10:00:00Z</dcterms:created></cp:coreProperties>`,
  )
  files['ppt/presentation.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><p:presentation ${NS}><p:sldIdLst>${ids.join('')}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`)
  files['ppt/_rels/presentation.xml.rels'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${presentationRels.join('')}</Relationships>`)
  // Content types first, as Office writes them (file-type sniffs the first entries).
  return { '[Content_Types].xml': files['[Content_Types].xml']!, ...files }
}
