/**
 * `docloader serve` and `docloader worker` as child processes, run as the issue writes them,
 * with `--storage s3://bucket/prefix` on a real S3-protocol server (s3rver, in this process)
 * and a real redis-server: a job goes through end to end, its result comes back through a
 * presigned URL, and a missing bucket or an unreachable endpoint stops the command with a
 * message saying so. Run `pnpm exec tsc -b` first.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateTextPdf } from '../packages/server/test/generate-text-pdf.js'
import { startRedisServer, type RedisServer } from '../packages/server/test/redis-server.js'
import { startS3Server, type S3Server } from '../packages/server/test/s3-server.js'

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
const KEY = 'key-acme-0123456789abcdef'
const PREFIX = 'cli/files'

interface Child {
  process: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

let redis: RedisServer
let s3: S3Server
let dir: string
let base: string
const children: Child[] = []

/** Runs the CLI with the S3 settings in the environment only where `env` gives them. */
function start(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, DOCLOADER_API_KEYS: `${KEY}:acme`, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const started = { process: child, stderr: () => stderr, exited }
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

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The AWS credentials without the endpoint, for commands given --s3-endpoint instead. */
const credentialsOnly = () => ({ AWS_ACCESS_KEY_ID: s3.env.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: s3.env.AWS_SECRET_ACCESS_KEY!, AWS_REGION: 'us-east-1' })

let api: Child
let worker: Child

beforeAll(async () => {
  ;[redis, s3] = await Promise.all([startRedisServer(), startS3Server()])
  dir = await mkdtemp(join(tmpdir(), 'docloader-s3-cli-'))
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  // docloader serve  --queue redis://... --store redis://... --storage s3://bucket/prefix (endpoint from DOCLOADER_S3_ENDPOINT)
  api = start(['serve', '--port', String(port), '--data-dir', dir, '--queue', redis.url, '--store', redis.url, '--storage', s3.storageUrl(PREFIX)], s3.env)
  // docloader worker --queue redis://... --store redis://... --storage s3://bucket/prefix --concurrency 2 (endpoint as a flag)
  worker = start(['worker', '--queue', redis.url, '--store', redis.url, '--storage', s3.storageUrl(PREFIX), '--concurrency', '2', '--s3-endpoint', s3.endpoint], credentialsOnly())
  await waitFor(() => api.stderr().includes('listening on') || api.process.exitCode !== null, 'docloader serve to start')
  await waitFor(() => worker.stderr().includes('docloader worker ready') || worker.process.exitCode !== null, 'docloader worker to start')
})

afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
  await Promise.all([redis?.dispose(), s3?.dispose()])
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('docloader serve and worker with --storage s3://bucket/prefix', () => {
  it('print the bucket, endpoint and region they use at start', () => {
    const storage = `storage s3://${s3.bucket}/${PREFIX}/ (endpoint ${s3.endpoint}, path-style, region us-east-1)`
    expect(api.stderr()).toContain(storage)
    expect(worker.stderr()).toContain(storage)
  })

  it('convert a job end to end; the result comes from the API and through the presigned URL result_url redirects to', async () => {
    const form = new FormData()
    form.append('file', new Blob([generateTextPdf(5, 10)]), 'doc.pdf')
    form.append('output_format', 'txt')
    const accepted = await fetch(`${base}/api/v1/jobs`, { method: 'POST', body: form, headers: { 'x-api-key': KEY } })
    expect(accepted.status).toBe(202)
    const { id } = (await accepted.json()) as { id: string }
    let job: { status: string; result_url: string | null } = { status: 'pending', result_url: null }
    await waitFor(async () => {
      job = (await (await fetch(`${base}/api/v1/jobs/${id}`, { headers: { 'x-api-key': KEY } })).json()) as typeof job
      return job.status === 'completed' || job.status === 'failed'
    }, 'the job to finish')
    expect(job.status).toBe('completed')
    const text = await (await fetch(`${base}/api/v1/jobs/${id}/result`, { headers: { 'x-api-key': KEY } })).text()
    expect(text).toContain('Page 5 line 10')
    const followed = await fetch(job.result_url!)
    expect(followed.url.startsWith(`${s3.endpoint}/${s3.bucket}/${PREFIX}/acme/${id}/result.txt?`)).toBe(true)
    expect(await followed.text()).toBe(text)
    expect(await s3.keys(`${PREFIX}/acme/${id}/`)).toEqual([`${PREFIX}/acme/${id}/result.txt`, `${PREFIX}/acme/${id}/upload`])
  })

  it('serve with a bucket that does not exist exits 1 and says so', async () => {
    const port = await freePort()
    const failed = start(['serve', '--port', String(port), '--data-dir', dir, '--storage', 's3://no-such-bucket/files'], s3.env)
    expect(await failed.exited).toBe(1)
    expect(failed.stderr()).toContain('docloader: UNAVAILABLE: S3 storage s3://no-such-bucket/files/ is not usable: the bucket `no-such-bucket` does not exist')
  })

  it('worker with an endpoint that does not answer exits 1 and says so', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`
    const failed = start(['worker', '--queue', redis.url, '--storage', s3.storageUrl(PREFIX), '--s3-endpoint', endpoint], credentialsOnly())
    expect(await failed.exited).toBe(1)
    expect(failed.stderr()).toContain(`S3 storage s3://${s3.bucket}/${PREFIX}/ is not usable: cannot reach ${endpoint} (ECONNREFUSED)`)
  })

  it('a storage URL of another kind is a usage error (exit code 2)', async () => {
    const failed = start(['worker', '--queue', redis.url, '--storage', 'gs://bucket/files'])
    expect(await failed.exited).toBe(2)
    expect(failed.stderr()).toContain('--storage gs://bucket/files: expected a folder or s3://bucket/prefix.')
  })
})
