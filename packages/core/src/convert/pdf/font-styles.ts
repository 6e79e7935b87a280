import type { TextStyle } from './types.js'

/** `styles` of a pdfjs text content: loadedName -> { fontFamily, ... }. */
export type TextStyles = Record<string, { fontFamily?: string }>

interface ExportedFont {
  name?: string
  bold?: boolean
  italic?: boolean
  black?: boolean
  fallbackName?: string
}

interface CommonObjs {
  has(id: string): boolean
  get(id: string): unknown
}

const BOLD = /bold|black|heavy|semibold|demibold|extrabold|ultrabold|cmbx|cmb\d|cmbsy|-bd\b|,bd\b/i
const ITALIC = /italic|oblique|cmti|cmsl|cmbxti|cmbxsl|-it\b|,it\b|slanted/i
const MONO = /mono|courier|typewriter|cmtt|cmvtt|consolas|menlo|inconsolata|lucidaconsole|fixed|\btt\d|txtt|pcrr|pcrb|sourcecodepro|firacode|jetbrains/i

/** Bold / italic / monospace from a font name such as `ABCDEF+DejaVuSans-BoldOblique`. */
export function styleFromFontName(name: string): TextStyle {
  const bare = name.replace(/^[A-Z]{6}\+/, '')
  return { bold: BOLD.test(bare), italic: ITALIC.test(bare), mono: MONO.test(bare) }
}

/**
 * Font styles of a document, keyed by pdfjs's loadedName (stable across pages of one document).
 * Text content only gives a generic family; the real font name reaches `page.commonObjs` once
 * an operator list of a page using the font was built, so that is requested only for pages
 * that bring fonts not seen before.
 */
export class FontStyles {
  private readonly known = new Map<string, TextStyle>()

  /**
   * Whether this page sets text worth styling in a font whose name is not known yet: a word
   * of three letters or more, 16 characters in all, or any text in a font pdfjs guesses is
   * monospace. Fonts used only for a few symbols (math,
   * bullets, a dingbat) are not worth an operator list; they are learnt on a later page that
   * uses them for words, or keep the style their family suggests.
   */
  needsNames(items: readonly unknown[], styles: TextStyles): boolean {
    let chars: Map<string, number> | undefined
    for (const raw of items) {
      const item = raw as { str?: string; fontName?: string }
      const name = item.fontName
      if (!name || this.known.has(name) || !item.str) continue
      // pdfjs's monospace guess: maybe a code font, where even one character matters
      if (/\p{L}{3}/u.test(item.str) || styles[name]?.fontFamily === 'monospace') return true
      chars ??= new Map()
      const n = (chars.get(name) ?? 0) + item.str.trim().length
      if (n >= 16) return true
      chars.set(name, n)
    }
    return false
  }

  /** Records the fonts of a page after its operator list was built. */
  learn(styles: TextStyles, commonObjs: CommonObjs): void {
    for (const loadedName in styles) {
      if (this.known.has(loadedName)) continue
      let font: ExportedFont | undefined
      try {
        font = commonObjs.has(loadedName) ? (commonObjs.get(loadedName) as ExportedFont) : undefined
      } catch {
        font = undefined
      }
      const family = styles[loadedName]?.fontFamily ?? ''
      const byName = styleFromFontName(font?.name ?? '')
      this.known.set(loadedName, {
        bold: byName.bold || font?.bold === true || font?.black === true,
        italic: byName.italic || font?.italic === true,
        // pdfjs guesses "monospace" from a flag that subset fonts often set wrongly: a real
        // font name decides when there is one.
        mono: byName.mono || (!meaningfulName(font?.name) && (family === 'monospace' || font?.fallbackName === 'monospace')),
      })
    }
  }

  styleOf(loadedName: string, styles: TextStyles): TextStyle {
    const known = this.known.get(loadedName)
    if (known) return known
    // A font not learnt (used for a few symbols only): its generic family says little, and
    // pdfjs's "monospace" guess is often wrong for subset fonts, so it is plain text.
    const family = styles[loadedName]?.fontFamily ?? ''
    if (family === 'monospace' || family === 'serif' || family === 'sans-serif') return { bold: false, italic: false, mono: false }
    return { bold: BOLD.test(family), italic: ITALIC.test(family), mono: MONO.test(family) }
  }
}

/** False for missing names and generic ones such as `F1` or `T3_0` that say nothing about the face. */
function meaningfulName(name: string | undefined): boolean {
  if (!name) return false
  const bare = name.replace(/^[A-Z]{6}\+/, '')
  return /[A-Za-z]{3,}/.test(bare) && !/^(?:F|T3|Font|TT)[_\d]/i.test(bare)
}
