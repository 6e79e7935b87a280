/**
 * verifyWebhook against signatures made the server's way (its signWebhook), and
 * createWebhookHandler receiving the deliveries of a real server.
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { signWebhook } from '@docloader/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhookHandler, DocloaderClient, verifyWebhook, type WebhookEvent } from '../src/index.js'
import { ACME_KEY, closeAll, startRealServer } from './real-server.js'

const secret = 'whsec-test-0123456789'
const body = JSON.stringify({ job_id: 'job_aaaaaaaaaaaaaaaaaaaaaaaa', status: 'completed', progress: 100, result_url: null, error: null })
const receivers: Server[] = []
afterAll(async () => {
  for (const receiver of receivers) receiver.close()
  await closeAll()
})

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler!)
  receivers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function post(url: string, payload: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (answer) => {
      const chunks: Buffer[] = []
      answer.on('data', (chunk: Buffer) => chunks.push(chunk))
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
    })
    outgoing.on('error', reject)
    outgoing.end(payload)
  })
}

describe('verifyWebhook', () => {
  it('accepts a fresh signature of the exact body and returns the event (string or bytes)', () => {
    const header = signWebhook(body, secret)
    expect(verifyWebhook(body, header, secret)).toEqual(JSON.parse(body))
    expect(verifyWebhook(Buffer.from(body), header, secret).status).toBe('completed')
    // rotation: any v1 may match
    expect(verifyWebhook(body, `${header},v1=${'0'.repeat(64)}`, secret).job_id).toBe('job_aaaaaaaaaaaaaaaaaaaaaaaa')
  })

  it('refuses missing, malformed, tampered, other-secret and old signatures with code INVALID_SIGNATURE', () => {
    const header = signWebhook(body, secret)
    const now = Math.floor(Date.now() / 1000)
    for (const [what, payload, signature, key] of [
      ['missing', body, undefined, secret],
      ['malformed', body, 'sha256=abc', secret],
      ['tampered', body.replace('completed', 'failed'), header, secret],
      ['other secret', body, header, 'another-secret'],
      ['old', body, signWebhook(body, secret, now - 301), secret],
      ['future', body, signWebhook(body, secret, now + 400), secret],
    ] as const) {
      expect(() => verifyWebhook(payload, signature, key), what).toThrow(expect.objectContaining({ name: 'DocloaderError', code: 'INVALID_SIGNATURE' }))
    }
    expect(() => verifyWebhook(body, signWebhook(body, secret, now - 301), secret, { toleranceSeconds: 600 })).not.toThrow()
    expect(() => verifyWebhook('{"not":"an event"}', signWebhook('{"not":"an event"}', secret), secret)).toThrow(expect.objectContaining({ code: 'INVALID_WEBHOOK' }))
  })
})

describe('createWebhookHandler', () => {
  it('answers 204 and calls onEvent for a good delivery; 401 for a bad signature; 413 past the size limit; skips repeats when asked', async () => {
    const events: WebhookEvent[] = []
    const url = await listen(createWebhookHandler({ secret, deduplicate: true, maxBodyBytes: 4096, onEvent: (event) => void events.push(event) }))
    const headers = { 'x-docloader-signature': signWebhook(body, secret), 'x-docloader-event-id': 'evt_1' }
    expect((await post(url, body, headers)).status).toBe(204)
    expect((await post(url, body, headers)).status).toBe(204) // a repeat: answered, not handled again
    expect(events).toHaveLength(1)
    const refused = await post(url, body, { 'x-docloader-signature': signWebhook(body, 'wrong') })
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } })
    expect((await post(url, '{}', {})).status).toBe(401)
    const big = Buffer.alloc(10_000, 'a')
    expect((await post(url, big, { 'x-docloader-signature': signWebhook(big.toString(), secret) })).status).toBe(413)
    expect(events).toHaveLength(1)
  })

  it('answers 500 when onEvent throws, so the server delivers again; the repeat is then handled', async () => {
    let calls = 0
    const url = await listen(createWebhookHandler({ secret, deduplicate: 100, onEvent: () => { calls++; if (calls === 1) throw new Error('database down') } }))
    const headers = { 'x-docloader-signature': signWebhook(body, secret), 'x-docloader-event-id': 'evt_2' }
    expect((await post(url, body, headers)).status).toBe(500)
    expect((await post(url, body, headers)).status).toBe(204)
    expect(calls).toBe(2)
  })

  it('handle() serves frameworks that read the body themselves (Fastify, Express with express.raw())', async () => {
    const handler = createWebhookHandler({ secret, onEvent: () => {} })
    expect(await handler.handle(body, { 'x-docloader-signature': signWebhook(body, secret) })).toMatchObject({ status: 204, event: { status: 'completed' } })
    expect((await handler.handle(body, {})).status).toBe(401)
  })

  it('receives the signed deliveries of a real server for a job, up to `completed`', async () => {
    const server = await startRealServer()
    const client = new DocloaderClient({ baseUrl: server.url, apiKey: ACME_KEY })
    const webhookSecret = await client.getWebhookSecret()
    const events: Array<{ event: WebhookEvent; eventId: string | undefined }> = []
    let finished!: () => void
    const done = new Promise<void>((resolve) => (finished = resolve))
    const url = await listen(
      createWebhookHandler({
        secret: webhookSecret,
        deduplicate: true,
        onEvent: (event, { eventId }) => {
          events.push({ event, eventId })
          if (event.status === 'completed') finished()
        },
      }),
    )
    const job = await client.createJob(Buffer.from('# Hooked\n'), { filename: 'hooked.md', webhookUrl: `${url}/hooks` })
    await done
    const last = events.at(-1)!
    expect(last.event).toMatchObject({ job_id: job.id, status: 'completed', progress: 100, error: null })
    expect(last.event.result_url).toMatch(/\/results\/job_/)
    expect(last.eventId).toBeTruthy()
    // The server records the delivery once our answer reached it.
    await expect
      .poll(async () => (await client.getJob(job.id)).webhook?.attempts.some((attempt) => attempt.ok && attempt.status === 'completed'), { timeout: 5000 })
      .toBe(true)
  })
})
