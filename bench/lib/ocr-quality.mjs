// The OCR part of `pnpm bench:quality` (bench/quality.mjs, `--only ocr` runs just this part).
//
// 1. docloader (the built engine, default OCR settings: tesseract.js, one worker per core,
//    Markdown output) over every file of the corpus's scanned set: PNG, JPEG, TIFF and
//    image-only PDFs. Per page it records which provider read it and with what confidence.
// 2. Native tesseract (Debian tesseract-ocr, `--psm 3 -l eng`, OMP_THREAD_LIMIT=1) over the
//    same files, PDFs rasterised first with `pdftoppm -r 300 -gray`: once with the very model
//    docloader reads (`@tesseract.js-data/eng/4.0.0_best_int`, the reference of the target) and
//    once with Debian's own tesseract-ocr-eng (tessdata_fast) when installed.
// 3. score.py per file (TRUTH CANDIDATE --json): docloader's Markdown as <file>.md (reduced to
//    plain text by score.py), native text as <file>.txt (scored as it is). Overall CER is
//    character-weighted: the sum of edit distances over the sum of truth characters.
// 4. The engine again over the born-digital and structured PDFs with `ocr: 'auto'`: pages that
//    have a text layer must never be OCR'd, so pages with `page.ocr` set are counted.
// Writes the `ocr-quality` section of bench/RESULTS.md.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  CORE_DIST,
  WORK_DIR,
  commandLine,
  corpusFiles,
  factsMarkdown,
  fail,
  fmt,
  machineFacts,
  markdownTable,
  passMiss,
  requireTools,
  toolVersion,
  writeResultsSection,
  runCommand,
} from './common.mjs'
import { DOCLOADER_MODEL, coreDependencyVersion, debianTessdata, inParallel, isQuarterTurn, rasterisePdf, sameModelTessdata, scannedFiles, tesseractAsync } from './ocr.mjs'

const TARGETS = { overallCerOverNative: 0.02, rotatedCer: 0.1, bornDigitalOcrPages: 0 }

/** Returns the number of targets missed. */
export async function ocrQuality({ options, corpus, scorer, out }) {
  requireTools(['tesseract', 'pdftoppm', 'python3'])
  const started = performance.now()
  const load = [os.loadavg()[0]]
  const files = scannedFiles(corpus)
  const dirs = { docloader: path.join(out, 'docloader'), native: path.join(out, 'native'), debian: path.join(out, 'native-debian'), pages: path.join(out, 'pages') }
  for (const dir of Object.values(dirs)) {
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
  }
  const model = sameModelTessdata(WORK_DIR)
  const debian = debianTessdata()
  if (!debian) console.warn('warning: Debian\'s tesseract-ocr-eng is not installed: the tessdata_fast column stays empty (sudo apt-get install tesseract-ocr-eng).')

  // 1. docloader, as a library user gets it: default engine, default OCR settings.
  const { createEngine } = await import(CORE_DIST)
  const engine = createEngine({ cache: false })
  const ours = {}
  let oursSeconds
  const textLayer = Object.fromEntries(['born_digital_pdf', 'structured_pdf'].map((kind) => [kind, { files: 0, pages: 0, ocrPages: 0, ocrFiles: [] }]))
  try {
    console.log(`\ndocloader (engine, default OCR settings): ${files.length} scanned files -> ${path.relative(process.cwd(), dirs.docloader)}`)
    const oursStarted = performance.now()
    for await (const item of engine.convertMany(files.map((file) => file.path), { format: 'markdown', ocr: 'auto' })) {
      const file = files[item.index]
      const target = path.join(dirs.docloader, `${file.file}.md`)
      fs.mkdirSync(path.dirname(target), { recursive: true })
      if (!item.ok) {
        // Scored as an empty output: CER 1, like score.py's "missing".
        console.warn(`warning: docloader failed on ${file.file}: ${item.error.code} ${item.error.message}`)
        fs.writeFileSync(target, '')
        ours[file.file] = { error: item.error.code, candidate: target }
        continue
      }
      fs.writeFileSync(target, item.result.content)
      const pages = item.result.document.pages
      const read = pages.filter((page) => page.ocr)
      ours[file.file] = {
        candidate: target,
        pages: pages.length,
        ocrPages: read.length,
        providers: [...new Set(read.map((page) => page.ocr.provider))],
        confidence: read.length ? read.reduce((sum, page) => sum + page.ocr.confidence, 0) / read.length : undefined,
        partial: item.result.metadata.partial,
      }
      console.log(`  ${file.file}: ${read.length}/${pages.length} pages by OCR, confidence ${fmt(ours[file.file].confidence, 2)}`)
    }
    oursSeconds = (performance.now() - oursStarted) / 1000

    // 4 (done now, while the engine is warm). Pages with a text layer must not be OCR'd.
    console.log('docloader (engine, ocr auto): born-digital and structured PDFs, counting OCR\'d pages')
    const textPdfs = corpusFiles(corpus, ['born_digital_pdf', 'structured_pdf'])
    for await (const item of engine.convertMany(textPdfs.map((file) => file.path), { format: 'markdown', ocr: 'auto' })) {
      const file = textPdfs[item.index]
      const tally = textLayer[file.kind]
      tally.files++
      if (!item.ok) {
        console.warn(`warning: docloader failed on ${file.file}: ${item.error.code} ${item.error.message}`)
        continue
      }
      const read = item.result.document.pages.filter((page) => page.ocr)
      tally.pages += item.result.document.pages.length
      tally.ocrPages += read.length
      if (read.length) tally.ocrFiles.push(`${file.file} (pages ${read.map((page) => page.number).join(', ')})`)
    }
  } finally {
    await engine.close()
  }

  // 2. Native tesseract, two processes at a time, one thread each.
  const nativeSets = [['native', model.dir], ...(debian ? [['debian', debian]] : [])]
  console.log(`native tesseract (${nativeSets.map(([name]) => (name === 'native' ? `model ${DOCLOADER_MODEL}` : 'Debian tesseract-ocr-eng')).join(', then ')}): the same files, PDFs rasterised with pdftoppm -r 300 -gray`)
  const images = Object.fromEntries(files.map((file) => [file.file, file.kind === 'scanned_pdf' ? rasterisePdf(file.path, path.join(dirs.pages, path.dirname(file.file))) : [file.path]]))
  const candidates = { native: {}, debian: {} }
  for (const [name, tessdata] of nativeSets) {
    const nativeStarted = performance.now()
    const jobs = files.flatMap((file) => images[file.file].map((image, page) => ({ file, image, page })))
    const texts = new Map()
    await inParallel(jobs, 2, async (job) => texts.set(`${job.file.file}#${job.page}`, (await tesseractAsync(job.image, tessdata)).text))
    for (const file of files) {
      const target = path.join(dirs[name], `${file.file}.txt`)
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, images[file.file].map((_, page) => texts.get(`${file.file}#${page}`).trim()).join('\n\n'))
      candidates[name][file.file] = target
    }
    console.log(`  ${name === 'native' ? DOCLOADER_MODEL : 'Debian eng'}: ${jobs.length} pages in ${((performance.now() - nativeStarted) / 1000).toFixed(1)} s`)
  }

  // 3. Score every candidate against the truth.
  console.log('scoring with score.py')
  const score = async (truth, candidate) => {
    if (!candidate) return undefined
    const result = await runCommand('python3', [scorer, truth, candidate, '--json'])
    if (result.code !== 0) fail(`score.py failed on ${candidate} (exit ${result.code}):\n${result.stderr.trim()}`)
    return JSON.parse(result.stdout)
  }
  const rows = []
  await inParallel(files, 2, async (file) => {
    const truth = path.join(corpus.dir, file.ground_truth)
    const [a, b, c] = await Promise.all([score(truth, ours[file.file]?.candidate), score(truth, candidates.native[file.file]), score(truth, candidates.debian[file.file])])
    rows.push({ file, ours: ours[file.file], scores: { docloader: a, native: b, debian: c } })
  })
  rows.sort((x, y) => files.indexOf(x.file) - files.indexOf(y.file))

  load.push(os.loadavg()[0])
  const section = renderSection({ corpus, rows, model, debian, textLayer, oursSeconds, out, load })
  console.log(`\n${section.markdown}`)
  if (options.write ?? true) {
    writeResultsSection('ocr-quality', section.markdown)
    console.log(`\nwrote the ocr-quality section of bench/RESULTS.md (${((performance.now() - started) / 1000).toFixed(0)} s; outputs kept in ${path.relative(process.cwd(), out) || '.'})`)
  }
  return section.missed.length
}

/** Character-weighted CER and pooled bag-of-words F1 over rows (missing candidates count as CER 1). */
export function overall(rows, set) {
  let distance = 0
  let chars = 0
  let common = 0
  let truthWords = 0
  let candidateWords = 0
  for (const row of rows) {
    const s = row.scores[set]
    if (!s) return undefined
    distance += s.char_distance
    chars += s.truth_chars
    common += s.bow_recall * s.truth_words
    truthWords += s.truth_words
    candidateWords += s.cand_words
  }
  const recall = truthWords ? common / truthWords : 0
  const precision = candidateWords ? common / candidateWords : 0
  return { cer: chars ? distance / chars : undefined, bowF1: recall + precision ? (2 * recall * precision) / (recall + precision) : 0, chars }
}

function renderSection({ corpus, rows, model, debian, textLayer, oursSeconds, out, load }) {
  const all = { docloader: overall(rows, 'docloader'), native: overall(rows, 'native'), debian: overall(rows, 'debian') }
  const upright = rows.filter((row) => !isQuarterTurn(row.file))
  const rest = { docloader: overall(upright, 'docloader'), native: overall(upright, 'native'), debian: overall(upright, 'debian') }
  const rotated = rows.find((row) => isQuarterTurn(row.file))
  const born = textLayer.born_digital_pdf
  const structured = textLayer.structured_pdf
  const pageCount = rows.reduce((sum, row) => sum + (row.ours?.pages ?? 0), 0)

  const lines = []
  lines.push('## Quality: OCR of scans (`pnpm bench:quality`)')
  lines.push('')
  lines.push(
    factsMarkdown(machineFacts(), commandLine({ npm: 'bench:quality', file: 'quality.mjs' }), [
      `Corpus: ${corpus.dir}: the ${rows.length} files of its scanned set (${pageCount} pages: ${[...new Set(rows.map((row) => row.file.format))].join(', ')}), truth: poppler's reading of the source page (\`.gt.txt\`) or the source Markdown (\`.gt.md\`), scored by its score.py`,
      `docloader: the built engine, \`createEngine({ cache: false })\` with its default OCR (tesseract.js ${coreDependencyVersion('tesseract.js')}, one worker per core, model \`${model.source}\`, orientation check on), \`convert(file, { format: 'markdown', ocr: 'auto' })\`, all files in ${fmt(oursSeconds, 1)} s wall; its Markdown scored as \`<file>.md\` (score.py reduces it to text)`,
      `Load average (1 min) at the start / end: ${load.map((l) => l.toFixed(2)).join(' / ')} (the scores do not depend on it; the wall time above does)`,
      `Native: ${toolVersion('tesseract') ?? 'tesseract'} (Debian tesseract-ocr), \`tesseract FILE - --psm 3 -l eng\` with OMP_THREAD_LIMIT=1, image-only PDFs rasterised with \`pdftoppm -r 300 -gray\` first; once with **the same model file as docloader** (gunzipped into \`--tessdata-dir\`: the reference of the target) and once with Debian's tesseract-ocr-eng (tessdata_fast, a smaller network)${debian ? '' : ' (not installed here: column empty)'}; text scored as \`<file>.txt\``,
    ]),
  )
  const failed = rows.filter((row) => row.ours?.error)
  if (failed.length) {
    lines.push('')
    lines.push(`**docloader failed on:** ${failed.map((row) => `${row.file.file} (${row.ours.error})`).join(', ')}, scored as an empty output (CER 1).`)
  }

  const targets = [
    [
      'scanned set: overall CER (character-weighted)',
      `<= native + ${TARGETS.overallCerOverNative} (${fmt(all.native?.cer === undefined ? undefined : all.native.cer + TARGETS.overallCerOverNative)})`,
      all.docloader?.cer,
      all.native?.cer,
      (v) => v <= all.native.cer + TARGETS.overallCerOverNative,
    ],
    [`rotated page (${rotated ? path.basename(rotated.file.file) : 'none in the corpus'}): CER`, `<= ${TARGETS.rotatedCer}`, rotated?.scores.docloader?.cer, rotated?.scores.native?.cer, (v) => v <= TARGETS.rotatedCer],
  ]
  const missed = targets.filter(([, , value, , ok]) => value === undefined || !ok(value)).map(([name]) => name)
  const bornOk = born.files > 0 && born.ocrPages === TARGETS.bornDigitalOcrPages
  if (!bornOk) missed.push('born-digital pages OCR\'d')
  lines.push('')
  lines.push('### Targets')
  lines.push('')
  lines.push(
    markdownTable(
      ['measure', 'target', 'docloader', `native, same model`, 'docloader result'],
      [
        ...targets.map(([name, target, value, reference, ok]) => [name, target, fmt(value), fmt(reference), passMiss(value === undefined ? undefined : ok(value))]),
        [`born-digital PDFs (${born.files} files, ${born.pages} pages), \`ocr: 'auto'\`: pages OCR'd`, `${TARGETS.bornDigitalOcrPages}`, String(born.ocrPages), '–', passMiss(born.files > 0 ? bornOk : undefined)],
      ],
      'llrrl',
    ),
  )
  if (born.ocrFiles.length) lines.push('', `OCR'd born-digital pages: ${born.ocrFiles.join('; ')}.`)

  lines.push('')
  lines.push('### Summary')
  lines.push('')
  lines.push(
    markdownTable(
      ['measure', 'docloader', 'native, same model', 'native, Debian tessdata_fast'],
      [
        ['overall CER, all files', fmt(all.docloader?.cer), fmt(all.native?.cer), fmt(all.debian?.cer)],
        ['overall CER, without the rotated page', fmt(rest.docloader?.cer), fmt(rest.native?.cer), fmt(rest.debian?.cer)],
        ['bag-of-words F1, words pooled over all files', fmt(all.docloader?.bowF1), fmt(all.native?.bowF1), fmt(all.debian?.bowF1)],
        [`structured PDFs (${structured.files} files, ${structured.pages} pages), \`ocr: 'auto'\`: pages OCR'd`, String(structured.ocrPages), '–', '–'],
      ],
      'lrrr',
    ),
  )
  lines.push('')
  lines.push(
    'CER counts reading order: on two-column pages (ltnews09, elstest, dafx) and pages with side-by-side blocks the truth follows poppler\'s order, so CER stays high for every OCR reading while the bag-of-words F1 (order-free) shows how well the words were recognised.',
  )

  lines.push('')
  lines.push('### Files')
  lines.push('')
  const cell = (row, set, key, digits) => fmt(row.scores[set]?.[key], digits)
  lines.push(
    markdownTable(
      ['file', 'kind', 'pages', 'truth chars', 'CER docloader', 'CER native', 'CER native (Debian fast)', 'WER docloader', 'WER native', 'BoW F1 docloader', 'BoW F1 native', 'BoW F1 native (Debian fast)', 'docloader OCR confidence'],
      rows.map((row) => [
        path.basename(row.file.file) + (isQuarterTurn(row.file) ? ' (turned 90°)' : ''),
        row.file.format,
        row.ours?.pages ?? row.file.pages ?? '',
        row.scores.docloader?.truth_chars ?? '',
        cell(row, 'docloader', 'cer'),
        cell(row, 'native', 'cer'),
        cell(row, 'debian', 'cer'),
        cell(row, 'docloader', 'wer'),
        cell(row, 'native', 'wer'),
        cell(row, 'docloader', 'bow_f1'),
        cell(row, 'native', 'bow_f1'),
        cell(row, 'debian', 'bow_f1'),
        row.ours?.confidence === undefined ? '–' : `${fmt(row.ours.confidence, 2)}${row.ours.ocrPages < row.ours.pages ? ` (${row.ours.ocrPages}/${row.ours.pages} pages by OCR)` : ''}`,
      ]),
      'llrrrrrrrrrrr',
    ),
  )
  const structure = rows.filter((row) => row.scores.docloader?.headings || row.scores.docloader?.list_items)
  for (const row of structure) {
    const r = (set, key) => fmt(row.scores[set]?.[key], 2)
    lines.push('')
    lines.push(
      `${path.basename(row.file.file)} (truth is Markdown): heading recall docloader ${r('docloader', 'heading_recall')} / native ${r('native', 'heading_recall')}, list item recall ${r('docloader', 'list_recall')} / ${r('native', 'list_recall')}${row.scores.docloader?.tables ? `, table recall ${r('docloader', 'table_recall')} / ${r('native', 'table_recall')}` : ''} (native text has no Markdown structure).`,
    )
  }
  lines.push('')
  const shown = path.relative(path.dirname(WORK_DIR), out).startsWith('..') ? out : `bench/${path.relative(path.dirname(WORK_DIR), out)}`
  lines.push(`Outputs of this run: \`${shown}/{docloader,native,native-debian}/\` (not committed). One file: \`python3 ${path.join(corpus.dir, 'score.py')} TRUTH CANDIDATE\`.`)
  return { markdown: lines.join('\n'), missed }
}
