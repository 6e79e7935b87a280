/**
 * End to end: the built CLI converting the example documents locally and through a real
 * server (`--server`), with identical outputs, summaries and exit codes; and
 * `docloader jobs` against the same server. Run `pnpm exec tsc -b` first.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACME_KEY, closeAll, startRealServer } from '../packages/client/test/real-server.js'

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
const DOCUMENTS = fileURLToPath(new URL('../examples/documents/', import.meta.url))

interface Summary {
  ok: boolean
  converted: number
  failed: number
  skipped: string[]
  pages: number
  out?: string
  files: { input: string; output?: string; ok: boolean; pages: number; cached: boolean; error?: { code: string; message: string } }[]
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

let work: string
let server: string

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, DOCLOADER_SERVER: '', DOCLOADER_API_KEY: '', XDG_CACHE_HOME: join(work, '.cache'), ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

const remote = () => ['--server', server, '--api-key', ACME_KEY]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'docloader-remote-'))
  server = (await startRealServer({ concurrency: 2 })).url
})
afterAll(async () => {
  await closeAll()
  await rm(work, { recursive: true, force: true })
})

describe('docloader convert --server', () => {
  it('converts the example documents with the same files, contents, summary and exit code as local mode', async () => {
    const [local, far] = await Promise.all([
      cli(['convert', DOCUMENTS, '--out', 'local', '--json', '--no-cache']),
      cli(['convert', DOCUMENTS, '--out', 'remote', '--json', '--concurrency', '3', ...remote()]),
    ])
    expect(far.stderr).toBe('')
    expect([local.code, far.code]).toEqual([0, 0])
    const localSummary = JSON.parse(local.stdout) as Summary
    const remoteSummary = JSON.parse(far.stdout) as Summary
    expect(Object.keys(remoteSummary).sort()).toEqual(Object.keys(localSummary).sort())
    expect(remoteSummary).toMatchObject({ ok: true, converted: localSummary.converted, failed: 0, skipped: localSummary.skipped, pages: localSummary.pages })
    const shape = (summary: Summary, folder: string) =>
      summary.files
        .map((file) => ({ input: file.input, output: file.output?.replace(`${folder}/`, ''), ok: file.ok, pages: file.pages, keys: Object.keys(file).sort() }))
        .sort((a, b) => a.input.localeCompare(b.input))
    expect(shape(remoteSummary, 'remote')).toEqual(shape(localSummary, 'local'))

    const names = (await readdir(join(work, 'local'))).sort()
    expect(names.length).toBeGreaterThanOrEqual(4)
    expect((await readdir(join(work, 'remote'))).sort()).toEqual(names)
    for (const name of names) {
      expect(await readFile(join(work, 'remote', name), 'utf8'), name).toBe(await readFile(join(work, 'local', name), 'utf8'))
    }
  })

  it('one file to stdout from DOCLOADER_SERVER / DOCLOADER_API_KEY, in txt, as local mode prints it', async () => {
    const file = join(DOCUMENTS, 'node-documentation.pdf')
    const local = await cli(['convert', file, '--format', 'txt', '--pages', '1-2', '--no-cache'])
    const far = await cli(['convert', file, '--format', 'txt', '--pages', '1-2'], { DOCLOADER_SERVER: server, DOCLOADER_API_KEY: ACME_KEY })
    expect(far.code).toBe(0)
    expect(far.stdout).toBe(local.stdout)
    expect(far.stdout.length).toBeGreaterThan(100)
    expect(far.stderr).toMatch(/1 converted, 0 failed; 2 pages/)
  })

  it('a broken document fails with the same error code and exit code 1 in both modes; the others are still written', async () => {
    await writeFile(join(work, 'broken.pdf'), '%PDF-1.4\n1 0 obj << /Type /Catalog >>\nnot really a pdf\n')
    await writeFile(join(work, 'fine.md'), '# Fine\n')
    const local = await cli(['convert', 'broken.pdf', 'fine.md', '--out', 'mixed-local', '--json', '--no-cache'])
    const far = await cli(['convert', 'broken.pdf', 'fine.md', '--out', 'mixed-remote', '--json', ...remote()])
    expect([local.code, far.code]).toEqual([1, 1])
    const codeOf = (run: Run) => (JSON.parse(run.stdout) as Summary).files.find((file) => file.input === 'broken.pdf')?.error?.code
    expect(codeOf(far)).toBe(codeOf(local))
    expect(codeOf(far)).toBe('CORRUPT_FILE')
    expect(JSON.parse(far.stdout)).toMatchObject({ ok: false, converted: 1, failed: 1 })
    expect(await readFile(join(work, 'mixed-remote/fine.md.md'), 'utf8')).toBe(await readFile(join(work, 'mixed-local/fine.md.md'), 'utf8'))
  })

  it('a scanned PDF is read by OCR on the server, and --ocr off reaches the server too', async () => {
    const scan = fileURLToPath(new URL('../packages/core/test/fixtures/pdf/scan_amsguide_p10.pdf', import.meta.url))
    const read = await cli(['convert', scan, ...remote()])
    expect(read.code).toBe(0)
    expect(read.stdout).toContain('Book Formatting')
    const off = await cli(['convert', scan, '--ocr', 'off', '--json', '--out', 'scan-off', ...remote()])
    expect(off.code).toBe(1)
    const [file] = (JSON.parse(off.stdout) as Summary).files
    expect(file!.error).toMatchObject({ code: 'UNSUPPORTED_TYPE', message: expect.stringContaining('OCR is off') })
  })

  it('usage errors exit 2: a local-only option, no API key, a bad URL', async () => {
    expect((await cli(['convert', 'fine.md', '--password', 'x', ...remote()])).code).toBe(2)
    const noKey = await cli(['convert', 'fine.md', '--server', server])
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toMatch(/--api-key/)
    expect((await cli(['convert', 'fine.md', '--server', 'localhost:1', '--api-key', 'k'])).code).toBe(2)
  })

  it('a server that cannot be reached fails each document with NETWORK_ERROR, exit code 1', async () => {
    const far = await cli(['convert', 'fine.md', '--json', '--server', 'http://127.0.0.1:9', '--api-key', 'k'])
    expect(far.code).toBe(1)
    expect(JSON.parse(far.stdout).files[0].error.code).toBe('NETWORK_ERROR')
  }, 60_000)
})

describe('docloader jobs', () => {
  it('list, get, wait, result and cancel print JSON (or the content) for scripts', async () => {
    const list = await cli(['jobs', 'list', '--limit', '3', ...remote()])
    expect(list.code).toBe(0)
    const jobs = JSON.parse(list.stdout) as { id: string; status: string }[]
    expect(jobs).toHaveLength(3)
    const completed = JSON.parse((await cli(['jobs', 'list', '--status', 'completed', '--limit', '1', ...remote()])).stdout)[0] as { id: string }

    const got = await cli(['jobs', 'get', completed.id, ...remote()])
    expect(JSON.parse(got.stdout)).toMatchObject({ id: completed.id, status: 'completed' })
    const waited = await cli(['jobs', 'wait', completed.id, '--events', ...remote()])
    expect(waited.code).toBe(0)
    expect(JSON.parse(waited.stdout)).toMatchObject({ id: completed.id, status: 'completed' })

    const printed = await cli(['jobs', 'result', completed.id, ...remote()])
    expect(printed.code).toBe(0)
    const written = await cli(['jobs', 'result', completed.id, '-o', 'results/one.md', ...remote()])
    expect(written.code).toBe(0)
    expect(await readFile(join(work, 'results/one.md'), 'utf8')).toBe(printed.stdout)

    const cancel = await cli(['jobs', 'cancel', completed.id, ...remote()])
    expect(cancel.code).toBe(1)
    expect(cancel.stderr).toMatch(/^docloader: NOT_CANCELLABLE: /)
    const missing = await cli(['jobs', 'get', 'job_aaaaaaaaaaaaaaaaaaaaaaaa', ...remote()])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/NOT_FOUND/)
    expect((await cli(['jobs', 'list', '--status', 'done', ...remote()])).code).toBe(2)
    expect((await cli(['jobs', 'list'])).code).toBe(2)
  })

  it('wait exits 1 for a failed job', async () => {
    // The newest failed job of the tests above (a broken document, or a scan with OCR off).
    const failed = JSON.parse((await cli(['jobs', 'list', '--status', 'failed', '--limit', '1', ...remote()])).stdout)[0] as { id: string; error: { code: string } }
    expect(['CORRUPT_FILE', 'UNSUPPORTED_TYPE']).toContain(failed.error.code)
    const waited = await cli(['jobs', 'wait', failed.id, ...remote()])
    expect(waited.code).toBe(1)
    expect(JSON.parse(waited.stdout)).toMatchObject({ status: 'failed', error: { code: failed.error.code } })
  })
})
