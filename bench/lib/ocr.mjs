// Helpers of the OCR benchmarks (bench/lib/ocr-quality.mjs, bench/ocr-speed.mjs): native
// tesseract with the language model docloader uses, PDF pages as images, the scanned corpus.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import zlib from 'node:zlib'
import { REPO_DIR, childrenCpuMs, corpusFiles, fail } from './common.mjs'

/** Manifest kinds of the scanned set. */
export const SCANNED_KINDS = ['scanned_png', 'scanned_jpg', 'scanned_tif', 'scanned_pdf']

/** The model folder of `@tesseract.js-data/eng` that the tesseract provider reads by default. */
export const DOCLOADER_MODEL = '4.0.0_best_int'

const requireFromCore = createRequire(path.join(REPO_DIR, 'packages/core/package.json'))

/** A dependency of packages/core (sharp, tesseract.js, ...), loaded from there. */
export async function importFromCore(name) {
  const module = await import(requireFromCore.resolve(name))
  return module.default ?? module
}

/** The version of a dependency of packages/core, or '?'. */
export function coreDependencyVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(requireFromCore.resolve(`${name}/package.json`), 'utf8')).version
  } catch {
    return '?'
  }
}

/**
 * A tessdata folder for native tesseract holding the very model docloader reads
 * (`@tesseract.js-data/eng/4.0.0_best_int`, gunzipped), so native and docloader run the same
 * LSTM network and only the engines differ. Debian's tesseract-ocr-eng is tessdata_fast, a
 * smaller network: faster and less accurate, reported apart where used.
 */
export function sameModelTessdata(workDir) {
  const source = path.join(path.dirname(requireFromCore.resolve('@tesseract.js-data/eng/package.json')), DOCLOADER_MODEL, 'eng.traineddata.gz')
  const dir = path.join(workDir, 'tessdata-docloader')
  const target = path.join(dir, 'eng.traineddata')
  if (!fs.existsSync(target) || fs.statSync(target).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(target, zlib.gunzipSync(fs.readFileSync(source)))
  }
  return { dir, source: path.relative(REPO_DIR, source).replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '') }
}

/** Debian's tessdata folder when tesseract-ocr-eng is installed, else undefined. */
export function debianTessdata() {
  for (const dir of ['/usr/share/tesseract-ocr/5/tessdata', '/usr/share/tesseract-ocr/4.00/tessdata', '/usr/share/tessdata']) {
    if (fs.existsSync(path.join(dir, 'eng.traineddata'))) return dir
  }
  return undefined
}

/** The environment of a native tesseract run: one thread, like one tesseract.js worker. */
export const NATIVE_ENV = { ...process.env, OMP_THREAD_LIMIT: '1' }

/** Arguments of `tesseract IMAGE - --psm 3 -l eng --tessdata-dir DIR` (text on stdout). */
export function tesseractArgs(image, tessdata) {
  return [image, '-', '--psm', '3', '-l', 'eng', ...(tessdata ? ['--tessdata-dir', tessdata] : [])]
}

/** Native tesseract on one image, synchronously: its text, wall ms and CPU ms (Linux). */
export function tesseractSync(image, tessdata) {
  const cpuStarted = childrenCpuMs()
  const started = performance.now()
  const result = spawnSync('tesseract', tesseractArgs(image, tessdata), { env: NATIVE_ENV, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
  const ms = performance.now() - started
  if (result.status !== 0) fail(`tesseract failed on ${image} (exit ${result.status}): ${result.stderr?.trim() || result.error?.message}`)
  return { text: result.stdout, ms, cpuMs: cpuStarted === undefined ? undefined : childrenCpuMs() - cpuStarted }
}

/** Native tesseract on one image, as a promise (to run several at once): text and wall ms. */
export function tesseractAsync(image, tessdata) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('tesseract', tesseractArgs(image, tessdata), { env: NATIVE_ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (text += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve({ text, ms: performance.now() - started }) : reject(new Error(`tesseract failed on ${image} (exit ${code}): ${stderr.trim()}`))))
  })
}

/** Every page of a PDF as an 8-bit grey PNG at `dpi` (pdftoppm), in page order. */
export function rasterisePdf(file, dir, dpi = 300) {
  fs.mkdirSync(dir, { recursive: true })
  const prefix = path.join(dir, path.basename(file, '.pdf'))
  const result = spawnSync('pdftoppm', ['-r', String(dpi), '-gray', '-png', file, prefix], { encoding: 'utf8' })
  if (result.status !== 0) fail(`pdftoppm failed on ${file}: ${result.stderr?.trim() || result.error?.message}`)
  const base = path.basename(prefix)
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(`${base}-`) && name.endsWith('.png'))
    .sort((a, b) => Number(/-(\d+)\.png$/.exec(a)[1]) - Number(/-(\d+)\.png$/.exec(b)[1]))
    .map((name) => path.join(dir, name))
}

/** The scanned corpus entries, images first then PDFs, each with its kind's short label. */
export function scannedFiles(corpus) {
  return corpusFiles(corpus, SCANNED_KINDS).map((entry) => ({ ...entry, format: entry.kind.replace('scanned_', '').toUpperCase() }))
}

/** Whether a manifest entry is the page turned a quarter turn (by its notes or name). */
export function isQuarterTurn(entry) {
  return /quarter turn|rot90|90[- ]degree/i.test(`${entry.file} ${entry.notes ?? ''}`)
}

/**
 * The page images the speed bench reads: every scanned image of the corpus as it is, and every
 * page of the scanned PDFs rasterised at 300 dpi (pdftoppm -gray), so docloader and native
 * tesseract read the same files.
 */
export function pageImages(corpus, dir) {
  const pages = []
  for (const entry of scannedFiles(corpus)) {
    if (entry.kind !== 'scanned_pdf') {
      pages.push({ label: path.basename(entry.file), path: entry.path, source: entry.file })
      continue
    }
    for (const [index, image] of rasterisePdf(entry.path, dir).entries()) {
      pages.push({ label: `${path.basename(entry.file)} p${index + 1} (300 dpi)`, path: image, source: entry.file })
    }
  }
  return pages
}

/** Runs `worker` over `items`, `limit` at a time. */
export async function inParallel(items, limit, worker) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await worker(items[next++])
    }),
  )
}
