import { readFileSync } from 'node:fs'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

/** Runs the CLI with the given argv and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('docloader')
    .description('Convert documents (PDF, text, Markdown, CSV) into Markdown, plain text or JSON.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run `docloader convert --help` for usage)')

  let exitCode = EXIT_OK
  program
    .command('convert')
    .description('Convert files, folders (recursed) and globs.')
    .argument('<inputs...>', 'files, folders and glob patterns')
    .option('-o, --out <dir>', 'write results here, mirroring input paths (default: stdout for one input, ./docloader-out for several)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['md', 'txt', 'json']).default('md'))
    .option('--pages <ranges>', 'pages to convert, e.g. 1-3,7 or 5-')
    .option('--password <password>', 'password for encrypted PDFs')
    .option('-c, --concurrency <n>', 'documents converted at once (default: CPU count)', positiveInteger('--concurrency'))
    .option('--timeout <seconds>', 'time limit per document, in seconds', positiveNumber('--timeout'))
    .option('--max-bytes <bytes>', 'largest file accepted, in bytes (default 100 MiB)', positiveInteger('--max-bytes'))
    .option('--max-pages <n>', 'most pages a document may have (default 2000)', positiveInteger('--max-pages'))
    .option('--include-furniture', 'keep running headers, footers and page numbers in md/txt output')
    .option('--cache <dir>', 'result cache folder (default: $XDG_CACHE_HOME/docloader or ~/.cache/docloader)')
    .option('--no-cache', 'do not read or write the result cache')
    .option('--json', 'print one JSON summary on stdout (no spinner), for scripts and CI')
    .option('--fail-fast', 'stop at the first failure')
    .action(async (inputs: string[], options) => {
      const { runConvert } = await import('./convert/run-convert.js')
      exitCode = await runConvert(inputs, options)
    })

  try {
    await program.parseAsync(argv)
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    if (error instanceof UsageError) {
      process.stderr.write(`docloader: ${error.message}\n`)
      return EXIT_USAGE
    }
    process.stderr.write(`docloader: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT_FAILED
  }
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    const number = Number(value)
    if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`${flag} must be a whole number from 1 up, got "${value}".`)
    return number
  }
}

function positiveNumber(flag: string) {
  return (value: string): number => {
    const number = Number(value)
    if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`${flag} must be a number above 0, got "${value}".`)
    return number
  }
}
