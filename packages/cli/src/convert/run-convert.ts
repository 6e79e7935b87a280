import { mkdir, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { ConvertOptions, OutputFormat } from '@docloader/core'
import { EXIT_FAILED, EXIT_OK, UsageError } from '../exit-codes.js'
import { collectInputs } from './collect-inputs.js'
import { createReporter, type FileOutcome, formatMs } from './reporter.js'

export interface ConvertCommandOptions {
  out?: string
  format: 'md' | 'txt' | 'json'
  pages?: string
  password?: string
  concurrency?: number
  timeout?: number
  maxBytes?: number
  maxPages?: number
  includeFurniture?: boolean
  /** A folder, or false for --no-cache. */
  cache?: string | boolean
  json?: boolean
  failFast?: boolean
}

const EXTENSIONS: Record<OutputFormat, string> = { markdown: 'md', text: 'txt', json: 'json' }

/** `docloader convert`: resolves to the exit code. */
export async function runConvert(inputs: string[], options: ConvertCommandOptions): Promise<number> {
  const started = performance.now()
  const core = await import('@docloader/core')
  const format = core.normaliseFormat(options.format)
  try {
    core.parsePageSelection(options.pages)
  } catch (error) {
    throw new UsageError((error as Error).message.replace('`pages`', '--pages'))
  }

  const collected = await collectInputs(inputs)
  // Stdout only for one file named as such: a folder or glob writes files even when it matches one.
  const toStdout =
    !options.out && !options.json && inputs.length === 1 && collected.files.length === 1 && collected.files[0]!.from === 'file' && collected.failures.length === 0
  const outDir = options.out ? resolve(options.out) : toStdout ? undefined : resolve('docloader-out')
  // A terminal that reports 0 columns (a pty without a size: `script`, some container and CI
  // shells) gets plain lines: ora would divide by 0 and clear Infinity lines, hanging the run.
  const mode = options.json ? 'silent' : process.stderr.isTTY && process.stderr.columns > 0 ? 'tty' : 'plain'
  const reporter = await createReporter(mode)

  const outcomes: FileOutcome[] = collected.failures.map((failure) => ({
    input: failure.input,
    ok: false,
    pages: 0,
    ms: 0,
    cached: false,
    error: { code: failure.code, message: failure.message },
  }))
  for (const outcome of outcomes) reporter.finished(outcome)

  const cacheDir = options.cache === false ? undefined : typeof options.cache === 'string' ? resolve(options.cache) : defaultCacheDir()
  const engine = core.createEngine({
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    cache: cacheDir ? new core.DirectoryStore(cacheDir) : false,
    limits: { ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}), ...(options.maxPages ? { maxPages: options.maxPages } : {}) },
    ...(options.timeout ? { timeout: options.timeout * 1000 } : {}),
  })
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const byPath = new Map(collected.files.map((file) => [file.path, file]))
  engine.on('progress', (event) => {
    const file = event.filename ? byPath.get(event.filename) : undefined
    if (file) reporter.progress(file.display, event.pagesDone, event.pagesTotal)
  })

  const convertOptions: ConvertOptions = {
    format,
    signal: stop.signal,
    ...(options.pages ? { pages: options.pages } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.includeFurniture ? { includeFurniture: true } : {}),
  }
  // --fail-fast: an input that could not even be collected (missing, no match) is the first failure.
  if (options.failFast && outcomes.length) stop.abort()
  reporter.start(collected.files.length)
  try {
    for await (const item of engine.convertMany(
      collected.files.map((file) => file.path),
      convertOptions,
    )) {
      const file = collected.files[item.index]!
      if (!item.ok) {
        const outcome: FileOutcome = { input: file.display, ok: false, pages: 0, ms: 0, cached: false, error: item.error.toJSON() }
        outcomes.push(outcome)
        reporter.finished(outcome)
        if (options.failFast && !stop.signal.aborted && item.error.code !== 'CANCELLED') stop.abort()
        continue
      }
      const { result } = item
      let output: string | undefined
      if (outDir) {
        const target = join(outDir, `${file.outputName}.${EXTENSIONS[format]}`)
        await mkdir(dirname(target), { recursive: true })
        await writeFile(target, result.content)
        output = displayPath(target)
      } else {
        process.stdout.write(result.content)
      }
      const outcome: FileOutcome = {
        input: file.display,
        ...(output ? { output } : {}),
        ok: true,
        pages: result.metadata.pagesConverted,
        ms: result.metadata.timings.totalMs,
        cached: result.cached,
        ...(result.metadata.partial ? { partial: result.metadata.partial } : {}),
      }
      outcomes.push(outcome)
      reporter.finished(outcome)
      if (options.failFast && outcome.partial && !stop.signal.aborted) stop.abort()
    }
  } finally {
    reporter.stop()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await engine.close()
  }

  const failed = outcomes.filter((outcome) => !outcome.ok || outcome.partial)
  const converted = outcomes.filter((outcome) => outcome.ok && !outcome.partial)
  const pages = outcomes.reduce((sum, outcome) => sum + outcome.pages, 0)
  const ms = performance.now() - started
  if (options.json) {
    const summary = {
      ok: failed.length === 0,
      converted: converted.length,
      failed: failed.length,
      skipped: collected.skipped,
      pages,
      ms: Math.round(ms),
      ...(outDir ? { out: outDir } : {}),
      files: outcomes,
    }
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  } else {
    const lines = [
      `${converted.length} converted, ${failed.length} failed${collected.skipped.length ? `, ${collected.skipped.length} skipped (unsupported type)` : ''}; ${pages} page${pages === 1 ? '' : 's'} in ${formatMs(ms)}${outDir && converted.length ? ` → ${displayPath(outDir)}` : ''}`,
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

function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'docloader')
}

/** A path relative to the working folder when inside it, else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel
}
