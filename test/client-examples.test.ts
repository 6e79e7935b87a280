/**
 * The client examples run as users run them, against a real server: examples/client-app.mjs,
 * examples/webhook-receiver.mjs, and the CI batch script examples/ci/convert-folder.sh
 * (with the workflow that calls it). Run `pnpm exec tsc -b` first.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { convert } from '@docloader/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocloaderClient } from '../packages/client/src/index.js'
import { ACME_KEY, closeAll, startRealServer } from '../packages/client/test/real-server.js'

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url))
const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
let server: string
let work: string
const children: ChildProcess[] = []

beforeAll(async () => {
  server = (await startRealServer()).url
  work = await mkdtemp(join(tmpdir(), 'docloader-client-examples-'))
})
afterAll(async () => {
  for (const child of children) child.kill()
  await closeAll()
  await rm(work, { recursive: true, force: true })
})

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: work, env: { ...process.env, DOCLOADER_SERVER: server, DOCLOADER_API_KEY: ACME_KEY, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe('examples/client-app.mjs', () => {
  it('submits a file, shows progress on stderr, prints the Markdown the engine gives', async () => {
    const file = join(EXAMPLES, 'documents/node-documentation.pdf')
    const result = await run(process.execPath, [join(EXAMPLES, 'client-app.mjs'), file], {})
    expect(result.stderr).toMatch(/submitted node-documentation\.pdf as job_/)
    expect(result.stderr).toMatch(/completed: 3\/3 pages \(100 %\)/)
    expect(result.code).toBe(0)
    expect(result.stdout).toBe((await convert(file, { format: 'markdown' })).content)
  })

  it('exits 1 with the error code for a document the server refuses', async () => {
    await writeFile(join(work, 'empty.md'), '')
    const result = await run(process.execPath, [join(EXAMPLES, 'client-app.mjs'), join(work, 'empty.md')], {})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/docloader: EMPTY_FILE: /)
  })
})

describe('examples/webhook-receiver.mjs', () => {
  it('receives the signed events of a job and refuses unsigned posts', async () => {
    const child = spawn(process.execPath, [join(EXAMPLES, 'webhook-receiver.mjs')], {
      cwd: work,
      env: { ...process.env, DOCLOADER_SERVER: server, DOCLOADER_API_KEY: ACME_KEY, PORT: '0' },
    })
    children.push(child)
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk
        const match = /listening on (http:\/\/\S+)/.exec(stderr)
        if (match) resolve(match[1]!)
      })
      child.once('exit', (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)))
    })
    const unsigned = await fetch(`${url}/docloader`, { method: 'POST', body: '{"job_id":"job_x","status":"completed","progress":100}' })
    expect(unsigned.status).toBe(401)

    const client = new DocloaderClient({ baseUrl: server, apiKey: ACME_KEY })
    const job = await client.createJob(Buffer.from('# Hooked\n'), { filename: 'hooked.md', webhookUrl: `${url}/docloader` })
    await expect.poll(() => stdout.includes(`"job_id":"${job.id}","status":"completed"`), { timeout: 15_000 }).toBe(true)
    const line = stdout.split('\n').find((text) => text.includes('"status":"completed"'))!
    expect(JSON.parse(line)).toMatchObject({ job_id: job.id, status: 'completed', progress: 100, error: null, event_id: expect.any(String) })
    child.kill()
  })
})

describe('examples/ci/convert-folder.sh', () => {
  const script = join(EXAMPLES, 'ci/convert-folder.sh')
  const env = () => ({ DOCLOADER_BIN: `${process.execPath} ${BIN}` })

  it('converts a folder on the server, keeps the Markdown and the summary, exit 0', async () => {
    await mkdir(join(work, 'docs/sub'), { recursive: true })
    await copyFile(join(EXAMPLES, 'documents/prices.csv'), join(work, 'docs/prices.csv'))
    await copyFile(join(EXAMPLES, 'documents/release-notes.md'), join(work, 'docs/sub/release-notes.md'))
    const result = await run('bash', [script, 'docs', 'markdown'], env())
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^2 converted, 0 failed, 0 skipped; \d+ pages in \d+ ms/)
    expect((await readdir(join(work, 'markdown'), { recursive: true })).sort()).toEqual(['docloader-summary.json', 'prices.csv.md', 'sub', 'sub/release-notes.md.md'])
    expect(await readFile(join(work, 'markdown/prices.csv.md'), 'utf8')).toBe((await convert(join(work, 'docs/prices.csv'), { format: 'markdown' })).content)
  })

  it('fails the build (exit 1) when a document fails, listing it, and still keeps the others', async () => {
    await mkdir(join(work, 'mixed'), { recursive: true })
    await writeFile(join(work, 'mixed/good.md'), '# Good\n')
    await writeFile(join(work, 'mixed/broken.pdf'), '%PDF-1.4\n1 0 obj << /Type /Catalog >>\nnot a pdf\n')
    const result = await run('bash', [script, 'mixed', 'out-mixed'], { ...env(), GITHUB_ACTIONS: 'true' })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Failed documents:\n {2}mixed\/broken\.pdf {2}CORRUPT_FILE/)
    expect(result.stdout).toMatch(/^::error file=mixed\/broken\.pdf::CORRUPT_FILE: /m)
    expect(await readFile(join(work, 'out-mixed/good.md.md'), 'utf8')).toContain('# Good')
  })

  it('stops with the CLI\'s exit code when docloader cannot run (no API key: usage error 2)', async () => {
    const result = await run('bash', [script, 'docs', 'out-nokey'], { ...env(), DOCLOADER_API_KEY: '' })
    expect(result.code).not.toBe(0)
  })

  it('the GitHub workflow runs the script with the server and key from settings and uploads the Markdown', async () => {
    const workflow = await readFile(join(EXAMPLES, 'ci/github-workflow.yml'), 'utf8')
    expect(workflow).toMatch(/run: bash examples\/ci\/convert-folder\.sh docs markdown/)
    expect(workflow).toMatch(/DOCLOADER_API_KEY: \$\{\{ secrets\.DOCLOADER_API_KEY \}\}/)
    expect(workflow).toMatch(/DOCLOADER_SERVER: \$\{\{ vars\.DOCLOADER_SERVER \}\}/)
    expect(workflow).toMatch(/uses: actions\/upload-artifact@v4[\s\S]*path: markdown\//)
    expect(workflow).toMatch(/if: always\(\)/)
    expect(workflow).not.toMatch(/\t/)
  })
})
