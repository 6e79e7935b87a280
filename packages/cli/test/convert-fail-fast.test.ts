import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyExecutable, copyFixture, fileEntry, parseSummary, runCli, tempDir, writeIn } from './helpers.js'

describe('--fail-fast', () => {
  it('stops at the first failure: later documents are cancelled and not written, exit code 1', async () => {
    const cwd = await tempDir()
    await copyExecutable(cwd, 'bad.pdf')
    await writeIn(cwd, 'later.md', '# Later\n')
    await copyFixture('one-page.pdf', cwd, 'later.pdf')

    const run = await runCli(['convert', 'bad.pdf', 'later.md', 'later.pdf', '--fail-fast', '--concurrency', '1', '--out', 'out', '--json', '--no-cache'], {
      cwd,
    })

    expect(run.code).toBe(1)
    const summary = parseSummary(run.stdout)
    expect(summary).toMatchObject({ ok: false, converted: 0 })
    expect(summary.files[0]).toMatchObject({ input: 'bad.pdf', error: { code: 'UNSUPPORTED_TYPE' } })
    expect(fileEntry(summary, 'later.md')).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(fileEntry(summary, 'later.pdf')).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    await expect(readdir(join(cwd, 'out'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('without --fail-fast the same batch converts and writes the later documents', async () => {
    const cwd = await tempDir()
    await copyExecutable(cwd, 'bad.pdf')
    await writeIn(cwd, 'later.md', '# Later\n')

    const run = await runCli(['convert', 'bad.pdf', 'later.md', '--concurrency', '1', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    expect(parseSummary(run.stdout)).toMatchObject({ converted: 1, failed: 1 })
    expect((await stat(join(cwd, 'out/later.md.md'))).isFile()).toBe(true)
  })

  it('also stops at a path that does not exist: nothing is converted or written', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'later.md', '# Later\n')

    const run = await runCli(['convert', 'missing.md', 'later.md', '--fail-fast', '--out', 'out', '--json', '--no-cache'], { cwd })

    expect(run.code).toBe(1)
    const summary = parseSummary(run.stdout)
    expect(fileEntry(summary, 'missing.md').error).toMatchObject({ code: 'NOT_FOUND' })
    expect(fileEntry(summary, 'later.md').error).toMatchObject({ code: 'CANCELLED' })
    await expect(readdir(join(cwd, 'out'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
