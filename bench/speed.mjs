#!/usr/bin/env node
// Speed and memory of the PDF path: `pnpm bench` (see bench/README.md).
//
// 1. Throughput on the born-digital corpus, one core, warm: docloader (engine, concurrency 1)
//    vs pdfjs-dist plain text extraction (the in-process baseline, same library and loading
//    options) vs poppler's pdftotext (native reference, one process per file). Rounds are
//    interleaved and medians reported, with the docloader/pdfjs ratio taken within each round.
// 2. Peak RSS converting the largest corpus PDF, and a 20-page vs a 200-page PDF built with qpdf.
// 3. `docloader convert` of a one-page PDF, wall time with hyperfine.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  BENCH_DIR,
  BenchError,
  CLI_BIN,
  REPO_DIR,
  childrenCpuMs,
  commandLine,
  corpusFiles,
  factsMarkdown,
  fail,
  fmt,
  hasTool,
  loadCorpus,
  machineFacts,
  markdownTable,
  median,
  parseArgs,
  passMiss,
  pdfjsDir,
  requireBuild,
  requireTools,
  runMain,
  scratchDir,
  toolVersion,
  writeResultsSection,
} from './lib/common.mjs'

const USAGE = `Usage: node bench/speed.mjs [options]      (pnpm bench [options])

Options:
  --corpus <dir>        corpus folder with manifest.json (default: ../shared/corpus next to the repo)
  --runs <n>            timed throughput rounds (default 5); medians are reported
  --rss-runs <n>        runs of each peak-RSS measurement (default 3)
  --cpu <n>             CPU the throughput processes are pinned to with taskset (default 0)
  --no-pin              do not pin the throughput processes to one CPU
  --ops-reference       also time pdfjs getTextContent + getOperatorList on every page (extra contestant)
  --no-diagnostics      skip the stage profile and the start-up breakdown
  --only <parts>        comma-separated subset of throughput,rss,startup (implies --no-write)
  --no-write            print the results without updating bench/RESULTS.md
  -h, --help            this help`

const TARGETS = {
  pagesPerSecond: 30,
  ratioToPdfjs: 0.7,
  peakRssMB: 400,
  rssRatio200to20: 1.3,
  cliOnePageSeconds: 1.0,
}

const CHILD = path.join(BENCH_DIR, 'lib/throughput-child.mjs')
const RSS_CHILD = path.join(BENCH_DIR, 'lib/rss-child.mjs')

runMain(async () => {
  const options = parseArgs(process.argv.slice(2), { corpus: 'string', runs: 'number', 'rss-runs': 'number', cpu: 'string', pin: 'boolean', 'ops-reference': 'boolean', diagnostics: 'boolean', only: 'string', write: 'boolean' }, USAGE)
  const runs = Math.round(options.runs ?? 5)
  const rssRuns = Math.round(options['rss-runs'] ?? 3)
  const cpu = options.cpu ?? '0'
  const diagnostics = options.diagnostics ?? true
  const corpus = loadCorpus(options.corpus)
  requireBuild()
  requireTools(['pdftotext', 'qpdf', 'hyperfine'])
  let pin = options.pin ?? true
  if (pin && !hasTool('taskset')) {
    console.warn('warning: taskset not found (Debian package util-linux): throughput processes are not pinned to one CPU.')
    pin = false
  }
  const pinned = (command, args) => (pin ? ['taskset', ['-c', cpu, command, ...args]] : [command, args])
  const work = scratchDir('speed')
  const born = corpusFiles(corpus, ['born_digital_pdf'])
  const started = performance.now()
  console.log(`corpus ${corpus.dir}: ${born.length} born-digital PDFs`)

  const parts = new Set((options.only ?? 'throughput,rss,startup').split(',').map((part) => part.trim()))
  for (const part of parts) if (!['throughput', 'rss', 'startup'].includes(part)) fail(`--only takes throughput, rss and startup, not ${part}.`)
  const loadBefore = os.loadavg()[0]
  const throughput = parts.has('throughput') ? await measureThroughput({ born, runs, diagnostics, opsReference: options['ops-reference'] ?? false, pinned }) : undefined
  if (!throughput) await pageCounts(born)
  const memory = parts.has('rss') ? await measureMemory({ corpus, born, work, rssRuns }) : undefined
  const load = [loadBefore, os.loadavg()[0]]
  const startup = parts.has('startup') ? measureStartup({ born, work, diagnostics }) : undefined
  if (parts.size < 3) {
    console.log(JSON.stringify({ throughput: throughput && summariseThroughput(throughput), memory: memory?.rows, rssRatio: memory?.ratio, startup: startup?.results }, null, 2))
    return 0
  }

  const facts = machineFacts()
  const section = renderSection({ facts, throughput, memory, startup, runs, rssRuns, pin, cpu, corpus, diagnostics, load })
  console.log(`\n${section}`)
  if (options.write ?? true) {
    writeResultsSection('speed', section)
    console.log(`\nwrote the speed section of ${path.relative(process.cwd(), path.join(BENCH_DIR, 'RESULTS.md'))} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  }
  return 0
})

// ---------------------------------------------------------------------------------------------
// Throughput

/** A warm child process running passes on request. */
function startChild(mode, pinned) {
  const [command, args] = pinned(process.execPath, [CHILD, mode])
  const child = spawn(command, args, { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let waiting
  const failed = (error) => {
    if (waiting) waiting.reject(error)
    waiting = undefined
  }
  child.on('message', (message) => {
    if (message.type === 'error') failed(new Error(`${mode} child: ${message.message}`))
    else {
      waiting?.resolve(message)
      waiting = undefined
    }
  })
  child.on('error', (error) => failed(error))
  child.on('exit', (code, signal) => failed(new Error(`the ${mode} child process exited (${signal ?? `code ${code}`})`)))
  const next = () =>
    new Promise((resolve, reject) => {
      waiting = { resolve, reject }
    })
  const ready = next()
  return {
    mode,
    ready,
    pass(files, profile = false) {
      const answer = next()
      child.send({ type: 'pass', files, profile })
      return answer
    },
    close() {
      child.removeAllListeners('exit')
      if (child.connected) child.send({ type: 'exit' })
      setTimeout(() => child.kill(), 5000).unref()
    },
  }
}

/** One pdftotext process per file, sequentially; total wall time (and CPU time on Linux). */
function pdftotextPass(files, pinned) {
  const perFile = []
  const started = performance.now()
  const cpuStarted = childrenCpuMs()
  for (const file of files) {
    const fileStarted = performance.now()
    const fileCpu = childrenCpuMs()
    const [command, args] = pinned('pdftotext', ['-enc', 'UTF-8', file.path, '-'])
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    if (result.status !== 0) fail(`pdftotext failed on ${file.path}: ${result.stderr?.toString().trim() || result.error?.message}`)
    perFile.push({ file: file.path, pages: file.pages, ms: performance.now() - fileStarted, cpuMs: childrenCpuMs() - fileCpu })
  }
  const ms = performance.now() - started
  const cpuMs = cpuStarted === undefined ? undefined : childrenCpuMs() - cpuStarted
  return { ms, cpuMs, pages: files.reduce((sum, file) => sum + file.pages, 0), files: perFile }
}

async function measureThroughput({ born, runs, diagnostics, opsReference, pinned }) {
  const paths = born.map((file) => file.path)
  const children = {
    docloader: startChild('docloader', pinned),
    'pdfjs-text': startChild('pdfjs-text', pinned),
    ...(opsReference ? { 'pdfjs-text-ops': startChild('pdfjs-text-ops', pinned) } : {}),
  }
  try {
    for (const child of Object.values(children)) await child.ready
    // Warm-up: load modules, JIT the hot paths; also gives the page counts.
    console.log('throughput: warm-up pass of each converter')
    const warm = {}
    for (const [name, child] of Object.entries(children)) warm[name] = await child.pass(paths)
    for (const [index, file] of warm['pdfjs-text'].files.entries()) {
      born[index].pages = file.pages
      const converted = warm.docloader.files[index]
      if (converted.pages !== file.pages) console.warn(`warning: docloader converted ${converted.pages} of ${file.pages} pages of ${file.file}`)
      if (converted.chars === 0) console.warn(`warning: docloader produced no text for ${file.file}`)
    }
    pdftotextPass(born, pinned)

    const contestants = [...Object.keys(children), 'pdftotext']
    const rounds = []
    for (let round = 0; round < runs; round++) {
      // Rotate the order each round, so no contestant always runs first or right after another.
      const order = contestants.map((_, i) => contestants[(i + round) % contestants.length])
      const results = {}
      for (const name of order) results[name] = name === 'pdftotext' ? pdftotextPass(born, pinned) : await children[name].pass(paths)
      rounds.push(results)
      console.log(
        `throughput round ${round + 1}/${runs}: ` +
          contestants.map((name) => `${name} ${fmt(pagesPerSecond(results[name]), 1)} (cpu ${fmt(pagesPerSecond(results[name], 'cpu'), 1)})`).join(', ') +
          ' pages/s',
      )
    }

    let profile
    if (diagnostics) {
      console.log('throughput: one profiled pass of docloader and of pdfjs-text (stage times)')
      profile = { docloader: await children.docloader.pass(paths, true), 'pdfjs-text': await children['pdfjs-text'].pass(paths, true) }
    }
    return { contestants, rounds, profile, pages: rounds[0].docloader.pages }
  } finally {
    for (const child of Object.values(children)) child.close()
  }
}

/** Pages per second of wall time, or per second of CPU time ('cpu'). */
function summariseThroughput({ rounds, contestants }) {
  return Object.fromEntries(
    contestants.map((name) => [
      name,
      {
        pagesPerCpuSecond: median(rounds.map((round) => pagesPerSecond(round[name], 'cpu'))),
        pagesPerSecond: median(rounds.map((round) => pagesPerSecond(round[name]))),
        docloaderRatioCpu: median(rounds.map((round) => pagesPerSecond(round.docloader, 'cpu') / pagesPerSecond(round[name], 'cpu'))),
      },
    ]),
  )
}

/** Page counts from qpdf, when the throughput part (which counts them with pdfjs) is skipped. */
async function pageCounts(born) {
  for (const file of born) file.pages = pageCount(file.path)
}

function pagesPerSecond(result, clock = 'wall') {
  const ms = clock === 'cpu' ? result.cpuMs : result.ms
  return ms ? result.pages / (ms / 1000) : undefined
}

// ---------------------------------------------------------------------------------------------
// Memory

function qpdf(args) {
  const result = spawnSync('qpdf', args, { encoding: 'utf8' })
  // qpdf exits 3 for warnings with a usable output.
  if (result.status !== 0 && result.status !== 3) fail(`qpdf ${args.join(' ')} failed: ${result.stderr.trim() || result.error?.message}`)
}

function pageCount(file) {
  const result = spawnSync('qpdf', ['--show-npages', file], { encoding: 'utf8' })
  return Number.parseInt(result.stdout, 10)
}

/** A PDF of exactly `pages` pages, repeating the source's pages as needed. */
function makePdf(source, sourcePages, pages, out) {
  const ranges = []
  for (let left = pages; left > 0; left -= sourcePages) ranges.push(source, `1-${Math.min(left, sourcePages)}`)
  qpdf(['--empty', '--pages', ...ranges, '--', out])
  const got = pageCount(out)
  if (got !== pages) fail(`qpdf made ${out} with ${got} pages instead of ${pages}.`)
  return out
}

/** Converts one file in a fresh child process; resolves with its peak RSS report. */
function rssRun(file) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RSS_CHILD, file], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new BenchError(`converting ${file} for the RSS measurement failed (exit ${code}):\n${stderr.trim()}`))
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)))
    })
  })
}

async function measureMemory({ corpus, born, work, rssRuns }) {
  const textPdfs = corpusFiles(corpus, ['born_digital_pdf', 'structured_pdf'])
  const largest = textPdfs.reduce((a, b) => (b.bytes > a.bytes ? b : a))
  const longest = born.reduce((a, b) => (b.pages > a.pages ? b : a))
  if (longest.pages < 20) fail(`The longest born-digital PDF (${longest.file}) has only ${longest.pages} pages; 20 are needed to build the 20/200-page files.`)
  const pdf20 = makePdf(longest.path, longest.pages, 20, path.join(work, 'pages-20.pdf'))
  const pdf200 = makePdf(longest.path, longest.pages, 200, path.join(work, 'pages-200.pdf'))
  const cases = [
    { key: 'largest', label: `largest corpus PDF: ${largest.file} (${(largest.bytes / 1024).toFixed(0)} KiB)`, file: largest.path },
    ...(longest.path !== largest.path ? [{ key: 'longest', label: `most pages: ${longest.file} (${longest.pages} pages)`, file: longest.path }] : []),
    { key: 'p20', label: `20 pages (qpdf: ${path.basename(longest.file)} 1-20)`, file: pdf20 },
    { key: 'p200', label: `200 pages (qpdf: ${path.basename(longest.file)} repeated)`, file: pdf200 },
  ]
  // One child at a time: V8 lets the heap grow further when its concurrent GC threads are
  // starved of CPU, so running conversions side by side would inflate the peaks.
  const samples = Object.fromEntries(cases.map((c) => [c.key, []]))
  for (let run = 0; run < rssRuns; run++) {
    for (const item of cases) samples[item.key].push(await rssRun(item.file))
    console.log(`peak RSS run ${run + 1}/${rssRuns}: ` + cases.map((c) => `${c.key} ${samples[c.key][run].peakMB.toFixed(0)} MB`).join(', '))
  }
  const rows = cases.map((item) => {
    const list = samples[item.key]
    return {
      ...item,
      pages: list[0].pages,
      peakMB: median(list.map((s) => s.peakMB)),
      loadedMB: median(list.map((s) => s.rssLoadedMB)),
      heapMB: median(list.map((s) => s.heapUsedMB)),
    }
  })
  const byKey = Object.fromEntries(rows.map((row) => [row.key, row]))
  const ratios = samples.p200.map((s, i) => s.peakMB / samples.p20[i].peakMB)
  return { rows, byKey, ratio: median(ratios), peakLargest: Math.max(byKey.largest.peakMB, byKey.longest?.peakMB ?? 0) }
}

// ---------------------------------------------------------------------------------------------
// CLI start-up

function quote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`
}

function measureStartup({ born, work, diagnostics }) {
  let onePage = born.find((file) => file.pages === 1)
  let onePagePath = onePage?.path
  if (!onePage) {
    onePagePath = path.join(work, 'one-page.pdf')
    qpdf(['--empty', '--pages', born[0].path, '1', '--', onePagePath])
    onePage = { file: `${born[0].file} page 1 (qpdf)` }
  }
  const outDir = path.join(work, 'cli-out')
  const json = path.join(work, 'hyperfine.json')
  const pdfjsBuild = (file) => pathToFileURL(path.join(pdfjsDir(), 'legacy/build', file)).href
  const loadModules = `await import('@docloader/core'); await import('${pdfjsBuild('pdf.mjs')}'); await import('${pdfjsBuild('pdf.worker.mjs')}')`
  const commands = [
    ['docloader convert (1 page)', [process.execPath, CLI_BIN, 'convert', onePagePath, '--no-cache', '-o', outDir]],
    ['node start-up alone (node -e 0)', [process.execPath, '-e', '0']],
    ...(diagnostics ? [['node + import @docloader/core, pdfjs-dist and its worker (no conversion)', [process.execPath, '--input-type=module', '-e', loadModules]]] : []),
    ['pdftotext (same file)', ['pdftotext', '-enc', 'UTF-8', onePagePath, path.join(work, 'one-page.txt')]],
  ]
  const args = ['--warmup', '2', '--runs', '10', '--shell=none', '--style', 'basic', '--export-json', json]
  for (const [name, command] of commands) args.push('--command-name', name, command.map(quote).join(' '))
  console.log(`CLI start-up: hyperfine ${args.slice(0, 6).join(' ')} ...`)
  const result = spawnSync('hyperfine', args, { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) fail(`hyperfine failed (exit ${result.status}): is the CLI built? Try: node ${path.relative(process.cwd(), CLI_BIN)} convert ${onePagePath} --no-cache -o ${outDir}`)
  const data = JSON.parse(fs.readFileSync(json, 'utf8'))
  const shown = `node packages/cli/dist/bin.js convert ${path.basename(onePagePath)} --no-cache -o <tmp>`
  return {
    file: onePage.file,
    shown,
    results: data.results.map((r, i) => ({ name: commands[i][0], median: r.median, mean: r.mean, stddev: r.stddev, min: r.min, max: r.max, cpu: r.user + r.system, runs: r.times.length })),
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function renderSection({ facts, throughput, memory, startup, runs, rssRuns, pin, cpu, corpus, diagnostics, load }) {
  const { rounds, contestants, profile, pages } = throughput
  const rates = (name, clock) => rounds.map((round) => pagesPerSecond(round[name], clock))
  const ratios = (name, clock) => rounds.map((round) => pagesPerSecond(round.docloader, clock) / pagesPerSecond(round[name], clock))
  const wallPps = median(rates('docloader', 'wall'))
  const cpuPps = median(rates('docloader', 'cpu'))
  const wallRatio = median(ratios('pdfjs-text', 'wall'))
  const cpuRatio = median(ratios('pdfjs-text', 'cpu'))
  const labels = {
    docloader: 'docloader (engine, concurrency 1, Markdown)',
    'pdfjs-text': 'pdfjs-dist getTextContent, plain text (baseline)',
    'pdfjs-text-ops': 'pdfjs-dist getTextContent + getOperatorList on every page (reference)',
    pdftotext: 'pdftotext, one process per file (native reference)',
  }
  const out = []
  out.push('## Speed and memory (`pnpm bench`)')
  out.push('')
  out.push(
    factsMarkdown(facts, commandLine({ npm: 'bench', file: 'speed.mjs' }), [
      `Load average (1 min) before / after the throughput and RSS runs: ${load.map((value) => value.toFixed(2)).join(' / ')} (on ${facts.cores} cores: above that, other processes inflate wall times, and CPU times less so; the ratios from the same rounds are the steadiest figures)`,
      `Corpus: ${corpus.dir} (born-digital: ${pages} pages in ${rounds[0].docloader.files.length} PDFs)`,
      `Throughput: ${runs} interleaved rounds after one warm-up pass each, ${pin ? `every process pinned to CPU ${cpu} (taskset)` : 'not pinned'}; medians; ratios taken within each round`,
      `Tools: ${[toolVersion('pdftotext', ['-v']), toolVersion('qpdf'), toolVersion('hyperfine')].filter(Boolean).join(', ')}`,
    ]),
  )
  out.push('')
  out.push('### Targets')
  out.push('')
  const startupMedian = startup.results[0].median
  out.push(
    markdownTable(
      ['measure', 'target', 'measured', 'result'],
      [
        ['docloader pages per CPU-second, one core, warm (born-digital corpus)', `>= ${TARGETS.pagesPerSecond}`, fmt(cpuPps, 1), passMiss(cpuPps >= TARGETS.pagesPerSecond)],
        ['docloader pages per wall-clock second, same runs', `>= ${TARGETS.pagesPerSecond}`, fmt(wallPps, 1), passMiss(wallPps >= TARGETS.pagesPerSecond)],
        ['docloader / pdfjs plain text rate, CPU time (same rounds)', `>= ${TARGETS.ratioToPdfjs}x`, `${fmt(cpuRatio, 2)}x`, passMiss(cpuRatio >= TARGETS.ratioToPdfjs)],
        ['docloader / pdfjs plain text rate, wall time (same rounds)', `>= ${TARGETS.ratioToPdfjs}x`, `${fmt(wallRatio, 2)}x`, passMiss(wallRatio >= TARGETS.ratioToPdfjs)],
        ['peak RSS, largest corpus PDF', `<= ${TARGETS.peakRssMB} MB`, `${fmt(memory.peakLargest, 0)} MB`, passMiss(memory.peakLargest <= TARGETS.peakRssMB)],
        ['peak RSS 200 pages / 20 pages', `<= ${TARGETS.rssRatio200to20}x`, `${fmt(memory.ratio, 2)}x`, passMiss(memory.ratio <= TARGETS.rssRatio200to20)],
        ['`docloader convert` of a 1-page PDF, median wall time', `<= ${TARGETS.cliOnePageSeconds.toFixed(1)} s`, `${fmt(startupMedian, 3)} s`, passMiss(startupMedian <= TARGETS.cliOnePageSeconds)],
      ],
      'llrl',
    ),
  )
  out.push('')
  out.push(`### Throughput (born-digital corpus, ${pages} pages, one core, warm)`)
  out.push('')
  out.push(
    markdownTable(
      ['converter', 'pages/CPU-s (median)', 'pages/s wall (median)', 'wall min–max', 'docloader ÷ this, CPU', 'docloader ÷ this, wall'],
      contestants.map((name) => {
        const wall = rates(name, 'wall')
        return [
          labels[name],
          fmt(median(rates(name, 'cpu')), 1),
          fmt(median(wall), 1),
          `${fmt(Math.min(...wall), 1)}–${fmt(Math.max(...wall), 1)}`,
          name === 'docloader' ? '–' : `${fmt(median(ratios(name, 'cpu')), 2)}x`,
          name === 'docloader' ? '–' : `${fmt(median(ratios(name, 'wall')), 2)}x`,
        ]
      }),
      'lrrrrr',
    ),
  )
  out.push('')
  out.push('Per file (median CPU ms over the rounds; pdftotext includes its process start):')
  out.push('')
  const perFile = rounds[0].docloader.files.map((file, index) => {
    const ms = (name) => median(rounds.map((round) => round[name].files[index].cpuMs))
    return { file, ms }
  })
  out.push(
    markdownTable(
      ['file', 'pages', ...contestants.map((name) => `${name} ms`), 'docloader pages/CPU-s', 'docloader ÷ pdfjs-text time'],
      perFile.map(({ file, ms }) => [
        path.relative(corpus.dir, file.file),
        file.pages,
        ...contestants.map((name) => fmt(ms(name), 0)),
        fmt(file.pages / (ms('docloader') / 1000), 1),
        `${fmt(ms('docloader') / ms('pdfjs-text'), 2)}x`,
      ]),
      'lrrrrrrr',
    ),
  )
  if (profile) {
    out.push('')
    out.push(
      'Where the time goes (one extra pass each, wall ms; the pdfjs calls are timed by wrapping them, the rest of docloader is its own layout analysis, rendering and engine work):',
    )
    out.push('')
    const rows = []
    for (const [name, pass] of Object.entries(profile)) {
      const stages = pass.stages ?? {}
      let accounted = 0
      for (const [stage, entry] of Object.entries(stages)) {
        if (stage.startsWith('engine total')) continue
        accounted += entry.ms
        rows.push([name, stage, entry.calls, fmt(entry.ms, 0), `${fmt((100 * entry.ms) / pass.ms, 0)} %`])
      }
      if (name === 'docloader') {
        const rest = pass.ms - accounted
        rows.push([name, 'everything else: layout analysis, rendering, engine', '', fmt(rest, 0), `${fmt((100 * rest) / pass.ms, 0)} %`])
      }
      rows.push([name, '**pass total**', '', `**${fmt(pass.ms, 0)}**`, '100 %'])
    }
    out.push(markdownTable(['converter', 'stage', 'calls', 'ms', 'share'], rows, 'llrrr'))
  } else if (!diagnostics) {
    out.push('')
    out.push('(Run without --no-diagnostics for the stage profile.)')
  }
  out.push('')
  out.push(`### Peak RSS (child process, \`process.resourceUsage().maxRSS\` after converting, median of ${rssRuns})`)
  out.push('')
  out.push(
    markdownTable(
      ['PDF', 'pages', 'peak RSS MB', 'RSS with engine loaded, before converting MB', 'V8 heap used after converting MB'],
      memory.rows.map((row) => [row.label, row.pages, fmt(row.peakMB, 0), fmt(row.loadedMB, 0), fmt(row.heapMB, 0)]),
      'lrrrr',
    ),
  )
  out.push('')
  out.push(`200-page / 20-page peak RSS: **${fmt(memory.ratio, 2)}x** (median of the per-run ratios).`)
  out.push('')
  out.push(`### CLI start-up and one-page conversion (hyperfine --warmup 2 --runs 10)`)
  out.push('')
  out.push(`Command: \`${startup.shown}\` (${startup.file}).`)
  out.push('')
  out.push(
    markdownTable(
      ['command', 'median s', 'mean ± sd s', 'min s', 'max s', 'CPU user+sys s (mean)'],
      startup.results.map((r) => [r.name, fmt(r.median, 3), `${fmt(r.mean, 3)} ± ${fmt(r.stddev, 3)}`, fmt(r.min, 3), fmt(r.max, 3), fmt(r.cpu, 3)]),
      'lrrrrr',
    ),
  )
  return out.join('\n')
}
