// An app using a docloader server: submit a file, wait with progress, print the Markdown.
//
//   DOCLOADER_SERVER=http://127.0.0.1:9001 DOCLOADER_API_KEY=... node examples/client-app.mjs [file]
//
// (after `pnpm build`; defaults to examples/documents/node-documentation.pdf). In your own
// app: `npm install @docloader/client`.
import { DocloaderClient } from '@docloader/client'

const baseUrl = process.env.DOCLOADER_SERVER ?? 'http://127.0.0.1:9001'
const apiKey = process.env.DOCLOADER_API_KEY
if (!apiKey) {
  console.error('Set DOCLOADER_API_KEY (and DOCLOADER_SERVER) first.')
  process.exit(2)
}
const file = process.argv[2] ?? new URL('documents/node-documentation.pdf', import.meta.url)

const dl = new DocloaderClient({ baseUrl, apiKey })
// Ctrl-C stops waiting and cancels the job on the server.
const stop = new AbortController()
process.once('SIGINT', () => stop.abort())

try {
  const job = await dl.createJob(file, { outputFormat: 'md', signal: stop.signal })
  console.error(`submitted ${job.filename} as ${job.id}`)
  const done = await dl.waitForJob(job.id, {
    signal: stop.signal,
    useEvents: true,
    onProgress: (current) => console.error(`  ${current.status}: ${current.pages_done}/${current.pages_total || '?'} pages (${current.progress} %)`),
  })
  if (done.status !== 'completed') {
    console.error(`${done.status}: ${done.error?.code} ${done.error?.message}`)
    process.exit(1)
  }
  process.stdout.write(await dl.getResult(done.id))
} catch (error) {
  if (error.code === 'ABORTED' && !stop.signal.reason?.code) console.error('stopped')
  else console.error(`docloader: ${error.code}: ${error.message}${error.requestId ? ` (request ${error.requestId})` : ''}`)
  process.exit(1)
}
