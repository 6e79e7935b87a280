import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
const PDF = fileURLToPath(new URL('../examples/documents/node-documentation.pdf', import.meta.url))
const run = promisify(execFile)

interface Served {
  child: ChildProcess
  stderr: () => string
  port: number
}

const children: ChildProcess[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort()
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env }
  if (!('DOCLOADER_API_KEYS' in env)) delete environment.DOCLOADER_API_KEYS
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--data-dir', dataDir, '--concurrency', '1'], {
    env: environment,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  children.push(child)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const deadline = Date.now() + 20_000
  while (!stderr.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`docloader serve did not start:\n${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { child, stderr: () => stderr, port }
}

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail-with-body', ...args])
  return stdout
}

async function stop(served: Served): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)))
  served.child.kill('SIGTERM')
  return exited
}

describe('docloader serve', () => {
  it('runs the curl flow of the README with a key generated and printed once, kept across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'docloader-serve-'))
    dirs.push(dataDir)
    const first = await serve(dataDir)
    const key = /X-API-Key: (\S+)/.exec(first.stderr())?.[1]
    expect(key, 'the generated key is printed').toMatch(/^dl_/)
    const base = `http://127.0.0.1:${first.port}`

    // Never open: no key, 401.
    await expect(curl(`${base}/api/v1/jobs`)).rejects.toThrow(/401|UNAUTHORIZED/)

    const created = JSON.parse(await curl('-X', 'POST', `${base}/api/v1/jobs`, '-H', `X-API-Key: ${key}`, '-F', `file=@${PDF}`, '-F', 'output_format=md'))
    expect(created).toMatchObject({ status: 'pending', filename: 'node-documentation.pdf' })
    let job = created
    for (let i = 0; i < 200 && job.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      job = JSON.parse(await curl('-H', `X-API-Key: ${key}`, `${base}/api/v1/jobs/${created.id}`))
      expect(['pending', 'processing', 'completed']).toContain(job.status)
    }
    expect(job).toMatchObject({ status: 'completed', progress: 100, pages_done: 3, pages_total: 3 })
    const markdown = await curl('-H', `X-API-Key: ${key}`, `${base}/api/v1/jobs/${created.id}/result`)
    expect(markdown).toMatch(/^# About this documentation$/m)
    expect(await curl(job.result_url)).toBe(markdown)

    // Graceful stop, then a restart on the same data: the key still works and is not printed again.
    expect(await stop(first)).toBe(0)
    const second = await serve(dataDir)
    expect(second.stderr()).not.toContain('X-API-Key:')
    const again = JSON.parse(await curl('-H', `X-API-Key: ${key}`, `http://127.0.0.1:${second.port}/api/v1/jobs/${created.id}`))
    expect(again.status).toBe('completed')
    expect(await stop(second)).toBe(0)
  })

  it('refuses a malformed DOCLOADER_API_KEYS with a usage error instead of starting', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'docloader-serve-'))
    dirs.push(dataDir)
    const result = await run(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, DOCLOADER_API_KEYS: 'short:acme' },
    }).catch((error: { code: number; stderr: string }) => error)
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('DOCLOADER_API_KEYS') })
  })
})
