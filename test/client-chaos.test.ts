/**
 * Chaos: a proxy in front of a real server drops connections (before forwarding, or after
 * the server answered so the answer is lost), and answers 503 or 429 at random for about
 * 30 % of requests. 50 small generated documents go through the client: every one
 * completes, exactly 50 jobs exist on the server, and every result is what the engine
 * gives locally for the same bytes. Run `pnpm exec tsc -b` first.
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { convert } from '@docloader/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocloaderClient } from '../packages/client/src/index.js'
import { ACME_KEY, closeAll, startRealServer } from '../packages/client/test/real-server.js'

const DOCUMENTS = 50
const counts = { pass: 0, drop: 0, lost: 0, unavailable: 0, limited: 0 }
let proxy: Server
let proxyUrl: string
let serverUrl: string

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 100000)
const chance = random(SEED)

beforeAll(async () => {
  serverUrl = (await startRealServer({ concurrency: 2, rateLimit: { perSecond: 1000, burst: 1000 } })).url
  proxy = createServer((request, response) => {
    const socket = request.socket as Socket
    const roll = chance()
    if (roll < 0.1) {
      counts.drop++
      socket.destroy()
      return
    }
    if (roll < 0.2) {
      counts.unavailable++
      request.resume()
      request.on('end', () => {
        response.writeHead(503, { 'content-type': 'text/plain' })
        response.end('Service Unavailable (chaos)')
      })
      return
    }
    if (roll < 0.25) {
      counts.limited++
      request.resume()
      request.on('end', () => {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': chance() < 0.5 ? '0' : '1' })
        response.end(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'chaos' } }))
      })
      return
    }
    const lose = roll < 0.3
    if (lose) counts.lost++
    else counts.pass++
    const url = new URL(request.url ?? '/', serverUrl)
    const upstream = httpRequest(url, { method: request.method, headers: { ...request.headers, host: url.host } }, (answer) => {
      if (lose) {
        // The server did the work; the client never hears of it.
        answer.resume()
        answer.on('end', () => socket.destroy())
        return
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    upstream.on('error', () => socket.destroy())
    request.pipe(upstream)
  })
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
})
afterAll(async () => {
  proxy.closeAllConnections()
  await new Promise((done) => proxy.close(done))
  await closeAll()
})

function document(index: number): { name: string; bytes: Buffer } {
  if (index % 2 === 0) {
    return { name: `doc-${index}.md`, bytes: Buffer.from(`# Document ${index}\n\nParagraph of document ${index}, token ${index * 7919}.\n\n- item ${index}a\n- item ${index}b\n`) }
  }
  const rows = Array.from({ length: 5 }, (_, row) => `${index},${row},${(index * row * 1.5).toFixed(1)}`)
  return { name: `table-${index}.csv`, bytes: Buffer.from(`document,row,value\n${rows.join('\n')}\n`) }
}

describe('the client through a flaky network', () => {
  it(`converts ${DOCUMENTS} documents: all complete, exactly ${DOCUMENTS} jobs, every result right`, async () => {
    const client = new DocloaderClient({ baseUrl: proxyUrl, apiKey: ACME_KEY, retry: { limit: 10, backoffLimit: 200 }, timeout: 10_000 })
    const documents = Array.from({ length: DOCUMENTS }, (_, index) => document(index))
    const results: string[] = new Array(DOCUMENTS)
    const queue = documents.map((_, index) => index)
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
          const { name, bytes } = documents[index]!
          results[index] = await client.convert(bytes, { filename: name, pollInterval: 50, maxPollInterval: 300, useEvents: index % 3 === 0 })
        }
      }),
    )
    const injected = counts.drop + counts.lost + counts.unavailable + counts.limited
    const trace = `seed ${SEED}: ${JSON.stringify(counts)}`
    console.log(`chaos ${trace}: ${injected} of ${injected + counts.pass} requests failed on purpose (${Math.round((100 * injected) / (injected + counts.pass))} %)`)
    expect(injected, trace).toBeGreaterThan(30)

    // Straight to the server, past the proxy.
    const direct = new DocloaderClient({ baseUrl: serverUrl, apiKey: ACME_KEY })
    const jobs = []
    for await (const job of direct.listJobs({ pageSize: 20 })) jobs.push(job)
    expect(jobs, trace).toHaveLength(DOCUMENTS)
    expect(jobs.every((job) => job.status === 'completed'), trace).toBe(true)
    expect(new Set(jobs.map((job) => job.filename)).size).toBe(DOCUMENTS)

    for (const [index, { name, bytes }] of documents.entries()) {
      const expected = await convert(bytes, { format: 'markdown' })
      expect(results[index], name).toBe(expected.content)
    }
  }, 180_000)
})
