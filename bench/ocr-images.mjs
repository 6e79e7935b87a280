#!/usr/bin/env node
// OCR quality and speed on the scanned images of the corpus: `node bench/ocr-images.mjs`.
//
// Converts each scanned PNG/JPEG/TIFF of the manifest with the built engine (tesseract.js, one
// worker, text output) and, when Debian's `tesseract` is installed, runs native tesseract on
// the same file (`--psm 3 -l eng`, OMP_THREAD_LIMIT=1) in the same run; scores both with the
// corpus's score.py (CER, bag-of-words F1) and prints a table with seconds per page.
// Scanned PDFs are left out until the PDF converter OCRs pages. Prints only; nothing is written
// outside bench/.work/ocr-images.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { CORE_DIST, corpusFiles, fmt, hasTool, loadCorpus, markdownTable, median, parseArgs, requireBuild, runMain, scratchDir } from './lib/common.mjs'

const USAGE = `Usage: node bench/ocr-images.mjs [--corpus <dir>] [--no-native]`

runMain(async () => {
  const args = parseArgs(process.argv.slice(2), { corpus: 'string', native: 'boolean' }, USAGE)
  requireBuild()
  const corpus = loadCorpus(args.corpus)
  const entries = corpusFiles(corpus, ['scanned_png', 'scanned_jpg', 'scanned_tif'])
  const out = scratchDir('ocr-images')
  const native = args.native !== false && hasTool('tesseract')
  const { createEngine } = await import(CORE_DIST)
  const engine = createEngine({ concurrency: 1, ocr: { providers: ['tesseract'], tesseract: { workers: 1 } } })
  // Warm the worker so the first file does not pay for starting it.
  await engine.convert(fs.readFileSync(entries[0].path), { format: 'text', pages: '1' }).catch(() => undefined)
  const rows = []
  for (const entry of entries) {
    const name = path.basename(entry.file)
    let started = performance.now()
    const result = await engine.convert(entry.path, { format: 'text' })
    const jsSeconds = (performance.now() - started) / 1000 / result.metadata.pagesConverted
    fs.writeFileSync(path.join(out, `${name}.js.txt`), result.content)
    let nativeSeconds
    if (native) {
      started = performance.now()
      spawnSync('tesseract', [entry.path, path.join(out, `${name}.native`), '--psm', '3', '-l', 'eng'], { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, stdio: 'ignore' })
      nativeSeconds = (performance.now() - started) / 1000
    }
    const truth = path.join(corpus.dir, entry.ground_truth)
    const js = score(corpus.dir, truth, path.join(out, `${name}.js.txt`))
    const nat = native ? score(corpus.dir, truth, path.join(out, `${name}.native.txt`)) : undefined
    const confidence = Math.min(...result.document.pages.map((page) => page.ocr?.confidence ?? 0))
    rows.push({ name, chars: fs.readFileSync(truth, 'utf8').length, js, nat, jsSeconds, nativeSeconds, confidence })
    console.error(`${name}: CER ${fmt(js.cer)} (native ${fmt(nat?.cer)}), ${fmt(jsSeconds, 1)} s/page`)
  }
  await engine.close()
  const overall = (key) => rows.reduce((sum, row) => sum + (row[key]?.cer ?? 0) * row.chars, 0) / rows.reduce((sum, row) => sum + row.chars, 0)
  console.log(
    markdownTable(
      ['file', 'CER docloader', 'CER native', 'bow F1 docloader', 'bow F1 native', 's/page docloader', 's/page native', 'confidence'],
      [
        ...rows.map((row) => [row.name, fmt(row.js.cer), fmt(row.nat?.cer), fmt(row.js.bow_f1), fmt(row.nat?.bow_f1), fmt(row.jsSeconds, 1), fmt(row.nativeSeconds, 1), fmt(row.confidence, 2)]),
        ['**overall** (CER weighted by characters; median s/page)', fmt(overall('js')), native ? fmt(overall('nat')) : '–', '', '', fmt(median(rows.map((r) => r.jsSeconds)), 1), fmt(median(rows.map((r) => r.nativeSeconds)), 1), ''],
      ],
      'lrrrrrrr',
    ),
  )
})

function score(cwd, truth, candidate) {
  const run = spawnSync('python3', [path.join(cwd, 'score.py'), truth, candidate, '--json'], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`score.py failed: ${run.stderr}`)
  return JSON.parse(run.stdout)
}
