/**
 * `docloader convert` on scans, as a real child process: OCR under --ocr auto/force/off, the
 * provider chain (Mistral through the real SDK against the fake server, falling back to
 * tesseract), languages, and what the user is told.
 */
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeMistralServer, startFakeMistralServer } from '../../core/test/fake-mistral-server.js'
import { copyFixture, runCli, type Summary, tempDir } from './helpers.js'

/** A real scanned page without a text layer, shared with the core tests (see core/test/fixtures/pdf/README.md). */
const SCAN = fileURLToPath(new URL('../../core/test/fixtures/pdf/scan_amsguide_p10.pdf', import.meta.url))

async function scanIn(dir: string): Promise<void> {
  await copyFile(SCAN, join(dir, 'scan.pdf'))
}

describe('docloader convert on scanned PDFs', () => {
  let mistral: FakeMistralServer
  beforeAll(async () => {
    mistral = await startFakeMistralServer('cli-test-key')
  })
  afterAll(() => mistral.close())

  it('reads a scan by OCR by default, prints it on stdout and says which pages OCR read', async () => {
    const cwd = await tempDir()
    await scanIn(cwd)

    const run = await runCli(['convert', 'scan.pdf', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Book Formatting')
    expect(run.stderr).toMatch(/scan\.pdf {2}\(1 page, all by OCR \(tesseract\), /)
    expect(run.stderr).not.toContain('Too few characters')
  })

  it('--ocr off: the scan fails with UNSUPPORTED_TYPE saying OCR is off; a born-digital PDF is never OCR\'d', async () => {
    const cwd = await tempDir()
    await scanIn(cwd)
    await copyFixture('one-page.pdf', cwd)

    const run = await runCli(['convert', 'scan.pdf', 'one-page.pdf', '--ocr', 'off', '--json', '--no-cache', '-o', 'out'], { cwd })

    expect(run.code).toBe(1)
    const summary = JSON.parse(run.stdout) as Summary
    const scan = summary.files.find((file) => file.input === 'scan.pdf')!
    expect(scan.error).toMatchObject({ code: 'UNSUPPORTED_TYPE', message: expect.stringContaining('OCR is off') })
    const born = summary.files.find((file) => file.input === 'one-page.pdf')!
    expect(born).toMatchObject({ ok: true })
    expect(born.ocr).toBeUndefined()
  })

  it('--ocr force OCRs a born-digital page too', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd)

    const run = await runCli(['convert', 'one-page.pdf', '--ocr', 'force', '--json', '--no-cache', '-o', 'out'], { cwd })

    expect(run.code).toBe(0)
    const [file] = (JSON.parse(run.stdout) as Summary).files
    expect(file!.ocr).toEqual({ pages: 1, providers: ['tesseract'] })
  })

  it('--ocr-provider mistral,tesseract reads through Mistral, and falls back to tesseract when Mistral fails', async () => {
    const cwd = await tempDir()
    await scanIn(cwd)
    const env = { MISTRAL_API_KEY: 'cli-test-key', MISTRAL_SERVER_URL: mistral.url }
    mistral.script({ kind: 'ok', markdown: '# Read by the fake Mistral\n\n| a | b |\n| - | - |\n| 1 | 2 |' })

    const viaMistral = await runCli(['convert', 'scan.pdf', '--ocr-provider', 'mistral,tesseract', '--no-cache'], { cwd, env })

    expect(viaMistral.code).toBe(0)
    expect(viaMistral.stdout).toContain('# Read by the fake Mistral')
    expect(viaMistral.stdout).toContain('| 1 | 2 |')
    expect(mistral.requests.at(-1)).toMatchObject({ authorization: 'Bearer cli-test-key', body: { model: 'mistral-ocr-latest' } })

    mistral.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 })
    const fallback = await runCli(['convert', 'scan.pdf', '--ocr-provider', 'mistral,tesseract', '--json', '--no-cache', '-o', 'out'], { cwd, env })

    expect(fallback.code).toBe(0)
    const [file] = (JSON.parse(fallback.stdout) as Summary).files
    expect(file!.ocr).toEqual({ pages: 1, providers: ['tesseract'] })
  })

  it('--ocr-provider mistral without MISTRAL_API_KEY is a usage error; a language without its package fails the file naming the package', async () => {
    const cwd = await tempDir()
    await scanIn(cwd)

    const noKey = await runCli(['convert', 'scan.pdf', '--ocr-provider', 'mistral'], { cwd, env: { MISTRAL_API_KEY: '' } })
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain('MISTRAL_API_KEY')

    const german = await runCli(['convert', 'scan.pdf', '--lang', 'deu', '--json', '--no-cache', '-o', 'out'], { cwd })
    expect(german.code).toBe(1)
    const [file] = (JSON.parse(german.stdout) as Summary).files
    expect(file!.error).toMatchObject({ code: 'OCR_FAILED', message: expect.stringContaining('@tesseract.js-data/deu') })
  })
})
