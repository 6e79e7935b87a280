// Shared helpers of the bench scripts: arguments, corpus, tools, machine facts, RESULTS.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const REPO_DIR = path.dirname(BENCH_DIR)
export const WORK_DIR = path.join(BENCH_DIR, '.work')
export const RESULTS_FILE = path.join(BENCH_DIR, 'RESULTS.md')
export const CLI_BIN = path.join(REPO_DIR, 'packages/cli/dist/bin.js')
export const CORE_DIST = path.join(REPO_DIR, 'packages/core/dist/index.js')
export const DEFAULT_CORPUS = path.resolve(REPO_DIR, '../shared/corpus')

/** Folder of the pdfjs-dist package the engine uses (the dependency of packages/core). */
export function pdfjsDir() {
  return path.dirname(createRequire(path.join(REPO_DIR, 'packages/core/package.json')).resolve('pdfjs-dist/package.json'))
}

/** Stops the script with a message for the user (no stack trace). */
export class BenchError extends Error {}

export function fail(message) {
  throw new BenchError(message)
}

/** Runs `main`, printing BenchErrors as plain messages and exiting 1 on any failure. */
export function runMain(main) {
  main().then(
    (code) => process.exit(code ?? 0),
    (error) => {
      if (error instanceof BenchError) console.error(`\nerror: ${error.message}`)
      else console.error(error)
      process.exit(1)
    },
  )
}

/**
 * A small argument parser: `spec` maps long option names to 'string' | 'number' | 'boolean'.
 * Accepts `--name value`, `--name=value` and `--no-name` for booleans.
 */
export function parseArgs(argv, spec, usage) {
  const options = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') continue // `pnpm bench -- --runs 3` passes the separator through
    if (arg === '-h' || arg === '--help') {
      console.log(usage)
      process.exit(0)
    }
    const match = /^--(no-)?([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg)
    if (!match) fail(`Unexpected argument ${arg}.\n\n${usage}`)
    const [, negated, name, inline] = match
    const type = spec[name]
    if (!type) fail(`Unknown option --${name}.\n\n${usage}`)
    if (type === 'boolean') {
      options[name] = !negated
      continue
    }
    if (negated) fail(`--no-${name} is not an option.\n\n${usage}`)
    const value = inline ?? argv[++i]
    if (value === undefined) fail(`--${name} needs a value.\n\n${usage}`)
    if (type === 'number') {
      const number = Number(value)
      if (!Number.isFinite(number) || number <= 0) fail(`--${name} needs a number above 0, got ${value}.`)
      options[name] = number
    } else options[name] = value
  }
  return options
}

/** The corpus folder and its manifest; exits with a clear message when missing. */
export function loadCorpus(corpusOption) {
  const dir = path.resolve(corpusOption ?? DEFAULT_CORPUS)
  const manifestPath = path.join(dir, 'manifest.json')
  if (!fs.existsSync(dir)) {
    fail(
      `The corpus folder ${dir} does not exist.\n` +
        `The bench reads the dev corpus from ../shared/corpus next to the repository by default; pass --corpus <dir> to use another one.`,
    )
  }
  if (!fs.existsSync(manifestPath)) fail(`${dir} has no manifest.json: is it a docloader corpus? Pass --corpus <dir>.`)
  let manifest
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  } catch (error) {
    fail(`${manifestPath} is not valid JSON (${error.message}).`)
  }
  const files = Array.isArray(manifest) ? manifest : manifest.files
  if (!Array.isArray(files)) fail(`${manifestPath} has no "files" list.`)
  return { dir, manifestPath, files }
}

/** Manifest entries of the given kinds whose file exists, with absolute paths and sizes. */
export function corpusFiles(corpus, kinds) {
  const entries = []
  for (const entry of corpus.files) {
    if (!kinds.includes(entry.kind)) continue
    const absolute = path.join(corpus.dir, entry.file)
    if (!fs.existsSync(absolute)) fail(`The manifest lists ${entry.file} but ${absolute} does not exist.`)
    entries.push({ ...entry, path: absolute, bytes: fs.statSync(absolute).size })
  }
  if (!entries.length) fail(`The corpus ${corpus.dir} has no files of kind ${kinds.join(' or ')}.`)
  return entries
}

const TOOL_PACKAGES = {
  pdftotext: 'poppler-utils',
  pdfinfo: 'poppler-utils',
  hyperfine: 'hyperfine',
  qpdf: 'qpdf',
  python3: 'python3',
  taskset: 'util-linux',
  tesseract: 'tesseract-ocr tesseract-ocr-eng',
  pdftoppm: 'poppler-utils',
}

/** The full path of a command found on PATH, or undefined. */
/** Runs a command, collecting its output. */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', (error) => reject(new BenchError(`could not run ${command}: ${error.message}`)))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export function hasTool(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      if (fs.statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return undefined
}

/** Exits with the Debian package to install when a command-line tool is missing. */
export function requireTools(names) {
  const missing = names.filter((name) => !hasTool(name))
  if (!missing.length) return
  const packages = [...new Set(missing.map((name) => TOOL_PACKAGES[name] ?? name))]
  fail(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed. Install with: sudo apt-get install ${packages.join(' ')}`)
}

/** Exits when the packages are not built; warns when sources are newer than the build. */
export function requireBuild() {
  for (const file of [CORE_DIST, CLI_BIN]) {
    if (!fs.existsSync(file)) fail(`${path.relative(REPO_DIR, file)} is missing: build first with \`pnpm build\` (tsc -b).`)
  }
  const newest = (dir) => {
    let latest = 0
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) latest = Math.max(latest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs)
    }
    return latest
  }
  for (const pkg of ['core', 'cli']) {
    const src = path.join(REPO_DIR, 'packages', pkg, 'src')
    const dist = path.join(REPO_DIR, 'packages', pkg, 'dist')
    if (fs.existsSync(src) && newest(src) > newest(dist)) {
      console.warn(`warning: packages/${pkg}/src is newer than its dist/: the bench measures the last build. Run \`pnpm build\` first.`)
    }
  }
}

function firstLine(text) {
  return (text ?? '').split('\n').find((line) => line.trim())?.trim()
}

/** Version string of a command-line tool, or undefined. */
export function toolVersion(command, args = ['--version']) {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.error) return undefined
  return firstLine(result.stdout) ?? firstLine(result.stderr)
}

/** Facts about the machine and the code measured, for the results header. */
export function machineFacts() {
  let cpu = os.cpus()[0]?.model?.trim()
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8')
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu
  } catch {}
  let commit
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    if (dirty) commit += ' + uncommitted changes in packages/'
  } catch {}
  let pdfjs
  try {
    pdfjs = JSON.parse(fs.readFileSync(path.join(pdfjsDir(), 'package.json'), 'utf8')).version
  } catch {}
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpu ?? 'unknown',
    cores: os.availableParallelism(),
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    pdfjs,
    commit,
  }
}

export function factsMarkdown(facts, command, extra = []) {
  const lines = [
    `- Date: ${facts.date}`,
    `- Machine: ${facts.cpu}, ${facts.cores} core${facts.cores === 1 ? '' : 's'} available, ${facts.memory} RAM, ${facts.os}`,
    `- Node ${facts.node}${facts.pdfjs ? `, pdfjs-dist ${facts.pdfjs}` : ''}`,
    ...extra.map((line) => `- ${line}`),
    ...(facts.commit ? [`- Code measured: ${facts.commit}`] : []),
    `- Command: \`${command}\``,
  ]
  return lines.join('\n')
}

/** The command line that started this script, as the user would type it. */
export function commandLine(script) {
  const args = process.argv.slice(2).filter((arg) => arg !== '--')
  const npmScript = process.env.npm_lifecycle_event
  if (npmScript === script.npm) return `pnpm ${script.npm}${args.length ? ` ${args.join(' ')}` : ''}`
  return `node bench/${script.file}${args.length ? ` ${args.join(' ')}` : ''}`
}

/**
 * Replaces this script's section of RESULTS.md (between its marker comments), keeping the
 * others; appends the section when it is not there yet.
 */
export function writeResultsSection(name, markdown) {
  const start = `<!-- bench:${name}:start -->`
  const end = `<!-- bench:${name}:end -->`
  const block = `${start}\n${markdown.trim()}\n${end}`
  let text = fs.existsSync(RESULTS_FILE)
    ? fs.readFileSync(RESULTS_FILE, 'utf8')
    : '# Benchmark results\n\nWritten by the bench scripts (see README.md); each script replaces only its own section.\n'
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from !== -1 && to > from) text = text.slice(0, from) + block + text.slice(to + end.length)
  else text = `${text.trimEnd()}\n\n${block}\n`
  fs.writeFileSync(RESULTS_FILE, text.endsWith('\n') ? text : `${text}\n`)
}

let clockTicks
/** CPU time (ms) of this process's finished and reaped child processes (Linux), else undefined. */
export function childrenCpuMs() {
  try {
    clockTicks ??= Number.parseInt(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout, 10) || 100
    const stat = fs.readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 (state) of proc(5): cutime is field 16, cstime field 17.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks
  } catch {
    return undefined
  }
}

export function median(values) {
  const sorted = values.filter((value) => value !== undefined && value !== null && !Number.isNaN(value)).sort((a, b) => a - b)
  if (!sorted.length) return undefined
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function fmt(value, digits = 3) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–'
  return typeof value === 'number' ? value.toFixed(digits) : String(value)
}

/** A Markdown pipe table. `align` is a string of l/r per column. */
export function markdownTable(header, rows, align = '') {
  const cells = (row) => `| ${row.map((cell) => String(cell ?? '').replaceAll('|', '\\|')).join(' | ')} |`
  const rule = `| ${header.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join(' | ')} |`
  return [cells(header), rule, ...rows.map(cells)].join('\n')
}

export function passMiss(ok) {
  return ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS'
}

/** A fresh scratch folder under bench/.work. */
export function scratchDir(name) {
  const dir = path.join(WORK_DIR, name)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  return dir
}
