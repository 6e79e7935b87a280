import type { XmlAttributes, XmlHandlers } from '../office/sax-reader.js'
import type { OdfStyles } from './odt-styles.js'

/** Elements whose content is not document text (or is generated from it, like an index). */
const SKIPPED = new Set([
  'annotation', 'annotation-end', 'tracked-changes', 'sequence-decls', 'variable-decls', 'user-field-decls', 'forms', 'table-of-content',
  'alphabetical-index', 'illustration-index', 'table-index', 'object-index', 'user-index', 'bibliography', 'note-citation',
  'table-columns', 'table-column', 'table-header-columns', 'covered-table-cell', 'number', 'script', 'event-listeners', 'soft-page-break',
])
const MAX_REPEAT = 64

interface Frame {
  name: string
  /** HTML to write when the element closes. */
  close: string
  /** Output captured since the element opened (repeated cells, note bodies, image titles). */
  capture?: { repeat: number; target: 'cell' | 'note' | 'alt' }
  /** Restores the list nesting on close. */
  list?: boolean
}

/**
 * Turns the SAX events of an OpenDocument text body (content.xml) into HTML for the HTML
 * module: text:h -> h1-h6 (outline level), text:p -> p (or pre for preformatted styles,
 * h1 for Title), text:list -> ul/ol (numbered or bullet, per level of the list style),
 * table:table -> table with colspan/rowspan (covered cells dropped, as HTML leaves them out),
 * text:a -> a, bold/italic/monospace spans -> b/i/code, images -> img with alt from the frame's
 * title or description, notes -> [n] in the text and a list under "Footnotes" at the end.
 */
export class OdtToHtml implements XmlHandlers {
  private readonly parts: string[] = []
  private readonly captures: string[][] = []
  private readonly stack: Frame[] = []
  private readonly notes: string[] = []
  private listStyles: (string | undefined)[] = []
  private skipDepth = 0
  private inBody = false
  private noteNumber = 0
  private frameAlt: { title: string; desc: string; image: boolean }[] = []

  constructor(private readonly styles: OdfStyles) {}

  open(name: string, attributes: XmlAttributes): void {
    if (!this.inBody) {
      if (name === 'text' || name === 'body') this.inBody = name === 'text'
      if (!this.inBody) this.styles.open(name, attributes)
      return
    }
    if (this.skipDepth) {
      this.skipDepth++
      return
    }
    if (SKIPPED.has(name)) {
      this.skipDepth = 1
      return
    }
    const frame: Frame = { name, close: '' }
    this.stack.push(frame)
    switch (name) {
      case 'h': {
        const level = Math.min(6, Math.max(1, Number.parseInt(attributes['text:outline-level'] ?? '1', 10) || 1))
        this.write(`<h${level}>`)
        frame.close = `</h${level}>`
        break
      }
      case 'p': {
        const style = this.styles.resolve(attributes['text:style-name'])
        const tag = style.preformatted ? 'pre' : style.heading ? `h${style.heading}` : 'p'
        const inline = [style.bold ? 'b' : '', style.italic ? 'i' : ''].filter(Boolean)
        this.write(`<${tag}>${inline.map((t) => `<${t}>`).join('')}`)
        frame.close = `${inline.reverse().map((t) => `</${t}>`).join('')}</${tag}>`
        break
      }
      case 'span': {
        const style = this.styles.resolve(attributes['text:style-name'])
        const inline = [style.bold ? 'b' : '', style.italic ? 'i' : '', style.code ? 'code' : ''].filter(Boolean)
        this.write(inline.map((t) => `<${t}>`).join(''))
        frame.close = inline.reverse().map((t) => `</${t}>`).join('')
        break
      }
      case 'a': {
        const href = attributes['xlink:href']
        if (href) {
          this.write(`<a href="${escapeAttribute(href)}">`)
          frame.close = '</a>'
        }
        break
      }
      case 'list': {
        const inherited = this.listStyles[this.listStyles.length - 1]
        const style = attributes['text:style-name'] ?? inherited
        this.listStyles.push(style)
        const tag = this.styles.isOrdered(style, this.listStyles.length) ? 'ol' : 'ul'
        this.write(`<${tag}>`)
        frame.close = `</${tag}>`
        frame.list = true
        break
      }
      case 'list-item':
      case 'list-header':
        this.write('<li>')
        frame.close = '</li>'
        break
      case 'table':
        this.write('<table>')
        frame.close = '</table>'
        break
      case 'table-row':
        this.write('<tr>')
        frame.close = '</tr>'
        break
      case 'table-cell': {
        const colspan = Number.parseInt(attributes['table:number-columns-spanned'] ?? '1', 10)
        const rowspan = Number.parseInt(attributes['table:number-rows-spanned'] ?? '1', 10)
        const repeat = Math.min(MAX_REPEAT, Math.max(1, Number.parseInt(attributes['table:number-columns-repeated'] ?? '1', 10) || 1))
        if (repeat > 1) this.startCapture(frame, 'cell', repeat)
        this.write(`<td${colspan > 1 ? ` colspan="${colspan}"` : ''}${rowspan > 1 ? ` rowspan="${rowspan}"` : ''}>`)
        frame.close = '</td>'
        break
      }
      case 'line-break':
        this.write('<br>')
        break
      case 's':
        this.write(' '.repeat(Math.min(1000, Math.max(1, Number.parseInt(attributes['text:c'] ?? '1', 10) || 1))))
        break
      case 'tab':
        this.write('\t')
        break
      case 'note': {
        this.noteNumber++
        this.write(`[${this.noteNumber}]`)
        break
      }
      case 'note-body':
        this.startCapture(frame, 'note', 1)
        break
      case 'frame':
        this.frameAlt.push({ title: '', desc: '', image: false })
        frame.close = ''
        break
      case 'title':
      case 'desc':
        if (this.frameAlt.length) this.startCapture(frame, 'alt', 1)
        break
      case 'image': {
        const alt = this.frameAlt[this.frameAlt.length - 1]
        if (alt) alt.image = true
        break
      }
    }
  }

  text(text: string): void {
    if (this.inBody && !this.skipDepth) this.write(escapeText(text))
  }

  close(name: string): void {
    if (!this.inBody) {
      this.styles.close(name)
      return
    }
    if (this.skipDepth) {
      this.skipDepth--
      return
    }
    if (name === 'text') {
      this.inBody = false
      return
    }
    const frame = this.stack.pop()
    if (!frame) return
    this.write(frame.close)
    if (frame.list) this.listStyles.pop()
    if (frame.capture) {
      const captured = (this.captures.pop() ?? []).join('')
      if (frame.capture.target === 'cell') this.write(captured.repeat(frame.capture.repeat))
      else if (frame.capture.target === 'note') this.notes.push(`<li>${captured}</li>`)
      else {
        const alt = this.frameAlt[this.frameAlt.length - 1]
        if (alt) alt[frame.name === 'title' ? 'title' : 'desc'] += captured
      }
    }
    if (name === 'frame') {
      const alt = this.frameAlt.pop()
      const text = (alt?.title.trim() || alt?.desc.trim()) ?? ''
      if (alt?.image) this.write(`<img alt="${escapeAttribute(unescape(text))}">`)
    }
  }

  /** The HTML of the whole body, notes last. */
  html(): string {
    const notes = this.notes.length ? `<h2>Footnotes</h2><ol>${this.notes.join('')}</ol>` : ''
    return `<html><body>${this.parts.join('')}${notes}</body></html>`
  }

  private startCapture(frame: Frame, target: 'cell' | 'note' | 'alt', repeat: number): void {
    frame.capture = { repeat, target }
    this.captures.push([])
  }

  private write(html: string): void {
    if (!html) return
    const capture = this.captures[this.captures.length - 1]
    if (capture) capture.push(html)
    else this.parts.push(html)
  }
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
}

function unescape(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[name]!)
}
