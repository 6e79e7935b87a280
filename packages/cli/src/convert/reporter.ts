import type { Ora } from 'ora'

export interface FileOutcome {
  input: string
  output?: string
  ok: boolean
  pages: number
  ms: number
  cached: boolean
  /** Pages read by OCR and the providers that read them (absent when no page was). */
  ocr?: { pages: number; providers: string[] }
  /** Set when the result was written but is incomplete. */
  partial?: { reason: string; code?: string }
  error?: { code: string; message: string }
}

/**
 * What the user sees while converting. A terminal gets an ora spinner with the file and
 * pages done; a pipe gets one plain line per file; `--json` gets nothing until the summary.
 */
export interface Reporter {
  start(total: number): void
  progress(file: string, pagesDone: number, pagesTotal: number): void
  finished(outcome: FileOutcome): void
  stop(): void
}

export async function createReporter(mode: 'tty' | 'plain' | 'silent'): Promise<Reporter> {
  if (mode === 'silent') return { start() {}, progress() {}, finished() {}, stop() {} }
  if (mode === 'plain') {
    return {
      start() {},
      progress() {},
      finished: (outcome) => process.stderr.write(`${describe(outcome)}\n`),
      stop() {},
    }
  }
  const { default: ora } = await import('ora')
  const spinner: Ora = ora({ stream: process.stderr, discardStdin: false })
  let total = 0
  let done = 0
  const current = new Map<string, string>()
  const render = () => {
    const active = [...current.values()].slice(-1)[0]
    spinner.text = `Converting ${done}/${total}${active ? `  ${active}` : ''}`
  }
  return {
    start(count) {
      total = count
      render()
      spinner.start()
    },
    progress(file, pagesDone, pagesTotal) {
      current.set(file, pagesTotal ? `${file}  page ${pagesDone}/${pagesTotal}` : file)
      render()
    },
    finished(outcome) {
      done++
      current.delete(outcome.input)
      const line = describe(outcome)
      if (outcome.ok && !outcome.partial) spinner.stopAndPersist({ symbol: '✔', text: line.slice(2) })
      else spinner.stopAndPersist({ symbol: '✖', text: line.slice(2) })
      render()
      if (done < total) spinner.start()
    },
    stop() {
      spinner.stop()
    },
  }
}

function describe(outcome: FileOutcome): string {
  if (!outcome.ok) return `✖ ${outcome.input}  ${outcome.error?.code}: ${outcome.error?.message}`
  const where = outcome.output ? ` → ${outcome.output}` : ''
  const ocr = outcome.ocr ? `, ${outcome.ocr.pages === outcome.pages ? 'all' : outcome.ocr.pages} by OCR (${outcome.ocr.providers.join(', ')})` : ''
  const facts = `${outcome.pages} page${outcome.pages === 1 ? '' : 's'}${ocr}, ${formatMs(outcome.ms)}${outcome.cached ? ', cached' : ''}`
  if (outcome.partial) return `✖ ${outcome.input}${where}  (${facts}) PARTIAL ${outcome.partial.code ?? ''}: ${outcome.partial.reason}`
  return `✔ ${outcome.input}${where}  (${facts})`
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}
