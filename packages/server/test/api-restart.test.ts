/**
 * A restart loses nothing: pending jobs start, the job that was running is converted again,
 * and no job is lost or duplicated; after a graceful stop with a zero deadline and after a
 * `kill -9` of a `docloader serve` process. Run `pnpm exec tsc -b` first (the CLI runs from dist).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, listJobs, markdownDocument, submitJob, waitForJob, type ServerLike } from './api-requests.js'
import { generateTextPdf } from './generate-text-pdf.js'
import { ACME_KEY, GLOBEX_KEY, TEST_KEYS, closeTestServers, makeTempDir, startTestServer } from './start-test-server.js'

const cliBin = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url))
/** A second or two of conversion: still running when the server goes down. */
const runningPdf = generateTextPdf(40, 5)

const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await closeTestServers()
})

/** Submits the long PDF, waits until it is converting, then queues Markdown jobs behind it (one thread). */
async function submitWork(server: ServerLike): Promise<{ running: JobView; queued: JobView[] }> {
  const running = await submitJob(server, runningPdf, { filename: 'running.pdf' })
  await waitForJob(server, running.id, (job) => job.status === 'processing')
  const queued: JobView[] = []
  for (let index = 0; index < 3; index++) queued.push(await submitJob(server, markdownDocument(`Queued ${index}`), { filename: `queued-${index}.md` }))
  queued.push(await submitJob(server, markdownDocument('Globex queued'), { filename: 'globex.md', key: GLOBEX_KEY }))
  return { running, queued }
}

/** After the restart: every job completes, each org lists exactly its jobs once, results are there. */
async function expectAllCompleted(server: ServerLike, running: JobView, queued: JobView[]): Promise<JobView[]> {
  const keyOf = (job: JobView) => (job.filename === 'globex.md' ? GLOBEX_KEY : ACME_KEY)
  const done = await Promise.all([running, ...queued].map((job) => waitForJob(server, job.id, undefined, { key: keyOf(job) })))
  expect(done.map((job) => job.status)).toEqual(done.map(() => 'completed'))
  expect(done[0]).toMatchObject({ pages_done: 40, pages_total: 40, progress: 100 })

  const acme = (await listJobs(server, 'limit=100')).jobs.map((job) => job.id)
  expect(acme).toEqual([running, ...queued.slice(0, 3)].map((job) => job.id).reverse())
  const globex = (await listJobs(server, 'limit=100', GLOBEX_KEY)).jobs.map((job) => job.id)
  expect(globex).toEqual([queued[3]!.id])

  const result = await call(server, `/api/v1/jobs/${running.id}/result`)
  expect(result.status).toBe(200)
  const markdown = await result.text()
  expect(markdown).toContain('Page 40 line 5')
  // Converted once into the result, not appended twice.
  expect(markdown.split('Page 40 line 5').length).toBe(2)
  return done
}

/** Starts `docloader serve` in a child process and resolves with its URL once it listens. */
async function spawnServe(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cliBin, 'serve', '--port', '0', '--data-dir', dataDir, '--concurrency', '1', '--allow-private-webhooks'], {
    env: { ...process.env, DOCLOADER_API_KEYS: TEST_KEYS.map(({ key, org }) => `${key}:${org}`).join(',') },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  children.push(child)
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`docloader serve did not start within 15 s: ${stderr}`)), 15_000)
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
      const match = /listening on (http:\/\/\S+)/.exec(stderr)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code, signal) => reject(new Error(`docloader serve exited (${code ?? signal}) before listening: ${stderr}`)))
  })
  return { child, url }
}

describe('restart', () => {
  it('after a shutdown with a zero deadline, the next server converts the interrupted and the pending jobs', async () => {
    const dataDir = await makeTempDir()
    const first = await startTestServer({ dataDir, concurrency: 1 })
    const { running, queued } = await submitWork(first)
    await first.close(0)

    const second = await startTestServer({ dataDir, concurrency: 2 })
    const done = await expectAllCompleted(second, running, queued)
    // A shutdown is not the job's fault: the interrupted attempt does not count.
    expect(done[0]!.attempts).toBe(1)
    expect(done.slice(1).every((job) => job.attempts === 1)).toBe(true)
  })

  it('after kill -9 of a docloader serve process mid-conversion, the next server converts every job once', async () => {
    const dataDir = await makeTempDir()
    const { child, url } = await spawnServe(dataDir)
    const killed = { url }
    const { running, queued } = await submitWork(killed)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited

    const next = await startTestServer({ dataDir, concurrency: 2 })
    const done = await expectAllCompleted(next, running, queued)
    // The killed attempt counts (it may have been the job's fault); the job is retried once.
    expect(done[0]!.attempts).toBe(2)
    expect(done.slice(1).every((job) => job.attempts === 1)).toBe(true)
  })
})
