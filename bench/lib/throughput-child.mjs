// Child process of bench/speed.mjs: keeps one converter warm and runs timed passes over a list
// of PDFs on request (IPC), so the parent can interleave docloader and baseline passes.
//
//   mode docloader       createEngine({ concurrency: 1 }) -> convert(path, { format: 'markdown' })
//   mode pdfjs-text      pdfjs getDocument + page.getTextContent() joined as text (the baseline)
//   mode pdfjs-text-ops  the same plus page.getOperatorList() on every page (reference: the most
//                        pdfjs work a layout analysis needing drawings and fonts could cause)
//
// Messages in:  { type: 'pass', files: string[], profile?: boolean }   out: { type: 'pass', ms, pages, files: [...], stages? }
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { pdfjsDir } from './common.mjs'

const mode = process.argv[2]
if (!['docloader', 'pdfjs-text', 'pdfjs-text-ops'].includes(mode)) {
  console.error(`throughput-child: unknown mode ${mode}`)
  process.exit(2)
}

const pdfjsRoot = pdfjsDir()
const pdfjs = await import(pathToFileURL(path.join(pdfjsRoot, 'legacy/build/pdf.mjs')).href)
const asset = (folder) => path.join(pdfjsRoot, folder) + path.sep

/** The loading options of packages/core/src/convert/pdf/load-document.ts. */
function loadingOptions(bytes) {
  return {
    data: new Uint8Array(bytes),
    standardFontDataUrl: asset('standard_fonts'),
    cMapUrl: asset('cmaps'),
    cMapPacked: true,
    wasmUrl: asset('wasm'),
    iccUrl: asset('iccs'),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  }
}

let engine
if (mode === 'docloader') {
  const { createEngine } = await import('@docloader/core')
  engine = createEngine({ concurrency: 1, cache: false })
}

/** Stage timings, filled only during a profiled pass. */
let stages
const time = async (stage, promise) => {
  if (!stages) return promise
  const started = performance.now()
  try {
    return await promise
  } finally {
    const entry = (stages[stage] ??= { ms: 0, calls: 0 })
    entry.ms += performance.now() - started
    entry.calls++
  }
}

async function baselineFile(file) {
  const bytes = await time('read file', fs.readFile(file))
  const task = pdfjs.getDocument(loadingOptions(bytes))
  try {
    const document = await time('open document', task.promise)
    let chars = 0
    for (let number = 1; number <= document.numPages; number++) {
      const page = await time('getPage', document.getPage(number))
      const content = await time('getTextContent', page.getTextContent())
      const text = content.items.map((item) => (item.hasEOL ? `${item.str}\n` : item.str)).join('')
      chars += text.length
      if (mode === 'pdfjs-text-ops') await time('getOperatorList', page.getOperatorList({ annotationMode: pdfjs.AnnotationMode.DISABLE }))
      page.cleanup()
    }
    return { pages: document.numPages, chars }
  } finally {
    await time('destroy', task.destroy())
  }
}

let patched = false
/** Wraps the pdfjs page and document methods the engine calls, to time them in a profiled pass. */
async function patchPdfjs(file) {
  if (patched) return
  patched = true
  const task = pdfjs.getDocument(loadingOptions(await fs.readFile(file)))
  const document = await task.promise
  const page = await document.getPage(1)
  const wrap = (proto, name, stage = name) => {
    const original = proto[name]
    if (typeof original !== 'function') return
    proto[name] = function (...args) {
      const result = original.apply(this, args)
      return result && typeof result.then === 'function' ? time(stage, result) : result
    }
  }
  const pageProto = Object.getPrototypeOf(page)
  for (const name of ['getTextContent', 'getOperatorList', 'getAnnotations']) wrap(pageProto, name)
  const docProto = Object.getPrototypeOf(document)
  for (const name of ['getPage', 'getMetadata', 'getOutline']) wrap(docProto, name)
  const taskProto = Object.getPrototypeOf(task)
  wrap(taskProto, 'destroy')
  // The engine calls pdfjs.getDocument() (a module export we cannot wrap), then awaits
  // task.promise: time the open from the first read of that promise.
  const descriptor = Object.getOwnPropertyDescriptor(taskProto, 'promise')
  await task.destroy()
  if (descriptor?.get) {
    const opened = new WeakMap()
    Object.defineProperty(taskProto, 'promise', {
      ...descriptor,
      get() {
        const original = descriptor.get.call(this)
        if (!stages) return original
        if (!opened.has(this)) opened.set(this, time('open document', original))
        return opened.get(this)
      },
    })
  }
}

async function docloaderFile(file) {
  const result = await engine.convert(file, { format: 'markdown' })
  if (stages) {
    const entry = (stages['engine total (timings.totalMs)'] ??= { ms: 0, calls: 0 })
    entry.ms += result.metadata.timings.totalMs
    entry.calls++
  }
  return { pages: result.metadata.pagesConverted, chars: result.content.length }
}

async function pass(files, profile) {
  if (profile && mode === 'docloader') await patchPdfjs(files[0])
  stages = profile ? {} : undefined
  const perFile = []
  const cpuMs = (usage) => (usage.user + usage.system) / 1000
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  for (const file of files) {
    const fileStarted = performance.now()
    const fileCpu = process.cpuUsage()
    const { pages, chars } = mode === 'docloader' ? await docloaderFile(file) : await baselineFile(file)
    perFile.push({ file, pages, chars, ms: performance.now() - fileStarted, cpuMs: cpuMs(process.cpuUsage(fileCpu)) })
  }
  const ms = performance.now() - started
  // CPU time of the whole process (main thread plus V8's helper threads): unlike wall time, it
  // does not grow when other processes compete for the core.
  const cpu = cpuMs(process.cpuUsage(cpuStarted))
  const result = { type: 'pass', ms, cpuMs: cpu, pages: perFile.reduce((sum, f) => sum + f.pages, 0), files: perFile, stages }
  stages = undefined
  return result
}

process.on('message', (message) => {
  if (message?.type === 'pass') {
    pass(message.files, message.profile).then(
      (result) => process.send(result),
      (error) => process.send({ type: 'error', message: error?.stack ?? String(error) }),
    )
  } else if (message?.type === 'exit') {
    Promise.resolve(engine?.close()).finally(() => process.exit(0))
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'ready', pid: process.pid })
