import { execFile, spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, ESC, parseSummary, tempDir, writeIn } from './helpers.js'

// util-linux `script` runs a command in a pseudo-terminal, so stderr really is a TTY. It is in
// every Debian/Ubuntu image (package bsdutils); elsewhere (macOS' BSD script) these tests skip.
const hasScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '')

interface TerminalRun {
  code: number | null
  /** What the terminal showed: stdout and stderr together, CRLF turned back into LF. */
  screen: string
}

/**
 * Runs the CLI in a pseudo-terminal. `columns` 0 is what `script` gives when it has no
 * terminal itself (as under vitest); a number sets the terminal's size with stty first.
 * `timeout` inside the terminal ends the CLI if it hangs (with SIGKILL: a loop that blocks
 * the event loop never runs the CLI's SIGTERM handler), so no process outlives the test.
 */
function runInTerminal(args: string[], cwd: string, columns: number): Promise<TerminalRun> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`
  const command = [
    columns > 0 ? `stty cols ${columns} rows 24;` : '',
    'exec timeout --kill-after=1 15',
    quote(process.execPath),
    quote(BIN),
    ...args.map(quote),
  ].join(' ')
  // ora draws only when CI is unset (the CI script sets CI=true) and TERM is not dumb.
  const { CI: _ci, ...env } = process.env
  return new Promise((resolve) => {
    execFile(
      'script',
      ['--quiet', '--return', '--command', command, '/dev/null'],
      { cwd, env: { ...env, SHELL: '/bin/sh', TERM: 'xterm', XDG_CACHE_HOME: join(cwd, '.xdg-cache') }, timeout: 30_000, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, screen: stdout.replaceAll('\r\n', '\n') })
      },
    )
  })
}

describe.skipIf(!hasScript)('in a terminal (needs util-linux script)', () => {
  it('shows a spinner and a line per file when stderr is a terminal', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'a.md', '# A\n')
    await writeIn(cwd, 'b.md', '# B\n')

    const run = await runInTerminal(['convert', 'a.md', 'b.md', '--out', 'out', '--no-cache'], cwd, 100)

    expect(run.code).toBe(0)
    expect(run.screen).toContain(ESC) // the spinner draws with escape sequences
    expect(run.screen).toContain('Converting')
    expect(run.screen).toMatch(/✔ a\.md → out\/a\.md\.md/)
    expect(run.screen).toMatch(/2 converted, 0 failed/)
  })

  it('--json prints only the JSON summary, nothing animated, even in a terminal', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'a.md', '# A\n')
    await writeIn(cwd, 'b.md', '# B\n')

    const run = await runInTerminal(['convert', 'a.md', 'b.md', '--out', 'out', '--json', '--no-cache'], cwd, 100)

    expect(run.code).toBe(0)
    expect(run.screen).not.toContain(ESC)
    expect(parseSummary(run.screen)).toMatchObject({ ok: true, converted: 2, failed: 0 })
  })

  it('a terminal that reports 0 columns gets plain lines instead of a spinner that never ends', async () => {
    const cwd = await tempDir()
    await writeIn(cwd, 'a.md', '# A\n')
    await writeIn(cwd, 'b.md', '# B\n')

    const run = await runInTerminal(['convert', 'a.md', 'b.md', '--out', 'out', '--no-cache'], cwd, 0)

    expect(run.code).toBe(0)
    expect(run.screen).not.toContain(ESC)
    expect(run.screen).toMatch(/^✔ a\.md → out\/a\.md\.md/m)
    expect(run.screen.length).toBeLessThan(1000)
    expect(await readFile(join(cwd, 'out/b.md.md'), 'utf8')).toBe('# B\n')
  })
})
