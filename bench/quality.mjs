#!/usr/bin/env node
// Conversion quality on the corpus: `pnpm bench:quality` (see bench/README.md).
//
// PDFs: runs `docloader convert` once over the born-digital and structured PDFs of the
// manifest, and poppler's `pdftotext` (plain mode) over the same files as the no-structure
// reference, scores both with the corpus's score.py and writes the table to bench/RESULTS.md.
// DOCX and HTML: the same against `pandoc -t gfm` on the same files, plus a rough agreement
// figure with docling's Markdown for the peer corpus (../shared/peer-docling), in its own
// section of RESULTS.md.
// OCR: the scanned set (images and image-only PDFs) against native tesseract on the same files,
// and no OCR on PDFs with a text layer (bench/lib/ocr-quality.mjs), in its own section.
import fs from 'node:fs'
import path from 'node:path'
import {
  CLI_BIN,
  WORK_DIR,
  commandLine,
  corpusFiles,
  factsMarkdown,
  fail,
  fmt,
  hasTool,
  loadCorpus,
  machineFacts,
  markdownTable,
  median,
  parseArgs,
  passMiss,
  requireBuild,
  requireTools,
  runMain,
  scratchDir,
  toolVersion,
  writeResultsSection,
  runCommand,
} from './lib/common.mjs'
import { ocrQuality } from './lib/ocr-quality.mjs'

const USAGE = `Usage: node bench/quality.mjs [options]      (pnpm bench:quality [options])

Options:
  --corpus <dir>     corpus folder with manifest.json and score.py (default: ../shared/corpus next to the repo)
  --out <dir>        where the converted files go, in <dir>/docloader and <dir>/pdftotext (emptied
                     first; default: bench/.work/quality); the other parts in <dir>/office, <dir>/ocr
  --only <part>      pdf, office (DOCX and HTML) or ocr (scans, against native tesseract); default all
  --peer <dir>       docling's peer corpus for the agreement figure (default: ../shared/peer-docling
                     next to the repo; skipped with a note when absent)
  --check            exit 1 when a target is missed (for CI)
  --no-write         print the results without updating bench/RESULTS.md
  -h, --help         this help`

const KINDS = { born: 'born_digital_pdf', structured: 'structured_pdf' }

/** DOCX and HTML: manifest kinds, the CER target, docling's peer corpus. */
const OFFICE_KINDS = ['docx', 'html']
const PEER_KINDS = { peer_docx: 'DOCX', peer_html: 'HTML' }
const OFFICE_MAX_CER = 0.05
const DEFAULT_PEER = path.resolve(path.dirname(WORK_DIR), '../../shared/peer-docling')

const TARGETS = {
  headingRecall: 0.9,
  listRecall: 0.85,
  tableRecall: 0.7,
  structuredMedianCer: 0.03,
  bornMedianCer: 0.05,
}

runMain(async () => {
  const options = parseArgs(process.argv.slice(2), { corpus: 'string', out: 'string', only: 'string', peer: 'string', check: 'boolean', write: 'boolean' }, USAGE)
  if (options.only !== undefined && !['pdf', 'office', 'ocr'].includes(options.only)) fail(`--only takes pdf, office or ocr, got \`${options.only}\`.\n\n${USAGE}`)
  const corpus = loadCorpus(options.corpus)
  const scorer = path.join(corpus.dir, 'score.py')
  if (!fs.existsSync(scorer)) fail(`${scorer} is missing: the corpus must ship its score.py.`)
  requireBuild()
  const out = options.out ? path.resolve(options.out) : scratchDir('quality')
  if (out === corpus.dir || corpus.dir.startsWith(out + path.sep)) fail('--out must not be the corpus folder or hold it.')
  let missed = 0
  const part = (name) => options.only === undefined || options.only === name
  if (part('pdf')) missed += await pdfQuality({ options, corpus, scorer, out })
  if (part('office')) missed += await officeQuality({ options, corpus, scorer, out: path.join(out, 'office') })
  if (part('ocr')) missed += await ocrQuality({ options, corpus, scorer, out: path.join(out, 'ocr') })
  return options.check && missed ? 1 : 0
})

/** The PDF part: docloader vs pdftotext; writes the `quality` section. Returns the number of targets missed. */
async function pdfQuality({ options, corpus, scorer, out }) {
  requireTools(['pdftotext', 'python3'])
  const files = corpusFiles(corpus, Object.values(KINDS))
  // Only our two subfolders are emptied, never the folder given with --out itself.
  const dirs = { docloader: path.join(out, 'docloader'), pdftotext: path.join(out, 'pdftotext') }
  for (const dir of Object.values(dirs)) {
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
  }
  const started = performance.now()

  // 1. docloader: one CLI run over all the PDFs. Run from the corpus folder with paths relative
  //    to it, so --out mirrors them as <file>.md, the layout score.py expects.
  const relative = files.map((file) => file.file)
  const cliArgs = [CLI_BIN, 'convert', ...relative, '--out', dirs.docloader, '--no-cache', '--json']
  console.log(`docloader convert: ${files.length} PDFs (${files.reduce((sum, f) => sum + (f.pages ?? 0), 0)} pages) -> ${path.relative(process.cwd(), dirs.docloader)}`)
  const cliStarted = performance.now()
  const cli = await runCommand(process.execPath, cliArgs, { cwd: corpus.dir })
  const cliSeconds = (performance.now() - cliStarted) / 1000
  let summary
  try {
    summary = JSON.parse(cli.stdout)
  } catch {
    fail(`docloader convert did not print its --json summary (exit ${cli.code}):\n${cli.stderr.trim() || cli.stdout.trim()}`)
  }
  const failures = summary.files.filter((file) => !file.ok || file.partial)
  for (const failure of failures) {
    console.warn(`warning: docloader failed on ${failure.input}: ${failure.error?.code ?? 'partial'} ${failure.error?.message ?? failure.partial?.reason ?? ''}`)
  }
  console.log(`  ${summary.converted} converted, ${summary.failed} failed, ${summary.pages} pages in ${cliSeconds.toFixed(1)} s`)

  // 2. pdftotext: plain mode (no -layout), one process per file, saved as <file>.md like ours.
  console.log(`pdftotext: the same ${files.length} PDFs -> ${path.relative(process.cwd(), dirs.pdftotext)}`)
  for (const file of files) {
    const target = path.join(dirs.pdftotext, `${file.file}.md`)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const result = await runCommand('pdftotext', ['-enc', 'UTF-8', file.path, target])
    if (result.code !== 0) console.warn(`warning: pdftotext failed on ${file.file}: ${result.stderr.trim()}`)
  }

  // 3. Score both at once.
  console.log('scoring with score.py (both output sets in parallel)')
  const score = async (dir) => {
    const args = [scorer, '--manifest', corpus.manifestPath, '--outputs', dir, '--json', ...Object.values(KINDS).flatMap((kind) => ['--kind', kind])]
    const result = await runCommand('python3', args)
    if (result.code !== 0) fail(`score.py failed on ${dir} (exit ${result.code}):\n${result.stderr.trim()}`)
    return JSON.parse(result.stdout)
  }
  const [ours, poppler] = await Promise.all([score(dirs.docloader), score(dirs.pdftotext)])

  const facts = machineFacts()
  const section = renderSection({ facts, corpus, files, ours, poppler, summary, cliSeconds, failures, out })
  console.log(`\n${section.markdown}`)
  if (options.write ?? true) {
    writeResultsSection('quality', section.markdown)
    console.log(`\nwrote the quality section of bench/RESULTS.md (${((performance.now() - started) / 1000).toFixed(0)} s; outputs kept in ${path.relative(process.cwd(), out) || '.'})`)
  }
  return section.missed.length
}

/** Micro-averaged recall over rows (found / total summed), as score.py's summary does. */
function recall(rows, found, total) {
  const denominator = rows.reduce((sum, row) => sum + (row[total] ?? 0), 0)
  return denominator ? { value: rows.reduce((sum, row) => sum + (row[found] ?? 0), 0) / denominator, found: rows.reduce((sum, row) => sum + (row[found] ?? 0), 0), total: denominator } : undefined
}

function summarise(result) {
  const byKind = (kind) => result.rows.filter((row) => row.kind === kind && row.cer !== undefined)
  const born = byKind(KINDS.born)
  const structured = byKind(KINDS.structured)
  return {
    born,
    structured,
    bornCer: median(born.map((row) => row.cer)),
    bornWer: median(born.map((row) => row.wer)),
    bornBow: median(born.map((row) => row.bow_f1)),
    structuredCer: median(structured.map((row) => row.cer)),
    structuredWer: median(structured.map((row) => row.wer)),
    structuredBow: median(structured.map((row) => row.bow_f1)),
    heading: recall(structured, 'headings_found', 'headings'),
    headingLevel: recall(structured, 'headings_found_level', 'headings'),
    list: recall(structured, 'list_items_found', 'list_items'),
    table: recall(structured, 'tables_found', 'tables'),
    tableExact: recall(structured, 'tables_found_exact', 'tables'),
    missing: result.rows.filter((row) => row.status === 'missing').map((row) => row.file),
  }
}

function renderSection({ facts, corpus, files, ours, poppler, summary, cliSeconds, failures, out }) {
  const a = summarise(ours)
  const b = summarise(poppler)
  const pagesOf = Object.fromEntries(files.map((file) => [file.file, file.pages]))
  const recallCell = (r) => (r ? `${fmt(r.value)} (${r.found}/${r.total})` : '–')
  const lines = []
  lines.push('## Quality (`pnpm bench:quality`)')
  lines.push('')
  lines.push(
    factsMarkdown(facts, commandLine({ npm: 'bench:quality', file: 'quality.mjs' }), [
      `Corpus: ${corpus.dir}: ${a.born.length} born-digital PDFs (truth: pdftotext's reading) and ${a.structured.length} structured PDFs (truth: the exact source Markdown), scored by its score.py`,
      `docloader: one \`docloader convert <pdfs> --out DIR --no-cache --json\` run, ${summary.converted} converted, ${summary.failed} failed, ${summary.pages} pages in ${cliSeconds.toFixed(1)} s wall`,
      `Reference: ${toolVersion('pdftotext', ['-v']) ?? 'pdftotext'} in plain mode (no -layout), its text saved as <file>.md and scored the same way`,
    ]),
  )
  if (failures.length || a.missing.length) {
    lines.push('')
    lines.push(`**docloader failed on:** ${[...new Set([...failures.map((f) => f.input), ...a.missing])].join(', ')} (scored as missing: CER 1, recalls 0).`)
  }

  const targets = [
    ['structured PDFs: heading recall (any level)', `>= ${TARGETS.headingRecall}`, a.heading?.value, b.heading?.value, (v) => v >= TARGETS.headingRecall],
    ['structured PDFs: list item recall', `>= ${TARGETS.listRecall}`, a.list?.value, b.list?.value, (v) => v >= TARGETS.listRecall],
    ['structured PDFs: table recall', `>= ${TARGETS.tableRecall}`, a.table?.value, b.table?.value, (v) => v >= TARGETS.tableRecall],
    ['structured PDFs: median CER', `<= ${TARGETS.structuredMedianCer}`, a.structuredCer, b.structuredCer, (v) => v <= TARGETS.structuredMedianCer],
    ['born-digital PDFs: median CER vs poppler', `<= ${TARGETS.bornMedianCer}`, a.bornCer, b.bornCer, (v) => v <= TARGETS.bornMedianCer],
  ]
  const missed = targets.filter(([, , value, , ok]) => value === undefined || !ok(value)).map(([name]) => name)
  lines.push('')
  lines.push('### Targets')
  lines.push('')
  lines.push(
    markdownTable(
      ['measure', 'target', 'docloader', 'pdftotext', 'docloader result'],
      targets.map(([name, target, value, reference, ok]) => [name, target, fmt(value), fmt(reference), passMiss(value === undefined ? undefined : ok(value))]),
      'llrrl',
    ),
  )
  lines.push('')
  lines.push('Recalls are micro-averaged over the structured PDFs (items found / items in the truth, summed over files), as score.py\'s summary computes them.')

  lines.push('')
  lines.push('### Summary')
  lines.push('')
  lines.push(
    markdownTable(
      ['measure', 'docloader', 'pdftotext'],
      [
        ['born-digital: median CER', fmt(a.bornCer), fmt(b.bornCer)],
        ['born-digital: median WER', fmt(a.bornWer), fmt(b.bornWer)],
        ['born-digital: median bag-of-words F1', fmt(a.bornBow), fmt(b.bornBow)],
        ['structured: median CER', fmt(a.structuredCer), fmt(b.structuredCer)],
        ['structured: median WER', fmt(a.structuredWer), fmt(b.structuredWer)],
        ['structured: median bag-of-words F1', fmt(a.structuredBow), fmt(b.structuredBow)],
        ['structured: heading recall, any level', recallCell(a.heading), recallCell(b.heading)],
        ['structured: heading recall, same level', recallCell(a.headingLevel), recallCell(b.headingLevel)],
        ['structured: list item recall', recallCell(a.list), recallCell(b.list)],
        ['structured: table recall (all cells found)', recallCell(a.table), recallCell(b.table)],
        ['structured: table recall, exact shape and cells', recallCell(a.tableExact), recallCell(b.tableExact)],
      ],
      'lrr',
    ),
  )

  const pair = (x, y, key) => [fmt(x?.[key]), fmt(y?.[key])]
  const byFile = (rows) => Object.fromEntries(rows.map((row) => [row.file, row]))
  const theirs = { ...byFile(b.born), ...byFile(b.structured) }
  lines.push('')
  lines.push('### Born-digital PDFs (truth: pdftotext plain output, a reference reading)')
  lines.push('')
  lines.push(
    markdownTable(
      ['file', 'pages', 'CER docloader', 'CER pdftotext', 'WER docloader', 'WER pdftotext', 'BoW F1 docloader', 'BoW F1 pdftotext'],
      a.born.map((row) => [path.basename(row.file), pagesOf[row.file] ?? '', ...pair(row, theirs[row.file], 'cer'), ...pair(row, theirs[row.file], 'wer'), ...pair(row, theirs[row.file], 'bow_f1')]),
      'lrrrrrrr',
    ),
  )
  lines.push('')
  lines.push('### Structured PDFs (truth: the source Markdown; recall columns: docloader / pdftotext, – = none in the truth)')
  lines.push('')
  const slash = (x, y, key) => (x?.[key] === null || x?.[key] === undefined ? '–' : `${fmt(x[key], 2)} / ${fmt(y?.[key], 2)}`)
  lines.push(
    markdownTable(
      ['file', 'pages', 'CER docloader', 'CER pdftotext', 'WER docloader', 'WER pdftotext', 'BoW F1 docloader', 'BoW F1 pdftotext', 'headings', 'list items', 'tables'],
      a.structured.map((row) => {
        const other = theirs[row.file]
        const count = (key) => (row[key] ? ` (${row[key]})` : '')
        return [
          path.basename(row.file),
          pagesOf[row.file] ?? '',
          ...pair(row, other, 'cer'),
          ...pair(row, other, 'wer'),
          ...pair(row, other, 'bow_f1'),
          slash(row, other, 'heading_recall') + count('headings'),
          slash(row, other, 'list_recall') + count('list_items'),
          slash(row, other, 'table_recall') + count('tables'),
        ]
      }),
      'lrrrrrrrrrr',
    ),
  )
  lines.push('')
  lines.push(`Outputs of this run: \`${path.relative(path.dirname(WORK_DIR), out).startsWith('..') ? out : `bench/${path.relative(path.dirname(WORK_DIR), out)}`}/{docloader,pdftotext}/\` (not committed). Per-file detail: \`python3 ${path.join(corpus.dir, 'score.py')} --manifest ${corpus.manifestPath} --outputs <dir>\`.`)
  return { markdown: lines.join('\n'), missed }
}

// ---------------------------------------------------------------------------------------
// DOCX and HTML: docloader vs pandoc on the corpus, and agreement with docling (peer corpus)

/**
 * The office part: one `docloader convert` run over the manifest's DOCX and HTML files and
 * `pandoc -t gfm` over the same files, both scored by score.py; then docloader over docling's
 * test documents, scored with docling's own Markdown as the "truth" (a rough agreement figure:
 * docling's reading is not verified truth). Writes the `quality-office` section.
 * Returns the number of targets missed.
 */
async function officeQuality({ options, corpus, scorer, out }) {
  requireTools(['python3'])
  const files = corpusFiles(corpus, OFFICE_KINDS)
  const dirs = { docloader: path.join(out, 'docloader'), pandoc: path.join(out, 'pandoc'), peer: path.join(out, 'docling-peer') }
  for (const dir of Object.values(dirs)) {
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
  }
  const started = performance.now()

  console.log(`\ndocloader convert: ${files.length} DOCX/HTML files -> ${path.relative(process.cwd(), dirs.docloader)}`)
  const ours = await convertAll(files.map((file) => file.file), corpus.dir, dirs.docloader)

  const pandoc = hasTool('pandoc')
  let pandocSeconds
  if (pandoc) {
    console.log(`pandoc -t gfm: the same ${files.length} files -> ${path.relative(process.cwd(), dirs.pandoc)}`)
    const pandocStarted = performance.now()
    for (const file of files) {
      const target = path.join(dirs.pandoc, `${file.file}.md`)
      fs.mkdirSync(path.dirname(target), { recursive: true })
      const result = await runCommand('pandoc', ['-t', 'gfm', file.path, '-o', target])
      if (result.code !== 0) console.warn(`warning: pandoc failed on ${file.file}: ${result.stderr.trim()}`)
    }
    pandocSeconds = (performance.now() - pandocStarted) / 1000
  } else {
    console.warn('warning: pandoc is not installed (sudo apt-get install pandoc): the comparison with pandoc is skipped and its targets are not measured.')
  }

  const score = async (manifest, dir, kinds) => {
    const args = [scorer, '--manifest', manifest, '--outputs', dir, '--json', ...kinds.flatMap((kind) => ['--kind', kind])]
    const result = await runCommand('python3', args)
    if (result.code !== 0) fail(`score.py failed on ${dir} (exit ${result.code}):\n${result.stderr.trim()}`)
    return JSON.parse(result.stdout)
  }
  console.log('scoring with score.py')
  const [oursScore, pandocScore] = await Promise.all([score(corpus.manifestPath, dirs.docloader, OFFICE_KINDS), pandoc ? score(corpus.manifestPath, dirs.pandoc, OFFICE_KINDS) : undefined])

  // docling's test documents: its Markdown is beside each file; never copied anywhere.
  const peerDir = path.resolve(options.peer ?? DEFAULT_PEER)
  let peer
  const peerManifest = path.join(peerDir, 'manifest.json')
  if (fs.existsSync(peerManifest)) {
    const entries = JSON.parse(fs.readFileSync(peerManifest, 'utf8')).files.filter((entry) => entry.kind in PEER_KINDS && entry.ground_truth && fs.existsSync(path.join(peerDir, entry.file)))
    console.log(`docloader convert: ${entries.length} docling test documents (DOCX, HTML) -> ${path.relative(process.cwd(), dirs.peer)}`)
    const converted = await convertAll(entries.map((entry) => entry.file), peerDir, dirs.peer)
    peer = { dir: peerDir, converted, score: await score(peerManifest, dirs.peer, Object.keys(PEER_KINDS)) }
  } else {
    console.warn(`warning: ${peerDir} has no manifest.json: the agreement with docling is skipped (pass --peer <dir>).`)
  }

  const section = renderOfficeSection({ facts: machineFacts(), corpus, files, ours, oursScore, pandocScore, pandocSeconds, peer, out })
  console.log(`\n${section.markdown}`)
  if (options.write ?? true) {
    writeResultsSection('quality-office', section.markdown)
    console.log(`\nwrote the quality-office section of bench/RESULTS.md (${((performance.now() - started) / 1000).toFixed(0)} s; outputs kept in ${path.relative(process.cwd(), out) || '.'})`)
  }
  return section.missed.length
}

/** One `docloader convert --json` run over paths relative to `cwd`, mirrored into `outDir` as <file>.md. */
async function convertAll(relative, cwd, outDir) {
  const started = performance.now()
  const cli = await runCommand(process.execPath, [CLI_BIN, 'convert', ...relative, '--out', outDir, '--no-cache', '--json'], { cwd })
  const seconds = (performance.now() - started) / 1000
  let summary
  try {
    summary = JSON.parse(cli.stdout)
  } catch {
    fail(`docloader convert did not print its --json summary (exit ${cli.code}):\n${cli.stderr.trim() || cli.stdout.trim()}`)
  }
  const failures = summary.files.filter((file) => !file.ok || file.partial)
  for (const failure of failures) {
    console.warn(`warning: docloader failed on ${failure.input}: ${failure.error?.code ?? 'partial'} ${failure.error?.message ?? failure.partial?.reason ?? ''}`)
  }
  console.log(`  ${summary.converted} converted, ${summary.failed} failed in ${seconds.toFixed(1)} s`)
  return { summary, seconds, failures }
}

function summariseKind(result, kind) {
  const rows = (result?.rows ?? []).filter((row) => row.kind === kind && row.cer !== undefined)
  return {
    rows,
    medianCer: median(rows.map((row) => row.cer)),
    maxCer: rows.length ? Math.max(...rows.map((row) => row.cer)) : undefined,
    medianBow: median(rows.map((row) => row.bow_f1)),
    heading: recall(rows, 'headings_found', 'headings'),
    headingLevel: recall(rows, 'headings_found_level', 'headings'),
    list: recall(rows, 'list_items_found', 'list_items'),
    table: recall(rows, 'tables_found', 'tables'),
    tableExact: recall(rows, 'tables_found_exact', 'tables'),
  }
}

function renderOfficeSection({ facts, corpus, files, ours, oursScore, pandocScore, pandocSeconds, peer, out }) {
  const recallCell = (r) => (r ? `${fmt(r.value)} (${r.found}/${r.total})` : '–')
  const pandocVersion = pandocScore ? toolVersion('pandoc') ?? 'pandoc' : undefined
  const lines = []
  lines.push('## Quality: DOCX and HTML (`pnpm bench:quality`)')
  lines.push('')
  lines.push(
    factsMarkdown(facts, commandLine({ npm: 'bench:quality', file: 'quality.mjs' }), [
      `Corpus: ${corpus.dir}: ${files.filter((f) => f.kind === 'docx').length} DOCX (pandoc and LibreOffice made) and ${files.filter((f) => f.kind === 'html').length} HTML files, truth: the exact source Markdown, scored by its score.py`,
      `docloader: one \`docloader convert <files> --out DIR --no-cache --json\` run, ${ours.summary.converted} converted, ${ours.summary.failed} failed in ${ours.seconds.toFixed(1)} s wall`,
      pandocVersion ? `Reference: ${pandocVersion}, \`pandoc -t gfm FILE -o FILE.md\` per file (${pandocSeconds.toFixed(1)} s for all)` : '**Reference: pandoc is not installed here**, so the pandoc columns are empty and the targets against pandoc are not measured (`sudo apt-get install pandoc`)',
    ]),
  )
  if (ours.failures.length) {
    lines.push('')
    lines.push(`**docloader failed on:** ${ours.failures.map((f) => f.input).join(', ')} (scored as missing: CER 1, recalls 0).`)
  }

  const targets = []
  for (const kind of OFFICE_KINDS) {
    const a = summariseKind(oursScore, kind)
    const b = pandocScore ? summariseKind(pandocScore, kind) : undefined
    const label = kind.toUpperCase()
    for (const [name, key] of [['heading recall', 'heading'], ['list item recall', 'list'], ['table recall', 'table']]) {
      if (!a[key] && !b?.[key]) continue
      const value = a[key]?.value
      const reference = b?.[key]?.value
      targets.push([`${label}: ${name}`, '>= pandoc', value, reference, reference === undefined ? undefined : value !== undefined && value >= reference - 1e-9])
    }
    targets.push([`${label}: highest CER of a file`, `<= ${OFFICE_MAX_CER}`, a.maxCer, b?.maxCer, a.maxCer === undefined ? false : a.maxCer <= OFFICE_MAX_CER])
  }
  const missed = targets.filter(([, , , , ok]) => ok === false).map(([name]) => name)
  lines.push('')
  lines.push('### Targets')
  lines.push('')
  lines.push(
    markdownTable(
      ['measure', 'target', 'docloader', 'pandoc', 'docloader result'],
      targets.map(([name, target, value, reference, ok]) => [name, target, fmt(value), fmt(reference), ok === undefined ? 'not measured' : passMiss(ok)]),
      'llrrl',
    ),
  )
  lines.push('')
  lines.push('Recalls are micro-averaged over the files of a format (items found / items in the truth, summed over files); a measure is left out for a format whose truth has none of those items.')

  lines.push('')
  lines.push('### Per format')
  lines.push('')
  const summaryRows = []
  for (const kind of OFFICE_KINDS) {
    const a = summariseKind(oursScore, kind)
    const b = pandocScore ? summariseKind(pandocScore, kind) : undefined
    const label = kind.toUpperCase()
    summaryRows.push(
      [`${label} (${a.rows.length} files): median CER`, fmt(a.medianCer), fmt(b?.medianCer)],
      [`${label}: highest CER`, fmt(a.maxCer), fmt(b?.maxCer)],
      [`${label}: median bag-of-words F1`, fmt(a.medianBow), fmt(b?.medianBow)],
      [`${label}: heading recall, any level`, recallCell(a.heading), recallCell(b?.heading)],
      [`${label}: heading recall, same level`, recallCell(a.headingLevel), recallCell(b?.headingLevel)],
      [`${label}: list item recall`, recallCell(a.list), recallCell(b?.list)],
      [`${label}: table recall (all cells found)`, recallCell(a.table), recallCell(b?.table)],
      [`${label}: table recall, exact shape and cells`, recallCell(a.tableExact), recallCell(b?.tableExact)],
    )
  }
  lines.push(markdownTable(['measure', 'docloader', 'pandoc'], summaryRows, 'lrr'))

  lines.push('')
  lines.push('### Files (recall columns: docloader / pandoc, – = none in the truth)')
  lines.push('')
  const theirs = Object.fromEntries((pandocScore?.rows ?? []).map((row) => [row.file, row]))
  const slash = (x, y, key) => (x?.[key] === null || x?.[key] === undefined ? '–' : `${fmt(x[key], 2)} / ${fmt(y?.[key], 2)}`)
  lines.push(
    markdownTable(
      ['file', 'CER docloader', 'CER pandoc', 'headings', 'list items', 'tables'],
      oursScore.rows
        .filter((row) => row.cer !== undefined)
        .map((row) => {
          const other = theirs[row.file]
          const count = (key) => (row[key] ? ` (${row[key]})` : '')
          return [path.basename(row.file), fmt(row.cer), fmt(other?.cer), slash(row, other, 'heading_recall') + count('headings'), slash(row, other, 'list_recall') + count('list_items'), slash(row, other, 'table_recall') + count('tables')]
        }),
      'lrrrrr',
    ),
  )

  lines.push('')
  lines.push('### Agreement with docling (its test documents; docling\'s Markdown scored as if it were the truth)')
  lines.push('')
  if (!peer) {
    lines.push('Not measured: the peer corpus (../shared/peer-docling) was not found; pass `--peer <dir>`.')
  } else {
    lines.push(
      `docling's output is a peer's reading, not verified truth: a high CER or low recall here marks a document where the two readings differ (a representation choice, or a gap on either side), to be read by hand. docloader: ${peer.converted.summary.converted} converted, ${peer.converted.summary.failed} failed in ${peer.converted.seconds.toFixed(1)} s.`,
    )
    lines.push('')
    const peerRows = []
    for (const [kind, label] of Object.entries(PEER_KINDS)) {
      const s = summariseKind(peer.score, kind)
      peerRows.push([
        `${label} (${s.rows.length})`,
        fmt(s.medianCer),
        fmt(median(s.rows.map((row) => row.wer))),
        fmt(s.medianBow),
        recallCell(s.heading),
        recallCell(s.headingLevel),
        recallCell(s.list),
        recallCell(s.table),
      ])
    }
    lines.push(markdownTable(['format (files)', 'median CER', 'median WER', 'median BoW F1', 'heading recall', 'same level', 'list item recall', 'table recall'], peerRows, 'lrrrrrrr'))
    const worst = peer.score.rows
      .filter((row) => row.cer !== undefined)
      .sort((x, y) => y.cer - x.cer)
      .slice(0, 8)
    lines.push('')
    lines.push(`Largest differences (CER against docling): ${worst.map((row) => `${row.file} ${fmt(row.cer, 2)}`).join(', ')}.`)
  }
  lines.push('')
  lines.push(`Outputs of this run: \`${path.relative(path.dirname(WORK_DIR), out).startsWith('..') ? out : `bench/${path.relative(path.dirname(WORK_DIR), out)}`}/{docloader,pandoc,docling-peer}/\` (not committed).`)
  return { markdown: lines.join('\n'), missed }
}
