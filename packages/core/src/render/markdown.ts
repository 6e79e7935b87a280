import type { Block, Document, Inline, ListBlock, TableBlock } from '../document.js'

export interface RenderOptions {
  /** Keep running headers, footers and page numbers. @default false */
  includeFurniture?: boolean
}

/** Renders the Document as GitHub-flavoured Markdown: blocks separated by a blank line. */
export function renderMarkdown(document: Document, options: RenderOptions = {}): string {
  const parts: string[] = []
  for (const page of document.pages) {
    for (const block of page.blocks) {
      if (block.role && !options.includeFurniture) continue
      const markdown = renderBlock(block)
      if (markdown) parts.push(markdown)
    }
  }
  return parts.length ? `${parts.join('\n\n')}\n` : ''
}

function renderBlock(block: Block): string {
  switch (block.type) {
    case 'heading':
      return `${'#'.repeat(clamp(block.level, 1, 6))} ${renderInlines(block.inlines, block.text).replace(/\n+/g, ' ')}`
    case 'paragraph':
      return escapeBlockStart(renderInlines(block.inlines, block.text))
    case 'list':
      return renderList(block, 0)
    case 'table':
      return renderTable(block)
    case 'code': {
      const longest = Math.max(2, ...[...block.text.matchAll(/`+/g)].map((m) => m[0].length))
      const fence = '`'.repeat(longest + 1)
      return `${fence}${block.language ?? ''}\n${block.text.replace(/\n+$/, '')}\n${fence}`
    }
    case 'image': {
      const image = `![${escapeInline(block.alt ?? '').replace(/[[\]]/g, '\\$&')}]()`
      return block.ocrText ? `${image}\n\n${escapeBlockStart(escapeInline(block.ocrText))}` : image
    }
  }
}

function renderList(list: ListBlock, depth: number): string {
  const indent = ' '.repeat(depth)
  const start = list.start ?? 1
  return list.items
    .map((item, index) => {
      const marker = list.ordered ? `${start + index}. ` : '- '
      const body = renderInlines(item.inlines, item.text).replace(/\n/g, `\n${indent}${' '.repeat(marker.length)}`)
      const line = `${indent}${marker}${body}`
      return item.children?.items.length ? `${line}\n${renderList(item.children, depth + marker.length)}` : line
    })
    .join('\n')
}

function renderTable(table: TableBlock): string {
  const width = Math.max(1, ...table.rows.map((row) => row.length))
  const rows = table.rows.map((row) => Array.from({ length: width }, (_, i) => escapeCell(row[i] ?? '')))
  const header = table.header === false ? Array.from({ length: width }, () => '') : rows.shift() ?? []
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

function escapeCell(text: string): string {
  return escapeInline(text).replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').trim()
}

/** Renders inline runs with emphasis, code and links; plain `text` when there are none. */
export function renderInlines(inlines: Inline[] | undefined, text: string): string {
  if (!inlines?.length) return escapeInline(text)
  let out = ''
  for (const run of mergeRuns(inlines)) {
    if (!run.text) continue
    const lead = /^\s*/.exec(run.text)![0]
    const trail = /\s*$/.exec(run.text)![0]
    const core = run.text.slice(lead.length, run.text.length - trail.length)
    if (!core) {
      out += run.text
      continue
    }
    let md = run.code ? codeSpan(core) : escapeInline(core)
    if (!run.code && run.bold && run.italic) md = `***${md}***`
    else if (!run.code && run.bold) md = `**${md}**`
    else if (!run.code && run.italic) md = `*${md}*`
    if (run.href) md = `[${md}](${run.href.replace(/[()\s]/g, (c) => encodeURIComponent(c))})`
    out += lead + md + trail
  }
  return out
}

/** Joins neighbouring runs with the same formatting so emphasis is not split word by word. */
function mergeRuns(inlines: Inline[]): Inline[] {
  const merged: Inline[] = []
  for (const run of inlines) {
    const last = merged[merged.length - 1]
    if (last && !!last.bold === !!run.bold && !!last.italic === !!run.italic && !!last.code === !!run.code && last.href === run.href) {
      last.text += run.text
    } else {
      merged.push({ ...run })
    }
  }
  return merged
}

function codeSpan(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const ticks = '`'.repeat(longest + 1)
  return longest ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`
}

/** Escapes characters that would otherwise start emphasis, code, links or HTML. */
function escapeInline(text: string): string {
  return text.replace(/([\\`*_[\]<])/g, (match, char: string, offset: number, whole: string) => {
    // An underscore inside a word (snake_case) cannot start emphasis in GFM.
    if (char === '_' && /\w/.test(whole[offset - 1] ?? '') && /\w/.test(whole[offset + 1] ?? '')) return char
    // A lone `*` between spaces (a multiplication sign) is not emphasis either.
    if (char === '*' && /\s/.test(whole[offset - 1] ?? ' ') && /\s/.test(whole[offset + 1] ?? ' ')) return char
    if (char === '<' && !/[A-Za-z/!?]/.test(whole[offset + 1] ?? '')) return char
    // A backtick run opens a code span only if a run of the same length closes it.
    if (char === '`' && !hasMatchingBacktickRun(whole, offset)) return char
    return `\\${match}`
  })
}

function hasMatchingBacktickRun(text: string, offset: number): boolean {
  let start = offset
  while (text[start - 1] === '`') start--
  let end = offset
  while (text[end] === '`') end++
  const length = end - start
  let runs = 0
  for (const match of text.matchAll(/`+/g)) if (match[0].length === length) runs++
  return runs > 1
}

/** Escapes a paragraph line start that Markdown would read as a heading, list, quote or rule. */
function escapeBlockStart(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^(\s*)([#>+=]|-(?=\s|$)|\d{1,9}(?=[.)]\s|[.)]$))/, '$1\\$2')
        .replace(/^(\s{4,})/, ''),
    )
    .join('\n')
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value) || min))
}
