import { gzipSync } from 'node:zlib'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyExecutable, copyFixture, fileEntry, parseSummary, runCli, tempDir, writeIn } from './helpers.js'

const NOTES = '# Notes\n\nFirst line of the notes.\n'
const PRICES = 'item,price\nPaper,4.90\nToner,62.00\n'

/** Every file under `dir`, as sorted relative paths with `/`. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1).split('\\').join('/'))
    .sort()
}

describe('one input without --out: the result goes to stdout', () => {
  it('prints the Markdown of a PDF on stdout, exits 0 and writes no file', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'report.pdf')

    const run = await runCli(['convert', 'report.pdf', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^# \S/m)
    expect(run.stdout).toContain('Issue 9, June 1998')
    expect(run.stderr).toContain('1 converted, 0 failed')
    expect(await readdir(cwd)).toEqual(['report.pdf'])
  })

  it('prints plain text with --format txt: the words without Markdown syntax', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'report.pdf')

    const run = await runCli(['convert', 'report.pdf', '--format', 'txt', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Issue 9, June 1998')
    expect(run.stdout).toContain('New math font encodings')
    expect(run.stdout).not.toMatch(/^#+ /m)
  })

  it('prints the Document as valid JSON with pages and blocks with --format json', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'report.pdf')

    const run = await runCli(['convert', 'report.pdf', '-f', 'json', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    const document = JSON.parse(run.stdout) as {
      version: number
      metadata: { sourceFormat: string; pageCount: number; pagesConverted: number }
      pages: { number: number; blocks: { type: string }[] }[]
    }
    expect(document.version).toBe(1)
    expect(document.metadata).toMatchObject({ sourceFormat: 'pdf', pageCount: 1, pagesConverted: 1 })
    expect(document.pages).toHaveLength(1)
    expect(document.pages[0]!.number).toBe(1)
    expect(document.pages[0]!.blocks.length).toBeGreaterThan(3)
    expect(document.pages[0]!.blocks.map((block) => block.type)).toContain('heading')
    expect(document.pages[0]!.blocks.map((block) => block.type)).toContain('paragraph')
  })
})

describe('several inputs, folders and globs: results are written mirroring the input paths', () => {
  it('writes several files to --out as <relative path>.md, keeping their folders, and nothing to stdout', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', NOTES)
    await writeIn(cwd, 'data/prices.csv', PRICES)

    const run = await runCli(['convert', 'notes.md', 'data/prices.csv', '--out', 'out', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(await filesUnder(join(cwd, 'out'))).toEqual(['data/prices.csv.md', 'notes.md.md'])
    expect(await readFile(join(cwd, 'out/notes.md.md'), 'utf8')).toBe(NOTES)
    expect(await readFile(join(cwd, 'out/data/prices.csv.md'), 'utf8')).toBe(
      '| item | price |\n| --- | --- |\n| Paper | 4.90 |\n| Toner | 62.00 |\n',
    )
    expect(run.stderr).toContain('2 converted, 0 failed')
  })

  it('names the output files after the format: .txt for --format txt, .json for --format json', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', NOTES)
    await writeIn(cwd, 'data/prices.csv', PRICES)

    const text = await runCli(['convert', 'notes.md', 'data/prices.csv', '-f', 'txt', '-o', 'text', '--no-cache'], { cwd })
    const json = await runCli(['convert', 'notes.md', 'data/prices.csv', '-f', 'json', '-o', 'json', '--no-cache'], { cwd })

    expect(text.code).toBe(0)
    expect(await filesUnder(join(cwd, 'text'))).toEqual(['data/prices.csv.txt', 'notes.md.txt'])
    expect(await readFile(join(cwd, 'text/notes.md.txt'), 'utf8')).toContain('First line of the notes.')
    expect(json.code).toBe(0)
    expect(await filesUnder(join(cwd, 'json'))).toEqual(['data/prices.csv.json', 'notes.md.json'])
    const document = JSON.parse(await readFile(join(cwd, 'json/data/prices.csv.json'), 'utf8')) as { pages: { blocks: { type: string }[] }[] }
    expect(document.pages[0]!.blocks[0]!.type).toBe('table')
  })

  it('recurses into a folder and mirrors paths relative to it (docs/sub/a.pdf becomes out/sub/a.pdf.md)', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'docs/sub/a.pdf')
    await writeIn(cwd, 'docs/notes.md', NOTES)
    await writeIn(cwd, 'docs/sub/deeper/prices.csv', PRICES)

    const run = await runCli(['convert', 'docs', '--out', 'out', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(await filesUnder(join(cwd, 'out'))).toEqual(['notes.md.md', 'sub/a.pdf.md', 'sub/deeper/prices.csv.md'])
    const pdf = await readFile(join(cwd, 'out/sub/a.pdf.md'), 'utf8')
    expect(pdf).toMatch(/^# \S/m)
    expect(pdf).toContain('Issue 9, June 1998')
    expect(run.stderr).toContain('3 converted, 0 failed')
  })

  it('expands a quoted glob pattern itself, recursing with **, and mirrors paths relative to the working folder', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'docs/a.md', '# A\n')
    await writeIn(cwd, 'docs/sub/b.md', '# B\n')
    await writeIn(cwd, 'docs/prices.csv', PRICES)
    await writeIn(cwd, 'elsewhere.md', '# Elsewhere\n')

    // No shell runs here: the pattern reaches docloader exactly as a quoted argument would.
    const run = await runCli(['convert', 'docs/**/*.md', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(await filesUnder(join(cwd, 'out'))).toEqual(['docs/a.md.md', 'docs/sub/b.md.md'])
    expect(await readFile(join(cwd, 'out/docs/sub/b.md.md'), 'utf8')).toBe('# B\n')
    const summary = parseSummary(run.stdout)
    expect(summary.files.map((file) => file.input).sort()).toEqual(['docs/a.md', 'docs/sub/b.md'])
  })

  it('writes to ./docloader-out when several inputs are given without --out', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', NOTES)
    await writeIn(cwd, 'prices.csv', PRICES)

    const run = await runCli(['convert', 'notes.md', 'prices.csv', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(await filesUnder(join(cwd, 'docloader-out'))).toEqual(['notes.md.md', 'prices.csv.md'])
    expect(run.stderr).toContain('→ docloader-out')
  })

  it('writes a folder to ./docloader-out even when it holds a single file (stdout is only for one named file)', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'docs/notes.md', NOTES)

    const run = await runCli(['convert', 'docs', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(await readFile(join(cwd, 'docloader-out/notes.md.md'), 'utf8')).toBe(NOTES)
  })

  it('refuses to write two inputs to the same output path: the second fails with INVALID_OPTION, the first is kept', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'a/notes.md', '# From a\n')
    await writeIn(cwd, 'b/notes.md', '# From b\n')
    await writeIn(cwd, 'b/other.md', '# Other\n')

    const run = await runCli(['convert', 'a', 'b', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    const summary = parseSummary(run.stdout)
    expect(fileEntry(summary, 'b/notes.md').error).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('a/notes.md') })
    expect(await readFile(join(cwd, 'out/notes.md.md'), 'utf8')).toBe('# From a\n')
    expect(await readFile(join(cwd, 'out/other.md.md'), 'utf8')).toBe('# Other\n')
  })
})

describe('folders holding files docloader cannot convert', () => {
  it('skips unsupported files inside a folder, lists them as skipped in --json and still exits 0', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'docs/notes.md', NOTES)
    await copyExecutable(cwd, 'docs/tool')
    await writeIn(cwd, 'docs/img/archive.gz', gzipSync('an archive, not a document'))

    const run = await runCli(['convert', 'docs', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    const summary = parseSummary(run.stdout)
    expect(summary).toMatchObject({ ok: true, converted: 1, failed: 0 })
    expect([...summary.skipped].sort()).toEqual(['docs/img/archive.gz', 'docs/tool'])
    expect(summary.files.map((file) => file.input)).toEqual(['docs/notes.md'])
    expect(await filesUnder(join(cwd, 'out'))).toEqual(['notes.md.md'])
  })

  it('says "skipped" in the plain summary line', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'docs/notes.md', NOTES)
    await copyExecutable(cwd, 'docs/tool')

    const run = await runCli(['convert', 'docs', '--out', 'out', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(run.stderr).toContain('1 converted, 0 failed, 1 skipped')
  })

  it('fails a folder with no convertible file with UNSUPPORTED_TYPE and exit code 1', async () => {
    const cwd = await tempDir()
    await copyExecutable(cwd, 'bin/tool')

    const run = await runCli(['convert', 'bin', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    const summary = parseSummary(run.stdout)
    expect(summary).toMatchObject({ ok: false, converted: 0, failed: 1, skipped: ['bin/tool'] })
    expect(fileEntry(summary, 'bin').error).toMatchObject({ code: 'UNSUPPORTED_TYPE', message: expect.stringContaining('bin') })
    await expect(stat(join(cwd, 'out'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
