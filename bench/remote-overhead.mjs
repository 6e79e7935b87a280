#!/usr/bin/env node
// Overhead of converting through a server: `pnpm bench:remote` (see bench/README.md).
//
// The born-digital corpus PDFs, each converted in the same run (rounds interleaved, the
// order of local and remote alternating per round, after one warm-up round):
//   - locally: the built @docloader/core, createEngine({ concurrency: 1, cache: false }),
//     engine.convert(path, { format: 'markdown' });
//   - remotely: the built @docloader/client against a server (startServer of the built
//     @docloader/server, one conversion thread) in a child process on loopback:
//     createJob(path) + waitForJob (event stream, and polling with its defaults) + getResult.
// Overhead per document = remote wall time - local wall time; "minus upload" also takes away
// the createJob call (upload + job creation). Medians over the rounds, per file and overall.
// The Markdown of both ways is compared (it must be identical).
//
// Internal: `node bench/remote-overhead.mjs --server-child <json>` is the server process.
import { fork } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  REPO_DIR,
  commandLine,
  corpusFiles,
  factsMarkdown,
  fail,
  fmt,
  loadCorpus,
  machineFacts,
  markdownTable,
  median,
  parseArgs,
  passMiss,
  requireBuild,
  runMain,
  scratchDir,
  writeResultsSection,
} from './lib/common.mjs'

const USAGE = `Usage: node bench/remote-overhead.mjs [options]      (pnpm bench:remote [options])

Options:
  --corpus <dir>        corpus folder with manifest.json (default: ../shared/corpus next to the repo)
  --runs <n>            timed rounds (default 5); medians are reported
  --no-poll             skip the polling variant (event stream only)
  --no-write            print the results without updating bench/RESULTS.md
  -h, --help            this help`

const TARGET_MS = 50
const KEY = 'bench-remote-key-0123456789'
const SERVER_DIST = path.join(REPO_DIR, 'packages/server/dist/index.js')
const CLIENT_DIST = path.join(REPO_DIR, 'packages/client/dist/index.js')
const CORE_DIST = path.join(REPO_DIR, 'packages/core/dist/index.js')

if (process.argv[2] === '--server-child') {
  // The server process: start, report the URL, stop on disconnect.
  const options = JSON.parse(process.argv[3])
  const { startServer } = await import(pathToFileURL(SERVER_DIST).href)
  const pino = createRequire(path.join(REPO_DIR, 'packages/server/package.json'))('pino')
  const server = await startServer({ ...options, logger: pino({ level: 'silent' }) })
  process.send({ url: server.url })
  process.on('disconnect', () => server.close(0).then(() => process.exit(0)))
} else {
  runMain(main)
}

async function main() {
  const options = parseArgs(process.argv.slice(2), { corpus: 'string', runs: 'number', poll: 'boolean', write: 'boolean' }, USAGE)
  const runs = Math.max(1, Math.round(options.runs ?? 5))
  const withPoll = options.poll ?? true
  const corpus = loadCorpus(options.corpus)
  const files = corpusFiles(corpus, ['born_digital_pdf'])
  requireBuild()
  for (const file of [SERVER_DIST, CLIENT_DIST]) if (!fs.existsSync(file)) fail(`${path.relative(REPO_DIR, file)} is missing: build first with \`pnpm build\`.`)

  const dataDir = scratchDir('remote-overhead')
  const child = fork(new URL(import.meta.url).pathname, ['--server-child', JSON.stringify({ port: 0, dataDir, keys: [{ key: KEY, org: 'bench' }], concurrency: 1, rateLimit: { perSecond: 10000, burst: 10000 } })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const { url } = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`the server process exited with code ${code}`)))
  })
  try {
    const { createEngine } = await import(pathToFileURL(CORE_DIST).href)
    const { DocloaderClient } = await import(pathToFileURL(CLIENT_DIST).href)
    const engine = createEngine({ concurrency: 1, cache: false })
    const client = new DocloaderClient({ baseUrl: url, apiKey: KEY })
    const modes = ['events', ...(withPoll ? ['poll'] : [])]

    const local = async (file) => {
      const started = performance.now()
      const result = await engine.convert(file.path, { format: 'markdown' })
      return { ms: performance.now() - started, content: result.content }
    }
    const remote = async (file, mode) => {
      const started = performance.now()
      const job = await client.createJob(file.path, { outputFormat: 'md' })
      const uploadMs = performance.now() - started
      const done = await client.waitForJob(job.id, mode === 'events' ? { useEvents: true } : {})
      if (done.status !== 'completed') fail(`${file.file}: the job ${done.status}: ${done.error?.code} ${done.error?.message}`)
      const content = await client.getResult(job.id)
      const ms = performance.now() - started
      return { ms, uploadMs, serverMs: Date.parse(done.completed_at) - Date.parse(done.started_at), content }
    }

    /** per file: { local: [ms], events: { ms: [], uploadMs: [], serverMs: [] }, poll: {...} } */
    const samples = new Map(files.map((file) => [file.file, { local: [], ...Object.fromEntries(modes.map((mode) => [mode, { ms: [], uploadMs: [], serverMs: [] }])) }]))
    const mismatches = new Set()
    for (let round = 0; round <= runs; round++) {
      const warmUp = round === 0
      process.stderr.write(warmUp ? 'warm-up round' : `round ${round}/${runs}`)
      for (const file of files) {
        const order = round % 2 ? ['local', ...modes] : [...modes, 'local']
        let localContent
        const remoteContents = []
        for (const way of order) {
          if (way === 'local') {
            const result = await local(file)
            localContent = result.content
            if (!warmUp) samples.get(file.file).local.push(result.ms)
          } else {
            const result = await remote(file, way)
            remoteContents.push(result.content)
            if (!warmUp) for (const key of ['ms', 'uploadMs', 'serverMs']) samples.get(file.file)[way][key].push(result[key])
          }
        }
        if (remoteContents.some((content) => content !== localContent)) mismatches.add(file.file)
        process.stderr.write('.')
      }
      process.stderr.write('\n')
    }
    await engine.close()

    const rows = []
    const overall = Object.fromEntries(modes.map((mode) => [mode, { overhead: [], minusUpload: [], upload: [] }]))
    for (const file of files) {
      const sample = samples.get(file.file)
      const localMs = median(sample.local)
      const row = [file.file, String(file.pages ?? '?'), `${Math.round(file.bytes / 1024)} KB`, fmt(localMs, 0)]
      for (const mode of modes) {
        const remoteMs = median(sample[mode].ms)
        const uploadMs = median(sample[mode].uploadMs)
        const overhead = remoteMs - localMs
        // Per round: the remote wall time not spent converting nor uploading (conversion time
        // varies by hundreds of ms between runs on a busy machine; this does not).
        const service = median(sample[mode].ms.map((ms, index) => ms - sample[mode].serverMs[index] - sample[mode].uploadMs[index]))
        overall[mode].overhead.push(overhead)
        overall[mode].minusUpload.push(service)
        overall[mode].upload.push(uploadMs)
        row.push(fmt(remoteMs, 0), fmt(uploadMs, 1), fmt(median(sample[mode].serverMs), 0), fmt(overhead, 0), fmt(service, 1))
      }
      rows.push(row)
    }

    const facts = machineFacts()
    const summary = modes.map((mode) => {
      const minusUpload = median(overall[mode].minusUpload)
      return [
        `remote overhead per document beyond conversion and upload, ${mode === 'events' ? 'waiting on the event stream' : 'waiting by polling (defaults: 250 ms growing to 5 s)'} (median over files)`,
        `< ${TARGET_MS} ms`,
        `${fmt(minusUpload, 1)} ms (upload ${fmt(median(overall[mode].upload), 1)} ms; remote − local wall ${fmt(median(overall[mode].overhead), 0)} ms)`,
        mode === 'events' ? passMiss(minusUpload < TARGET_MS) : 'info',
      ]
    })
    const header = ['file', 'pages', 'size', 'local ms']
    for (const mode of modes) header.push(`remote ms (${mode})`, 'upload ms', 'server conversion ms', 'remote − local ms', 'overhead beyond conversion and upload ms')
    const markdown = [
      '## Remote overhead (`pnpm bench:remote`)',
      '',
      factsMarkdown(facts, commandLine({ npm: 'bench:remote', file: 'remote-overhead.mjs' }), [
        `Corpus: ${corpus.dir} (born-digital: ${files.length} PDFs)`,
        `${runs} timed rounds after one warm-up round, local and remote interleaved (order alternating per round); medians`,
        'Local: createEngine({ concurrency: 1, cache: false }).convert(path, { format: markdown }) in this process',
        'Remote: @docloader/client createJob(path) + waitForJob + getResult against startServer({ concurrency: 1 }) in a child process on 127.0.0.1',
        `Markdown identical both ways: ${mismatches.size ? `NO, differs for ${[...mismatches].join(', ')}` : 'yes, every file'}`,
      ]),
      '',
      '### Target',
      '',
      markdownTable(['measure', 'target', 'measured', 'result'], summary, 'llrl'),
      '',
      '### Per file (medians, ms)',
      '',
      markdownTable(header, rows, `lrrr${modes.map(() => 'rrrrr').join('')}`),
      '',
      'Upload = the createJob call (multipart upload streamed from the file, job written to the store, 202). Server conversion = completed_at − started_at of the job (the worker thread, ms resolution). Overhead beyond conversion and upload = remote wall − server conversion − upload, per round: the runner picking the job up, the thread hand-off, learning that the job ended, and fetching the result. Remote − local compares wall times of the same file converted in a worker thread of the server process and in this process; on a busy machine it swings by hundreds of ms either way with the conversion time itself.',
    ].join('\n')
    console.log(`\n${markdown}\n`)
    if (options.write ?? true) writeResultsSection('remote', markdown)
    return mismatches.size ? 1 : 0
  } finally {
    child.disconnect()
  }
}
