#!/usr/bin/env node
// OCR speed and memory: part of `pnpm bench` (see bench/README.md).
//
// 1. Seconds per page, one tesseract.js worker, against native tesseract (one thread) on the
//    same page images, in the same rounds; and throughput with one worker per core against one
//    worker (native tesseract with as many processes as the reference for the machine's scaling).
// 2. Where the time of a page goes: sharp preparation, recognition, orientation check.
// 3. Peak RSS of converting a 50-page scanned PDF (built here from the corpus's scans), sampled
//    after 10, 25 and 50 pages in a fresh child process.
// Writes the `ocr-speed` section of bench/RESULTS.md.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  BENCH_DIR,
  REPO_DIR,
  WORK_DIR,
  childrenCpuMs,
  commandLine,
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
  requireTools,
  runMain,
  scratchDir,
  toolVersion,
  writeResultsSection,
} from './lib/common.mjs'
import { writeImagePdf } from './lib/image-pdf.mjs'
import { coreDependencyVersion, importFromCore, inParallel, pageImages, sameModelTessdata, tesseractAsync, tesseractSync } from './lib/ocr.mjs'

const USAGE = `Usage: node bench/ocr-speed.mjs [options]      (part of pnpm bench)

Options:
  --corpus <dir>         corpus folder with manifest.json (default: ../shared/corpus next to the repo)
  --runs <n>             timed rounds, each contestant once per round, order rotating (default 3)
  --workers <n>          workers of the "one per core" engine (default: the core count)
  --rss-pages <n>        pages of the scanned PDF built for the RSS measurement (default 50)
  --rss-runs <n>         conversions of it, each in a fresh process; median (default 1)
  --recycle-after <n>    one more RSS run with the tesseract workers recycled after n pages
  --no-rss               skip the RSS measurement
  --no-diagnostics       skip the pass that times the steps of a page
  --check                exit 1 when a target is missed
  --no-write             print the results without updating bench/RESULTS.md
  -h, --help             this help`

const TARGETS = { ratioToNative: 1.5, throughputRatio: 1.7, peakRssMB: 1024, flatRatio: 1.2 }
const CHILD = path.join(BENCH_DIR, 'lib/ocr-child.mjs')
const RSS_CHILD = path.join(BENCH_DIR, 'lib/rss-child.mjs')
const CONTESTANTS = ['docloader-1', 'native-1', 'docloader-n', 'native-n']

runMain(async () => {
  const options = parseArgs(
    process.argv.slice(2),
    { corpus: 'string', runs: 'number', workers: 'number', 'rss-pages': 'number', 'rss-runs': 'number', 'recycle-after': 'number', rss: 'boolean', diagnostics: 'boolean', check: 'boolean', write: 'boolean' },
    USAGE,
  )
  const runs = Math.round(options.runs ?? 3)
  const workers = Math.round(options.workers ?? os.availableParallelism())
  const rssPages = Math.round(options['rss-pages'] ?? 50)
  const rssRuns = Math.round(options['rss-runs'] ?? 1)
  requireTools(['tesseract', 'pdftoppm'])
  requireBuild()
  const corpus = loadCorpus(options.corpus)
  const work = scratchDir('ocr-speed')
  const tessdata = sameModelTessdata(WORK_DIR)
  const started = performance.now()
  const load = [os.loadavg()]

  console.log('page images: the scanned images of the corpus, and the pages of its scanned PDFs at 300 dpi (pdftoppm -gray)')
  const pages = pageImages(corpus, path.join(work, 'pages'))
  const sharp = await importFromCore('sharp')
  for (const page of pages) page.dpi = (await sharp(page.path).metadata()).density
  const files = pages.map((page) => page.path)

  // 1. Rounds.
  const child = startChild(workers)
  let warm
  let rounds
  let stages
  let nativeStartup
  try {
    await child.ready
    console.log(`warming the engines (1 worker; ${workers} workers) and native tesseract`)
    warm = await child.request({ type: 'warm', files })
    tesseractSync(files[0], tessdata.dir)
    rounds = []
    for (let round = 0; round < runs; round++) {
      const order = CONTESTANTS.map((_, i) => CONTESTANTS[(i + round) % CONTESTANTS.length])
      const result = {}
      for (const name of order) {
        const waited = cpuPressureUs()
        const passStarted = performance.now()
        result[name] = await contestant(name, { child, files, tessdata, workers })
        if (waited !== undefined) result[name].pressure = (cpuPressureUs() - waited) / ((performance.now() - passStarted) * 1000)
        console.log(`round ${round + 1}/${runs} ${name}: ${result[name].pages} pages in ${(result[name].ms / 1000).toFixed(1)} s (${fmt(result[name].ms / 1000 / result[name].pages, 2)} s/page)`)
      }
      rounds.push(result)
    }
    if (options.diagnostics ?? true) {
      console.log('stages: one pass timing the steps of each page')
      stages = await child.request({ type: 'stages', files, tessdata: tessdata.dir })
      nativeStartup = await measureNativeStartup(work, tessdata.dir)
    }
  } finally {
    child.close()
  }
  load.push(os.loadavg())

  // 3. Peak RSS of a long scanned PDF.
  let memory
  if (options.rss ?? true) {
    const pdf = path.join(work, `scanned-${rssPages}-pages.pdf`)
    const built = await buildScannedPdf(pdf, pages, rssPages)
    const checkpoints = [1, 10, 25, rssPages].filter((n, i, all) => n <= rssPages && all.indexOf(n) === i)
    memory = { pdf, built, checkpoints, runs: [], recycled: undefined }
    for (let run = 0; run < rssRuns; run++) {
      console.log(`peak RSS: converting the ${rssPages}-page scanned PDF in a fresh process (${run + 1}/${rssRuns})`)
      memory.runs.push(rssChild(pdf, ['--at', checkpoints.join(',')]))
    }
    if (options['recycle-after']) {
      console.log(`peak RSS: the same with the workers recycled after ${options['recycle-after']} pages`)
      memory.recycled = { after: options['recycle-after'], ...rssChild(pdf, ['--at', checkpoints.join(','), '--recycle-after', String(options['recycle-after'])]) }
    }
    load.push(os.loadavg())
  }

  const section = renderSection({ facts: machineFacts(), corpus, pages, runs, workers, warm, rounds, stages, nativeStartup, memory, load, tessdata })
  console.log(`\n${section.markdown}`)
  if (options.write ?? true) {
    writeResultsSection('ocr-speed', section.markdown)
    console.log(`\nwrote the ocr-speed section of bench/RESULTS.md (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  }
  return options.check && section.missed.length ? 1 : 0
})

/** One contestant's pass over every page image: wall ms, CPU ms, pages, per file ms. */
async function contestant(name, { child, files, tessdata, workers }) {
  if (name === 'docloader-1') return child.request({ type: 'pass', engine: 'one', files })
  if (name === 'docloader-n') return child.request({ type: 'pass', engine: 'many', files })
  const parallel = name === 'native-1' ? 1 : workers
  const perFile = []
  const cpuStarted = childrenCpuMs()
  const passStarted = performance.now()
  await inParallel(
    files.map((file, index) => ({ file, index })),
    parallel,
    async ({ file, index }) => {
      const { ms } = await tesseractAsync(file, tessdata.dir)
      perFile[index] = { file, pages: 1, ms }
    },
  )
  const ms = performance.now() - passStarted
  return { ms, cpuMs: cpuStarted === undefined ? undefined : childrenCpuMs() - cpuStarted, pages: files.length, files: perFile }
}

/** Microseconds some task spent waiting for a CPU, machine-wide (/proc/pressure/cpu, Linux), or undefined. */
function cpuPressureUs() {
  try {
    return Number(/^some .*total=(\d+)/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'))[1])
  } catch {
    return undefined
  }
}

/** The long-lived child with both engines; requests answered in order. */
function startChild(workers) {
  const child = spawn(process.execPath, [CHILD, String(workers)], { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let waiting
  const failed = (error) => {
    waiting?.reject(error)
    waiting = undefined
  }
  child.on('message', (message) => {
    if (message.type === 'error') failed(new Error(`ocr child: ${message.message}`))
    else {
      waiting?.resolve(message.result ?? message)
      waiting = undefined
    }
  })
  child.on('error', failed)
  child.on('exit', (code, signal) => failed(new Error(`the ocr child process exited (${signal ?? `code ${code}`})`)))
  const next = () => new Promise((resolve, reject) => (waiting = { resolve, reject }))
  const ready = next()
  return {
    ready,
    request(message) {
      const answer = next()
      child.send(message)
      return answer
    },
    close() {
      child.removeAllListeners('exit')
      if (child.connected) child.send({ type: 'exit' })
      setTimeout(() => child.kill(), 10_000).unref()
    },
  }
}

/** Native tesseract's own start-up: the process and the model load, on a blank 300 dpi strip. */
async function measureNativeStartup(work, tessdata) {
  const sharp = await importFromCore('sharp')
  const blank = path.join(work, 'blank.png')
  await sharp({ create: { width: 600, height: 100, channels: 3, background: '#ffffff' } }).withMetadata({ density: 300 }).png().toFile(blank)
  const times = Array.from({ length: 5 }, () => tesseractSync(blank, tessdata).ms)
  return median(times)
}

/**
 * An image-only PDF of `count` pages cycling through the page images (each re-encoded as a grey
 * JPEG, quality 75, at its own resolution; every page its own image object), as a scanner makes.
 */
async function buildScannedPdf(file, pages, count) {
  const sharp = await importFromCore('sharp')
  const images = []
  for (const page of pages) {
    const meta = await sharp(page.path).metadata()
    const { data, info } = await sharp(page.path).toColourspace('b-w').jpeg({ quality: 75 }).toBuffer({ resolveWithObject: true })
    images.push({ jpeg: data, width: info.width, height: info.height, channels: info.channels === 1 ? 1 : 3, dpi: meta.density ?? 300, label: page.label })
  }
  const chosen = Array.from({ length: count }, (_, i) => images[i % images.length])
  writeImagePdf(file, chosen)
  const check = spawnSync('pdfinfo', [file], { encoding: 'utf8' })
  const pagesInFile = Number(/^Pages:\s+(\d+)/m.exec(check.stdout ?? '')?.[1])
  if (check.status === 0 && pagesInFile !== count) fail(`the PDF built at ${file} has ${pagesInFile} pages, not ${count}`)
  return { bytes: fs.statSync(file).size, distinct: images.length }
}

function rssChild(file, args) {
  const result = spawnSync(process.execPath, [RSS_CHILD, file, ...args], { cwd: REPO_DIR, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
  if (result.status !== 0) fail(`bench/lib/rss-child.mjs failed on ${file} (exit ${result.status}):\n${result.stderr.trim()}`)
  return JSON.parse(result.stdout.trim().split('\n').at(-1))
}

// ---------------------------------------------------------------------------------------------
// Report

function renderSection({ facts, corpus, pages, runs, workers, warm, rounds, stages, nativeStartup, memory, load, tessdata }) {
  const perPage = (pass) => pass.ms / 1000 / pass.pages
  const cpuPerPage = (pass) => (pass.cpuMs === undefined ? undefined : pass.cpuMs / 1000 / pass.pages)
  const med = (name, fn) => median(rounds.map((round) => fn(round[name])))
  const ratio = (a, b, fn) => median(rounds.map((round) => fn(round[a]) / fn(round[b])))
  const wallRatio = ratio('docloader-1', 'native-1', perPage)
  const cpuRatio = ratio('docloader-1', 'native-1', cpuPerPage)
  const throughput = median(rounds.map((round) => perPage(round['docloader-1']) / perPage(round['docloader-n'])))
  const nativeThroughput = median(rounds.map((round) => perPage(round['native-1']) / perPage(round['native-n'])))
  const lines = []
  const missed = []
  const target = (name, ok) => {
    if (ok === false || ok === undefined) missed.push(name)
    return passMiss(ok)
  }

  lines.push('## OCR speed and memory (`pnpm bench`)')
  lines.push('')
  lines.push(
    factsMarkdown(facts, commandLine({ npm: 'bench', file: 'ocr-speed.mjs' }), [
      `Load average (1 min) before the rounds / after them${memory ? ' / after the RSS runs' : ''}: ${load.map((l) => l[0].toFixed(2)).join(' / ')} (on ${facts.cores} cores: a load above the core count means other processes took CPU time from these runs; the ratios taken within each round are the steadiest figures)`,
      `Page images: ${pages.length} pages, the ${pages.filter((p) => !p.label.includes('dpi)')).length} scanned images of ${corpus.dir} as they are and every page of its scanned PDFs rasterised with \`pdftoppm -r 300 -gray\`; docloader and native tesseract read the same files`,
      `docloader: the built engine in a child process, tesseract.js ${coreDependencyVersion('tesseract.js')} (model \`${tessdata.source}\`), \`convertMany(files, { format: 'markdown' })\`; one worker: \`createEngine({ concurrency: 1, ocr: { tesseract: { workers: 1 } } })\`; one worker per core: concurrency and workers ${workers}. Workers started before the rounds (start-up below)`,
      `Native: ${toolVersion('tesseract') ?? 'tesseract'}, \`tesseract FILE - --psm 3 -l eng --tessdata-dir DIR\` with OMP_THREAD_LIMIT=1, DIR holding the same model file as docloader, one process per page (its start-up and model load included: ${fmt(nativeStartup, 0)} ms on a blank image); ${workers} processes at a time for the throughput reference`,
      `${runs} rounds, each running the four contestants once, their order rotating; medians over the rounds; ratios taken within each round`,
    ]),
  )

  lines.push('')
  lines.push('### Targets')
  lines.push('')
  const rows = [
    ['seconds per page, one worker, ÷ native tesseract (one thread), wall time', `<= ${TARGETS.ratioToNative}x`, `${fmt(wallRatio, 2)}x (${fmt(med('docloader-1', perPage), 2)} s vs ${fmt(med('native-1', perPage), 2)} s)`, target('s/page ratio', wallRatio <= TARGETS.ratioToNative)],
    ['same, CPU time (all threads of the process / of the tesseract processes)', `<= ${TARGETS.ratioToNative}x`, `${fmt(cpuRatio, 2)}x (${fmt(med('docloader-1', cpuPerPage), 2)} s vs ${fmt(med('native-1', cpuPerPage), 2)} s)`, passMiss(cpuRatio === undefined ? undefined : cpuRatio <= TARGETS.ratioToNative)],
    [`throughput, ${workers} workers ÷ 1 worker (pages per wall second)`, `>= ${TARGETS.throughputRatio}x`, `${fmt(throughput, 2)}x (native tesseract, ${workers} processes ÷ 1: ${fmt(nativeThroughput, 2)}x)`, target('throughput ratio', throughput >= TARGETS.throughputRatio)],
  ]
  if (memory) {
    const peak = median(memory.runs.map((run) => run.peakMB))
    const flat = median(memory.runs.map((run) => flatness(run, memory.checkpoints)))
    rows.push([`peak RSS, ${memory.runs[0].pages}-page scanned PDF`, `<= ${TARGETS.peakRssMB} MB`, `${fmt(peak, 0)} MB`, target('peak RSS', peak <= TARGETS.peakRssMB)])
    rows.push([
      `flat across pages: peak RSS after ${memory.checkpoints.at(-1)} pages ÷ after ${flatFrom(memory.checkpoints)} pages`,
      `<= ${TARGETS.flatRatio}x`,
      `${fmt(flat, 2)}x`,
      target('flat RSS', flat <= TARGETS.flatRatio),
    ])
  }
  lines.push(markdownTable(['measure', 'target', 'measured', 'result'], rows, 'llrl'))
  if (memory) lines.push('', `"Flat" is read here as the peak RSS after ${memory.checkpoints.at(-1)} pages within ${TARGETS.flatRatio}x of the peak after ${flatFrom(memory.checkpoints)} (the issue gives no number).`)

  lines.push('')
  lines.push(`### Seconds per page (${pages.length} pages, median over ${runs} rounds)`)
  lines.push('')
  lines.push(
    markdownTable(
      ['contestant', 'pages/s wall', 's/page wall', 's/page CPU', 'wall min–max s/page', 'CPU pressure per round'],
      CONTESTANTS.map((name) => {
        const walls = rounds.map((round) => perPage(round[name]))
        const pressure = rounds.map((round) => (round[name].pressure === undefined ? '–' : `${Math.round(round[name].pressure * 100)} %`)).join(', ')
        return [label(name, workers), fmt(1 / med(name, perPage), 3), fmt(med(name, perPage), 2), fmt(med(name, cpuPerPage), 2), `${fmt(Math.min(...walls), 2)}–${fmt(Math.max(...walls), 2)}`, pressure]
      }),
      'lrrrrr',
    ),
  )
  lines.push('')
  lines.push('CPU pressure: the share of the pass during which some task on the machine was ready to run but waited for a CPU (`/proc/pressure/cpu`, "some"). With one worker or one process on 2 cores it stays near 0 % on a quiet machine; a high figure means other work took CPU time from that pass.')
  const perRound = (fn) => rounds.map((round) => `${fmt(fn(round), 2)}x`).join(', ')
  lines.push('')
  lines.push(
    `Per round, in order: docloader 1 worker ÷ native, wall: ${perRound((round) => perPage(round['docloader-1']) / perPage(round['native-1']))}; throughput ${workers} workers ÷ 1: ${perRound((round) => perPage(round['docloader-1']) / perPage(round['docloader-n']))}; native ${workers} processes ÷ 1: ${perRound((round) => perPage(round['native-1']) / perPage(round['native-n']))}.`,
  )
  lines.push('')
  lines.push(
    `Worker start-up, not in the figures above: the first page on a fresh one-worker engine took ${fmt(warm.oneCold / 1000, 2)} s, the same page on the warm worker ${fmt(warm.oneWarm / 1000, 2)} s; the first ${warm.manyFiles} pages at once on the ${workers}-worker engine ${fmt(warm.manyCold / 1000, 2)} s. Native tesseract pays its start-up (${fmt(nativeStartup, 0)} ms) on every page.`,
  )
  lines.push('')
  lines.push('Per page (median wall seconds over the rounds, one worker vs one native process):')
  lines.push('')
  const byPage = pages.map((page, index) => {
    const ours = median(rounds.map((round) => round['docloader-1'].files[index].ms / 1000))
    const theirs = median(rounds.map((round) => round['native-1'].files[index].ms / 1000))
    return [page.label, page.dpi ?? '?', fmt(ours, 2), fmt(theirs, 2), `${fmt(ours / theirs, 2)}x`]
  })
  lines.push(markdownTable(['page', 'dpi', 'docloader s', 'native s', 'ratio'], byPage, 'lrrrr'))
  // docloader upscales pages below 255 dpi to 300 dpi (2.25-4x the pixels); native reads them as they are.
  const upscaled = pages.map((page) => (page.dpi ?? 300) < 255)
  const ratioOf = (keep) =>
    median(
      rounds.map((round) => {
        const sum = (name) => round[name].files.reduce((total, file, index) => total + (keep(index) ? file.ms : 0), 0)
        return sum('docloader-1') / sum('native-1')
      }),
    )
  if (upscaled.some(Boolean) && !upscaled.every(Boolean)) {
    lines.push('')
    lines.push(
      `The ${upscaled.filter(Boolean).length} pages below 255 dpi are upscaled to 300 dpi by docloader before OCR (2.25-4x the pixels to read) while native tesseract reads them as they are: docloader ÷ native is ${fmt(ratioOf((i) => upscaled[i]), 2)}x on those and ${fmt(ratioOf((i) => !upscaled[i]), 2)}x on the ${upscaled.filter((u) => !u).length} pages at 300 dpi (medians of the per-round ratios of summed times).`,
    )
  }

  if (stages) {
    lines.push('')
    lines.push('### Where the time of a page goes (one pass, one worker each, wall seconds)')
    lines.push('')
    const sum = (key) => stages.reduce((total, row) => total + (row[key] ?? 0), 0) / 1000
    const nativeByFile = Object.fromEntries(pages.map((page, index) => [page.path, median(rounds.map((round) => round['native-1'].files[index].ms / 1000))]))
    lines.push(
      markdownTable(
        ['page', 'prepared pixels (dpi)', 'sharp preparation', 'recognize (orientation check off)', 'OSD detect', 'recognize with orientation check on (as the engine)', 'native on the prepared PNG', 'native on the file (rounds)'],
        [
          ...stages.map((row) => [
            pages.find((page) => page.path === row.file)?.label ?? path.basename(row.file),
            `${row.pixels} (${row.dpi})`,
            fmt(row.prepareMs / 1000, 2),
            fmt(row.recognizeMs / 1000, 2),
            fmt(row.osdMs / 1000, 2),
            `${fmt(row.providerMs / 1000, 2)}${row.orientationChecked ? ' (checked)' : ''}`,
            fmt(row.nativePreparedMs / 1000, 2),
            fmt(nativeByFile[row.file], 2),
          ]),
          ['**total**', '', fmt(sum('prepareMs'), 1), fmt(sum('recognizeMs'), 1), fmt(sum('osdMs'), 1), fmt(sum('providerMs'), 1), fmt(sum('nativePreparedMs'), 1), fmt(Object.values(nativeByFile).reduce((a, b) => a + b, 0), 1)],
        ],
        'llrrrrrr',
      ),
    )
    lines.push('')
    lines.push(
      'Sharp preparation: `prepareForOcr` (EXIF orientation, one grey channel, contrast stretch, upscaling to about 300 dpi, PNG encoding), as the converters run it before OCR. Recognize: the tesseract provider given the prepared image (tesseract.js `recognize` with the block tree, then the layout), orientation check off as for an upright page. OSD detect: the orientation check (legacy engine, `osd` model) the provider runs when a first reading has a mean word confidence below 0.75; "(checked)" marks pages where it ran. Native on the prepared PNG: the very image the worker read, so the gap to "recognize" is tesseract.js (WebAssembly, 128-bit SIMD) against native tesseract on identical input, process start-up included; the last column is native on the original file, as in the rounds.',
    )
  }

  if (memory) {
    lines.push('')
    lines.push(`### Peak RSS of a ${memory.runs[0].pages}-page scanned PDF (fresh process each, \`bench/lib/rss-child.mjs\`)`)
    lines.push('')
    lines.push(
      `The PDF: built by the bench from the ${memory.built.distinct} page images above, cycled (each a grey JPEG, quality 75, its own image object), ${fmt(memory.built.bytes / 2 ** 20, 1)} MiB; converted with \`createEngine({ concurrency: 1, cache: false })\` and the default OCR settings (tesseract workers recycled after 200 pages), Markdown output. RSS sampled on the engine's progress events: the resident set then, and its peak so far (\`maxRSS\`).`,
    )
    lines.push('')
    const rowsOf = (run, name) => [
      ...run.samples.map((sample) => [name, sample.pages, fmt(sample.ms / 1000, 0), fmt(sample.rssMB, 0), fmt(sample.peakMB, 0)]),
      [name, `${run.pages} (end, engine closed)`, fmt(run.ms / 1000, 0), '', fmt(run.peakMB, 0)],
    ]
    lines.push(
      markdownTable(
        ['run', 'pages done', 'seconds', 'RSS MB', 'peak RSS so far MB'],
        [
          ...memory.runs.flatMap((run, index) => rowsOf(run, `default (${index + 1})`)),
          ...(memory.recycled ? rowsOf(memory.recycled, `recycled after ${memory.recycled.after} pages`) : []),
        ],
        'lrrrr',
      ),
    )
    lines.push('')
    lines.push(`RSS with the engine loaded, before converting: ${fmt(memory.runs[0].rssLoadedMB, 0)} MB. Pages read by OCR: ${memory.runs[0].ocrPages} of ${memory.runs[0].pages}; ${fmt(memory.runs[0].ms / 1000 / memory.runs[0].pages, 2)} s per page for the whole PDF (one worker: the PDF converter reads a document's pages one after another).`)
  }
  return { markdown: lines.join('\n'), missed }
}

/** The checkpoint flatness is measured from: 10 pages (after the first, which starts the worker). */
function flatFrom(checkpoints) {
  return checkpoints.find((n) => n >= 10) ?? checkpoints[0]
}

/** Peak RSS after the last checkpoint ÷ after `flatFrom`. */
function flatness(run, checkpoints) {
  const first = run.samples.find((sample) => sample.pages === flatFrom(checkpoints))
  const last = run.samples.find((sample) => sample.pages === checkpoints.at(-1))
  return first && last ? last.peakMB / first.peakMB : undefined
}

function label(name, workers) {
  return {
    'docloader-1': 'docloader, 1 worker',
    'native-1': 'native tesseract, 1 process, 1 thread',
    'docloader-n': `docloader, ${workers} workers (concurrency ${workers})`,
    'native-n': `native tesseract, ${workers} processes at a time`,
  }[name]
}
