import { resolve } from 'node:path'
import { UsageError } from '../exit-codes.js'
import { type Collected, collectInputs } from './collect-inputs.js'
import { createReporter, type FileOutcome, type Reporter } from './reporter.js'
import type { ConvertCommandOptions } from './run-convert.js'

export interface ConvertRun {
  collected: Collected
  /** Where results go; undefined when the single result goes to stdout. */
  outDir: string | undefined
  reporter: Reporter
  /** Outcomes so far: the inputs that could not even be collected. */
  outcomes: FileOutcome[]
}

/**
 * What local and remote `convert` share before converting: checks --pages, expands the
 * inputs, decides stdout or an output folder, starts the reporter and reports inputs that
 * could not be collected.
 */
export async function startConvert(inputs: string[], options: ConvertCommandOptions): Promise<ConvertRun> {
  const { parsePageSelection } = await import('@docloader/core')
  try {
    parsePageSelection(options.pages)
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
  return { collected, outDir, reporter, outcomes }
}
