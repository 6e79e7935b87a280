// End to end: every example document through the built command line, and the library
// giving the same Markdown for the same file.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createEngine } from '@docloader/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
const DOCUMENTS = fileURLToPath(new URL('../examples/documents/', import.meta.url))

interface Summary {
  ok: boolean
  converted: number
  failed: number
  files: { input: string; output?: string; ok: boolean; pages: number; error?: { code: string; message: string } }[]
}

let work: string
let names: string[]
let summary: Summary

beforeAll(async () => {
  names = (await readdir(DOCUMENTS, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
  work = await mkdtemp(join(tmpdir(), 'docloader-examples-'))
  // A real process of the built CLI, run from a scratch folder so nothing lands in the repository.
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'convert', DOCUMENTS, '--out', 'out', '--json', '--no-cache'], {
    cwd: work,
    env: { ...process.env, XDG_CACHE_HOME: join(work, '.xdg-cache') },
  })
  summary = JSON.parse(stdout) as Summary
})

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('the example documents (examples/documents)', () => {
  it('are there: a few documents of several types', () => {
    expect(names.length).toBeGreaterThanOrEqual(2)
  })

  it('all convert through the CLI with --out, exit code 0 and one converted entry each', () => {
    expect(summary.files.filter((file) => !file.ok)).toEqual([])
    expect(summary).toMatchObject({ ok: true, converted: names.length, failed: 0 })
  })

  it('each gets a non-empty Markdown file with a heading (a CSV: a pipe table, it has no headings to give)', async () => {
    for (const name of names) {
      const markdown = await readFile(join(work, 'out', `${name}.md`), 'utf8')
      expect(markdown.trim().length, name).toBeGreaterThan(0)
      if (name.endsWith('.csv')) expect(markdown, name).toMatch(/^\|.+\|\n\| *-{3,} *\|/)
      else expect(markdown, name).toMatch(/^#{1,6} \S/m)
    }
  })

  it('the library (createEngine from @docloader/core) gives the same Markdown as the CLI for each file', async () => {
    const engine = createEngine({ concurrency: 2 })
    try {
      for (const name of names) {
        const result = await engine.convert(join(DOCUMENTS, name), { format: 'markdown' })
        expect(result.content, name).toBe(await readFile(join(work, 'out', `${name}.md`), 'utf8'))
      }
    } finally {
      await engine.close()
    }
  })
})
