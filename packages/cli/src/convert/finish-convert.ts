import { isAbsolute, relative } from 'node:path'
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.js'
import { type FileOutcome, formatMs } from './reporter.js'

/** Output file extensions by `--format`. */
export const EXTENSIONS = { md: 'md', txt: 'txt', json: 'json' } as const

/**
 * Ends a `docloader convert` run, local or remote alike: the `--json` summary on stdout, or
 * the counts and the failures on stderr. Resolves to the exit code.
 */
export function finishConvert(run: { outcomes: FileOutcome[]; skipped: string[]; outDir: string | undefined; started: number; json: boolean | undefined }): number {
  const { outcomes, skipped, outDir } = run
  const failed = outcomes.filter((outcome) => !outcome.ok || outcome.partial)
  const converted = outcomes.filter((outcome) => outcome.ok && !outcome.partial)
  const pages = outcomes.reduce((sum, outcome) => sum + outcome.pages, 0)
  const ms = performance.now() - run.started
  if (run.json) {
    const summary = {
      ok: failed.length === 0,
      converted: converted.length,
      failed: failed.length,
      skipped,
      pages,
      ms: Math.round(ms),
      ...(outDir ? { out: outDir } : {}),
      files: outcomes,
    }
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  } else {
    const lines = [
      `${converted.length} converted, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped (unsupported type)` : ''}; ${pages} page${pages === 1 ? '' : 's'} in ${formatMs(ms)}${outDir && converted.length ? ` → ${displayPath(outDir)}` : ''}`,
    ]
    if (failed.length) {
      lines.push('Failed:')
      for (const outcome of failed) {
        const error = outcome.error ?? { code: outcome.partial?.code ?? 'PARTIAL', message: `partial result: ${outcome.partial?.reason}` }
        lines.push(`  ${outcome.input}  ${error.code}  ${error.message}`)
      }
    }
    process.stderr.write(`${lines.join('\n')}\n`)
  }
  return failed.length ? EXIT_FAILED : EXIT_OK
}

/** A path relative to the working folder when inside it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel
}
