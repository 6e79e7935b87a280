import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyExecutable, copyFixture, ESC, fileEntry, parseSummary, runCli, tempDir, writeIn } from './helpers.js'

describe('--json: one summary on stdout for scripts and CI', () => {
  it('prints exactly one JSON object with ok, counts, pages, ms and one entry per file, and nothing on stderr', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'docs/report.pdf')
    await writeIn(cwd, 'docs/notes.md', '# Notes\n')
    await copyExecutable(cwd, 'docs/tool')
    await copyExecutable(cwd, 'fake.pdf')

    const run = await runCli(['convert', 'docs', 'fake.pdf', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    expect(run.stderr).toBe('')
    expect(run.stdout.startsWith('{')).toBe(true)
    expect(run.stdout.endsWith('}\n')).toBe(true)
    const summary = parseSummary(run.stdout) // throws on anything but one JSON value
    expect(Object.keys(summary)).toEqual(['ok', 'converted', 'failed', 'skipped', 'pages', 'ms', 'out', 'files'])
    expect(summary).toMatchObject({ ok: false, converted: 2, failed: 1, skipped: ['docs/tool'], pages: 2, out: join(cwd, 'out') })
    expect(summary.ms).toBeGreaterThan(0)
    expect(Number.isInteger(summary.ms)).toBe(true)
    expect(summary.files).toHaveLength(3)

    expect(fileEntry(summary, 'docs/report.pdf')).toEqual({
      input: 'docs/report.pdf',
      output: join('out', 'report.pdf.md'),
      ok: true,
      pages: 1,
      ms: expect.any(Number),
      cached: false,
    })
    expect(fileEntry(summary, 'docs/notes.md')).toMatchObject({ ok: true, output: join('out', 'notes.md.md'), pages: 1, cached: false })
    const failed = fileEntry(summary, 'fake.pdf')
    expect(failed).toMatchObject({ ok: false, pages: 0, cached: false, error: { code: 'UNSUPPORTED_TYPE', message: expect.any(String) } })
    expect(failed.output).toBeUndefined()

    // Every output named in the summary exists, relative to the working folder.
    for (const file of summary.files.filter((entry) => entry.ok)) {
      expect((await readFile(join(cwd, file.output!), 'utf8')).length).toBeGreaterThan(0)
    }
  })

  it('writes one input to ./docloader-out with --json, keeping stdout for the summary', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', '# Notes\n')

    const run = await runCli(['convert', 'notes.md', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(0)
    const summary = parseSummary(run.stdout)
    expect(summary).toMatchObject({ ok: true, converted: 1, failed: 0, out: join(cwd, 'docloader-out') })
    expect(await readFile(join(cwd, 'docloader-out/notes.md.md'), 'utf8')).toBe('# Notes\n')
  })
})

describe('progress when stderr is not a terminal', () => {
  it('shows no spinner: no escape sequences or carriage returns, one plain line per file and a summary', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'report.pdf')
    await writeIn(cwd, 'notes.md', '# Notes\n')
    await writeIn(cwd, 'empty.md', '')

    const run = await runCli(['convert', 'report.pdf', 'notes.md', 'empty.md', '--out', 'out', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    expect(run.stderr).not.toContain(ESC)
    expect(run.stderr).not.toContain('\r')
    const lines = run.stderr.trimEnd().split('\n')
    expect(lines.filter((line) => line.startsWith('✔ ')).sort()).toEqual([
      expect.stringMatching(/^✔ notes\.md → out\/notes\.md\.md {2}\(1 page, [\d.]+ m?s\)$/),
      expect.stringMatching(/^✔ report\.pdf → out\/report\.pdf\.md {2}\(1 page, [\d.]+ m?s\)$/),
    ])
    expect(lines.filter((line) => line.startsWith('✖ '))).toEqual([expect.stringMatching(/^✖ empty\.md {2}EMPTY_FILE: /)])
    expect(lines).toContainEqual(expect.stringMatching(/^2 converted, 1 failed; 2 pages in [\d.]+ m?s → out$/))
  })
})
