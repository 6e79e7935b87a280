import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyExecutable, copyFixture, ENCRYPTED_PASSWORD, type FileSummary, fileEntry, parseSummary, runCli, tempDir, writeIn } from './helpers.js'

const GOOD = '# Still converted\n\nThe good file of the batch.\n'

/**
 * Converts `inputs` plus a good Markdown file in one batch (--json, --out out) and checks
 * what every bad-input test needs: exit code 1, the good file still written, and the bad
 * input's entry returned for the specific assertions.
 */
async function convertWithGoodFile(cwd: string, bad: string, extra: string[] = []): Promise<FileSummary> {
  await writeIn(cwd, 'good.md', GOOD)
  const run = await runCli(['convert', bad, 'good.md', '--out', 'out', '--json', '--no-cache', ...extra], { cwd })

  expect(run.code).toBe(1)
  const summary = parseSummary(run.stdout)
  expect(summary).toMatchObject({ ok: false, converted: 1, failed: 1 })
  expect(fileEntry(summary, 'good.md')).toMatchObject({ ok: true, output: join('out', 'good.md.md') })
  expect(await readFile(join(cwd, 'out/good.md.md'), 'utf8')).toBe(GOOD)
  const entry = fileEntry(summary, bad)
  if (entry.error) expectOneLineMessage(entry.error.message)
  return entry
}

function expectOneLineMessage(message: string): void {
  expect(message.length).toBeGreaterThan(10)
  expect(message).not.toContain('\n')
  expect(message).not.toMatch(/\bat .+:\d+:\d+\)?/) // no stack trace
}

describe('a bad input fails with its own error code while the rest of the batch is written', () => {
  it('an executable renamed .pdf: UNSUPPORTED_TYPE naming a Linux executable (the type comes from the bytes)', async () => {
    const cwd = await tempDir()
    await copyExecutable(cwd, 'fake.pdf')

    const entry = await convertWithGoodFile(cwd, 'fake.pdf')

    expect(entry.ok).toBe(false)
    expect(entry.error).toMatchObject({ code: 'UNSUPPORTED_TYPE', message: expect.stringContaining('Linux executable') })
    expect(entry.output).toBeUndefined()
    await expect(stat(join(cwd, 'out/fake.pdf.md'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a zero-byte file: EMPTY_FILE', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'empty.pdf', '')

    const entry = await convertWithGoodFile(cwd, 'empty.pdf')

    expect(entry.error).toMatchObject({ code: 'EMPTY_FILE', message: expect.stringContaining('empty') })
  })

  it('a truncated PDF: CORRUPT_FILE, or a result flagged partial that still counts as failed', async () => {
    const cwd = await tempDir()
    await copyFixture('truncated.pdf', cwd)

    const entry = await convertWithGoodFile(cwd, 'truncated.pdf')

    if (entry.ok) {
      // A partial result is written, flagged, and the batch still exits 1.
      expect(entry.partial).toMatchObject({ reason: expect.any(String) })
      expect((await stat(join(cwd, 'out/truncated.pdf.md'))).size).toBeGreaterThan(0)
    } else {
      expect(entry.error).toMatchObject({ code: 'CORRUPT_FILE' })
    }
  })

  it('an encrypted PDF without --password: ENCRYPTED, telling to pass --password', async () => {
    const cwd = await tempDir()
    await copyFixture('encrypted.pdf', cwd)

    const entry = await convertWithGoodFile(cwd, 'encrypted.pdf')

    expect(entry.error).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining('--password') })
  })

  it('an encrypted PDF with a wrong --password: ENCRYPTED, saying the password is wrong', async () => {
    const cwd = await tempDir()
    await copyFixture('encrypted.pdf', cwd)

    const entry = await convertWithGoodFile(cwd, 'encrypted.pdf', ['--password', 'not-the-password'])

    expect(entry.error).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining('wrong') })
  })

  it('an encrypted PDF with the right --password is converted', async () => {
    const cwd = await tempDir()
    await copyFixture('encrypted.pdf', cwd)

    const run = await runCli(['convert', 'encrypted.pdf', '--password', ENCRYPTED_PASSWORD, '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^# \S/m)
    expect(run.stdout).toContain('Issue 9, June 1998')
  })

  it('a PDF with more pages than --max-pages: LIMIT_EXCEEDED naming both numbers', async () => {
    const cwd = await tempDir()
    await copyFixture('seven-pages.pdf', cwd, 'paper.pdf')

    const entry = await convertWithGoodFile(cwd, 'paper.pdf', ['--max-pages', '3'])

    expect(entry.error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/7 pages.*3/) })
  })

  it('a file larger than --max-bytes: FILE_TOO_LARGE, while a smaller file of the batch is converted', async () => {
    const cwd = await tempDir()
    await copyFixture('seven-pages.pdf', cwd, 'paper.pdf')

    const entry = await convertWithGoodFile(cwd, 'paper.pdf', ['--max-bytes', '1000'])

    expect(entry.error).toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringContaining('1000 B') })
  })

  it('a path that does not exist: NOT_FOUND naming the path', async () => {
    const cwd = await tempDir()

    const entry = await convertWithGoodFile(cwd, 'missing/report.pdf')

    expect(entry.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('missing/report.pdf') })
  })

  it('a glob pattern matching nothing: NOT_FOUND naming the pattern', async () => {
    const cwd = await tempDir()

    const entry = await convertWithGoodFile(cwd, 'scans/**/*.pdf')

    expect(entry.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('scans/**/*.pdf') })
  })
})

describe('failures in the plain (non --json) output', () => {
  it('lists every failure at the end on one line each: input, code, message; exit code 1', async () => {
    const cwd = await tempDir()
    await copyExecutable(cwd, 'fake.pdf')
    await writeIn(cwd, 'empty.txt', '')
    await writeIn(cwd, 'good.md', GOOD)

    const run = await runCli(['convert', 'fake.pdf', 'empty.txt', 'missing.pdf', 'good.md', '--out', 'out', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(await readFile(join(cwd, 'out/good.md.md'), 'utf8')).toBe(GOOD)
    expect(run.stderr).toMatch(/^1 converted, 3 failed; 1 page in .+ → out$/m)
    const lines = run.stderr.trimEnd().split('\n')
    const failed = lines.slice(lines.indexOf('Failed:') + 1)
    expect(failed).toHaveLength(3)
    expect(failed.find((line) => line.startsWith('  fake.pdf  '))).toMatch(/^ {2}fake\.pdf {2}UNSUPPORTED_TYPE {2}The file is a Linux executable.+\.$/)
    expect(failed.find((line) => line.startsWith('  empty.txt  '))).toMatch(/^ {2}empty\.txt {2}EMPTY_FILE {2}\S.+$/)
    expect(failed.find((line) => line.startsWith('  missing.pdf  '))).toMatch(/^ {2}missing\.pdf {2}NOT_FOUND {2}\S.+$/)
  })
})
