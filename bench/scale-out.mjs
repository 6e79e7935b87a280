#!/usr/bin/env node
// Scale-out of the queue mode: `pnpm bench:scale-out` (see bench/README.md).
//
// Real processes, as users run them: a redis-server (its own, on a free loopback port, AOF
// on, `maxmemory-policy noeviction`), `docloader serve --queue redis://... --store redis://...`
// and `docloader worker` processes (one conversion each by default), all started from the
// built CLI. Jobs go in through the HTTP API, like any client's.
//
// 1. Throughput on the born-digital corpus PDFs with 1 worker process and with 2, in the same
//    run, rounds interleaved (1 then 2), each round after a warm-up of its workers: pages per
//    second from the first upload to the last `completed_at`; medians; the ratio 2 / 1 per round.
// 2. Chaos: `--chaos-jobs` jobs (the corpus PDFs in turn) on 2 workers, once without faults
//    (reference) and once with a random worker killed (SIGKILL to its process group: the
//    command and its worker process, like a machine lost) every few seconds and a new one
//    started in its place. Jobs lost (accepted but not completed), duplicated results (a
//    job completed by two conversions, from the workers' logs; result files per job), jobs
//    converted again, and the extra time against the reference.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  CLI_BIN,
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
  requireTools,
  runMain,
  scratchDir,
  toolVersion,
  writeResultsSection,
} from './lib/common.mjs'

const USAGE = `Usage: node bench/scale-out.mjs [options]      (pnpm bench:scale-out [options])

Options:
  --corpus <dir>             corpus folder with manifest.json (default: ../shared/corpus next to the repo)
  --rounds <n>               throughput rounds of each setting (default 3); medians are reported
  --copies <n>               times the born-digital corpus is submitted per round (default 3)
  --worker-concurrency <n>   conversions at once per worker process (default 1: one core each)
  --chaos-jobs <n>           jobs of the chaos measurement (default 200)
  --kill-every <s>           mean seconds between two kills, each wait drawn from 0.5x-1.5x (default 5)
  --max-attempts <n>         the workers' --max-attempts during the chaos (default 10)
  --only <part>              scaling or chaos: one part only (implies --no-write)
  --no-write                 print the results without updating bench/RESULTS.md
  -h, --help                 this help`

const TARGETS = { ratio: 1.7 }
const ORG_COUNT = 64

runMain(main)

async function main() {
  const options = {
    rounds: 3,
    copies: 3,
    'worker-concurrency': 1,
    'chaos-jobs': 200,
    'kill-every': 5,
    'max-attempts': 10,
    write: true,
    ...parseArgs(process.argv.slice(2), {
      corpus: 'string',
      rounds: 'number',
      copies: 'number',
      'worker-concurrency': 'number',
      'chaos-jobs': 'number',
      'kill-every': 'number',
      'max-attempts': 'number',
      only: 'string',
      write: 'boolean',
    }, USAGE),
  }
  if (options.only && !['scaling', 'chaos'].includes(options.only)) fail(`--only takes scaling or chaos, got ${options.only}.`)
  if (options.only) options.write = false
  requireBuild()
  requireTools(['redis-server'])
  const corpus = loadCorpus(options.corpus)
  const files = corpusFiles(corpus, ['born_digital_pdf'])
  const corpusPages = files.reduce((sum, file) => sum + (file.pages ?? 0), 0)

  const facts = machineFacts()
  const loadBefore = os.loadavg()
  console.log(`scale-out bench: ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}; load average ${loadBefore.map((n) => n.toFixed(2)).join(' ')}`)
  const started = performance.now()
  const work = scratchDir('scale-out')
  const cluster = await startCluster(work)
  let scaling
  let chaos
  try {
    if (options.only !== 'chaos') scaling = await scalingMeasurement(cluster, files, options)
    if (options.only !== 'scaling') chaos = await chaosMeasurement(cluster, files, options)
  } finally {
    await cluster.stop()
  }
  const loadAfter = os.loadavg()
  const elapsed = (performance.now() - started) / 1000

  const section = report({ options, facts, files, corpusPages, scaling, chaos, loadBefore, loadAfter, elapsed, redisVersion: cluster.redisVersion })
  console.log(`\n${section}`)
  if (options.write) {
    writeResultsSection('scale-out', section)
    console.log('\nWritten to bench/RESULTS.md (section scale-out).')
  }
  return 0
}

// ---------------------------------------------------------------------------------------------
// Processes: redis-server, `docloader serve`, `docloader worker`

async function startCluster(work) {
  const redisPort = await freePort()
  const redisDir = path.join(work, 'redis')
  fs.mkdirSync(redisDir)
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' })
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  await waitFor(() => ping(redisPort), 'redis-server to answer PING', 10_000)

  const storage = path.join(work, 'files')
  const keys = Array.from({ length: ORG_COUNT }, (_, index) => ({ key: `bench-${index}-${randomBytes(12).toString('hex')}`, org: `org${index}` }))
  const apiPort = await freePort()
  const apiLog = fs.openSync(path.join(work, 'serve.log'), 'w')
  const api = spawn(process.execPath, [CLI_BIN, 'serve', '--port', String(apiPort), '--data-dir', path.join(work, 'api'), '--queue', redisUrl, '--store', redisUrl, '--storage', storage], {
    env: { ...process.env, DOCLOADER_API_KEYS: keys.map(({ key, org }) => `${key}:${org}`).join(',') },
    stdio: ['ignore', apiLog, 'pipe'],
  })
  let apiErr = ''
  api.stderr.setEncoding('utf8').on('data', (chunk) => (apiErr += chunk))
  await waitFor(() => apiErr.includes('listening on') || api.exitCode !== null, 'docloader serve to listen', 60_000)
  if (api.exitCode !== null) fail(`docloader serve exited:\n${apiErr}`)

  let workerCount = 0
  const workers = new Set()
  let nextOrg = 0
  return {
    redisVersion: toolVersion('redis-server', ['--version'])?.match(/v=(\S+)/)?.[1],
    url: `http://127.0.0.1:${apiPort}`,
    storage,
    workers,
    /** A fresh organisation (its own key), so a measurement lists only its own jobs. */
    org() {
      if (nextOrg >= keys.length) fail('Out of organisations: raise ORG_COUNT.')
      return keys[nextOrg++]
    },
    /** Starts `docloader worker` in its own process group; resolves once it is ready. */
    async startWorker(extra = []) {
      const id = ++workerCount
      const out = path.join(work, `worker-${id}.log`)
      const err = path.join(work, `worker-${id}.err`)
      const child = spawn(process.execPath, [CLI_BIN, 'worker', '--queue', redisUrl, '--store', redisUrl, '--storage', storage, ...extra], {
        stdio: ['ignore', fs.openSync(out, 'w'), fs.openSync(err, 'w')],
        detached: true,
      })
      const worker = { id, child, out, exited: new Promise((resolve) => child.once('exit', resolve)) }
      workers.add(worker)
      void worker.exited.then(() => workers.delete(worker))
      await waitFor(() => fs.readFileSync(err, 'utf8').includes('docloader worker ready') || child.exitCode !== null, `worker ${id} to be ready`, 60_000)
      if (child.exitCode !== null) fail(`docloader worker exited at start:\n${fs.readFileSync(err, 'utf8')}`)
      return worker
    },
    /** SIGTERM, and wait until it has exited (it finishes or hands back its jobs). */
    async stopWorker(worker) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM')
      await worker.exited
    },
    /** SIGKILL to the worker command and its worker process at once. */
    async killWorker(worker) {
      try {
        process.kill(-worker.child.pid, 'SIGKILL')
      } catch {}
      await worker.exited
    },
    /** Every worker log line `conversion completed`: { jobId, pid } */
    completions() {
      const lines = []
      for (const file of fs.readdirSync(work).filter((name) => /^worker-\d+\.log$/.test(name))) {
        for (const line of fs.readFileSync(path.join(work, file), 'utf8').split('\n')) {
          if (!line.includes('"conversion completed"')) continue
          try {
            lines.push(JSON.parse(line))
          } catch {}
        }
      }
      return lines
    },
    async stop() {
      await Promise.all([...workers].map((worker) => this.killWorker(worker)))
      if (api.exitCode === null) {
        api.kill('SIGTERM')
        await Promise.race([new Promise((resolve) => api.once('exit', resolve)), sleep(10_000)])
        if (api.exitCode === null) api.kill('SIGKILL')
      }
      if (redis.exitCode === null) {
        redis.kill('SIGTERM')
        await new Promise((resolve) => redis.once('exit', resolve))
      }
    },
  }
}

async function freePort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => done(chunk.toString().startsWith('+PONG')))
  })
}

async function waitFor(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) fail(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`)
    await sleep(50)
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function submit(cluster, org, file) {
  const form = new FormData()
  form.append('file', new Blob([fs.readFileSync(file.path)]), path.basename(file.path))
  form.append('output_format', 'md')
  const response = await fetch(`${cluster.url}/api/v1/jobs`, { method: 'POST', body: form, headers: { 'x-api-key': org.key } })
  const text = await response.text()
  if (response.status !== 202) fail(`POST /api/v1/jobs of ${file.file} answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Submits every file, `limit` uploads at a time; resolves to the jobs in submission order. */
async function submitAll(cluster, org, list, limit = 4) {
  const jobs = new Array(list.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, list.length) }, async () => {
      while (next < list.length) {
        const index = next++
        jobs[index] = await submit(cluster, org, list[index])
      }
    }),
  )
  return jobs
}

/** Every job of the organisation (the listing API, every page). */
async function listJobs(cluster, org) {
  const jobs = []
  let cursor
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) })
    const response = await fetch(`${cluster.url}/api/v1/jobs?${query}`, { headers: { 'x-api-key': org.key } })
    const body = await response.json()
    if (response.status !== 200) fail(`GET /api/v1/jobs answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`)
    jobs.push(...body.jobs)
    cursor = body.next_cursor
  } while (cursor)
  return jobs
}

const FINAL = new Set(['completed', 'failed', 'cancelled'])

/** Waits until `count` jobs of the organisation are final; resolves to them. */
async function waitAllFinal(cluster, org, count, timeoutMs, onPoll) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const jobs = await listJobs(cluster, org)
    if (jobs.length >= count && jobs.every((job) => FINAL.has(job.status))) return { jobs, drained: true }
    if (Date.now() > deadline) return { jobs, drained: false }
    await onPoll?.(jobs)
    await sleep(250)
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput with 1 and with 2 worker processes

async function scalingMeasurement(cluster, files, options) {
  const workerArgs = ['--concurrency', String(options['worker-concurrency'])]
  // Largest first: the last jobs to finish are short ones, so no worker idles long at the end
  // of a batch while another finishes a 69-page document (that tail would hide the scaling).
  const batch = Array.from({ length: options.copies }, () => files).flat().sort((a, b) => b.pages - a.pages)
  const pages = batch.reduce((sum, file) => sum + file.pages, 0)
  const rounds = []
  const first = await cluster.startWorker(workerArgs)
  for (let round = 1; round <= options.rounds; round++) {
    const result = { round }
    for (const count of [1, 2]) {
      const extra = count === 2 ? await cluster.startWorker(workerArgs) : undefined
      // Warm-up: each worker's conversion threads load pdf.js before the timed batch.
      await runBatch(cluster, files.slice(0, 2 * count), 60_000)
      const timed = await runBatch(cluster, batch, 600_000)
      if (extra) await cluster.stopWorker(extra)
      result[count] = { ...timed, pagesPerSecond: timed.pages / timed.seconds }
      console.log(`  round ${round}, ${count} worker${count === 1 ? '' : 's'}: ${timed.jobs} jobs, ${timed.pages} pages in ${fmt(timed.seconds, 2)} s = ${fmt(timed.pages / timed.seconds, 1)} pages/s${timed.failed ? `, ${timed.failed} FAILED` : ''}`)
    }
    result.ratio = result[2].pagesPerSecond / result[1].pagesPerSecond
    rounds.push(result)
  }
  await cluster.stopWorker(first)
  return { rounds, batchJobs: batch.length, batchPages: pages }
}

/** Microseconds during which some task waited for a CPU (Linux pressure stall information), or undefined. */
function cpuPressureUs() {
  try {
    return Number(/^some .*total=(\d+)/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'))?.[1])
  } catch {
    return undefined
  }
}

/** Submits the files as jobs of a fresh organisation and waits for all: wall time from the first upload to the last completion. */
async function runBatch(cluster, list, timeoutMs) {
  const org = cluster.org()
  const pressureBefore = cpuPressureUs()
  const startedAt = Date.now()
  await submitAll(cluster, org, list)
  const { jobs, drained } = await waitAllFinal(cluster, org, list.length, timeoutMs)
  if (!drained) fail(`${list.length} jobs were not all converted within ${timeoutMs / 1000} s.`)
  const completed = jobs.filter((job) => job.status === 'completed')
  const lastCompleted = Math.max(...completed.map((job) => Date.parse(job.completed_at)))
  const pressureAfter = cpuPressureUs()
  return {
    pressure: pressureBefore === undefined || pressureAfter === undefined ? undefined : (pressureAfter - pressureBefore) / 1000 / (Date.now() - startedAt),
    jobs: jobs.length,
    failed: jobs.length - completed.length,
    pages: completed.reduce((sum, job) => sum + job.pages_done, 0),
    seconds: (lastCompleted - startedAt) / 1000,
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Chaos: workers killed at random

async function chaosMeasurement(cluster, files, options) {
  const workerArgs = ['--concurrency', String(options['worker-concurrency']), '--max-attempts', String(options['max-attempts'])]
  const list = Array.from({ length: options['chaos-jobs'] }, (_, index) => files[index % files.length])
  const timeoutMs = 30 * 60_000

  console.log(`  chaos reference: ${list.length} jobs on 2 workers, no kills`)
  await cluster.startWorker(workerArgs)
  await cluster.startWorker(workerArgs)
  await runBatch(cluster, files.slice(0, 4), 60_000)
  const reference = await chaosRun(cluster, list, timeoutMs)
  console.log(`    ${fmt(reference.seconds, 1)} s, ${reference.completed} completed`)

  console.log(`  chaos: ${list.length} jobs on 2 workers, one killed about every ${options['kill-every']} s and replaced`)
  const kills = []
  let stopKilling = false
  let killer
  const run = chaosRun(cluster, list, timeoutMs, () => {
    killer ??= (async () => {
      while (!stopKilling) {
        await sleep(options['kill-every'] * 1000 * (0.5 + Math.random()))
        if (stopKilling) break
        const live = [...cluster.workers]
        const victim = live[Math.floor(Math.random() * live.length)]
        if (!victim) continue
        const at = Date.now()
        await cluster.killWorker(victim)
        const replacement = await cluster.startWorker(workerArgs)
        kills.push({ at, replacedInMs: Date.now() - at, worker: victim.id, replacement: replacement.id })
      }
    })()
  })
  const chaos = await run
  stopKilling = true
  await killer
  console.log(`    ${fmt(chaos.seconds, 1)} s, ${chaos.completed} completed, ${kills.length} kills`)
  for (const worker of [...cluster.workers]) await cluster.stopWorker(worker)
  return { reference, chaos, kills, jobs: list.length }
}

async function chaosRun(cluster, list, timeoutMs, onStart) {
  const org = cluster.org()
  const startedAt = Date.now()
  onStart?.()
  const accepted = await submitAll(cluster, org, list, 8)
  const { jobs, drained } = await waitAllFinal(cluster, org, list.length, timeoutMs)
  const ids = new Set(accepted.map((job) => job.id))
  const byStatus = {}
  for (const job of jobs) byStatus[job.status] = (byStatus[job.status] ?? 0) + 1
  const completedJobs = jobs.filter((job) => job.status === 'completed')
  const lastCompleted = Math.max(...completedJobs.map((job) => Date.parse(job.completed_at)))
  // Conversions that completed, per job, from the workers' logs (every worker of the run).
  const completions = new Map()
  for (const line of cluster.completions()) if (ids.has(line.jobId)) completions.set(line.jobId, (completions.get(line.jobId) ?? 0) + 1)
  const resultFiles = (job) => {
    const dir = path.join(cluster.storage, org.org, job.id)
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => /^result\.(md|txt|json)$/.test(name)).length : 0
  }
  // Temporary results of conversions killed mid-way (the pool renames a finished one into place).
  const leftovers = jobs.reduce((sum, job) => {
    const dir = path.join(cluster.storage, org.org, job.id)
    return sum + (fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.tmp')).length : 0)
  }, 0)
  return {
    accepted: accepted.length,
    acceptedDistinct: ids.size,
    listed: jobs.length,
    drained,
    byStatus,
    completed: completedJobs.length,
    lost: [...ids].filter((id) => !completedJobs.some((job) => job.id === id)).length,
    failedCodes: jobs.filter((job) => job.status === 'failed').map((job) => job.error?.code),
    completedTwice: [...completions.values()].filter((n) => n > 1).length,
    completionsLogged: [...completions.values()].reduce((sum, n) => sum + n, 0),
    notOneResult: completedJobs.filter((job) => resultFiles(job) !== 1).length,
    leftovers,
    redone: jobs.filter((job) => job.attempts > 1).length,
    maxAttempts: Math.max(...jobs.map((job) => job.attempts)),
    pages: completedJobs.reduce((sum, job) => sum + job.pages_done, 0),
    seconds: (lastCompleted - startedAt) / 1000,
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function report({ options, facts, files, corpusPages, scaling, chaos, loadBefore, loadAfter, elapsed, redisVersion }) {
  const load = (l) => l.map((n) => n.toFixed(2)).join(' / ')
  const pct = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${Math.round(x * 100)} %`)
  const lines = [
    '## Scale-out: worker processes on a Redis queue (`pnpm bench:scale-out`)',
    '',
    factsMarkdown(facts, commandLine({ npm: 'bench:scale-out', file: 'scale-out.mjs' }), [
      `Load average (1 / 5 / 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}. On ${facts.cores} cores, a load above ${facts.cores} before the run means other work competed for the CPU and the figures are low`,
      `Processes, all on this machine: redis-server ${redisVersion ?? ''} (AOF, appendfsync everysec, noeviction), \`docloader serve --queue redis://... --store redis://...\` (storage a local folder), and \`docloader worker --concurrency ${options['worker-concurrency']}\` processes, each a supervisor and its worker process; jobs uploaded through the HTTP API (Markdown output)`,
      `Corpus: the born-digital PDFs (${files.length} files, ${corpusPages} pages)`,
      `Whole bench: ${fmt(elapsed, 0)} s`,
    ]),
    '',
  ]
  const targets = []
  if (scaling) {
    const p1 = median(scaling.rounds.map((r) => r[1].pagesPerSecond))
    const p2 = median(scaling.rounds.map((r) => r[2].pagesPerSecond))
    const ratio = median(scaling.rounds.map((r) => r.ratio))
    scaling.summary = { p1, p2, ratio }
    targets.push([`throughput, 2 worker processes / 1 (median of the per-round ratios)`, `>= ${TARGETS.ratio}x`, `${fmt(ratio, 2)}x`, passMiss(ratio >= TARGETS.ratio)])
  }
  if (chaos) {
    const c = chaos.chaos
    targets.push([`${chaos.jobs} jobs, a worker killed about every ${options['kill-every']} s: jobs lost (accepted, not completed)`, '0', `${c.lost}`, passMiss(c.lost === 0)])
    targets.push(['same: duplicated results (jobs completed by two conversions / completed jobs without exactly one result file)', '0 / 0', `${c.completedTwice} / ${c.notOneResult}`, passMiss(c.completedTwice === 0 && c.notOneResult === 0)])
  }
  lines.push('### Targets', '', markdownTable(['measure', 'target', 'measured', 'result'], targets, 'llrl'), '')

  if (scaling) {
    const { p1, p2, ratio } = scaling.summary
    lines.push(
      `### Throughput, 1 and 2 worker processes (${scaling.batchJobs} jobs, ${scaling.batchPages} pages per round: the corpus ${options.copies} times)`,
      '',
      'Wall time from the first upload to the last `completed_at`, jobs submitted largest first; each setting warmed up (pdf.js loaded in its conversion threads) before its timed batch.',
      '',
      markdownTable(
        ['round', '1 worker: s', '1 worker: pages/s', '1 worker: CPU pressure', '2 workers: s', '2 workers: pages/s', '2 workers: CPU pressure', '2 / 1'],
        [
          ...scaling.rounds.map((r) => [r.round, fmt(r[1].seconds, 2), fmt(r[1].pagesPerSecond, 1), pct(r[1].pressure), fmt(r[2].seconds, 2), fmt(r[2].pagesPerSecond, 1), pct(r[2].pressure), `${fmt(r.ratio, 2)}x`]),
          ['median', '', fmt(p1, 1), '', '', fmt(p2, 1), '', `${fmt(ratio, 2)}x`],
        ],
        'lrrrrrrr',
      ),
      '',
      'CPU pressure: the share of the batch\'s time during which some task waited for a CPU (`/proc/pressure/cpu`). With 1 worker it should stay low and with 2 moderate; far above that, other work took CPU time and the ratio says little (the kernel also shares the CPUs between busy sessions first, whatever the number of processes in each).',
      '',
      `Sizing: one worker process with one conversion converts about ${fmt(p1, 0)} born-digital pages per second on one core of this machine; two on ${facts.cores} cores, ${fmt(p2 / 2, 0)} each (the API and Redis share the same cores here).`,
      '',
    )
  }
  if (chaos) {
    const { reference: r, chaos: c, kills } = chaos
    const extra = c.seconds - r.seconds
    const status = (run) => Object.entries(run.byStatus).map(([s, n]) => `${n} ${s}`).join(', ')
    lines.push(
      `### ${chaos.jobs} jobs with workers killed at random`,
      '',
      `Two workers (\`--max-attempts ${options['max-attempts']}\`, default lock 10 s and stalled check 5 s). Chaos: every ${fmt(options['kill-every'] * 0.5, 1)}-${fmt(options['kill-every'] * 1.5, 1)} s a random worker gets SIGKILL (command and worker process at once) and a new one is started; a killed worker's job goes to another once its lock expires.`,
      '',
      markdownTable(
        ['measure', 'no kills (reference)', 'workers killed'],
        [
          ['202 answers (distinct ids) / jobs listed', `${r.accepted} (${r.acceptedDistinct}) / ${r.listed}`, `${c.accepted} (${c.acceptedDistinct}) / ${c.listed}`],
          ['statuses', status(r), status(c)],
          ['jobs lost (accepted, not completed)', r.lost, c.lost],
          ['failed jobs (codes)', r.failedCodes.length ? r.failedCodes.join(', ') : '0', c.failedCodes.length ? c.failedCodes.join(', ') : '0'],
          ['jobs completed by two conversions (workers\' logs) / completions logged', `${r.completedTwice} / ${r.completionsLogged}`, `${c.completedTwice} / ${c.completionsLogged}`],
          ['completed jobs without exactly one result file', r.notOneResult, c.notOneResult],
          ['temporary result files left by killed conversions', r.leftovers, c.leftovers],
          ['jobs converted more than once (attempts > 1) / most attempts', `${r.redone} / ${r.maxAttempts}`, `${c.redone} / ${c.maxAttempts}`],
          ['kills (replacement ready after, median)', '0', `${kills.length} (${fmt(median(kills.map((k) => k.replacedInMs)) / 1000, 1)} s)`],
          ['pages converted', r.pages, c.pages],
          ['wall time, first upload to last completion', `${fmt(r.seconds, 1)} s`, `${fmt(c.seconds, 1)} s`],
          ['extra time from the kills', '', `${fmt(extra, 1)} s (+${fmt((extra / r.seconds) * 100, 0)} %)`],
        ],
        'lrr',
      ),
      '',
    )
  }
  return lines.join('\n')
}
