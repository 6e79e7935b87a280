import { readdir, readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir, writeIn } from './helpers.js'

const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

describe('a wrong command line exits 2 with a message on stderr and converts nothing', () => {
  it.each([
    ['an unknown flag', ['notes.md', '--bogus'], /unknown option '--bogus'/],
    ['--format docx', ['notes.md', '--format', 'docx'], /'docx' is invalid.*md, txt, json/],
    ['--concurrency 0', ['notes.md', '--concurrency', '0'], /--concurrency must be a whole number from 1 up, got "0"/],
    ['--pages abc', ['notes.md', '--pages', 'abc'], /--pages .*got `abc`/],
    ['--timeout 0', ['notes.md', '--timeout', '0'], /--timeout must be a number above 0/],
    ['--max-pages 2.5', ['notes.md', '--max-pages', '2.5'], /--max-pages must be a whole number/],
    ['--ocr sometimes', ['notes.md', '--ocr', 'sometimes'], /'sometimes' is invalid.*auto, off, force/],
    ['--ocr-provider google', ['notes.md', '--ocr-provider', 'mistral,google'], /--ocr-provider takes a comma-separated list of tesseract, mistral, got "google"/],
    ['--lang de', ['notes.md', '--lang', 'eng,de'], /--lang takes tesseract language codes such as eng,deu or chi_sim, got "de"/],
    ['no inputs', [], /missing required argument 'inputs'/],
  ])('%s', async (_name, args, message) => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', '# Notes\n')

    const run = await runCli(['convert', ...args, '--no-cache'], { cwd })

    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(message)
    expect(await readdir(cwd)).toEqual(['notes.md'])
  })

  it('an unknown command', async () => {
    const run = await runCli(['transmogrify', 'notes.md'], { cwd: await tempDir() })

    expect(run.code).toBe(2)
    expect(run.stderr).toContain("unknown command 'transmogrify'")
  })
})

describe('--version and --help', () => {
  it('docloader --version prints the package version and exits 0', async () => {
    const run = await runCli(['--version'], { cwd: await tempDir() })

    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`${version}\n`)
  })

  it('docloader --help lists the convert command and exits 0', async () => {
    const run = await runCli(['--help'], { cwd: await tempDir() })

    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Usage: docloader /)
    expect(run.stdout).toMatch(/^ {2}convert \[options\] <inputs\.\.\.>/m)
  })

  it('docloader convert --help lists the options and exits 0', async () => {
    const run = await runCli(['convert', '--help'], { cwd: await tempDir() })

    expect(run.code).toBe(0)
    for (const option of ['--out', '--format', '--pages', '--password', '--concurrency', '--timeout', '--max-bytes', '--max-pages', '--cache', '--no-cache', '--json', '--fail-fast']) {
      expect(run.stdout).toContain(option)
    }
  })
})
