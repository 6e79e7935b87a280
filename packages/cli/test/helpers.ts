import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

/** The built command line (`pnpm exec tsc -b` first). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

/** Fixture files, see fixtures/README.md. */
export type Fixture = 'one-page.pdf' | 'seven-pages.pdf' | 'truncated.pdf' | 'encrypted.pdf'

/** Password of fixtures/encrypted.pdf. */
export const ENCRYPTED_PASSWORD = 'dev-user-pw'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  /** Added to the environment. */
  env?: Record<string, string>
}

/**
 * Runs `node dist/bin.js <args>` as a real child process, stdin closed, stdout and stderr
 * pipes (so never a terminal). XDG_CACHE_HOME points into the working folder, so even a
 * run without --cache/--no-cache never touches the real ~/.cache.
 */
export function runCli(args: string[], { cwd, env }: RunOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, XDG_CACHE_HOME: join(cwd, '.xdg-cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A fresh temporary folder, removed when the current test finishes. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'docloader-cli-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Copies a fixture to `target` (relative to `dir`), creating folders. */
export async function copyFixture(name: Fixture, dir: string, target: string = name): Promise<string> {
  const path = join(dir, target)
  await mkdir(dirname(path), { recursive: true })
  await copyFile(join(FIXTURES, name), path)
  return path
}

/** Writes a file (relative to `dir`), creating folders. */
export async function writeIn(dir: string, target: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, target)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, content)
  return path
}

/** Copies a real ELF executable (/bin/true, a few dozen KB) to `target` (relative to `dir`). */
export async function copyExecutable(dir: string, target: string): Promise<string> {
  const path = join(dir, target)
  await mkdir(dirname(path), { recursive: true })
  await copyFile('/bin/true', path)
  return path
}

/** One entry of the `--json` summary's `files`. */
export interface FileSummary {
  input: string
  output?: string
  ok: boolean
  pages: number
  ms: number
  cached: boolean
  ocr?: { pages: number; providers: string[] }
  partial?: { reason: string; code?: string }
  error?: { code: string; message: string; details?: Record<string, unknown> }
}

/** The `--json` summary. */
export interface Summary {
  ok: boolean
  converted: number
  failed: number
  skipped: string[]
  pages: number
  ms: number
  out?: string
  files: FileSummary[]
}

/** Parses stdout as exactly one JSON summary (throws if anything else is on stdout). */
export function parseSummary(stdout: string): Summary {
  return JSON.parse(stdout) as Summary
}

/** The summary entry for one input, failing the test if it is missing. */
export function fileEntry(summary: Summary, input: string): FileSummary {
  const entry = summary.files.find((file) => file.input === input)
  if (!entry) throw new Error(`No entry for ${input} in the summary; inputs: ${summary.files.map((file) => file.input).join(', ')}`)
  return entry
}

/** The escape character that starts every ANSI sequence (colours, cursor moves, the line clears of a spinner). */
export const ESC = '\u001b'
