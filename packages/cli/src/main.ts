import { readFileSync } from 'node:fs'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

/** Runs the CLI with the given argv and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('docloader')
    .description('Convert documents (PDF, Word, PowerPoint, Excel, OpenDocument, EPUB, HTML, images, text, Markdown, CSV) into Markdown, plain text or JSON, locally or as a service.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run `docloader convert --help` for usage)')

  let exitCode = EXIT_OK
  program
    .command('convert')
    .description('Convert files, folders (recursed) and globs.')
    .argument('<inputs...>', 'files, folders and glob patterns')
    .option('-o, --out <dir>', 'write results here, mirroring input paths (default: stdout when the only input is one file, else ./docloader-out)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['md', 'txt', 'json']).default('md'))
    .addOption(new Option('--ocr <mode>', 'auto: OCR only pages and images without a usable text layer; force: every page; off: never').choices(['auto', 'off', 'force']).default('auto'))
    .option('--ocr-provider <names>', 'OCR providers tried in order per page, e.g. mistral,tesseract (mistral reads MISTRAL_API_KEY and MISTRAL_SERVER_URL)', providerList)
    .option('--lang <codes>', 'OCR languages, e.g. eng,deu (each needs the npm package @tesseract.js-data/<code>; eng is included)', languageList)
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
    .option('--server <url>', 'convert on a docloader server instead of locally (env DOCLOADER_SERVER)')
    .option('--api-key <key>', 'API key for --server (env DOCLOADER_API_KEY)')
    .action(async (inputs: string[], options) => {
      const { runConvert } = await import('./convert/run-convert.js')
      exitCode = await runConvert(inputs, options)
    })

  program
    .command('serve')
    .description('Run the HTTP API with async conversion jobs (embedded store and workers: no services needed).')
    .option('--port <port>', 'port to listen on', port, 9001)
    .option('--host <host>', 'interface to listen on (0.0.0.0 for other machines)', '127.0.0.1')
    .option('--data-dir <dir>', 'folder for the job database, files and the server secret', 'docloader-data')
    .option('--store <path|url>', 'job records: a SQLite file or redis://host:port (env DOCLOADER_STORE; default <data-dir>/jobs.sqlite)')
    .option('--queue <url>', 'job queue: embedded (default) or redis://host:port, converted by `docloader worker` processes (env DOCLOADER_QUEUE)')
    .option('--storage <dir|url>', 'uploads and results: a folder or s3://bucket/prefix (env DOCLOADER_STORAGE; default <data-dir>/files)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// storage, e.g. http://minio:9000, path-style (env DOCLOADER_S3_ENDPOINT; default: AWS; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)')
    .option('--keys-file <path>', 'API keys, one "key:organisation" per line (or env DOCLOADER_API_KEYS=key1:org1,key2:org2)')
    .option('-c, --concurrency <n>', 'conversions at once (default: CPU count)', positiveInteger('--concurrency'))
    .option('--max-upload-bytes <bytes>', 'largest upload (default 100 MiB)', positiveInteger('--max-upload-bytes'))
    .option('--retention-hours <hours>', 'how long jobs and results are kept (default 168 = 7 days)', positiveNumber('--retention-hours'))
    .option('--hard-timeout <seconds>', 'per-job hard time limit: the conversion is killed and fails with TIMEOUT (default 600)', positiveNumber('--hard-timeout'))
    .option('--soft-timeout <seconds>', 'per-job soft time limit: OCR stops and the partial result is kept', positiveNumber('--soft-timeout'))
    .option('--public-url <url>', 'base URL for result links (default http://<host>:<port>)')
    .option('--allow-private-webhooks', 'accept webhook URLs on loopback/private addresses (env DOCLOADER_ALLOW_PRIVATE_WEBHOOKS=1)')
    .action(async (options) => {
      const { runServe } = await import('./serve/run-serve.js')
      exitCode = await runServe(options)
    })

  program
    .command('worker')
    .description('Convert jobs from a Redis queue (run `docloader serve --queue redis://... --store redis://...` for the API).')
    .option('--queue <url>', 'Redis of the job queue, redis://[:password@]host:port (env DOCLOADER_QUEUE)')
    .option('--store <url>', 'Redis of the job store shared with the API (env DOCLOADER_STORE; default: the --queue URL)')
    .option('--storage <dir|url>', "uploads and results: the API's --storage, a folder every machine shares or s3://bucket/prefix (env DOCLOADER_STORAGE; default docloader-data/files)")
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// storage, path-style (env DOCLOADER_S3_ENDPOINT; default: AWS)')
    .option('-c, --concurrency <n>', 'conversions at once (default: CPU count)', positiveInteger('--concurrency'))
    .option('--hard-timeout <seconds>', 'per-job hard time limit (default 600)', positiveNumber('--hard-timeout'))
    .option('--soft-timeout <seconds>', 'per-job soft time limit: OCR stops and the partial result is kept', positiveNumber('--soft-timeout'))
    .option('--max-attempts <n>', 'attempts per job, interrupted ones (killed workers) included, before it fails (default 3)', positiveInteger('--max-attempts'))
    .option('--lock-duration <seconds>', "lock on a running job: a killed worker's job goes to another worker after about this (default 10)", positiveNumber('--lock-duration'))
    .option('--stalled-interval <seconds>', 'how often to look for jobs whose lock expired (default 5)', positiveNumber('--stalled-interval'))
    .option('--max-jobs <n>', 'replace the worker process after this many jobs, 0 for never (env DOCLOADER_WORKER_MAX_JOBS; default 1000)', wholeNumber('--max-jobs'))
    .option('--max-memory <MB>', 'replace the worker process once its memory (RSS) is above this, 0 for never (env DOCLOADER_WORKER_MAX_MEMORY_MB; default 0)', wholeNumber('--max-memory'))
    .action(async (options) => {
      const { runWorker } = await import('./worker/run-worker.js')
      exitCode = await runWorker(options)
    })

  const jobs = program
    .command('jobs')
    .description('Look at and manage jobs on a docloader server, for scripts (JSON on stdout).')
  const remote = (command: Command) =>
    command
      .option('--server <url>', 'the docloader server (env DOCLOADER_SERVER)')
      .option('--api-key <key>', 'API key (env DOCLOADER_API_KEY)')
  const runJobsAction = (action: 'get' | 'list' | 'wait' | 'result' | 'cancel') => async (...args: unknown[]) => {
    const { runJobs } = await import('./jobs/run-jobs.js')
    const id = typeof args[0] === 'string' ? args[0] : undefined
    const options = (id === undefined ? args[0] : args[1]) as Parameters<typeof runJobs>[2]
    exitCode = await runJobs(action, id, options)
  }
  remote(jobs.command('get').description('Print a job as JSON.').argument('<id>', 'job id')).action(runJobsAction('get'))
  remote(
    jobs
      .command('list')
      .description("Print the organisation's jobs as a JSON array, newest first.")
      .option('--status <status>', 'only jobs with this status: pending, processing, completed, failed, cancelled')
      .option('--limit <n>', 'most jobs listed (default 20)', positiveInteger('--limit')),
  ).action(runJobsAction('list'))
  remote(
    jobs
      .command('wait')
      .description('Wait until a job ends and print it as JSON; exit code 1 unless it completed.')
      .argument('<id>', 'job id')
      .option('--timeout <seconds>', 'give up after this long (exit code 1, code TIMEOUT)', positiveNumber('--timeout'))
      .option('--events', 'follow the server-sent event stream instead of polling'),
  ).action(runJobsAction('wait'))
  remote(
    jobs
      .command('result')
      .description("Print a completed job's result (or write it to a file).")
      .argument('<id>', 'job id')
      .option('-o, --out <file>', 'write the result to this file'),
  ).action(runJobsAction('result'))
  remote(jobs.command('cancel').description('Cancel a pending or processing job; prints it as JSON.').argument('<id>', 'job id')).action(runJobsAction('cancel'))

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
    // Storage or another service that does not answer at start: the message says what to fix.
    if ((error as { code?: unknown }).code === 'UNAVAILABLE') {
      process.stderr.write(`docloader: UNAVAILABLE: ${(error as Error).message}\n`)
      return EXIT_FAILED
    }
    process.stderr.write(`docloader: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT_FAILED
  }
}

function port(value: string): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0 || number > 65535) throw new InvalidArgumentError(`--port must be a port number from 0 to 65535, got "${value}".`)
  return number
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    const number = Number(value)
    if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`${flag} must be a whole number from 1 up, got "${value}".`)
    return number
  }
}

function wholeNumber(flag: string) {
  return (value: string): number => {
    const number = Number(value)
    if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`${flag} must be a whole number from 0 up, got "${value}".`)
    return number
  }
}

const OCR_PROVIDERS = ['tesseract', 'mistral']

/** `--ocr-provider mistral,tesseract`: known names, each once. */
function providerList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase())
  for (const name of names) {
    if (!OCR_PROVIDERS.includes(name)) throw new InvalidArgumentError(`--ocr-provider takes a comma-separated list of ${OCR_PROVIDERS.join(', ')}, got "${name || value}".`)
  }
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`--ocr-provider names each provider once, got "${value}".`)
  return names
}

/** `--lang eng,deu`: tesseract language codes (three letters, or script variants such as chi_sim). */
function languageList(value: string): string[] {
  const codes = value.split(/[,+]/).map((code) => code.trim())
  for (const code of codes) {
    if (!/^[a-z]{3}(_[a-z]+)?$/.test(code)) throw new InvalidArgumentError(`--lang takes tesseract language codes such as eng,deu or chi_sim, got "${code || value}".`)
  }
  return codes
}

function positiveNumber(flag: string) {
  return (value: string): number => {
    const number = Number(value)
    if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`${flag} must be a number above 0, got "${value}".`)
    return number
  }
}
