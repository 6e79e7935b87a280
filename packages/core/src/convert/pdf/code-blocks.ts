import type { Line, Run } from './types.js'

/** A line is code when all its visible text is in a monospace font. */
export function isCodeLine(line: Line): boolean {
  let chars = 0
  for (const span of line.spans) {
    const visible = span.text.trim().length
    if (visible === 0) continue
    if (!span.style.mono) return false
    chars += visible
  }
  return chars > 0
}

/**
 * Text of a code block with its line breaks and indentation: columns come from positions
 * divided by the width of one monospace character, blank lines from vertical gaps.
 */
export function codeText(lines: Line[]): string {
  const charWidth = monoCharWidth(lines)
  const left = Math.min(...lines.map((l) => l.x0))
  const out: string[] = []
  let previous: Line | undefined
  for (const line of lines) {
    if (previous) {
      const spacing = Math.max(previous.size, line.size) * 1.2
      const blank = Math.round((line.baseline - previous.baseline) / spacing) - 1
      for (let i = 0; i < Math.min(blank, 3); i++) out.push('')
    }
    out.push(lineText(line, left, charWidth))
    previous = line
  }
  return out.join('\n')
}

function lineText(line: Line, left: number, charWidth: number): string {
  const runs = [...line.runs].sort((p, q) => p.x0 - q.x0)
  let text = ' '.repeat(Math.max(0, Math.round((line.x0 - left) / charWidth)))
  let end: number | undefined
  for (const run of runs) {
    if (end !== undefined) {
      const gap = run.x0 - end
      const spaces = gap > 0.4 * charWidth ? Math.max(1, Math.round(gap / charWidth)) : 0
      if (!/\s$/.test(text) && !/^\s/.test(run.text)) text += ' '.repeat(spaces)
    }
    text += run.text
    end = run.x1
  }
  return text.replace(/\s+$/, '')
}

function monoCharWidth(lines: Line[]): number {
  const widths: number[] = []
  for (const line of lines) {
    for (const run of line.runs as Run[]) {
      if (run.text.length >= 2) widths.push((run.x1 - run.x0) / run.text.length)
    }
  }
  widths.sort((p, q) => p - q)
  const median = widths[Math.floor(widths.length / 2)]
  return median && median > 0.5 ? median : 0.6 * (lines[0]?.size ?? 10)
}
