// Convert documents with the library: `node examples/library.mjs [files...]`
// (after `pnpm build`; defaults to the example documents).
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { convert, createEngine } from '@docloader/core'

const here = new URL('.', import.meta.url).pathname
const files = process.argv.length > 2 ? process.argv.slice(2) : (await readdir(join(here, 'documents'))).map((name) => join(here, 'documents', name))

// One document, one call.
const first = await convert(files[0], { format: 'markdown' })
console.log(`${files[0]}: ${first.metadata.pagesConverted} page(s), title: ${first.metadata.title ?? '(none)'}`)
console.log(first.content.split('\n').slice(0, 5).join('\n'), '\n...')

// Many documents through one engine: bounded concurrency, progress, failures as values.
const engine = createEngine({ concurrency: 2, timeout: 60_000 })
engine.on('progress', (e) => process.stderr.write(`  ${e.filename}: page ${e.pagesDone}/${e.pagesTotal}\r`))
for await (const item of engine.convertMany(files, { format: 'json' })) {
  if (item.ok) console.log(`ok   ${item.input}: ${item.result.document.pages.length} page(s), ${item.result.metadata.timings.totalMs} ms`)
  else console.log(`fail ${item.input}: ${item.error.code} ${item.error.message}`)
}
await engine.close()
