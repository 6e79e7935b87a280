/**
 * A 200 MB upload from a path streams: the uploading process's memory stays flat (measured
 * in a child process running the built client against a real server).
 */
import { execFile } from 'node:child_process'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACME_KEY, closeAll, startRealServer, tempDir } from './real-server.js'

const CLIENT = new URL('../dist/index.js', import.meta.url).href
const SIZE = 200 * 1024 * 1024
let url: string
let path: string

beforeAll(async () => {
  url = (await startRealServer({ maxUploadBytes: SIZE + 1024 * 1024 })).url
  path = join(await tempDir(), 'big.md')
  const handle = await open(path, 'w')
  const block = Buffer.from(`${'A line of a very large Markdown document, written for the upload memory test.\n'.repeat(13_000)}`)
  for (let written = 0; written < SIZE; written += block.length) await handle.write(block.subarray(0, Math.min(block.length, SIZE - written)))
  await handle.close()
})
afterAll(closeAll)

const child = `
const { DocloaderClient } = await import(process.env.CLIENT)
const client = new DocloaderClient({ baseUrl: process.env.URL, apiKey: process.env.KEY })
globalThis.gc?.()
const baseline = process.memoryUsage().rss
let peak = baseline
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 10)
const started = performance.now()
const job = await client.createJob(process.env.FILE)
const ms = performance.now() - started
clearInterval(timer)
peak = Math.max(peak, process.memoryUsage().rss)
await client.cancelJob(job.id).catch(() => {})
console.log(JSON.stringify({ baseline, peak, ms, size: job.size_bytes }))
`

describe('upload memory', () => {
  it('uploads 200 MB from a path with under 64 MB of extra RSS', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', child], {
      env: { ...process.env, CLIENT, URL: url, KEY: ACME_KEY, FILE: path },
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    const result = JSON.parse(stdout) as { baseline: number; peak: number; ms: number; size: number }
    const extraMB = (result.peak - result.baseline) / 1024 / 1024
    console.log(`200 MB upload: ${Math.round(result.ms)} ms, RSS ${Math.round(result.baseline / 1048576)} MB -> peak ${Math.round(result.peak / 1048576)} MB (+${extraMB.toFixed(1)} MB)`)
    expect(result.size).toBe(SIZE)
    expect(extraMB).toBeLessThan(64)
  })
})
