// Child process of bench/speed.mjs, office-speed.mjs and ocr-speed.mjs: converts one document
// with a fresh engine (concurrency 1, no cache, Markdown output, as `docloader convert` does)
// and prints its peak RSS as JSON.
//   node bench/lib/rss-child.mjs <file> [--at 10,25,50] [--recycle-after N]
// --at: also sample the RSS (now and peak so far) when that many pages are done (progress events).
// --recycle-after: the tesseract provider's recycleAfterPages (default: the engine's).
import { createEngine } from '@docloader/core'

const [file, ...rest] = process.argv.slice(2)
if (!file) {
  console.error('usage: node bench/lib/rss-child.mjs <file> [--at 10,25,50] [--recycle-after N]')
  process.exit(2)
}
const option = (name) => {
  const index = rest.indexOf(name)
  return index === -1 ? undefined : rest[index + 1]
}
const at = new Set((option('--at') ?? '').split(',').filter(Boolean).map(Number))
const recycleAfterPages = option('--recycle-after') ? Number(option('--recycle-after')) : undefined
const MB = 2 ** 20
const rssLoadedMB = process.memoryUsage().rss / MB
const engine = createEngine({ concurrency: 1, cache: false, ...(recycleAfterPages ? { ocr: { tesseract: { recycleAfterPages } } } : {}) })
const samples = []
const started = performance.now()
engine.on('progress', ({ pagesDone }) => {
  if (!at.has(pagesDone)) return
  samples.push({ pages: pagesDone, ms: performance.now() - started, rssMB: process.memoryUsage().rss / MB, peakMB: process.resourceUsage().maxRSS / 1024 })
})
const result = await engine.convert(file, { format: 'markdown' })
const ms = performance.now() - started
// Heap still in use with the result held: memory the conversion keeps, not just GC headroom.
const heapUsedMB = process.memoryUsage().heapUsed / MB
const ocrPages = result.document.pages.filter((page) => page.ocr).length
await engine.close()
// maxRSS is in kibibytes: the high-water mark of the resident set over the process's life.
const peakMB = process.resourceUsage().maxRSS / 1024
process.stdout.write(
  `${JSON.stringify({ file, pages: result.metadata.pagesConverted, ocrPages, chars: result.content.length, ms, rssLoadedMB, heapUsedMB, peakMB, samples })}\n`,
)
