import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyFixture, fileEntry, parseSummary, runCli, tempDir } from './helpers.js'

describe('--pages', () => {
  it('--pages 1 converts only page 1 of a 7-page PDF', async () => {
    const cwd = await tempDir()
    await copyFixture('seven-pages.pdf', cwd, 'paper.pdf')

    const run = await runCli(['convert', 'paper.pdf', '--pages', '1', '-f', 'json', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    expect(fileEntry(parseSummary(run.stdout), 'paper.pdf')).toMatchObject({ ok: true, pages: 1 })
    const document = JSON.parse(await readFile(join(cwd, 'out/paper.pdf.json'), 'utf8')) as {
      metadata: { pageCount: number; pagesConverted: number }
      pages: { number: number; blocks: unknown[] }[]
    }
    expect(document.metadata).toMatchObject({ pageCount: 7, pagesConverted: 1 })
    expect(document.pages.map((page) => page.number)).toEqual([1])
    expect(document.pages[0]!.blocks.length).toBeGreaterThan(0)
  })
})

describe('--timeout', () => {
  // 1 ms cannot be enough for any PDF (pdfjs alone takes longer to load), so this is
  // reproducible on any machine.
  it('fails a document that takes longer than --timeout with TIMEOUT', async () => {
    const cwd = await tempDir()
    await copyFixture('seven-pages.pdf', cwd, 'paper.pdf')

    const run = await runCli(['convert', 'paper.pdf', '--timeout', '0.001', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    expect(fileEntry(parseSummary(run.stdout), 'paper.pdf')).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT', message: expect.stringContaining('time limit') },
    })
  })
})
