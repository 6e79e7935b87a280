// Child process of bench/speed.mjs: converts one PDF with a fresh engine (concurrency 1, no
// cache, Markdown output, as `docloader convert` does) and prints its peak RSS as JSON.
//   node bench/lib/rss-child.mjs <file.pdf>
import { createEngine } from '@docloader/core'

const file = process.argv[2]
if (!file) {
  console.error('usage: node bench/lib/rss-child.mjs <file.pdf>')
  process.exit(2)
}
const rssLoadedMB = process.memoryUsage().rss / 2 ** 20
const engine = createEngine({ concurrency: 1, cache: false })
const started = performance.now()
const result = await engine.convert(file, { format: 'markdown' })
const ms = performance.now() - started
// Heap still in use with the result held: memory the conversion keeps, not just GC headroom.
const heapUsedMB = process.memoryUsage().heapUsed / 2 ** 20
await engine.close()
// maxRSS is in kibibytes: the high-water mark of the resident set over the process's life.
const peakMB = process.resourceUsage().maxRSS / 1024
process.stdout.write(
  `${JSON.stringify({ file, pages: result.metadata.pagesConverted, chars: result.content.length, ms, rssLoadedMB, heapUsedMB, peakMB })}\n`,
)
