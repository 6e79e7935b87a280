// Child process of bench/ocr-speed.mjs: keeps docloader engines with warm tesseract workers and
// runs timed passes over page images on request (IPC), so the parent can interleave them with
// native tesseract.
//
//   engine one  createEngine({ concurrency: 1, ocr: { tesseract: { workers: 1 } } })
//   engine many createEngine({ concurrency: N, ocr: { tesseract: { workers: N } } }), N = --workers
//
// Messages in:
//   { type: 'warm', files }            starts the workers (first pages timed: cold start)
//   { type: 'pass', engine, files }    convertMany(files, { format: 'markdown' }); out: wall ms, CPU ms, per file
//   { type: 'stages', files, tessdata } one pass of the OCR steps timed apart (where the time goes)
//   { type: 'exit' }
import fs from 'node:fs'
import path from 'node:path'
import { CORE_DIST, WORK_DIR } from './common.mjs'
import { importFromCore, tesseractSync } from './ocr.mjs'

const workers = Number(process.argv[2] ?? 2)
const core = path.dirname(CORE_DIST)
const { createEngine } = await import(CORE_DIST)
const engines = {
  one: createEngine({ concurrency: 1, cache: false, ocr: { tesseract: { workers: 1 } } }),
  many: createEngine({ concurrency: workers, cache: false, ocr: { tesseract: { workers } } }),
}
const cpuMs = (usage) => (usage.user + usage.system) / 1000

async function pass(engine, files) {
  const perFile = []
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  for await (const item of engine.convertMany(files, { format: 'markdown', ocr: 'auto' })) {
    if (!item.ok) throw new Error(`${files[item.index]}: ${item.error.code} ${item.error.message}`)
    const { metadata, document } = item.result
    perFile[item.index] = {
      file: files[item.index],
      pages: metadata.pagesConverted,
      ocrPages: document.pages.filter((page) => page.ocr).length,
      ms: metadata.timings.totalMs,
      chars: item.result.content.length,
    }
  }
  return { ms: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpuStarted)), pages: perFile.reduce((sum, f) => sum + f.pages, 0), files: perFile }
}

/** Starts the workers of both engines; the first pages include starting a worker (cold). */
async function warm(files) {
  const timed = async (engine, list) => {
    const started = performance.now()
    await Promise.all(list.map((file) => engine.convert(file, { format: 'markdown' })))
    return performance.now() - started
  }
  const oneCold = await timed(engines.one, [files[0]])
  const oneWarm = await timed(engines.one, [files[0]])
  const manyCold = await timed(engines.many, files.slice(0, workers))
  return { file: files[0], oneCold, oneWarm, manyCold, manyFiles: workers }
}

/**
 * The steps of reading one page, timed apart with the modules the engine uses (from the built
 * dist), one worker each: sharp preparation, the tesseract provider reading the prepared image
 * (orientation check off, as for an upright page), the orientation check (OSD), the provider
 * with its orientation check on (as the engine runs it), and native tesseract on the prepared
 * PNG (same model), which separates the engines from the preparation.
 */
async function stages(files, tessdata) {
  const { prepareForOcr } = await import(path.join(core, 'ocr/prepare-image.js'))
  const { createTesseractProvider } = await import(path.join(core, 'ocr/tesseract-provider.js'))
  const { languagePath } = await import(path.join(core, 'ocr/tesseract-language-data.js'))
  const { createWorker, OEM } = await importFromCore('tesseract.js')
  const signal = new AbortController().signal
  const eng = { languages: ['eng'] }
  const provider = createTesseractProvider({ workers: 1, orientation: false })
  const full = createTesseractProvider({ workers: 1 })
  const quiet = { logger: () => undefined, errorHandler: () => undefined, gzip: true, cacheMethod: 'none' }
  const osdWorker = await createWorker('osd', OEM.TESSERACT_ONLY, { ...quiet, langPath: await languagePath(['osd'], '4.0.0_best_int'), legacyCore: true, legacyLang: true })
  await osdWorker.setParameters({ debug_file: '/dev/null' })
  const scratch = path.join(WORK_DIR, 'ocr-speed', 'prepared')
  fs.mkdirSync(scratch, { recursive: true })
  const time = async (fn) => {
    const started = performance.now()
    const value = await fn()
    return [performance.now() - started, value]
  }
  try {
    // Warm every worker once.
    const first = await prepareForOcr(fs.readFileSync(files[0]), { maxPixels: 4e8 })
    await provider.recognize(first, eng, signal)
    await full.recognize(first, eng, signal)
    await osdWorker.detect(Buffer.from(first.data))
    const rows = []
    for (const file of files) {
      const bytes = fs.readFileSync(file)
      const [prepareMs, image] = await time(() => prepareForOcr(bytes, { maxPixels: 4e8 }))
      const [recognizeMs, layout] = await time(() => provider.recognize(image, eng, signal))
      const [osdMs] = await time(() => osdWorker.detect(Buffer.from(image.data)))
      const [providerMs] = await time(() => full.recognize(image, eng, signal))
      const prepared = path.join(scratch, `${path.basename(file)}.png`)
      fs.writeFileSync(prepared, image.data)
      const nativePrepared = tesseractSync(prepared, tessdata)
      rows.push({
        file,
        pixels: `${image.width}x${image.height}`,
        dpi: image.dpi,
        prepareMs,
        recognizeMs,
        osdMs,
        providerMs,
        orientationChecked: layout.confidence < 0.75,
        confidence: layout.confidence,
        nativePreparedMs: nativePrepared.ms,
      })
    }
    return rows
  } finally {
    await Promise.all([provider.close(), full.close(), osdWorker.terminate()])
  }
}

const handlers = {
  warm: (message) => warm(message.files),
  pass: (message) => pass(engines[message.engine], message.files),
  stages: (message) => stages(message.files, message.tessdata),
}

process.on('message', (message) => {
  if (message?.type === 'exit') {
    Promise.all(Object.values(engines).map((engine) => engine.close())).finally(() => process.exit(0))
    return
  }
  const handler = handlers[message?.type]
  if (!handler) return process.send({ type: 'error', message: `unknown message ${JSON.stringify(message)}` })
  handler(message).then(
    (result) => process.send({ type: message.type, result }),
    (error) => process.send({ type: 'error', message: error?.stack ?? String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'ready', pid: process.pid })
