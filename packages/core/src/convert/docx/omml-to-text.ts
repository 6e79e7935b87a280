import { SaxesParser } from 'saxes'

interface MathNode {
  name: string
  attributes: Record<string, string>
  children: MathNode[]
  text: string
}

/** Deeper OMML than this is read as its plain text (hostile nesting costs no stack). */
const MAX_DEPTH = 64

const NARY: Record<string, string> = { '∑': '\\sum', '∏': '\\prod', '∐': '\\coprod', '∫': '\\int', '∬': '\\iint', '∭': '\\iiint', '∮': '\\oint', '⋃': '\\bigcup', '⋂': '\\bigcap' }

/**
 * Mammoth drops Office Math (OMML) entirely, losing every equation. This rewrites each
 * `m:oMathPara` / `m:oMath` of a WordprocessingML part into a text run holding the
 * equation in LaTeX-like linear form (`$a^{2}+b^{2}=c^{2}$`, display math as `$$...$$`),
 * so the text survives. Fractions, scripts, radicals, n-ary operators, delimiters,
 * functions, accents, limits, arrays and matrices are mapped; anything else keeps its text.
 */
export function rewriteMath(xml: string): string {
  if (!xml.includes('oMath')) return xml
  const prefix = /<([\w.-]+):oMath[\s>]/.exec(xml)?.[1]
  if (!prefix) return xml
  const math = escapeRegExp(prefix)
  const para = new RegExp(`<${math}:oMathPara\\b[^>]*>([\\s\\S]*?)</${math}:oMathPara>`, 'g')
  const inline = new RegExp(`<${math}:oMath\\b[^>]*>[\\s\\S]*?</${math}:oMath>|<${math}:oMath\\b[^>]*/>`, 'g')
  const wordPrefix = /<([\w.-]+):body[\s>]/.exec(xml)?.[1] ?? /<([\w.-]+):p[\s>]/.exec(xml)?.[1] ?? 'w'
  const run = (text: string) => `<${wordPrefix}:r><${wordPrefix}:t xml:space="preserve">${escapeXml(text)}</${wordPrefix}:t></${wordPrefix}:r>`
  const linear = (fragment: string) => {
    const tree = parseFragment(`<root>${fragment}</root>`)
    return tree ? collapse(convert(tree, 0)) : ''
  }
  return xml
    .replace(para, (_, inner: string) => {
      const equations = [...inner.matchAll(inline)].map((m) => linear(m[0])).filter(Boolean)
      return equations.length ? run(` $$${equations.join(' ')}$$ `) : ''
    })
    .replace(inline, (fragment) => {
      const text = linear(fragment)
      return text ? run(`$${text}$`) : ''
    })
}

function convert(node: MathNode, depth: number): string {
  if (depth > MAX_DEPTH) return textOf(node)
  const child = (name: string) => node.children.find((c) => c.name === name)
  const part = (name: string) => {
    const found = child(name)
    return found ? convert(found, depth + 1) : ''
  }
  const prop = (props: string, name: string) => child(props)?.children.find((c) => c.name === name)?.attributes.val
  const all = () => node.children.map((c) => convert(c, depth + 1)).join('')
  // A fraction or radical as the base of a script is grouped, so the script applies to all of it.
  const base = () => {
    const text = part('e')
    return /^\\(frac|sqrt)/.test(text) ? `{${text}}` : text
  }
  switch (node.name) {
    case 't':
      return node.text
    case 'rPr':
    case 'ctrlPr':
    case 'sSupPr':
    case 'sSubPr':
    case 'sSubSupPr':
    case 'fPr':
    case 'radPr':
    case 'naryPr':
    case 'dPr':
    case 'funcPr':
    case 'accPr':
    case 'barPr':
    case 'limLowPr':
    case 'limUppPr':
    case 'eqArrPr':
    case 'mPr':
    case 'boxPr':
    case 'borderBoxPr':
    case 'groupChrPr':
    case 'sPrePr':
    case 'deg':
      return node.name === 'deg' ? all() : ''
    case 'sSup':
      return `${base()}^{${part('sup')}}`
    case 'sSub':
      return `${base()}_{${part('sub')}}`
    case 'sSubSup':
      return `${base()}_{${part('sub')}}^{${part('sup')}}`
    case 'sPre':
      return `{}_{${part('sub')}}^{${part('sup')}}${part('e')}`
    case 'f':
      return `\\frac{${part('num')}}{${part('den')}}`
    case 'rad': {
      const degree = part('deg')
      return degree ? `\\sqrt[${degree}]{${part('e')}}` : `\\sqrt{${part('e')}}`
    }
    case 'nary': {
      const chr = prop('naryPr', 'chr') ?? '∫'
      const sub = part('sub')
      const sup = part('sup')
      return `${NARY[chr] ?? chr}${sub ? `_{${sub}}` : ''}${sup ? `^{${sup}}` : ''}${part('e')}`
    }
    case 'd': {
      const begin = prop('dPr', 'begChr') ?? '('
      const end = prop('dPr', 'endChr') ?? ')'
      const separator = prop('dPr', 'sepChr') ?? '|'
      const inner = node.children.filter((c) => c.name === 'e').map((c) => convert(c, depth + 1))
      const wide = inner.some((text) => /\\frac|\\sum|\\int/.test(text))
      return wide ? `\\left${begin || '.'}${inner.join(separator)}\\right${end || '.'}` : `${begin}${inner.join(separator)}${end}`
    }
    case 'func':
      return `${part('fName')}${part('e')}`
    case 'acc':
      return `\\hat{${part('e')}}`
    case 'bar':
      return `\\overline{${part('e')}}`
    case 'limLow':
      return `${part('e')}_{${part('lim')}}`
    case 'limUpp':
      return `${part('e')}^{${part('lim')}}`
    case 'eqArr':
      return node.children.filter((c) => c.name === 'e').map((c) => convert(c, depth + 1)).join(' \\\\ ')
    case 'm':
      return `\\begin{matrix}${node.children
        .filter((c) => c.name === 'mr')
        .map((row) => row.children.filter((c) => c.name === 'e').map((c) => convert(c, depth + 1)).join(' & '))
        .join(' \\\\ ')}\\end{matrix}`
    default:
      return all()
  }
}

/** Parses a small XML fragment into a tree (local names); undefined when it is not well-formed. */
function parseFragment(xml: string): MathNode | undefined {
  const parser = new SaxesParser({ xmlns: false })
  const root: MathNode = { name: '#root', attributes: {}, children: [], text: '' }
  const stack: MathNode[] = [root]
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {}
    for (const [key, value] of Object.entries(tag.attributes)) attributes[localName(key)] = String(value)
    const node: MathNode = { name: localName(tag.name), attributes, children: [], text: '' }
    stack[stack.length - 1]!.children.push(node)
    stack.push(node)
  })
  parser.on('closetag', () => void stack.pop())
  parser.on('text', (text) => {
    stack[stack.length - 1]!.text += text
  })
  try {
    parser.write(xml).close()
  } catch {
    return undefined
  }
  return root
}

function textOf(node: MathNode): string {
  let out = ''
  const stack = [node]
  while (stack.length) {
    const current = stack.pop()!
    out += current.text
    for (let i = current.children.length - 1; i >= 0; i--) stack.push(current.children[i]!)
  }
  return out
}

function localName(name: string): string {
  const colon = name.indexOf(':')
  return colon === -1 ? name : name.slice(colon + 1)
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
