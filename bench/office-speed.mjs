// Office and web formats: documents per second per format on the corpus (DOCX, PPTX, XLSX,
// HTML) next to pandoc's process time on the same files, and wall time and peak RSS of a
// child process converting a generated 200-slide PPTX and a 100,000-row XLSX.
//   node bench/office-speed.mjs [--corpus DIR] [--runs N] [--no-write]
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {
  REPO_DIR,
  commandLine,
  corpusFiles,
  factsMarkdown,
  fmt,
  hasTool,
  loadCorpus,
  machineFacts,
  markdownTable,
  median,
  parseArgs,
  passMiss,
  requireBuild,
  runMain,
  scratchDir,
  toolVersion,
  writeResultsSection,
} from './lib/common.mjs'

const USAGE = `usage: node bench/office-speed.mjs [--corpus DIR] [--runs N] [--no-write]

  --corpus DIR   corpus folder with manifest.json (default ../shared/corpus)
  --runs N       timed rounds over the corpus files after one warm-up (default 5)
  --no-write     print the results without updating bench/RESULTS.md`

const KINDS = ['docx', 'pptx', 'xlsx', 'html']
/** Formats pandoc 2.17 reads (it writes PPTX but cannot read it, and knows no XLSX). */
const PANDOC_READS = { docx: 'docx', html: 'html' }
const RSS_TARGET_MB = 500

runMain(async () => {
  const options = parseArgs(process.argv.slice(2), { corpus: 'string', runs: 'number', write: 'boolean', help: 'boolean' }, USAGE)
  if (options.help) {
    console.log(USAGE)
    return
  }
  const runs = Math.round(options.runs ?? 5)
  requireBuild()
  const corpus = loadCorpus(options.corpus)
  const files = corpusFiles(corpus, KINDS)
  const { createEngine } = await import('@docloader/core')
  const pandoc = hasTool('pandoc')

  // Throughput in this process: one warm-up pass, then `runs` rounds; per format the median.
  const loadBefore = os.loadavg()[0]
  const engine = createEngine({ concurrency: 1, cache: false })
  const perFile = new Map(files.map((file) => [file.file, []]))
  const convertAll = async (record) => {
    for (const file of files) {
      const bytes = fs.readFileSync(file.path)
      const cpu = process.cpuUsage()
      const started = performance.now()
      await engine.convert(bytes, { format: 'markdown' })
      const wall = performance.now() - started
      const used = process.cpuUsage(cpu)
      if (record) perFile.get(file.file).push({ wall, cpu: (used.user + used.system) / 1000 })
    }
  }
  console.log(`office-speed: ${files.length} corpus files (${KINDS.join(', ')}), ${runs} rounds`)
  await convertAll(false)
  for (let round = 0; round < runs; round++) await convertAll(true)
  await engine.close()

  const pandocMs = new Map()
  if (pandoc) {
    for (const file of files) {
      const from = PANDOC_READS[file.kind]
      if (!from) continue
      const times = []
      for (let round = 0; round < runs; round++) {
        const started = performance.now()
        const result = spawnSync(pandoc, ['-f', from, '-t', 'gfm', file.path], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
        if (result.status !== 0) throw new Error(`pandoc failed on ${file.file}: ${result.stderr}`)
        times.push(performance.now() - started)
      }
      pandocMs.set(file.file, median(times))
    }
  }

  const formatRows = KINDS.map((kind) => {
    const group = files.filter((file) => file.kind === kind)
    const wall = group.reduce((sum, file) => sum + median(perFile.get(file.file).map((t) => t.wall)), 0)
    const cpu = group.reduce((sum, file) => sum + median(perFile.get(file.file).map((t) => t.cpu)), 0)
    const pandocTotal = PANDOC_READS[kind] && pandoc ? group.reduce((sum, file) => sum + pandocMs.get(file.file), 0) : undefined
    return {
      kind,
      count: group.length,
      docsPerSecond: (group.length * 1000) / wall,
      docsPerCpuSecond: (group.length * 1000) / cpu,
      pandocPerSecond: pandocTotal ? (group.length * 1000) / pandocTotal : undefined,
      ratio: pandocTotal ? pandocTotal / wall : undefined,
    }
  })
  const fileRows = files.map((file) => [
    file.file,
    file.kind,
    Math.round(file.bytes / 1024),
    fmt(median(perFile.get(file.file).map((t) => t.wall)), 1),
    pandocMs.has(file.file) ? fmt(pandocMs.get(file.file), 1) : 'n/a',
  ])

  // Big generated documents, each converted by a fresh child process: wall time and peak RSS.
  const work = scratchDir('office')
  const fflate = createRequire(path.join(REPO_DIR, 'packages/core/package.json'))('fflate')
  const big = [
    { name: '200-slide PPTX', file: path.join(work, 'deck-200-slides.pptx'), bytes: makeDeck(fflate, 200) },
    { name: '100,000-row XLSX', file: path.join(work, 'sheet-100000-rows.xlsx'), bytes: makeSheet(fflate, 100_000) },
  ]
  const bigRows = []
  for (const doc of big) {
    fs.writeFileSync(doc.file, doc.bytes)
    const started = performance.now()
    const child = spawnSync(process.execPath, [path.join(REPO_DIR, 'bench/lib/rss-child.mjs'), doc.file], { cwd: REPO_DIR, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 })
    const wallMs = performance.now() - started
    if (child.status !== 0) throw new Error(`converting ${doc.name} failed: ${child.stderr}`)
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1))
    bigRows.push({ ...doc, wallMs, convertMs: result.ms, peakMB: result.peakMB, pages: result.pages, chars: result.chars })
    console.log(`${doc.name}: ${fmt(result.ms / 1000, 2)} s converting, ${fmt(wallMs / 1000, 2)} s process, peak RSS ${fmt(result.peakMB, 0)} MB`)
  }

  const loadAfter = os.loadavg()[0]
  const facts = machineFacts()
  const section = [
    '## Office and web formats: speed and memory (`pnpm bench`, bench/office-speed.mjs)',
    '',
    factsMarkdown(facts, commandLine({ npm: 'bench', file: 'office-speed.mjs' }), [
      `Load average (1 min) before / after: ${fmt(loadBefore, 2)} / ${fmt(loadAfter, 2)} on ${os.availableParallelism()} cores (above the core count, other processes inflate the wall times)`,
      `Corpus: ${corpus.dir} (${files.length} files: ${KINDS.map((kind) => `${files.filter((f) => f.kind === kind).length} ${kind}`).join(', ')})`,
      `Throughput: engine in one process (concurrency 1, no cache, Markdown), one warm-up pass, ${runs} rounds, median per file`,
      `pandoc: ${pandoc ? `${toolVersion(pandoc)}, \`pandoc -f <docx|html> -t gfm FILE\`, one process per file (its start-up included), median of ${runs}` : 'not installed (apt-get install pandoc)'}; pandoc reads neither PPTX nor XLSX (n/a)`,
      'Big documents: generated with fflate (minimal valid OOXML), each converted by a fresh `node bench/lib/rss-child.mjs FILE` (peak RSS = maxRSS of that process)',
    ]),
    '',
    '### Targets',
    '',
    markdownTable(
      ['measure', 'target', 'measured', 'result'],
      [
        ...bigRows.map((row) => [`peak RSS, ${row.name}`, `<= ${RSS_TARGET_MB} MB`, `${fmt(row.peakMB, 0)} MB`, passMiss(row.peakMB <= RSS_TARGET_MB)]),
        [`200-slide PPTX converts in seconds`, '<= 10 s', `${fmt(bigRows[0].convertMs / 1000, 2)} s`, passMiss(bigRows[0].convertMs <= 10_000)],
      ],
      'llrl',
    ),
    '',
    '### Documents per second per format (corpus)',
    '',
    markdownTable(
      ['format', 'files', 'docloader docs/s (wall)', 'docloader docs/CPU-s', 'pandoc docs/s (process time)', 'docloader ÷ pandoc time'],
      formatRows.map((row) => [row.kind, row.count, fmt(row.docsPerSecond, 1), fmt(row.docsPerCpuSecond, 1), row.pandocPerSecond === undefined ? 'n/a' : fmt(row.pandocPerSecond, 1), row.ratio === undefined ? 'n/a' : `${fmt(row.ratio, 2)}x faster`]),
      'lrrrrr',
    ),
    '',
    'Per file (median ms):',
    '',
    markdownTable(['file', 'kind', 'KiB', 'docloader ms', 'pandoc ms'], fileRows, 'llrrr'),
    '',
    '### Big generated documents (fresh child process each)',
    '',
    markdownTable(
      ['document', 'size', 'pages', 'conversion s', 'process wall s', 'peak RSS MB', 'Markdown chars'],
      bigRows.map((row) => [row.name, `${fmt(row.bytes.byteLength / 2 ** 20, 1)} MiB`, row.pages, fmt(row.convertMs / 1000, 2), fmt(row.wallMs / 1000, 2), fmt(row.peakMB, 0), row.chars]),
      'lrrrrrr',
    ),
  ].join('\n')
  console.log(`\n${section}\n`)
  if (options.write !== false) {
    writeResultsSection('office-speed', section)
    console.log('office-speed: bench/RESULTS.md updated')
  }
})

const escapeXml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const P_NS = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'

/** A PPTX of `count` slides, each with a title, eight bullets on two levels, a 5x4 table and notes. */
function makeDeck({ strToU8, zipSync }, count) {
  const files = {}
  const overrides = []
  const rels = []
  const ids = []
  for (let n = 1; n <= count; n++) {
    const bullets = Array.from({ length: 8 }, (_, j) => `<a:p><a:pPr lvl="${j % 2}"/><a:r><a:rPr lang="en-US"/><a:t>Point ${j + 1} of slide ${n}: ${escapeXml('revenue & margin grew in every region this quarter')}</a:t></a:r></a:p>`).join('')
    const rows = Array.from({ length: 5 }, (_, r) => `<a:tr h="0">${Array.from({ length: 4 }, (_, c) => `<a:tc><a:txBody><a:bodyPr/><a:p><a:r><a:t>${r === 0 ? `Head ${c + 1}` : r * c + n}</a:t></a:r></a:p></a:txBody></a:tc>`).join('')}</a:tr>`).join('')
    files[`ppt/slides/slide${n}.xml`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sld ${P_NS}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>` +
        `<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="274638"/><a:ext cx="8229600" cy="1143000"/></a:xfrm></p:spPr><p:txBody><a:bodyPr/><a:p><a:r><a:t>Slide ${n}: quarterly figures</a:t></a:r></a:p></p:txBody></p:sp>` +
        `<p:sp><p:nvSpPr><p:cNvPr id="3" name="Body"/><p:cNvSpPr/><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="1600200"/><a:ext cx="4000000" cy="4525963"/></a:xfrm></p:spPr><p:txBody><a:bodyPr/>${bullets}</p:txBody></p:sp>` +
        `<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="Table"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="4800000" y="1600200"/><a:ext cx="3800000" cy="2000000"/></p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl><a:tblPr firstRow="1"/><a:tblGrid/>${rows}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>` +
        `</p:spTree></p:cSld></p:sld>`,
    )
    files[`ppt/slides/_rels/slide${n}.xml.rels`] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}"><Relationship Id="rId1" Type="${REL}/notesSlide" Target="../notesSlides/notesSlide${n}.xml"/></Relationships>`)
    files[`ppt/notesSlides/notesSlide${n}.xml`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><p:notes ${P_NS}><p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id="2" name="Notes"/><p:cNvSpPr/><p:nvPr><p:ph type="body" idx="1"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>Speaker notes for slide ${n}.</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>`,
    )
    overrides.push(`<Override PartName="/ppt/slides/slide${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`)
    rels.push(`<Relationship Id="rId${n + 10}" Type="${REL}/slide" Target="slides/slide${n}.xml"/>`)
    ids.push(`<p:sldId id="${255 + n}" r:id="rId${n + 10}"/>`)
  }
  // One 2 MiB "picture" per 20 slides: media must never be inflated.
  for (let i = 1; i <= count / 20; i++) files[`ppt/media/image${i}.png`] = new Uint8Array(2 * 2 ** 20).fill(i)
  const types = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>${overrides.join('')}</Types>`,
  )
  files['_rels/.rels'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="ppt/presentation.xml"/></Relationships>`)
  files['ppt/presentation.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><p:presentation ${P_NS}><p:sldIdLst>${ids.join('')}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/></p:presentation>`)
  files['ppt/_rels/presentation.xml.rels'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}">${rels.join('')}</Relationships>`)
  return zipSync({ '[Content_Types].xml': types, ...files })
}

/** An XLSX with one sheet of `count` data rows: text, shared strings, numbers, dates, booleans, formulas. */
function makeSheet({ strToU8, zipSync }, count) {
  const regions = ['North', 'South', 'East', 'West', 'Central']
  const strings = ['Order', 'Region', 'Date', 'Amount', 'Paid', 'Total', 'Note', ...regions]
  const parts = [`<row r="1">${['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((col, i) => `<c r="${col}1" t="s"><v>${i}</v></c>`).join('')}</row>`]
  for (let r = 2; r <= count + 1; r++) {
    parts.push(
      `<row r="${r}"><c r="A${r}"><v>${r - 1}</v></c><c r="B${r}" t="s"><v>${7 + (r % 5)}</v></c><c r="C${r}" s="1"><v>${44927 + (r % 730)}</v></c><c r="D${r}" s="2"><v>${((r * 37) % 10000) / 100}</v></c><c r="E${r}" t="b"><v>${r % 2}</v></c><c r="F${r}"><f>D${r}*1.2</f><v>${(((r * 37) % 10000) / 100) * 1.2}</v></c><c r="G${r}" t="inlineStr"><is><t>row ${r} note</t></is></c></row>`,
    )
  }
  const sheet = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${parts.join('')}</sheetData></worksheet>`)
  const types = strToU8(
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
  )
  return zipSync({
    '[Content_Types].xml': types,
    '_rels/.rels': strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    'xl/workbook.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${REL}"><sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>`),
    'xl/_rels/workbook.xml.rels': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
    ),
    'xl/sharedStrings.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${strings.map((s) => `<si><t>${s}</t></si>`).join('')}</sst>`),
    'xl/styles.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font/></fonts><cellXfs count="3"><xf numFmtId="0" fontId="0"/><xf numFmtId="14" fontId="0"/><xf numFmtId="4" fontId="0"/></cellXfs></styleSheet>',
    ),
    'xl/worksheets/sheet1.xml': sheet,
  })
}
