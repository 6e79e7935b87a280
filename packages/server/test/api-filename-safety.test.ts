/**
 * The client's file name is metadata only: a safe display name on the job, never a path.
 * Nothing is written outside the data folder, and inside it only the expected files.
 * Run `pnpm exec tsc -b` first.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { call, expectApiError, markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { ACME_KEY, closeTestServers, jobFolders, listFiles, makeTempDir, startTestServer, type TestServer } from './start-test-server.js'

let root: string
let server: TestServer
const jobs: JobView[] = []

beforeAll(async () => {
  // The data folder sits two levels down, so a name climbing out of it would land in `root`.
  root = await makeTempDir('docloader-filenames-')
  const dataDir = join(root, 'srv', 'data')
  await mkdir(dataDir, { recursive: true })
  server = await startTestServer({ dataDir })
})
afterAll(closeTestServers)

/** A multipart body written by hand, so the Content-Disposition carries exactly these bytes. */
function postRaw(disposition: Buffer): Promise<Response> {
  const boundary = 'raw-filename-boundary'
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; `),
    disposition,
    Buffer.from(`\r\nContent-Type: application/octet-stream\r\n\r\n${markdownDocument('Raw')}\r\n--${boundary}--\r\n`),
  ])
  return call(server, '/api/v1/jobs', { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, key: ACME_KEY })
}

function expectSafe(filename: string): void {
  expect(filename).not.toMatch(/[/\\\u0000-\u001f\u007f]/)
  expect(['', '.', '..']).not.toContain(filename)
  expect(filename.length).toBeLessThanOrEqual(255)
}

describe('upload file names', () => {
  it.each([
    ['../../etc/passwd.pdf', 'passwd.pdf'],
    ['..\\..\\Windows\\System32\\evil.pdf', 'evil.pdf'],
    ['/etc/cron.d/job.md', 'job.md'],
    ['..', 'upload'],
    ['reports/2024/q1.md', 'q1.md'],
  ])('keeps %j as the display name %j', async (name, expected) => {
    const job = await submitJob(server, markdownDocument(name), { filename: name })
    jobs.push(job)
    expect(job.filename).toBe(expected)
    expectSafe(job.filename)
  })

  it('drops NUL and slashes from an encoded filename*, and bounds the length', async () => {
    const nul = await postRaw(Buffer.from("filename*=UTF-8''safe%00name%07%0A.md"))
    expect(nul.status).toBe(202)
    const nulJob = (await nul.json()) as JobView
    jobs.push(nulJob)
    expect(nulJob.filename).toBe('safename.md')

    const climbing = await postRaw(Buffer.from("filename*=UTF-8''..%2F..%2F..%2Fetc%2Fshadow%00.md"))
    const climbingJob = (await climbing.json()) as JobView
    jobs.push(climbingJob)
    expect(climbingJob.filename).toBe('shadow.md')

    const mixed = await postRaw(Buffer.from('filename="..\\../a/..\\b.md"'))
    const mixedJob = (await mixed.json()) as JobView
    jobs.push(mixedJob)
    expect(mixedJob.filename).toBe('b.md')

    const long = await postRaw(Buffer.from(`filename="${'a'.repeat(400)}.md"`))
    const longJob = (await long.json()) as JobView
    jobs.push(longJob)
    expect(longJob.filename).toBe('a'.repeat(255))

    for (const job of [nulJob, climbingJob, mixedJob, longJob]) expectSafe(job.filename)
  })

  it('refuses raw control characters in the part header as a malformed body, keeping nothing', async () => {
    const before = await jobFolders(server)
    const response = await postRaw(Buffer.from('filename="safe\u0000name\u0007.md"', 'latin1'))
    expect((await expectApiError(response, 400, 'INVALID_OPTION')).message).toMatch(/malformed/)
    expect(await jobFolders(server)).toEqual(before)
  })

  it('writes nothing outside the data folder, and inside it only the job database, the secret and each job\'s upload and result', async () => {
    const done = await Promise.all(jobs.map((job) => waitForJob(server, job.id)))
    expect(done.map((job) => job.status)).toEqual(jobs.map(() => 'completed'))
    const expected = jobs.flatMap((job) => [`srv/data/files/acme/${job.id}/result.md`, `srv/data/files/acme/${job.id}/upload`])
    const files = (await listFiles(root)).filter((path) => !/^srv\/data\/jobs\.sqlite(-wal|-shm|-journal)?$/.test(path))
    expect(files).toEqual(['srv/data/secret', ...expected].sort())
    expect(await listFiles(root)).toContain('srv/data/jobs.sqlite')
  })
})
