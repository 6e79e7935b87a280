import type { XmlAttributes } from '../office/sax-reader.js'

/** What docloader keeps of an OpenDocument style. */
export interface OdfStyle {
  parent?: string
  bold?: boolean
  italic?: boolean
  /** Monospace text (code). */
  code?: boolean
  /** A paragraph style for preformatted text (code blocks). */
  preformatted?: boolean
  /** A paragraph style that is a heading (Title -> 1). */
  heading?: number
}

/**
 * Collects text, paragraph and list styles from `office:styles` / `office:automatic-styles`
 * as a SAX handler: feed it every open/close of styles.xml and of content.xml's head.
 */
export class OdfStyles {
  private readonly styles = new Map<string, OdfStyle>()
  /** List style name -> ordered flag per level (1-based). */
  private readonly lists = new Map<string, Map<number, boolean>>()
  private current: OdfStyle | undefined
  private currentList: Map<number, boolean> | undefined

  open(name: string, attributes: XmlAttributes): void {
    if (name === 'style') {
      const styleName = attributes['style:name']
      if (!styleName) return
      this.current = { ...(attributes['style:parent-style-name'] ? { parent: attributes['style:parent-style-name'] } : {}) }
      Object.assign(this.current, namedStyle(styleName), namedStyle(attributes['style:display-name'] ?? ''))
      this.styles.set(styleName, this.current)
    } else if (name === 'text-properties' && this.current) {
      const weight = attributes['fo:font-weight']
      if (weight === 'bold' || (weight && Number(weight) >= 600)) this.current.bold = true
      if (weight === 'normal') this.current.bold = false
      const style = attributes['fo:font-style']
      if (style === 'italic' || style === 'oblique') this.current.italic = true
      if (style === 'normal') this.current.italic = false
      const font = attributes['style:font-name'] ?? attributes['fo:font-family'] ?? ''
      if (/mono|courier|consolas|menlo|code/i.test(font)) this.current.code = true
    } else if (name === 'list-style') {
      const styleName = attributes['style:name']
      this.currentList = new Map()
      if (styleName) this.lists.set(styleName, this.currentList)
    } else if (this.currentList && (name === 'list-level-style-number' || name === 'list-level-style-bullet' || name === 'list-level-style-image')) {
      this.currentList.set(Number(attributes['text:level'] ?? '1'), name === 'list-level-style-number' && !!attributes['style:num-format'])
    }
  }

  close(name: string): void {
    if (name === 'style') this.current = undefined
    else if (name === 'list-style') this.currentList = undefined
  }

  /** The style with its parents' properties merged in (nearest wins). */
  resolve(name: string | undefined): OdfStyle {
    const chain: OdfStyle[] = []
    const seen = new Set<string>()
    let next = name
    while (next && !seen.has(next) && chain.length < 32) {
      seen.add(next)
      const style = this.styles.get(next) ?? namedStyle(next)
      chain.push(style)
      next = style.parent
    }
    const out: OdfStyle = {}
    for (const style of chain.reverse()) {
      for (const key of ['bold', 'italic', 'code', 'preformatted', 'heading'] as const) {
        if (style[key] !== undefined) (out as Record<string, unknown>)[key] = style[key]
      }
    }
    return out
  }

  /** Whether level `level` (1-based) of a list style is numbered. */
  isOrdered(listStyle: string | undefined, level: number): boolean {
    return (listStyle && this.lists.get(listStyle)?.get(level)) || false
  }
}

/** Properties implied by LibreOffice's built-in style names (as written, `_20_` = space). */
function namedStyle(name: string): OdfStyle {
  switch (name.replace(/_20_/g, ' ')) {
    case 'Strong Emphasis':
    case 'Strong':
      return { bold: true }
    case 'Emphasis':
      return { italic: true }
    case 'Source Text':
    case 'Teletype':
    case 'Example':
      return { code: true }
    case 'Preformatted Text':
      return { preformatted: true }
    case 'Title':
      return { heading: 1 }
    default:
      return {}
  }
}
