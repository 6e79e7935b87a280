#!/usr/bin/env node
// Load of the HTTP service: `pnpm bench:server` (see bench/README.md).
//
// The server (`startServer` of the built @docloader/server) runs in a child process of this
// script, so the load generator (autocannon, here) never shares its event loop and its RSS
// can be read from /proc. Three measurements, as issue 5 asks:
//
// 1. POST /api/v1/jobs of a ~200 KB PDF at 32 connections for ~10 s, while the server's own
//    conversion threads keep both cores busy on a steady backlog of scanned corpus PDFs, read
//    by OCR: time to `202`.
// 2. GET /api/v1/jobs/{id} at 1,000 requests/s evenly spaced (bench/lib/paced-load.mjs, an
//    open-loop generator in its own process), same background conversions: p99.
//
// Each POST and GET run is followed by the same run against a baseline, a bare node:http server
// (bench/lib/bare-server.mjs) under the same background load: what any Node service gets here.
// 3. 1,000 jobs in bursts of 100 concurrent POSTs on a fresh server: all completed, none lost
//    or duplicated (listing API, distinct ids, one result file per job), and the server's RSS
//    after them against its RSS after the first 100.
//
// Internal: `node bench/server-load.mjs --server-child <json>` is the server process.
import { execFile, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { watchLoopDelay } from './lib/loop-delay.mjs'
import {
  BenchError,
  REPO_DIR,
  WORK_DIR,
  DEFAULT_CORPUS,
  commandLine,
  factsMarkdown,
  fail,
  fmt,
  machineFacts,
  markdownTable,
  median,
  parseArgs,
  passMiss,
  requireBuild,
  runMain,
  writeResultsSection,
} from './lib/common.mjs'

const SCRIPT = fileURLToPath(import.meta.url)
const SERVER_DIST = path.join(REPO_DIR, 'packages/server/dist/index.js')
const PACED_LOAD = path.join(REPO_DIR, 'bench/lib/paced-load.mjs')
const BARE_SERVER = path.join(REPO_DIR, 'bench/lib/bare-server.mjs')

const USAGE = `Usage: node bench/server-load.mjs [options]      (pnpm bench:server [options])

Options:
  --corpus <dir>          corpus folder (default: ../shared/corpus next to the repo)
  --runs <n>              runs of each latency measurement (default 3); medians are reported
  --duration <s>          seconds per latency run (default 10)
  --connections <n>       connections of the POST measurement (default 32)
  --rate <n>              requests per second of the GET measurement, evenly spaced (default 1000)
  --get-connections <n>   most keep-alive connections the GET generator opens (default 64)
  --backlog <n>           scanned background PDFs kept pending (default 8)
  --jobs <n>              jobs of the burst measurement (default 1000)
  --burst <n>             concurrent POSTs per burst (default 100)
  --only <part>           latency or bursts: one part only (implies --no-write)
  --drain-each            wait until each burst is converted before sending the next
  --profile               CPU-profile the server's event loop during each timed run (written to
                          bench/.work/server-load/profiles/) and print where its time went
  --data-dir <dir>        where the servers' data folders are made (default bench/.work/server-load,
                          like \`docloader serve\`'s ./docloader-data: a folder of the working tree)
  --keep                  keep the servers' temp data folders
  --no-write              print the results without updating bench/RESULTS.md
  -h, --help              this help`

const TARGETS = { postP99Ms: 50, getP99Ms: 5, rssRatio: 1.2 }

/** Corpus files (relative to the corpus folder) the measurements use. */
const FILES = {
  background: ['scanned/scan_node_documentation_all.pdf', 'scanned/scan_dafx_p009_p2.pdf'],
  post: 'structured/git-lfs-custom-transfers.pdf',
  // A small document so 1,000 conversions take about a minute on two busy cores.
  burst: 'structured/node-tty.gt.md',
}

const KEYS = {
  bench: { key: `bench-${randomBytes(16).toString('hex')}`, org: 'bench' },
  background: { key: `background-${randomBytes(16).toString('hex')}`, org: 'background' },
}

const CLK_TCK = 100 // USER_HZ on Linux

if (process.argv[2] === '--server-child') await serverChild(JSON.parse(process.argv[3]))
else runMain(main)

// ---------------------------------------------------------------------------------------------
// The server process

async function serverChild(config) {
  const { startServer } = await import(pathToFileURL(SERVER_DIST).href)
  // pino is the server's dependency, not the root's: load the server's copy.
  const pinoModule = await import(pathToFileURL(createRequire(SERVER_DIST).resolve('pino')).href)
  const pino = pinoModule.default ?? pinoModule.pino
  // Info-level JSON logs written synchronously, as `docloader serve` writes them to stdout,
  // but to a file so they do not mix with the bench's output.
  const logger = pino({ name: 'docloader' }, pino.destination({ dest: path.join(config.dataDir, 'server.log'), sync: true }))
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir: config.dataDir,
    keys: config.keys,
    rateLimit: { perSecond: 1e6, burst: 1e6 },
    logger,
  })
  // --profile: the parent asks for a CPU profile of the event loop thread around each timed run.
  let session
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))))
  const loopDelay = watchLoopDelay()
  process.on('message', async (message) => {
    loopDelay.answer(message)
    if (message?.type === 'stop') server.close(message.deadlineMs ?? 1000).finally(() => process.exit(0))
    if (message?.type === 'memory') {
      const usage = process.memoryUsage()
      process.send({ type: 'memory', usage })
    }
    if (message?.type === 'profile-start') {
      const { Session } = await import('node:inspector')
      session ??= new Session()
      session.connect()
      await post('Profiler.enable')
      await post('Profiler.setSamplingInterval', { interval: 200 })
      await post('Profiler.start')
      process.send({ type: 'profile-started' })
    }
    if (message?.type === 'profile-stop') {
      const { profile } = await post('Profiler.stop')
      session.disconnect()
      fs.writeFileSync(message.file, JSON.stringify(profile))
      process.send({ type: 'profile-stopped' })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ type: 'ready', url: server.url, pid: process.pid })
}

/** `request(message, answerType)`: sends `message` to a child process and resolves with its first reply of that type. */
function askChild(child) {
  return (message, answer) =>
    new Promise((resolve) => {
      const listener = (reply) => {
        if (reply?.type !== answer) return
        child.off('message', listener)
        resolve(reply)
      }
      child.on('message', listener)
      child.send(message)
    })
}

/** Forks the server process and waits until it listens. */
async function startServerProcess({ dataDir, profileDir }) {
  const child = fork(SCRIPT, ['--server-child', JSON.stringify({ dataDir, keys: Object.values(KEYS) })], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new BenchError('The server process did not listen within 60 s.'))
    }, 60_000)
    child.on('message', (message) => {
      if (message?.type !== 'ready') return
      clearTimeout(timer)
      resolve(message)
    })
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new BenchError(`The server process exited before listening (${signal ?? `code ${code}`}):\n${output.trim()}`))
    })
  })
  const request = askChild(child)
  return {
    url: ready.url,
    pid: ready.pid,
    dataDir,
    profileDir,
    /** Restarts and reads the server's event loop delay histogram (see watchLoopDelay). */
    resetLoopDelay: () => request({ type: 'loop-delay-reset' }, 'loop-delay-reset'),
    readLoopDelay: async () => (await request({ type: 'loop-delay-read' }, 'loop-delay')).delay,
    /** Starts a CPU profile of the server's event loop thread (with --profile). */
    startProfile: () => request({ type: 'profile-start' }, 'profile-started'),
    stopProfile: (file) => request({ type: 'profile-stop', file }, 'profile-stopped'),
    /** The server's process.memoryUsage() (V8 heap, external, array buffers: the main thread's share of the RSS). */
    memoryUsage: async () => (await request({ type: 'memory' }, 'memory')).usage,
    get output() {
      return output
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.send({ type: 'stop', deadlineMs: 1000 })
      const stopped = await Promise.race([exited.then(() => true), sleep(20_000, false, { ref: false })])
      if (!stopped) {
        child.kill('SIGKILL')
        await exited
      }
    },
  }
}

/**
 * A fresh data folder for one server. Not in os.tmpdir() by default: a server keeps its data
 * in a folder of its own (`docloader serve` uses ./docloader-data), and on some machines /tmp
 * is far slower to create files in than the rest of the same disk (this one: ~1.4 ms of kernel
 * CPU per file or folder created in /tmp, ~0.05 ms elsewhere; see bench/RESULTS.md).
 */
function newDataDir(options, name) {
  const parent = path.resolve(options['data-dir'] ?? path.join(WORK_DIR, 'server-load'))
  fs.mkdirSync(parent, { recursive: true })
  return fs.mkdtempSync(path.join(parent, `data-${name}-`))
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/** A real multipart/form-data body: the file first, then the fields (the order of the curl example). */
function multipartBody(file, fields = {}) {
  const boundary = `----docloader-bench-${randomBytes(12).toString('hex')}`
  const type = file.endsWith('.pdf') ? 'application/pdf' : file.endsWith('.md') ? 'text/markdown' : 'application/octet-stream'
  const parts = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\nContent-Type: ${type}\r\n\r\n`),
    fs.readFileSync(file),
    Buffer.from('\r\n'),
  ]
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}`, file, bytes: fs.statSync(file).size }
}

async function api(server, key, method, route, { body, contentType } = {}) {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: { 'x-api-key': key, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(body ? { body } : {}),
  })
  const text = await response.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: response.status, json, text }
}

async function submit(server, key, upload) {
  const answer = await api(server, key, 'POST', '/api/v1/jobs', upload)
  if (answer.status !== 202) fail(`POST /api/v1/jobs of ${upload.file} answered ${answer.status}: ${answer.text.slice(0, 300)}`)
  return answer.json
}

/** Jobs of the key's organisation, newest first, every page. */
async function listAll(server, key, status) {
  const jobs = []
  let cursor
  do {
    const query = new URLSearchParams({ limit: '100', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) })
    const answer = await api(server, key, 'GET', `/api/v1/jobs?${query}`)
    if (answer.status !== 200) fail(`GET /api/v1/jobs answered ${answer.status}: ${answer.text.slice(0, 300)}`)
    jobs.push(...answer.json.jobs)
    cursor = answer.json.next_cursor
  } while (cursor)
  return jobs
}

async function countStatus(server, key, status, limit = 100) {
  const answer = await api(server, key, 'GET', `/api/v1/jobs?status=${status}&limit=${limit}`)
  if (answer.status !== 200) fail(`GET /api/v1/jobs?status=${status} answered ${answer.status}: ${answer.text.slice(0, 300)}`)
  return answer.json.jobs.length
}

async function metrics(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  return { running: value('docloader_conversions_running'), queued: value('docloader_queue_depth') }
}

/** Runs `task` over `items`, `limit` at a time. */
async function eachLimit(items, limit, task) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++])
    }),
  )
}

/** Cancels every pending or processing job of the organisation (the POST measurement's jobs). */
async function cancelAll(server, key) {
  let cancelled = 0
  for (let round = 0; round < 100; round++) {
    const jobs = [...(await listAll(server, key, 'processing')), ...(await listAllFirstPages(server, key, 'pending', 20))]
    if (!jobs.length) return cancelled
    await eachLimit(jobs, 8, async (job) => {
      const answer = await api(server, key, 'DELETE', `/api/v1/jobs/${job.id}`)
      if (answer.status === 200) cancelled++
    })
  }
  fail('Jobs were still pending after 100 rounds of cancelling them.')
}

/** Up to `pages` pages of 100 jobs. */
async function listAllFirstPages(server, key, status, pages) {
  const jobs = []
  let cursor
  for (let page = 0; page < pages; page++) {
    const query = new URLSearchParams({ limit: '100', status, ...(cursor ? { cursor } : {}) })
    const answer = await api(server, key, 'GET', `/api/v1/jobs?${query}`)
    if (answer.status !== 200) fail(`GET /api/v1/jobs answered ${answer.status}: ${answer.text.slice(0, 300)}`)
    jobs.push(...answer.json.jobs)
    cursor = answer.json.next_cursor
    if (!cursor) break
  }
  return jobs
}

// ---------------------------------------------------------------------------------------------
// Background conversions

/**
 * Keeps `backlog` scanned PDFs pending in the background organisation, so the server's conversion
 * threads never run dry. Checks twice a second.
 */
function startFeeder(server, uploads, backlog) {
  let stopped = false
  let submitted = 0
  const loop = (async () => {
    while (!stopped) {
      const pending = await countStatus(server, KEYS.background.key, 'pending', backlog)
      for (let i = pending; i < backlog && !stopped; i++) {
        await submit(server, KEYS.background.key, uploads[submitted % uploads.length])
        submitted++
      }
      await sleep(500)
    }
  })()
  let error
  loop.catch((caught) => (error = caught)) // surfaced by stop()
  return {
    get submitted() {
      return submitted
    },
    async stop() {
      stopped = true
      await loop.catch(() => undefined)
      if (error) throw error
    },
  }
}

/** Waits until no conversion runs. */
async function waitIdle(server) {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if ((await metrics(server)).running === 0) return
    await sleep(200)
  }
  fail('Conversions still ran 60 s after cancelling every job.')
}

/** Event loop CPU of the server in this process's latency runs with no request (set once measured). */
let backgroundMainCores = 0

/** Event loop CPU time per request in a run, net of the background work measured with no requests. */
function netCpuPerRequest(r) {
  const background = r.conversions === '0' || r.baseline ? 0 : backgroundMainCores * r.cpu.seconds * 1000
  return Math.max(0, r.cpu.mainCpuMs - background) / Math.max(1, r.ok + r.other)
}

/** One line about a run, for the console. */
function describe(r, digits) {
  const pct = (x) => (x === undefined ? '–' : `${Math.round(x * 100)} %`)
  return (
    `${r.ok} answers (${fmt(r.perSecond, 0)}/s), p50 ${fmt(r.p50, digits)} ms, p99 ${fmt(r.p99, digits)} ms, other ${r.other}, errors ${r.errors}; ` +
    `server event loop delay p99 ${fmt(r.loopDelay.p99, 1)} ms, max ${fmt(r.loopDelay.max, 1)} ms; ` +
    `server ${fmt(r.cpu.processCores, 2)} cores, event loop ${fmt(r.cpu.mainCores, 2)} cores = ${fmt(netCpuPerRequest(r), 2)} ms CPU/request, ` +
    `runnable but waiting for a CPU ${pct(r.cpu.mainWaiting)} of the time (load generator ${pct(r.cpu.generatorWaiting)}); CPU pressure ${pct(r.cpu.pressure)}`
  )
}

/** Waits until the server converts `expected` documents at once. */
async function waitBusy(server, expected) {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if ((await metrics(server)).running >= expected) return
    await sleep(200)
  }
  fail(`The server did not start ${expected} conversions within 60 s.`)
}

// ---------------------------------------------------------------------------------------------
// CPU and memory from /proc

function cpuSeconds(file) {
  const text = fs.readFileSync(file, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK // utime, stime
}

function machineTicks() {
  const [, ...numbers] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const ticks = numbers.map(Number)
  const total = ticks.slice(0, 8).reduce((sum, n) => sum + n, 0)
  return { total, idle: ticks[3] + ticks[4] }
}

/** Nanoseconds a thread ran and waited on a run queue (runnable, but no CPU free). */
function schedstat(pid, tid = pid) {
  try {
    const [runNs, waitNs] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number)
    return { runNs, waitNs }
  } catch {
    return undefined
  }
}

/** Microseconds during which some task waited for a CPU (pressure stall information). */
function cpuPressureUs() {
  try {
    return Number(/^some .*total=(\d+)/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'))?.[1])
  } catch {
    return undefined
  }
}

function cpuSnapshot(pid) {
  return {
    at: performance.now(),
    process: cpuSeconds(`/proc/${pid}/stat`),
    main: cpuSeconds(`/proc/${pid}/task/${pid}/stat`),
    mainSched: schedstat(pid),
    generatorSched: schedstat(process.pid),
    pressureUs: cpuPressureUs(),
    machine: machineTicks(),
  }
}

/**
 * Cores used by the server process and by its main (event loop) thread; the share of the
 * window the event loop thread (and the load generator's) spent runnable but waiting for a
 * CPU; the machine's busy share and CPU pressure.
 */
function cpuWindow(before, after) {
  const ms = after.at - before.at
  const total = after.machine.total - before.machine.total
  const waited = (a, b) => (a && b ? (b.waitNs - a.waitNs) / 1e6 / ms : undefined)
  return {
    seconds: ms / 1000,
    processCores: (after.process - before.process) / (ms / 1000),
    mainCores: (after.main - before.main) / (ms / 1000),
    mainCpuMs: after.mainSched && before.mainSched ? (after.mainSched.runNs - before.mainSched.runNs) / 1e6 : (after.main - before.main) * 1000,
    mainWaiting: waited(before.mainSched, after.mainSched),
    generatorWaiting: waited(before.generatorSched, after.generatorSched),
    pressure: after.pressureUs !== undefined && before.pressureUs !== undefined ? (after.pressureUs - before.pressureUs) / 1000 / ms : undefined,
    machineBusy: total ? 1 - (after.machine.idle - before.machine.idle) / total : undefined,
  }
}

function memory(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1])
  return { rssMB: kib('VmRSS') / 1024, hwmMB: kib('VmHWM') / 1024, anonMB: kib('RssAnon') / 1024, fileMB: kib('RssFile') / 1024, threads: Number(/^Threads:\s+(\d+)/m.exec(text)?.[1]) }
}

// ---------------------------------------------------------------------------------------------
// Latency measurements (autocannon)

async function loadAutocannon() {
  try {
    return (await import('autocannon')).default
  } catch {
    fail('autocannon is not installed: run `pnpm install` at the repository root (it is a root devDependency).')
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return undefined
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/**
 * One autocannon run. Latencies are taken from autocannon's per-response event (hrtime from
 * writing the request to the end of the response, in fractional ms) for every response with
 * the expected status, and percentiles computed exactly from them.
 */
async function timedRun(autocannon, server, { seconds, connections, overallRate, request, expectStatus, profile }) {
  const latencies = []
  const statuses = {}
  if (profile && server.profileDir) await server.startProfile()
  await server.resetLoopDelay()
  const before = cpuSnapshot(server.pid)
  const run = autocannon({
    url: server.url,
    connections,
    duration: seconds,
    timeout: 30,
    ...(overallRate ? { overallRate } : {}),
    requests: [request],
  })
  run.on('response', (_client, status, _bytes, ms) => {
    statuses[status] = (statuses[status] ?? 0) + 1
    if (status === expectStatus) latencies.push(ms)
  })
  const result = await run
  const after = cpuSnapshot(server.pid)
  const loopDelay = await server.readLoopDelay()
  if (profile && server.profileDir) await server.stopProfile(path.join(server.profileDir, `${profile}.cpuprofile`))
  latencies.sort((a, b) => a - b)
  const total = Object.values(statuses).reduce((sum, n) => sum + n, 0)
  return {
    ok: latencies.length,
    other: total - latencies.length,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    perSecond: latencies.length / (result.duration || seconds),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
    loopDelay,
    cpu: cpuWindow(before, after),
    loadavg: os.loadavg()[0],
  }
}

function postRequest(upload, ids) {
  return {
    method: 'POST',
    path: '/api/v1/jobs',
    headers: { 'x-api-key': KEYS.bench.key, 'content-type': upload.contentType },
    body: upload.body,
    onResponse(status, body) {
      if (status === 202) ids?.push(JSON.parse(body).id)
    },
  }
}

/**
 * One run of bench/lib/paced-load.mjs in a child process: `rate` GETs per second, evenly
 * spaced, over up to `connections` keep-alive connections, each of a random path of `paths`.
 * Latency from the moment a request is sent (as autocannon and wrk count it) and, to show the
 * generator's own delay, from the moment it was due.
 */
async function pacedRun(target, { seconds, rate, connections, paths, headers, expectStatus = 200, profile }) {
  if (profile && target.profileDir) await target.startProfile()
  await target.resetLoopDelay()
  const before = cpuSnapshot(target.pid)
  const configFile = path.join(WORK_DIR, 'server-load', `paced-${process.pid}.json`)
  fs.mkdirSync(path.dirname(configFile), { recursive: true })
  fs.writeFileSync(configFile, JSON.stringify({ url: target.url, rate, seconds, connections, headers, paths }))
  const output = await new Promise((resolve, reject) => {
    // A young generation large enough that the generator's own garbage collection rarely pauses it.
    execFile(process.execPath, ['--max-semi-space-size=64', PACED_LOAD, `@${configFile}`], { maxBuffer: 256 * 2 ** 20 }, (error, stdout, stderr) =>
      error ? reject(new BenchError(`The load generator failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    )
  })
  const after = cpuSnapshot(target.pid)
  const loopDelay = await target.readLoopDelay()
  if (profile && target.profileDir) await target.stopProfile(path.join(target.profileDir, `${profile}.cpuprofile`))
  const result = JSON.parse(output)
  const ok = result.fromSend.filter((_, i) => result.status[i] === expectStatus).sort((a, b) => a - b)
  const fromDue = result.fromDue.filter((_, i) => result.status[i] === expectStatus).sort((a, b) => a - b)
  const statuses = {}
  for (const status of result.status) if (status > 0) statuses[status] = (statuses[status] ?? 0) + 1
  const answered = result.status.filter((status) => status > 0).length
  return {
    ok: ok.length,
    other: answered - ok.length,
    statuses,
    errors: result.errors,
    timeouts: result.unanswered,
    perSecond: answered / result.duration,
    p50: percentile(ok, 50),
    p90: percentile(ok, 90),
    p99: percentile(ok, 99),
    max: ok.at(-1),
    loopDelay,
    dueP99: percentile(fromDue, 99),
    lateP99: percentile(result.lateness.sort((a, b) => a - b), 99),
    cpu: cpuWindow(before, after),
    loadavg: os.loadavg()[0],
  }
}

/** Starts bench/lib/bare-server.mjs, the baseline: a bare node:http server answering with bodies of these sizes. */
async function startBareServer({ getBytes, postBytes }) {
  const child = fork(BARE_SERVER, [JSON.stringify({ getBody: 'x'.repeat(getBytes), postBody: 'x'.repeat(postBytes) })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new BenchError(`The baseline server exited (code ${code}) before listening.`)))
  })
  const request = askChild(child)
  return {
    url: ready.url,
    pid: ready.pid,
    resetLoopDelay: () => request({ type: 'loop-delay-reset' }, 'loop-delay-reset'),
    readLoopDelay: async () => (await request({ type: 'loop-delay-read' }, 'loop-delay')).delay,
    stop: () => child.kill(),
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements 1 and 2

async function latencyMeasurements(autocannon, options, corpusDir, profileDir) {
  const dataDir = newDataDir(options, 'latency')
  const server = await startServerProcess({ dataDir, profileDir })
  const cores = os.availableParallelism()
  const background = FILES.background.map((file) => multipartBody(path.join(corpusDir, file), { output_format: 'md' }))
  const post = multipartBody(path.join(corpusDir, FILES.post), { output_format: 'md' })
  const runs = { post: [], get: [], barePost: [], bareGet: [], getIdle: undefined, bareGetIdle: undefined, quiet: undefined }
  let bare
  let answerBytes
  const targets = [] // job ids the GET measurement reads
  const state = (m) => `${m.running} converting, ${m.queued} queued`
  let feeder
  try {
    console.log(`server pid ${server.pid} at ${server.url}; warming up`)
    // Warm-up: JIT the routes, fill the GET targets.
    await timedRun(autocannon, server, { seconds: 3, connections: options.connections, request: postRequest(post, targets), expectStatus: 202 })
    await cancelAll(server, KEYS.bench.key)
    await waitIdle(server)
    await pacedRun(server, { seconds: 3, rate: options.rate, connections: options['get-connections'], headers: { 'x-api-key': KEYS.bench.key }, paths: targets.map((id) => `/api/v1/jobs/${id}`) })
    feeder = startFeeder(server, background, options.backlog)
    await waitBusy(server, cores)
    // The event loop's own work while conversions run and no request comes (progress writes,
    // claims, the feeder's few requests): subtracted to get the CPU per request.
    const quietBefore = cpuSnapshot(server.pid)
    await sleep(3000)
    runs.quiet = cpuWindow(quietBefore, cpuSnapshot(server.pid))
    console.log(
      `${cores} background conversions running; with no requests the server uses ${fmt(runs.quiet.processCores, 2)} cores, ` +
        `its event loop ${fmt(runs.quiet.mainCores, 3)} cores (runnable but waiting for a CPU ${Math.round((runs.quiet.mainWaiting ?? 0) * 100)} % of the time)`,
    )
    backgroundMainCores = runs.quiet.mainCores

    // The baseline, in its own process: bodies the size of the API's job answers.
    const sample = await api(server, KEYS.bench.key, 'GET', `/api/v1/jobs/${targets[0]}`)
    answerBytes = sample.text.length
    bare = await startBareServer({ getBytes: answerBytes, postBytes: answerBytes })
    await timedRun(autocannon, bare, { seconds: 3, connections: options.connections, request: postRequest(post), expectStatus: 202 })
    await pacedRun(bare, { seconds: 3, rate: options.rate, connections: options['get-connections'], paths: ['/'], expectStatus: 200 })
    const getPaths = () => targets.map((id) => `/api/v1/jobs/${id}`)
    const getLoad = { seconds: options.duration, rate: options.rate, connections: options['get-connections'], headers: { 'x-api-key': KEYS.bench.key } }

    for (let run = 1; run <= options.runs; run++) {
      await waitBusy(server, cores)
      let before = await metrics(server)
      const ids = []
      const postRun = await timedRun(autocannon, server, {
        seconds: options.duration,
        connections: options.connections,
        request: postRequest(post, ids),
        expectStatus: 202,
        profile: `post-${run}`,
      })
      postRun.conversions = `${before.running} / ${(await metrics(server)).running}`
      runs.post.push(postRun)
      targets.push(...ids)
      console.log(`POST run ${run}: ${describe(postRun, 1)}; ${state(before)} before`)
      // Cancel the jobs just created, so the conversions in the background stay the scans
      // and every run starts from the same queue.
      const cancelled = await cancelAll(server, KEYS.bench.key)

      await waitBusy(server, cores)
      const barePost = await timedRun(autocannon, bare, { seconds: options.duration, connections: options.connections, request: postRequest(post), expectStatus: 202 })
      barePost.baseline = true
      barePost.conversions = `${(await metrics(server)).running}`
      runs.barePost.push(barePost)
      console.log(`POST run ${run}, baseline: ${describe(barePost, 1)}`)

      await waitBusy(server, cores)
      before = await metrics(server)
      const getRun = await pacedRun(server, { ...getLoad, paths: getPaths(), profile: `get-${run}` })
      getRun.conversions = `${before.running} / ${(await metrics(server)).running}`
      getRun.targets = targets.length
      runs.get.push(getRun)
      console.log(`GET  run ${run}: ${describe(getRun, 2)}; ${cancelled} POSTed jobs cancelled before`)

      await waitBusy(server, cores)
      const bareGet = await pacedRun(bare, { ...getLoad, paths: ['/'] })
      bareGet.baseline = true
      bareGet.conversions = `${(await metrics(server)).running}`
      runs.bareGet.push(bareGet)
      console.log(`GET  run ${run}, baseline: ${describe(bareGet, 2)}`)
    }

    // Reference: the same GET load on the same jobs with no conversion running.
    await feeder.stop()
    await cancelAll(server, KEYS.background.key)
    await waitIdle(server)
    runs.getIdle = await pacedRun(server, { ...getLoad, paths: getPaths(), profile: 'get-no-conversions' })
    runs.getIdle.targets = targets.length
    runs.getIdle.conversions = `${(await metrics(server)).running}`
    console.log(`GET  reference, no conversions: ${describe(runs.getIdle, 2)}`)
    runs.bareGetIdle = await pacedRun(bare, { ...getLoad, paths: ['/'] })
    runs.bareGetIdle.conversions = '0'
    runs.bareGetIdle.baseline = true
    console.log(`GET  reference, no conversions, baseline: ${describe(runs.bareGetIdle, 2)}`)
  } finally {
    await feeder?.stop().catch(() => undefined)
    bare?.stop()
    await server.stop()
    if (options.keep) console.log(`kept the server's data folder ${dataDir}`)
    else fs.rmSync(dataDir, { recursive: true, force: true })
  }
  return { runs, backgroundSubmitted: feeder.submitted, background, post, answerBytes }
}

// ---------------------------------------------------------------------------------------------
// Measurement 3

async function waitDrained(server, key, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await countStatus(server, key, 'pending', 1)) === 0 && (await countStatus(server, key, 'processing', 1)) === 0) return true
    await sleep(250)
  }
  return false
}

async function burstMeasurement(options, corpusDir, profileDir, deadline) {
  const dataDir = newDataDir(options, 'bursts')
  const server = await startServerProcess({ dataDir, profileDir })
  const upload = multipartBody(path.join(corpusDir, FILES.burst), { output_format: 'md' })
  const key = KEYS.bench.key
  const accepted = []
  const refused = {}
  const bursts = Math.ceil(options.jobs / options.burst)
  const result = { bursts, perBurst: options.burst, upload }
  try {
    const rssStart = memory(server.pid).rssMB
    const started = performance.now()
    let sent = 0
    const burst = async () => {
      const size = Math.min(options.burst, options.jobs - sent)
      sent += size
      await Promise.all(
        Array.from({ length: size }, async () => {
          try {
            const answer = await api(server, key, 'POST', '/api/v1/jobs', upload)
            if (answer.status === 202) accepted.push(answer.json.id)
            else refused[answer.status] = (refused[answer.status] ?? 0) + 1
          } catch (error) {
            refused[error.cause?.code ?? error.message] = (refused[error.cause?.code ?? error.message] ?? 0) + 1
          }
        }),
      )
    }
    await burst()
    result.firstDrained = await waitDrained(server, key, Math.max(10_000, deadline - Date.now()))
    await sleep(1000)
    result.rssFirstMB = memory(server.pid).rssMB
    result.heapFirst = await server.memoryUsage()
    result.rssTrace = [result.rssFirstMB]
    console.log(`first burst of ${options.burst}: done in ${fmt((performance.now() - started) / 1000, 1)} s, server RSS ${fmt(result.rssFirstMB, 0)} MB`)
    // The other bursts half a second apart, without waiting for the conversions: a backlog forms.
    const rest = performance.now()
    while (sent < options.jobs) {
      await burst()
      if (options['drain-each']) {
        await waitDrained(server, key, Math.max(10_000, deadline - Date.now()))
        await sleep(1000)
      } else await sleep(500)
      result.rssTrace.push(memory(server.pid).rssMB)
    }
    result.submitSeconds = (performance.now() - rest) / 1000
    result.drained = await waitDrained(server, key, Math.max(10_000, deadline - Date.now()))
    result.drainSeconds = (performance.now() - rest) / 1000
    result.totalSeconds = (performance.now() - started) / 1000
    await sleep(1000)
    const after = memory(server.pid)
    Object.assign(result, { rssStartMB: rssStart, rssAfterMB: after.rssMB, hwmMB: after.hwmMB, heapAfter: await server.memoryUsage() })

    // None lost, none duplicated: the listing API, the ids, the result files.
    const listed = await listAll(server, key)
    const listedIds = new Set(listed.map((job) => job.id))
    const acceptedIds = new Set(accepted)
    const statuses = {}
    for (const job of listed) statuses[job.status] = (statuses[job.status] ?? 0) + 1
    const orgDir = path.join(dataDir, 'files', KEYS.bench.org)
    const jobDirs = fs.existsSync(orgDir) ? fs.readdirSync(orgDir) : []
    let resultFiles = 0
    let jobsWithOneResult = 0
    const stray = []
    for (const dir of jobDirs) {
      const names = fs.readdirSync(path.join(orgDir, dir))
      const results = names.filter((name) => /^result\.(md|txt|json)$/.test(name) && fs.statSync(path.join(orgDir, dir, name)).size > 0)
      resultFiles += results.length
      if (results.length === 1) jobsWithOneResult++
      stray.push(...names.filter((name) => name !== 'upload' && !/^result\.(md|txt|json)$/.test(name)))
    }
    Object.assign(result, {
      accepted: accepted.length,
      refused,
      acceptedDistinct: acceptedIds.size,
      listed: listed.length,
      listedDistinct: listedIds.size,
      missingFromListing: [...acceptedIds].filter((id) => !listedIds.has(id)).length,
      extraInListing: [...listedIds].filter((id) => !acceptedIds.has(id)).length,
      statuses,
      jobDirs: jobDirs.length,
      resultFiles,
      jobsWithOneResult,
      stray: stray.length,
    })
    result.allCompleted = statuses.completed === options.jobs && listed.length === options.jobs
    result.noneLost = accepted.length === options.jobs && result.missingFromListing === 0 && listed.length === options.jobs
    result.noneDuplicated =
      result.acceptedDistinct === accepted.length && result.listedDistinct === listed.length && result.extraInListing === 0 &&
      jobDirs.length === options.jobs && resultFiles === options.jobs && jobsWithOneResult === options.jobs
    result.rssRatio = result.rssAfterMB / result.rssFirstMB
  } finally {
    await server.stop()
    if (options.keep) console.log(`kept the server's data folder ${dataDir}`)
    else fs.rmSync(dataDir, { recursive: true, force: true })
  }
  return result
}

// ---------------------------------------------------------------------------------------------
// CPU profiles (--profile)

/**
 * Where a .cpuprofile's time went: functions by self time, and docloader's own functions
 * (packages/) by inclusive time. Sample times are wall time between samples: time the thread
 * spent waiting for a CPU lands on whatever ran before or after.
 */
function profileSummary(file, top = 12) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const label = (frame) => {
    const url = frame.url.replace(`${pathToFileURL(REPO_DIR).href}/`, '').replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    return `${frame.functionName || '(anonymous)'}${url ? ` ${url}:${frame.lineNumber + 1}` : ''}`
  }
  const inBench = (id) => {
    for (; id !== undefined; id = parent.get(id)) if (byId.get(id).callFrame.url.endsWith('/bench/server-load.mjs')) return true
    return false
  }
  const self = new Map()
  const inclusive = new Map()
  let total = 0
  let idle = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const node = byId.get(profile.samples[i])
    if (inBench(node.id)) continue // the profiler's own stop call
    if (node.callFrame.functionName === '(idle)') {
      idle += ms
      continue
    }
    total += ms
    self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + ms)
    const seen = new Set()
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id).callFrame
      if (!frame.url.includes('/packages/')) continue
      const name = label(frame)
      if (seen.has(name)) continue
      seen.add(name)
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms)
    }
  }
  const rows = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => [name, fmt(ms, 0), `${fmt((ms / total) * 100, 1)} %`])
  return { total, idle, self: rows(self), inclusive: rows(inclusive) }
}

function printProfiles(profileDir) {
  if (!fs.existsSync(profileDir)) return
  for (const name of fs.readdirSync(profileDir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
    const summary = profileSummary(path.join(profileDir, name))
    console.log(`\nServer event loop, ${name}: ${fmt(summary.total / 1000, 1)} s busy, ${fmt(summary.idle / 1000, 1)} s idle (wall time between samples)\n`)
    console.log(markdownTable(['self time', 'ms', 'share of busy'], summary.self, 'lrr'))
    console.log('')
    console.log(markdownTable(['docloader function, inclusive', 'ms', 'share of busy'], summary.inclusive, 'lrr'))
  }
  console.log(`\nProfiles: ${path.relative(process.cwd(), profileDir)}/ (open in Chrome DevTools)`)
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = {
    runs: 3,
    duration: 10,
    connections: 32,
    rate: 1000,
    'get-connections': 64,
    backlog: 8,
    jobs: 1000,
    burst: 100,
    write: true,
    ...parseArgs(
      process.argv.slice(2),
      {
        corpus: 'string',
        'data-dir': 'string',
        only: 'string',
        runs: 'number',
        duration: 'number',
        connections: 'number',
        rate: 'number',
        'get-connections': 'number',
        backlog: 'number',
        jobs: 'number',
        burst: 'number',
        profile: 'boolean',
        'drain-each': 'boolean',
        keep: 'boolean',
        write: 'boolean',
      },
      USAGE,
    ),
  }
  if (options.only && !['latency', 'bursts'].includes(options.only)) fail(`--only takes latency or bursts, got ${options.only}.`)
  if (process.platform !== 'linux') fail('This bench reads CPU and RSS figures from /proc: it runs on Linux only.')
  requireBuild()
  if (!fs.existsSync(SERVER_DIST)) fail('packages/server/dist/index.js is missing: build first with `pnpm build` (tsc -b).')
  const corpusDir = path.resolve(options.corpus ?? DEFAULT_CORPUS)
  for (const file of [...FILES.background, FILES.post, FILES.burst]) {
    if (!fs.existsSync(path.join(corpusDir, file))) fail(`${path.join(corpusDir, file)} does not exist: the bench uses these corpus files; pass --corpus <dir>.`)
  }
  const autocannon = await loadAutocannon()
  const autocannonVersion = JSON.parse(fs.readFileSync(createRequire(SCRIPT).resolve('autocannon/package.json'), 'utf8')).version
  const profileDir = options.profile ? path.join(WORK_DIR, 'server-load', 'profiles') : undefined
  if (profileDir) {
    fs.rmSync(profileDir, { recursive: true, force: true })
    fs.mkdirSync(profileDir, { recursive: true })
  }

  const started = performance.now()
  const facts = machineFacts()
  const loadBefore = os.loadavg()
  console.log(`server load bench: ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}; load average ${loadBefore.map((n) => n.toFixed(2)).join(' ')}`)

  const latency = options.only === 'bursts' ? undefined : await latencyMeasurements(autocannon, options, corpusDir, profileDir)
  const loadMiddle = os.loadavg()
  const bursts = options.only === 'latency' ? undefined : await burstMeasurement(options, corpusDir, profileDir, Date.now() + 240_000)
  const loadAfter = os.loadavg()
  const elapsed = (performance.now() - started) / 1000

  if (profileDir) printProfiles(profileDir)
  if (options.only) {
    console.log(JSON.stringify(latency ?? bursts, (key, value) => (key === 'body' ? undefined : value), 2))
    return 0
  }
  const section = report({ options, facts, loadBefore, loadMiddle, loadAfter, latency, bursts, autocannonVersion, corpusDir, elapsed })
  console.log(`\n${section}`)
  if (options.write) {
    writeResultsSection('server-load', section)
    console.log('\nWritten to bench/RESULTS.md (section server-load).')
  }
  return 0
}

function report({ options, facts, loadBefore, loadMiddle, loadAfter, latency, bursts, autocannonVersion, corpusDir, elapsed }) {
  const { post: postRuns, get: getRuns, barePost, bareGet, getIdle, bareGetIdle, quiet } = latency.runs
  const postP50 = median(postRuns.map((r) => r.p50))
  const postP99 = median(postRuns.map((r) => r.p99))
  const postRate = median(postRuns.map((r) => r.perSecond))
  const getP50 = median(getRuns.map((r) => r.p50))
  const getP99 = median(getRuns.map((r) => r.p99))
  const barePostP50 = median(barePost.map((r) => r.p50))
  const barePostP99 = median(barePost.map((r) => r.p99))
  const bareGetP50 = median(bareGet.map((r) => r.p50))
  const bareGetP99 = median(bareGet.map((r) => r.p99))
  // Per round, our p99 over the baseline's p99 of the same round; the median of those.
  const postRatio = median(postRuns.map((r, i) => r.p99 / barePost[i].p99))
  const getRatio = median(getRuns.map((r, i) => r.p99 / bareGet[i].p99))
  const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`
  const rel = (file) => path.relative(corpusDir, file)
  const load = (l) => l.map((n) => n.toFixed(2)).join(' / ')
  const ms = (value, digits = 1) => fmt(value, digits)
  const pct = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${Math.round(x * 100)} %`)
  const other = (r) => {
    const codes = Object.entries(r.statuses).filter(([code]) => code !== '202' && code !== '200')
    const parts = codes.map(([code, n]) => `${n}x${code}`)
    if (r.errors) parts.push(`${r.errors} errors`)
    if (r.timeouts) parts.push(`${r.timeouts} timeouts`)
    return parts.join(', ') || '0'
  }
  const cpuCells = (r) => [fmt(r.cpu.processCores, 2), fmt(r.cpu.mainCores, 2), fmt(netCpuPerRequest(r), 2), pct(r.cpu.mainWaiting), pct(r.cpu.generatorWaiting), pct(r.cpu.pressure)]
  const cpuHeader = ['server CPU, cores', 'event loop thread, cores', 'event loop CPU ms per request', 'event loop runnable but waiting for a CPU', 'load generator waiting for a CPU', 'machine CPU pressure']
  const allRuns = [...postRuns, ...getRuns, ...(getIdle ? [getIdle] : [])]
  const getCells = (r) => [ms(r.p50, 2), ms(r.p90, 2), ms(r.p99, 2), ms(r.max, 2), ms(r.dueP99, 2), ms(r.lateP99, 2), ms(r.loopDelay.max, 1), other(r)]
  const postCpuMs = median(postRuns.map(netCpuPerRequest))
  const getCpuMs = median(getRuns.map(netCpuPerRequest))
  let autogroup
  try {
    autogroup = fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1'
  } catch {}
  const heap = (usage) => [usage.heapUsed, usage.external, usage.arrayBuffers].map((bytes) => fmt(bytes / 2 ** 20, 0)).join(' / ')
  const refused = Object.entries(bursts.refused).map(([code, n]) => `${n}x${code}`).join(', ') || 'none'
  const statuses = Object.entries(bursts.statuses).map(([status, n]) => `${n} ${status}`).join(', ')
  const plateau = bursts.rssTrace.slice(Math.floor(bursts.rssTrace.length / 2))

  const lines = [
    '## HTTP service under load (`pnpm bench:server`)',
    '',
    factsMarkdown(facts, commandLine({ npm: 'bench:server', file: 'server-load.mjs' }), [
      `Load average (1 / 5 / 15 min) before the run: ${load(loadBefore)}; after the latency runs: ${load(loadMiddle)}; at the end: ${load(loadAfter)}. On ${facts.cores} cores, a load above ${facts.cores} means other processes compete with the server and the load generator for the CPU: see the "waiting for a CPU" and "CPU pressure" columns`,
      `Server: \`startServer\` of the built @docloader/server in its own process (fresh temp data folder, SQLite job store, ${facts.cores} conversion threads, info-level JSON logs written synchronously to a file, rate limit raised to 1e6/s); load generators on the same machine, loopback: autocannon ${autocannonVersion} in the parent process for the POSTs (closed loop: each connection sends its next upload when the last is answered), bench/lib/paced-load.mjs in a child process for the GETs (open loop: one request every ${fmt(1000 / options.rate, 2)} ms, whatever the answers take, over up to ${options['get-connections']} keep-alive connections)`,
      `Baseline, same rounds, same background conversions: bench/lib/bare-server.mjs, a bare node:http server in its own process that reads the whole upload and answers 202, or answers a GET, with a fixed JSON body the size of the API's job answers (${latency.answerBytes} bytes): what this machine and Node give any HTTP service. Each of our runs is followed by the same run against it; "ours / baseline" is the median over the rounds of our p99 over the baseline's p99 of the same round`,
      `Background conversions (measurements 1 and 2): a backlog of ${options.backlog} pending jobs of ${latency.background.map((u) => `${rel(u.file)} (${kib(u.bytes)})`).join(' and ')}, image-only scans read by OCR (tesseract), kept topped up in another organisation (${latency.backgroundSubmitted} submitted); ${quiet ? `with them converting and no request, the server used ${fmt(quiet.processCores, 2)} cores and its event loop ${fmt(quiet.mainCores, 3)}` : ''}. Conversion threads (and their OCR workers) run in the idle scheduling class, the server's default. The jobs each POST run creates are cancelled after it, so the conversions stay the scans`,
      `Latency: from the request written to the response complete, for every response (autocannon's per-response time; paced-load's own clock), percentiles computed exactly; median of ${options.runs} runs of ${options.duration} s each, after a 3 s warm-up of each route. CPU from /proc (\`schedstat\` of the server's main thread, \`/proc/pressure/cpu\`); event loop CPU per request is net of the event loop's work with no requests`,
      `CPU share: the server process used ${fmt(Math.min(...allRuns.map((r) => r.cpu.processCores)), 2)}-${fmt(Math.max(...allRuns.map((r) => r.cpu.processCores)), 2)} cores during the runs, of ${facts.cores}${autogroup ? '. The kernel groups processes by session (sched_autogroup_enabled=1) and shares the CPUs between busy sessions first: on a shared machine the server, its conversions and the load generator together get only this session\'s share, whatever their nice values' : ''}`,
      `Whole bench: ${fmt(elapsed, 0)} s`,
    ]),
    '',
    '### Targets',
    '',
    markdownTable(
      ['measure', 'target', 'measured', 'result'],
      [
        [`POST /api/v1/jobs, ${kib(latency.post.bytes)} PDF, ${options.connections} connections, both cores converting: p99 time to 202`, `<= ${TARGETS.postP99Ms} ms`, `${ms(postP99)} ms`, passMiss(postP99 <= TARGETS.postP99Ms)],
        ['same: p50 time to 202', '–', `${ms(postP50)} ms`, '–'],
        ['baseline (bare node:http server reading the same uploads, same rounds): p99 / p50', '–', `${ms(barePostP99)} / ${ms(barePostP50)} ms; ours / baseline p99: ${fmt(postRatio, 2)}x`, '–'],
        [`GET /api/v1/jobs/{id} at ${options.rate} requests/s evenly spaced, both cores converting: p99`, `<= ${TARGETS.getP99Ms} ms`, `${ms(getP99, 2)} ms`, passMiss(getP99 <= TARGETS.getP99Ms)],
        ['same: p50', '–', `${ms(getP50, 2)} ms`, '–'],
        ['baseline (bare node:http server, same rate, same rounds): p99 / p50', '–', `${ms(bareGetP99, 2)} / ${ms(bareGetP50, 2)} ms; ours / baseline p99: ${fmt(getRatio, 2)}x`, '–'],
        [`${options.jobs} jobs in ${bursts.bursts} bursts of ${options.burst}: all completed`, `${options.jobs}`, `${bursts.statuses.completed ?? 0}`, passMiss(bursts.allCompleted)],
        ['none lost (202 answers / jobs in the listing API)', `${options.jobs} / ${options.jobs}`, `${bursts.accepted} / ${bursts.listed}`, passMiss(bursts.noneLost)],
        ['none duplicated (distinct ids in the answers / in the listing / jobs with exactly one result file)', `${options.jobs} / ${options.jobs} / ${options.jobs}`, `${bursts.acceptedDistinct} / ${bursts.listedDistinct} / ${bursts.jobsWithOneResult}`, passMiss(bursts.noneDuplicated)],
        [`server RSS after the ${options.jobs} jobs / after the first ${options.burst}`, `<= ${TARGETS.rssRatio}x`, `${fmt(bursts.rssRatio, 2)}x (${fmt(bursts.rssAfterMB, 0)} / ${fmt(bursts.rssFirstMB, 0)} MB)`, passMiss(bursts.rssRatio <= TARGETS.rssRatio)],
      ],
      'llrl',
    ),
    '',
    `### POST /api/v1/jobs (${rel(latency.post.file)}, ${kib(latency.post.bytes)}, multipart with \`output_format=md\`, ${options.connections} connections, ${options.duration} s)`,
    '',
    markdownTable(
      ['run', '202 answers', 'per s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server event loop delay, max ms', 'other answers', ...cpuHeader, 'conversions running before / after'],
      postRuns.flatMap((r, i) => [
        [i + 1, r.ok, fmt(r.perSecond, 0), ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), ms(r.loopDelay.max), other(r), ...cpuCells(r), r.conversions],
        [`${i + 1}, baseline`, barePost[i].ok, fmt(barePost[i].perSecond, 0), ms(barePost[i].p50), ms(barePost[i].p90), ms(barePost[i].p99), ms(barePost[i].max), ms(barePost[i].loopDelay.max), other(barePost[i]), ...cpuCells(barePost[i]), barePost[i].conversions],
      ]),
      'lrrrrrrrlrrrrrrl',
    ),
    '',
    `autocannon keeps ${options.connections} requests in flight, so the time to 202 is about ${options.connections} / throughput (Little's law): ${options.connections} / ${fmt(postRate, 0)} per s = ${fmt((options.connections / postRate) * 1000, 0)} ms here. A p99 of ${TARGETS.postP99Ms} ms at ${options.connections} connections needs roughly ${Math.round(options.connections / (TARGETS.postP99Ms / 1000))} uploads per second or more. The event loop spent a median ${fmt(postCpuMs, 2)} ms of CPU per upload: at that cost, even with a core to itself, it could accept at most ${fmt(1000 / postCpuMs, 0)} uploads per second, that is at least ${fmt(options.connections * postCpuMs, 0)} ms to 202 at ${options.connections} connections.`,
    '',
    `### GET /api/v1/jobs/{id} (${options.rate} requests/s evenly spaced, ids drawn at random from the jobs of the POST runs, all cancelled by then but read like any other, ${options.duration} s)`,
    '',
    markdownTable(
      ['run', '200 answers', 'per s', 'jobs polled', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 ms counted from the due time', "generator's own delay, p99 ms", 'server event loop delay, max ms', 'other answers', ...cpuHeader, 'conversions running before / after'],
      [
        ...getRuns.flatMap((r, i) => [
          [i + 1, r.ok, fmt(r.perSecond, 0), r.targets, ...getCells(r), ...cpuCells(r), r.conversions],
          [`${i + 1}, baseline`, bareGet[i].ok, fmt(bareGet[i].perSecond, 0), '–', ...getCells(bareGet[i]), ...cpuCells(bareGet[i]), bareGet[i].conversions],
        ]),
        ...(getIdle ? [['reference: no conversion running', getIdle.ok, fmt(getIdle.perSecond, 0), getIdle.targets, ...getCells(getIdle), ...cpuCells(getIdle), '0']] : []),
        ...(bareGetIdle ? [['reference: no conversion running, baseline', bareGetIdle.ok, fmt(bareGetIdle.perSecond, 0), '–', ...getCells(bareGetIdle), ...cpuCells(bareGetIdle), '0']] : []),
      ],
      'lrrrrrrrrrrlrrrrrrl',
    ),
    '',
    `The GETs are sent at a steady ${options.rate} per second whatever the answers take (open loop), as independent polling clients would; latency counts from the request written. "Counted from the due time" adds the generator's own delay in sending (Node timers fire up to a millisecond late) and any wait for a free connection: a stall of the server then shows on every request due during it. The p99 is the 1 % slowest requests: at ${options.rate}/s a few stalls of 10-20 ms in a run decide it, and the baseline shows how many such stalls the machine itself causes (steal time, other processes, the kernel). "Server event loop delay, max" is the longest the server's event loop was kept from running in that run (perf_hooks, 1 ms resolution): a p99 far above it was lost outside the server's loop (the kernel, the generator, the machine). At a median ${fmt(getCpuMs, 2)} ms of event loop CPU per GET, ${options.rate} GETs per second need ${fmt((getCpuMs * options.rate) / 1000, 2)} of a core for the event loop alone. (Before this bench used autocannon's \`overallRate\`, which lets each connection send its share of a second back to back from the start of the second: bursts as deep as the connection count, not a rate.)`,
    '',
    `### ${options.jobs} jobs in bursts (fresh server, ${rel(bursts.upload.file)}, ${kib(bursts.upload.bytes)}, no background conversions)`,
    '',
    markdownTable(
      ['measure', 'value'],
      [
        ['bursts', `${bursts.bursts} x ${options.burst} concurrent POSTs: the first, then wait until none is pending or processing; ${options['drain-each'] ? `the other ${bursts.bursts - 1} likewise, one after the other` : `the other ${bursts.bursts - 1} half a second apart without waiting (a backlog forms), then wait again`}`],
        ['202 answers (distinct ids)', `${bursts.accepted} (${bursts.acceptedDistinct})`],
        ['other answers', refused],
        ['listing API (`GET /api/v1/jobs`, every page): jobs (distinct ids)', `${bursts.listed} (${bursts.listedDistinct})`],
        ['statuses in the listing', statuses],
        ['accepted ids missing from the listing / listed ids never accepted', `${bursts.missingFromListing} / ${bursts.extraInListing}`],
        ['job folders / result files / jobs with exactly one result file / other files', `${bursts.jobDirs} / ${bursts.resultFiles} / ${bursts.jobsWithOneResult} / ${bursts.stray}`],
        [`time to send bursts 2-${bursts.bursts} / until all converted`, `${fmt(bursts.submitSeconds, 1)} s / ${fmt(bursts.drainSeconds, 1)} s${bursts.drained ? '' : ' (NOT drained before the deadline)'}`],
        ['server RSS at start / after the first burst / after all jobs (each after 1 s idle)', `${fmt(bursts.rssStartMB, 0)} / ${fmt(bursts.rssFirstMB, 0)} / ${fmt(bursts.rssAfterMB, 0)} MB`],
        [`server RSS after each burst (the first after its conversions; the others ${options['drain-each'] ? 'after theirs' : '0.5 s after sending, conversions running'})`, `${bursts.rssTrace.map((mb) => fmt(mb, 0)).join(', ')} MB`],
        ['server peak RSS (VmHWM)', `${fmt(bursts.hwmMB, 0)} MB`],
        ['main thread V8 heap used / external / array buffers: after the first burst; after all jobs', `${heap(bursts.heapFirst)} MB; ${heap(bursts.heapAfter)} MB`],
      ],
      'll',
    ),
    '',
    `RSS over the second half of the bursts: ${fmt(Math.min(...plateau), 0)}-${fmt(Math.max(...plateau), 0)} MB. A leak grows with every burst; a warm-up levels off.`,
  ]
  return lines.join('\n')
}
