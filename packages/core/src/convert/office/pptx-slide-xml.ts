import { isTrue } from './ooxml-parts.js'
import { type XmlAttributes, parseXml } from './sax-reader.js'

/** A rectangle in EMU (English Metric Units, 914,400 per inch). */
export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** How a paragraph is bulleted: explicitly (`none`, `char`, `number`) or by its list style. */
export type BulletKind = 'none' | 'char' | 'number' | 'inherit'

export interface TextRun {
  text: string
  bold?: boolean
  italic?: boolean
  code?: boolean
  /** Relationship id of a hyperlink (`a:hlinkClick r:id`), resolved against the slide's relationships. */
  linkId?: string
}

export interface SlideParagraph {
  runs: TextRun[]
  /** 0-based outline level (`a:pPr lvl`). */
  level: number
  bullet: BulletKind
  /** `a:buAutoNum type`, e.g. `arabicPeriod`. */
  numberType?: string
  startAt?: number
  /** Left margin in EMU, when set. */
  marginLeft?: number
}

/** Placeholder reference of a shape (`p:ph`). */
export interface Placeholder {
  /** `title`, `ctrTitle`, `subTitle`, `body`, `obj`, `dt`, `ftr`, `sldNum`...; `obj` when absent. */
  type: string
  idx?: string
}

/** Bullet kinds by level (0-8) from a list style (`a:lstStyle`, `p:bodyStyle`...). */
export type LevelBullets = Array<BulletKind | undefined>

export interface TextShape {
  kind: 'text'
  name: string
  placeholder?: Placeholder
  /** A plain text box (`txBox="1"`): its paragraphs are not bulleted by default. */
  textBox: boolean
  box?: Box
  paragraphs: SlideParagraph[]
  listStyle: LevelBullets
}

export interface TableShape {
  kind: 'table'
  name: string
  box?: Box
  rows: string[][]
  /** `a:tblPr firstRow="1"`: the first row is styled as a header. */
  firstRow: boolean
}

export interface PictureShape {
  kind: 'picture'
  name: string
  box?: Box
  alt?: string
}

export interface GroupShape {
  kind: 'group'
  name: string
  box?: Box
  children: Shape[]
}

export type Shape = TextShape | TableShape | PictureShape | GroupShape

export interface SlideXml {
  shapes: Shape[]
  /** Masters only: default bullets of body placeholders and of other text (`p:txStyles`). */
  bodyStyle?: LevelBullets
  otherStyle?: LevelBullets
}

/** Fonts whose runs are code. */
const MONOSPACE = /mono|courier|consolas|menlo|monaco|lucida console|inconsolata|source code|fira code|andale|liberation mono|dejavu sans mono/i

interface TableState {
  rows: TableCell[][]
  row: TableCell[] | undefined
  cell: { texts: string[]; merge: TableCell['merge'] } | undefined
  firstRow: boolean
}

interface TableCell {
  text: string
  /** A cell covered by the merged cell to its left (`hMerge`) or above (`vMerge`). */
  merge?: 'left' | 'up'
}

/**
 * Parses a slide, slide layout, slide master or notes slide (PresentationML) into its
 * shapes with their text, in document order. Only text, tables, picture descriptions,
 * positions and bullet styles are kept; media are never touched.
 */
export async function parseSlideXml(source: Uint8Array | string, part: string, signal?: AbortSignal): Promise<SlideXml> {
  const result: SlideXml = { shapes: [] }
  const containers: Shape[][] = [result.shapes]
  const groups: GroupShape[] = []
  const path: string[] = []
  let shape: TextShape | TableShape | PictureShape | undefined
  let paragraph: SlideParagraph | undefined
  let run: TextRun | undefined
  let inText = false
  let table: TableState | undefined
  let styleTarget: LevelBullets | undefined
  let styleLevel = -1

  const parent = (depth = 1) => path[path.length - 1 - depth]
  const boxOf = (): Box => ({ x: 0, y: 0, width: 0, height: 0 })
  /** The shape or group whose xfrm we are in, by the element that holds the xfrm. */
  const setBox = (attributes: XmlAttributes, which: 'off' | 'ext') => {
    const holder = parent(2) // spPr, grpSpPr or graphicFrame
    const target = holder === 'grpSpPr' ? groups[groups.length - 1] : holder === 'spPr' || holder === 'graphicFrame' ? shape : undefined
    if (!target || path[path.length - 2] !== 'xfrm') return
    const box = (target.box ??= boxOf())
    if (which === 'off') {
      box.x = Number(attributes.x) || 0
      box.y = Number(attributes.y) || 0
    } else {
      box.width = Number(attributes.cx) || 0
      box.height = Number(attributes.cy) || 0
    }
  }

  /** Depth of an `mc:Fallback` being skipped: it repeats its `mc:Choice` for older readers. */
  let skipping = 0

  await parseXml(
    source,
    {
      open(name, attributes) {
        path.push(name)
        if (skipping) return
        switch (name) {
          case 'Fallback':
            skipping = path.length
            return
          case 'sp':
          case 'cxnSp':
            shape = { kind: 'text', name: '', textBox: false, paragraphs: [], listStyle: [] }
            return
          case 'pic':
            shape = { kind: 'picture', name: '' }
            return
          case 'graphicFrame':
            shape = { kind: 'table', name: '', rows: [], firstRow: false }
            return
          case 'grpSp': {
            if (parent() === 'spTree' || parent() === 'grpSp') {
              const group: GroupShape = { kind: 'group', name: '', children: [] }
              containers[containers.length - 1]!.push(group)
              containers.push(group.children)
              groups.push(group)
            }
            return
          }
          case 'cNvPr': {
            const target = shape ?? (parent(2) === 'grpSp' ? groups[groups.length - 1] : undefined)
            if (target) target.name = attributes.name ?? ''
            if (shape?.kind === 'picture') {
              const alt = (attributes.descr || attributes.title || '').trim()
              if (alt) shape.alt = alt
            }
            return
          }
          case 'cNvSpPr':
            if (shape?.kind === 'text' && isTrue(attributes.txBox)) shape.textBox = true
            return
          case 'ph':
            if (shape?.kind === 'text') {
              shape.placeholder = { type: attributes.type ?? 'obj', ...(attributes.idx !== undefined ? { idx: attributes.idx } : {}) }
            }
            return
          case 'off':
          case 'ext':
            if (parent() === 'xfrm') setBox(attributes, name)
            return
          case 'txStyles':
            return
          case 'bodyStyle':
            if (parent() === 'txStyles') styleTarget = result.bodyStyle = []
            return
          case 'otherStyle':
            if (parent() === 'txStyles') styleTarget = result.otherStyle = []
            return
          case 'lstStyle':
            if (shape?.kind === 'text' && !table) styleTarget = shape.listStyle
            return
          case 'tbl':
            if (shape?.kind === 'table') table = { rows: [], row: undefined, cell: undefined, firstRow: false }
            return
          case 'tblPr':
            if (table) table.firstRow = isTrue(attributes.firstRow)
            return
          case 'tr':
            if (table) table.row = []
            return
          case 'tc':
            if (table) table.cell = { texts: [], merge: isTrue(attributes.hMerge) ? 'left' : isTrue(attributes.vMerge) ? 'up' : undefined }
            return
          case 'p':
            if (parent() === 'txBody' && (shape?.kind === 'text' || table?.cell)) paragraph = { runs: [], level: 0, bullet: 'inherit' }
            return
          case 'pPr':
            if (paragraph) {
              paragraph.level = clampLevel(attributes.lvl)
              if (attributes.marL !== undefined) paragraph.marginLeft = Number(attributes.marL) || 0
            }
            return
          case 'buNone':
          case 'buChar':
          case 'buBlip':
          case 'buAutoNum': {
            const kind: BulletKind = name === 'buNone' ? 'none' : name === 'buAutoNum' ? 'number' : 'char'
            if (paragraph && parent() === 'pPr') {
              paragraph.bullet = kind
              if (name === 'buAutoNum') {
                if (attributes.type) paragraph.numberType = attributes.type
                if (attributes.startAt) paragraph.startAt = Number(attributes.startAt) || 1
              }
            } else if (styleTarget && styleLevel >= 0 && /^lvl\dpPr$/.test(parent() ?? '')) {
              styleTarget[styleLevel] = kind
            }
            return
          }
          case 'r':
          case 'fld':
            if (paragraph) run = { text: '' }
            return
          case 'rPr':
            if (run && parent() !== 'endParaRPr') {
              if (isTrue(attributes.b)) run.bold = true
              if (isTrue(attributes.i)) run.italic = true
            }
            return
          case 'latin':
          case 'cs':
            if (run && parent() === 'rPr' && attributes.typeface && MONOSPACE.test(attributes.typeface)) run.code = true
            return
          case 'hlinkClick':
            if (run && parent() === 'rPr' && attributes['r:id']) run.linkId = attributes['r:id']
            return
          case 't':
            inText = !!run
            return
          case 'br':
            if (paragraph) paragraph.runs.push({ text: '\n' })
            return
          default:
            if (styleTarget && /^lvl\dpPr$/.test(name)) styleLevel = Number(name[3]) - 1
        }
      },
      text(text) {
        if (inText && run) run.text += text
      },
      close(name) {
        path.pop()
        if (skipping) {
          if (path.length < skipping) skipping = 0
          return
        }
        switch (name) {
          case 't':
            inText = false
            return
          case 'r':
          case 'fld':
            if (run && paragraph && run.text) paragraph.runs.push(run)
            run = undefined
            return
          case 'p':
            if (paragraph && path[path.length - 1] === 'txBody') {
              if (table?.cell) table.cell.texts.push(paragraphText(paragraph))
              else if (shape?.kind === 'text') shape.paragraphs.push(paragraph)
              paragraph = undefined
            }
            return
          case 'tc':
            if (table?.row && table.cell) {
              const text = table.cell.texts.filter(Boolean).join(' ')
              table.row.push(table.cell.merge ? { text, merge: table.cell.merge } : { text })
              table.cell = undefined
            }
            return
          case 'tr':
            if (table?.row) {
              table.rows.push(table.row)
              table.row = undefined
            }
            return
          case 'tbl':
            if (table && shape?.kind === 'table') {
              shape.rows = fillMerges(table.rows)
              shape.firstRow = table.firstRow
            }
            table = undefined
            return
          case 'lstStyle':
          case 'bodyStyle':
          case 'otherStyle':
            styleTarget = undefined
            styleLevel = -1
            return
          case 'sp':
          case 'cxnSp':
          case 'pic':
          case 'graphicFrame':
            if (shape && keepShape(shape)) containers[containers.length - 1]!.push(shape)
            shape = undefined
            return
          case 'grpSp':
            if (groups.length && (path[path.length - 1] === 'spTree' || path[path.length - 1] === 'grpSp')) {
              groups.pop()
              containers.pop()
            }
            return
          default:
            if (/^lvl\dpPr$/.test(name)) styleLevel = -1
        }
      },
    },
    { part, ...(signal ? { signal } : {}) },
  )
  return result
}

function keepShape(shape: TextShape | TableShape | PictureShape): boolean {
  switch (shape.kind) {
    case 'text':
      // Layout and master placeholders are kept even when empty: slides inherit their position.
      return shape.paragraphs.length > 0 || !!shape.placeholder
    case 'table':
      return shape.rows.length > 0
    case 'picture':
      return true
  }
}

/**
 * Fills the cells hidden by a merge with the text of the cell that covers them, so every
 * row reads on its own (a pipe table has no spans), and pads short rows.
 */
function fillMerges(rows: TableCell[][]): string[][] {
  const width = Math.max(0, ...rows.map((row) => row.length))
  const filled: string[][] = []
  for (const [r, row] of rows.entries()) {
    const out: string[] = []
    for (let c = 0; c < width; c++) {
      const cell = row[c]
      if (cell?.merge === 'left' && c > 0) out.push(out[c - 1]!)
      else if (cell?.merge === 'up' && r > 0) out.push(filled[r - 1]![c]!)
      else out.push(cell?.text ?? '')
    }
    filled.push(out)
  }
  return filled
}

/** The plain text of a paragraph, line breaks as spaces. */
export function paragraphText(paragraph: SlideParagraph): string {
  return paragraph.runs
    .map((run) => run.text)
    .join('')
    .replace(/[\n\v]+/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .trim()
}

function clampLevel(value: string | undefined): number {
  const level = Number(value)
  return Number.isInteger(level) && level >= 0 ? Math.min(level, 8) : 0
}
