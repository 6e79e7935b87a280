import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyFixture, fileEntry, parseSummary, runCli, tempDir, writeIn } from './helpers.js'

describe('the result cache', () => {
  it('a second run with the same --cache reports the files as cached and writes the same outputs', async () => {
    const cwd = await tempDir()
    await copyFixture('one-page.pdf', cwd, 'report.pdf')
    await writeIn(cwd, 'notes.md', '# Notes\n')
    const args = ['convert', 'report.pdf', 'notes.md', '--cache', 'cache', '--json']

    const first = await runCli([...args, '--out', 'first'], { cwd })
    const second = await runCli([...args, '--out', 'second'], { cwd })

    expect(first.code).toBe(0)
    expect(second.code).toBe(0)
    const before = parseSummary(first.stdout)
    const after = parseSummary(second.stdout)
    expect(fileEntry(before, 'report.pdf')).toMatchObject({ ok: true, cached: false, pages: 1 })
    expect(fileEntry(before, 'notes.md')).toMatchObject({ ok: true, cached: false })
    expect(fileEntry(after, 'report.pdf')).toMatchObject({ ok: true, cached: true, pages: 1 })
    expect(fileEntry(after, 'notes.md')).toMatchObject({ ok: true, cached: true })
    expect((await readdir(join(cwd, 'cache'))).length).toBeGreaterThanOrEqual(2)
    expect(await readFile(join(cwd, 'second/report.pdf.md'), 'utf8')).toBe(await readFile(join(cwd, 'first/report.pdf.md'), 'utf8'))
    expect(await readFile(join(cwd, 'second/notes.md.md'), 'utf8')).toBe('# Notes\n')
  })

  it('--no-cache neither reads nor writes any cache folder', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', '# Notes\n')
    const xdg = join(cwd, 'xdg')

    const first = await runCli(['convert', 'notes.md', '--no-cache', '--json'], { cwd, env: { XDG_CACHE_HOME: xdg } })
    const second = await runCli(['convert', 'notes.md', '--no-cache', '--json'], { cwd, env: { XDG_CACHE_HOME: xdg } })

    expect(first.code).toBe(0)
    expect(fileEntry(parseSummary(second.stdout), 'notes.md')).toMatchObject({ ok: true, cached: false })
    await expect(stat(xdg)).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await readdir(cwd)).sort()).toEqual(['docloader-out', 'notes.md'])
  })

  it('without --cache or --no-cache, caches in $XDG_CACHE_HOME/docloader', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'notes.md', '# Notes\n')
    const xdg = join(cwd, 'xdg')

    await runCli(['convert', 'notes.md', '--json'], { cwd, env: { XDG_CACHE_HOME: xdg } })
    const second = await runCli(['convert', 'notes.md', '--json'], { cwd, env: { XDG_CACHE_HOME: xdg } })

    expect(fileEntry(parseSummary(second.stdout), 'notes.md')).toMatchObject({ ok: true, cached: true })
    expect((await readdir(join(xdg, 'docloader'))).length).toBe(1)
  })
})
