/**
 * `docloader serve --queue redis://... --store redis://...` and `docloader worker` as child
 * processes against a real redis-server: a worker killed with SIGKILL mid-conversion leaves
 * its job to another worker once the lock expires (attempts recorded, bounded, then
 * `failed` with the reason), and SIGTERM hands a running job back to the queue.
 * Run `pnpm exec tsc -b` first.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateTextPdf } from '../packages/server/test/generate-text-pdf.js'
import { startRedisServer, type RedisServer } from '../packages/server/test/redis-server.js'

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
const KEY = 'key-acme-0123456789abcdef'

interface Child {
  process: ChildProcess
  stderr: () => string
  /** The worker's log lines (pino JSON on stdout). */
  stdout: () => string
  exited: Promise<number | null>
}

let redis: RedisServer
let dir: string
let api: Child
let base: string
const children: Child[] = []

function start(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, DOCLOADER_API_KEYS: `${KEY}:acme`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const started = { process: child, stderr: () => stderr, stdout: () => stdout, exited }
  children.push(started)
  return started
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function startWorker(extra: string[] = [], env: Record<string, string> = {}): Promise<Child> {
  const worker = start(['worker', '--queue', redis.url, '--store', redis.url, '--storage', join(dir, 'files'), '--concurrency', '1', '--lock-duration', '2', '--stalled-interval', '1', ...extra], env)
  await waitFor(() => worker.stderr().includes('docloader worker ready') || worker.process.exitCode !== null, 'the worker to start')
  expect(worker.stderr()).toContain('docloader worker ready')
  return worker
}

interface Job {
  id: string
  status: string
  attempts: number
  pages_done: number
  error: { code: string; message: string } | null
}

async function getJob(id: string): Promise<Job> {
  return (await (await fetch(`${base}/api/v1/jobs/${id}`, { headers: { 'x-api-key': KEY } })).json()) as Job
}

/** Process ids of the worker processes that completed each job, from their log lines on stdout. */
function completedBy(worker: Child): Map<string, number> {
  const pids = new Map<string, number>()
  for (const line of worker.stdout().split('\n')) {
    if (!line.includes('"conversion completed"')) continue
    const entry = JSON.parse(line) as { jobId: string; pid: number }
    pids.set(entry.jobId, entry.pid)
  }
  return pids
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function submit(pages: number): Promise<Job> {
  const form = new FormData()
  form.append('file', new Blob([generateTextPdf(pages, 5)]), `doc-${pages}.pdf`)
  const response = await fetch(`${base}/api/v1/jobs`, { method: 'POST', body: form, headers: { 'x-api-key': KEY } })
  expect(response.status).toBe(202)
  return (await response.json()) as Job
}

async function until(id: string, check: (job: Job) => boolean, what: string, timeoutMs = 20_000): Promise<Job> {
  let job = await getJob(id)
  await waitFor(async () => check((job = await getJob(id))), `${what} (job is ${JSON.stringify(job)})`, timeoutMs)
  return job
}

const running = (job: Job) => job.status === 'processing' && job.pages_done > 0

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

beforeAll(async () => {
  redis = await startRedisServer()
  dir = await mkdtemp(join(tmpdir(), 'docloader-distributed-'))
  const port = await freePort()
  api = start(['serve', '--port', String(port), '--data-dir', dir], { DOCLOADER_QUEUE: redis.url, DOCLOADER_STORE: redis.url, DOCLOADER_STORAGE: join(dir, 'files') })
  await waitFor(() => api.stderr().includes('listening on') || api.process.exitCode !== null, 'docloader serve to start')
  expect(api.stderr()).toContain(`queue ${redis.url}, store ${redis.url}`)
  base = `http://127.0.0.1:${port}`
})

// Workers a test started never outlive it (a leftover would take the next test's jobs).
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child === api || child.process.exitCode !== null || child.process.signalCode !== null) continue
    child.process.kill('SIGKILL')
    await child.exited
  }
  children.push(api)
})

afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
  await redis?.dispose()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('docloader worker', () => {
  it('prints its configuration with the Redis password masked', async () => {
    const worker = start(['worker', '--queue', 'redis://:hunter2@127.0.0.1:1', '--storage', join(dir, 'files')])
    await waitFor(() => worker.stderr().includes('docloader worker:'), 'the configuration line')
    worker.process.kill('SIGKILL')
    expect(worker.stderr()).toContain('queue redis://:***@127.0.0.1:1, store redis://:***@127.0.0.1:1')
    expect(worker.stderr()).not.toContain('hunter2')
  })

  it('a job whose worker is killed once too often fails with the reason: attempts are bounded', async () => {
    const first = await startWorker(['--max-attempts', '1'])
    const job = await submit(1000)
    await until(job.id, running, 'the first worker to convert')
    // Started while the first one holds the job, so it only gets it once the lock expires.
    const second = await startWorker(['--max-attempts', '1'])
    first.process.kill('SIGKILL')
    const failed = await until(job.id, (current) => current.status === 'failed', 'the job to fail')
    expect(failed).toMatchObject({ attempts: 1, error: { code: 'INTERNAL', message: expect.stringContaining('interrupted 1 times') } })
    second.process.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  })

  it('a worker killed with SIGKILL mid-conversion: another worker completes the job after the lock expires', async () => {
    const doomed = await startWorker()
    const job = await submit(300)
    await until(job.id, running, 'the worker to convert')
    const killedAt = Date.now()
    doomed.process.kill('SIGKILL')
    // Its start-up overlaps the wait for the lock to expire.
    const rescuer = await startWorker()
    const done = await until(job.id, (current) => current.status === 'completed', 'another worker to complete the job', 30_000)
    expect(done).toMatchObject({ attempts: 2, pages_done: 300, error: null })
    // Lock 2 s + stalled check every 1 s, then the conversion itself.
    expect(Date.now() - killedAt).toBeLessThan(20_000)
    rescuer.process.kill('SIGTERM')
    expect(await rescuer.exited).toBe(0)
  })

  it('--max-jobs: the worker process is replaced after that many jobs; every job completes once, none is interrupted', async () => {
    const worker = await startWorker(['--max-jobs', '2'])
    const jobs: Job[] = []
    for (let index = 0; index < 5; index++) jobs.push(await submit(20))
    for (const job of jobs) expect(await until(job.id, (current) => current.status === 'completed', 'the job to complete', 60_000)).toMatchObject({ attempts: 1 })
    const pids = completedBy(worker)
    expect([...pids.keys()].sort()).toEqual(jobs.map((job) => job.id).sort())
    // 2 + 2 + 1 jobs: three processes one after the other.
    expect(new Set(pids.values()).size).toBe(3)
    expect(worker.stderr().match(/retiring \(2 jobs done\)/g)).toHaveLength(2)
    worker.process.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    for (const pid of pids.values()) expect(isRunning(pid), `worker process ${pid} still running`).toBe(false)
  })

  it('a retiring process finishes its running job while its replacement takes the next ones', async () => {
    // Two conversions at once: the process retires after the short job, the long one still running.
    const worker = await startWorker(['--concurrency', '2', '--max-jobs', '1'])
    const long = await submit(600)
    await until(long.id, running, 'the long job to run')
    const short = await submit(5)
    await until(short.id, (current) => current.status === 'completed', 'the short job to complete')
    await waitFor(() => worker.stderr().includes('retiring'), 'the first process to retire')
    const later = await submit(5)
    expect(await until(later.id, (current) => current.status === 'completed', 'the next job to complete in the new process')).toMatchObject({ attempts: 1 })
    const done = await until(long.id, (current) => current.status === 'completed', 'the long job to complete in the retiring process', 60_000)
    // Not interrupted, not handed back: finished where it started.
    expect(done).toMatchObject({ attempts: 1, pages_done: 600 })
    const pids = completedBy(worker)
    expect(pids.get(long.id)).toBe(pids.get(short.id))
    expect(pids.get(later.id)).not.toBe(pids.get(long.id))
    worker.process.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
  })

  it('DOCLOADER_WORKER_MAX_MEMORY_MB: a process above it after a job is replaced', async () => {
    // 1 MB: every process is above it once it has done a job (never before: no retiring in a loop).
    const worker = await startWorker([], { DOCLOADER_WORKER_MAX_MEMORY_MB: '1' })
    for (let index = 0; index < 2; index++) {
      const job = await submit(5)
      expect(await until(job.id, (current) => current.status === 'completed', 'the job to complete')).toMatchObject({ attempts: 1 })
    }
    expect(new Set(completedBy(worker).values()).size).toBe(2)
    expect(worker.stderr()).toMatch(/retiring \(resident memory \d+ MB, above 1 MB\)/)
    worker.process.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
  })

  it('rejects a bad recycling setting as a usage error', async () => {
    const worker = start(['worker', '--queue', redis.url, '--storage', join(dir, 'files')], { DOCLOADER_WORKER_MAX_JOBS: 'many' })
    expect(await worker.exited).toBe(2)
    expect(worker.stderr()).toContain('DOCLOADER_WORKER_MAX_JOBS must be a whole number')
  })

  it('SIGTERM: the worker stops taking jobs and hands its running job back; another completes it', async () => {
    const workers = await Promise.all([0, 1].map(() => startWorker([], { DOCLOADER_SHUTDOWN_DEADLINE_MS: '200' })))
    const job = await submit(600)
    const converting = (worker: Child) => worker.stdout().includes(`"jobId":"${job.id}"`)
    await waitFor(() => workers.some(converting), 'a worker to take the job')
    const leaving = workers.find(converting)!
    const other = workers.find((worker) => worker !== leaving)!
    leaving.process.kill('SIGTERM')
    expect(await leaving.exited).toBe(0)
    expect(leaving.stderr()).toContain('SIGTERM: stopping')
    expect(leaving.stdout()).toContain('handed back to the queue')
    const done = await until(job.id, (current) => current.status === 'completed', 'the other worker to complete the handed-back job')
    // Handed back at once (not left to stall until the lock expired): the attempt does not count.
    expect(done).toMatchObject({ attempts: 1, pages_done: 600 })
    expect(other.stdout()).toContain('conversion completed')
    other.process.kill('SIGTERM')
    expect(await other.exited).toBe(0)
  })
})
