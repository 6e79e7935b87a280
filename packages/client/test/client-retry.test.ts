/**
 * Retries through a scripted proxy in front of a real server: 503 and 429 (honouring
 * Retry-After) and dropped connections are retried with the same Idempotency-Key, so a
 * retried upload makes one job; 400 is never retried; a one-shot stream is not re-sent.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocloaderClient, type Job } from '../src/index.js'
import { ACME_KEY, closeAll, startRealServer, startScriptedProxy, type ProxyAction } from './real-server.js'

let target: string
const fast = { backoffLimit: 20 }

beforeAll(async () => {
  target = (await startRealServer()).url
})
afterAll(closeAll)

/** The job ids of the organisation, straight from the server. */
async function jobIds(): Promise<string[]> {
  const ids: string[] = []
  for await (const job of new DocloaderClient({ baseUrl: target, apiKey: ACME_KEY }).listJobs()) ids.push(job.id)
  return ids
}

/** A script failing the first requests with `actions`, then passing everything. */
function firstThen(actions: ProxyAction[]) {
  return (_request: unknown, index: number): ProxyAction => actions[index] ?? 'pass'
}

describe('retries', () => {
  it('retries 503 with backoff and succeeds; every attempt of the upload carries one Idempotency-Key', async () => {
    const proxy = await startScriptedProxy(target, firstThen([{ status: 503 }, { status: 503 }]))
    const client = new DocloaderClient({ baseUrl: proxy.url, apiKey: ACME_KEY, retry: fast })
    const before = await jobIds()
    const job = await client.createJob(Buffer.from('# Retried\n'), { filename: 'retried.md' })
    expect(proxy.seen.map((request) => request.method)).toEqual(['POST', 'POST', 'POST'])
    const keys = new Set(proxy.seen.map((request) => request.headers['idempotency-key']))
    expect(keys.size).toBe(1)
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/)
    expect((await jobIds()).filter((id) => !before.includes(id))).toEqual([job.id])
  })

  it('waits for Retry-After on 429 (not less), up to maxRetryAfter', async () => {
    const proxy = await startScriptedProxy(target, firstThen([{ status: 429, headers: { 'retry-after': '1' } }]))
    const client = new DocloaderClient({ baseUrl: proxy.url, apiKey: ACME_KEY, retry: fast })
    const started = performance.now()
    const page = await client.listJobsPage()
    expect(performance.now() - started).toBeGreaterThanOrEqual(950)
    expect(Array.isArray(page.jobs)).toBe(true)
    expect(proxy.seen).toHaveLength(2)

    // Asking for longer than maxRetryAfter: the error comes back at once, with retryAfter.
    const impatient = await startScriptedProxy(target, firstThen([{ status: 429, headers: { 'retry-after': '120' } }]))
    const error = await new DocloaderClient({ baseUrl: impatient.url, apiKey: ACME_KEY, retry: { ...fast, maxRetryAfter: 5000 } }).listJobsPage().catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 120 })
    expect(impatient.seen).toHaveLength(1)
  })

  it('never retries a 400 (nor 401, 404), and gives up after `limit` retries of a 503', async () => {
    const proxy = await startScriptedProxy(target, () => 'pass')
    const client = new DocloaderClient({ baseUrl: proxy.url, apiKey: ACME_KEY, retry: fast })
    await expect(client.createJob(Buffer.from('# x'), { pages: 'nonsense' })).rejects.toMatchObject({ code: 'INVALID_OPTION', status: 400 })
    await expect(client.getJob('job_aaaaaaaaaaaaaaaaaaaaaaaa')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 })
    expect(proxy.seen).toHaveLength(2)

    const down = await startScriptedProxy(target, () => ({ status: 503, body: 'upstream down' }))
    const error = await new DocloaderClient({ baseUrl: down.url, apiKey: ACME_KEY, retry: { ...fast, limit: 3 } }).getJob('job_x').catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
    expect(down.seen).toHaveLength(4)
    const off = await startScriptedProxy(target, () => ({ status: 503 }))
    await expect(new DocloaderClient({ baseUrl: off.url, apiKey: ACME_KEY, retry: 0 }).getJob('job_x')).rejects.toMatchObject({ status: 503 })
    expect(off.seen).toHaveLength(1)
  })

  it('an upload whose answer is lost (connection dropped after the server made the job) is retried into the same job', async () => {
    const proxy = await startScriptedProxy(target, firstThen(['pass-then-drop', 'drop', 'pass-then-drop']))
    const client = new DocloaderClient({ baseUrl: proxy.url, apiKey: ACME_KEY, retry: { ...fast, limit: 5 } })
    const before = await jobIds()
    const job = await client.createJob(Buffer.from('# Once\n\nOnly one job.\n'), { filename: 'once.md' })
    expect(proxy.seen).toHaveLength(4)
    expect(new Set(proxy.seen.map((request) => request.headers['idempotency-key'])).size).toBe(1)
    const created = (await jobIds()).filter((id) => !before.includes(id))
    expect(created).toEqual([job.id])
    const done: Job = await client.waitForJob(job.id)
    expect(done.status).toBe('completed')
    expect(await client.getResult(job.id)).toContain('Only one job.')
  })

  it('a given idempotencyKey makes repeated calls return the same job', async () => {
    const client = new DocloaderClient({ baseUrl: target, apiKey: ACME_KEY })
    const first = await client.createJob(Buffer.from('# Same\n'), { idempotencyKey: 'order-42' })
    const second = await client.createJob(Buffer.from('# Same\n'), { idempotencyKey: 'order-42' })
    expect(second.id).toBe(first.id)
  })

  it('a one-shot stream is not re-sent once bytes went out: NETWORK_ERROR saying so, one attempt, no job', async () => {
    const proxy = await startScriptedProxy(target, firstThen(['drop']))
    const client = new DocloaderClient({ baseUrl: proxy.url, apiKey: ACME_KEY, retry: fast })
    const before = await jobIds()
    const stream = Readable.from((async function* () {
      for (let index = 0; index < 50; index++) yield Buffer.from(`line ${index} of a streamed upload\n`)
    })())
    const error = await client.createJob(stream, { filename: 'stream.md' }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'DocloaderError', code: 'NETWORK_ERROR' })
    expect((error as Error).message).toMatch(/stream can be read only once/)
    expect(proxy.seen).toHaveLength(1)
    expect(await jobIds()).toEqual(before)
  })

  it('a one-shot stream answered 503 after it was sent gets the 503 back, not a retry', async () => {
    const proxy = await startScriptedProxy(target, firstThen([{ status: 503 }]))
    const client = new DocloaderClient({ baseUrl: proxy.url, apiKey: ACME_KEY, retry: fast })
    const spent = await client.createJob(Readable.from([Buffer.from('# a\n')]), { filename: 'a.md' }).catch((caught: unknown) => caught)
    expect(spent).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
    expect(proxy.seen).toHaveLength(1)
  })
})
