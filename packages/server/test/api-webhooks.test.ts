/**
 * Webhooks through the whole server: signed deliveries on status changes, retried and
 * recorded on the job; a receiver that never answers does not hold up conversions.
 * Run `pnpm exec tsc -b` first.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../src/http/job-view.js'
import { verifyWebhookSignature } from '../src/webhooks/sign-webhook.js'
import { call, getJob, markdownDocument, submitJob, waitForJob, waitUntil } from './api-requests.js'
import { GLOBEX_KEY, closeTestServers, startTestServer, type TestServer } from './start-test-server.js'
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './webhook-receiver.js'

const TIMEOUT_MS = 1000

let server: TestServer
let secret: string
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  server = await startTestServer({ webhooks: { baseDelayMs: 50, timeoutMs: TIMEOUT_MS } })
  secret = ((await (await call(server, '/api/v1/webhook-secret')).json()) as { secret: string }).secret
})
afterAll(async () => {
  // Receivers first: a hanging attempt then ends at once instead of holding the shutdown.
  await Promise.all(closers.map((close) => close()))
  await closeTestServers()
})

/**
 * A receiver answering each event by its attempt number (X-Docloader-Attempt): 500 to the
 * first `failures` attempts, then 200. The shared test receiver (webhook-receiver.ts) answers
 * by request order across all events, which cannot say "every event fails twice".
 */
async function flakyReceiver(failures: number): Promise<{ url: string; requests: ReceivedRequest[] }> {
  const requests: ReceivedRequest[] = []
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() })
      res.writeHead(Number(req.headers['x-docloader-attempt']) > failures ? 200 : 500).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        receiver.closeAllConnections()
        receiver.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, requests }
}

async function hangingReceiver(): Promise<WebhookReceiver> {
  const receiver = await startReceiver(['hang'])
  closers.push(() => receiver.close())
  return receiver
}

type Attempt = NonNullable<JobView['webhook']>['attempts'][number]
const attemptsFor = (job: JobView, status: string): Attempt[] => (job.webhook?.attempts ?? []).filter((attempt) => attempt.status === status)

describe('webhooks', () => {
  it('retries a receiver that fails twice: three attempts recorded per event, each signed, with the documented body', async () => {
    const hook = await flakyReceiver(2)
    const job = await submitJob(server, markdownDocument('Hooked'), { filename: 'hooked.md', fields: { webhook_url: `${hook.url}/hooks/docloader?source=test` } })
    expect(job.webhook).toEqual({ url: `${hook.url}/hooks/docloader?source=test`, attempts: [] })

    const done = await waitForJob(server, job.id, (current) => attemptsFor(current, 'completed').some((attempt) => attempt.ok))
    expect(done.status).toBe('completed')
    for (const status of ['processing', 'completed']) {
      const attempts = attemptsFor(done, status)
      expect(attempts.map((attempt) => [attempt.attempt, attempt.ok, attempt.status_code, attempt.error])).toEqual([
        [1, false, 500, null],
        [2, false, 500, null],
        [3, true, 200, null],
      ])
      expect(new Set(attempts.map((attempt) => attempt.event_id)).size).toBe(1)
      expect(attempts[0]!.event_id).toMatch(/^evt_/)
    }
    expect(attemptsFor(done, 'processing')[0]!.event_id).not.toBe(attemptsFor(done, 'completed')[0]!.event_id)

    expect(hook.requests).toHaveLength(6)
    for (const request of hook.requests) {
      expect(request.method).toBe('POST')
      expect(request.path).toBe('/hooks/docloader?source=test')
      expect(request.headers['content-type']).toBe('application/json')
      const signature = request.headers['x-docloader-signature'] as string
      expect(verifyWebhookSignature(request.body, signature, secret)).toBe(true)
      const body = JSON.parse(request.body) as Record<string, unknown>
      expect(Object.keys(body).sort()).toEqual(['error', 'job_id', 'progress', 'result_url', 'status'])
      expect(body.job_id).toBe(job.id)
    }
    // Another organisation's secret does not verify acme's webhooks.
    const globexSecret = ((await (await call(server, '/api/v1/webhook-secret', { key: GLOBEX_KEY })).json()) as { secret: string }).secret
    expect(() => verifyWebhookSignature(hook.requests[0]!.body, hook.requests[0]!.headers['x-docloader-signature'] as string, globexSecret)).toThrow(/does not match/)

    const bodies = hook.requests.map((request) => JSON.parse(request.body) as { status: string; progress: number; result_url: string | null; error: unknown })
    const processing = bodies.filter((body) => body.status === 'processing')
    const completed = bodies.filter((body) => body.status === 'completed')
    expect(processing).toHaveLength(3)
    expect(processing[0]).toMatchObject({ result_url: null, error: null })
    expect(completed).toHaveLength(3)
    expect(completed[0]).toMatchObject({ progress: 100, error: null })
    // Every attempt of one event carries the same body; its result link works without a key.
    expect(new Set(hook.requests.filter((request) => request.body.includes('"completed"')).map((request) => request.body)).size).toBe(1)
    const linked = await fetch(completed[0]!.result_url!)
    expect(linked.status).toBe(200)
    expect(await linked.text()).toContain('Hooked')
  })

  it('announces a failed job with its error code', async () => {
    const hook = await flakyReceiver(0)
    const truncated = await readFile(new URL('./fixtures/bad/truncated.pdf', import.meta.url))
    const job = await submitJob(server, truncated, { filename: 'truncated.pdf', fields: { webhook_url: `${hook.url}/failed` } })
    await waitForJob(server, job.id, (current) => attemptsFor(current, 'failed').some((attempt) => attempt.ok))
    const failed = hook.requests.map((request) => JSON.parse(request.body) as { status: string; error: { code: string; message: string } | null; result_url: unknown }).find((body) => body.status === 'failed')
    expect(failed).toMatchObject({ result_url: null, error: { code: 'CORRUPT_FILE', message: expect.any(String) } })
  })

  it('records attempts to a receiver that never answers as timeouts, while conversions go on', async () => {
    const hook = await hangingReceiver()
    // More events than the dispatcher sends at once (8): every delivery slot hangs.
    const hooked = await Promise.all(
      Array.from({ length: 5 }, (_, index) => submitJob(server, markdownDocument(`Hanging ${index}`), { filename: `hanging-${index}.md`, fields: { webhook_url: `${hook.url}/hang` } })),
    )
    await waitUntil(() => hook.requests.length >= 1, 'the first webhook request')

    // Meanwhile other jobs are accepted and converted, and so are the hooked ones.
    const others = await Promise.all(Array.from({ length: 3 }, (_, index) => submitJob(server, markdownDocument(`Other ${index}`), { filename: `other-${index}.md` })))
    const started = Date.now()
    const done = await Promise.all([...others, ...hooked].map((job) => waitForJob(server, job.id)))
    expect(done.map((job) => job.status)).toEqual(done.map(() => 'completed'))
    const convertedWithin = Date.now() - started

    // Each delivery attempt ended at the per-attempt timeout, was recorded, and is retried.
    const first = await waitForJob(server, hooked[0]!.id, (job) => (job.webhook?.attempts.length ?? 0) >= 2, { timeoutMs: 10_000 })
    for (const attempt of first.webhook!.attempts) {
      expect(attempt).toMatchObject({ ok: false, status_code: null, error: `timeout: no answer within ${TIMEOUT_MS} ms` })
      expect(attempt.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
    }
    expect(hook.requests.length).toBeGreaterThanOrEqual(2)
    // Information for a failure: the conversions did not wait out webhook timeouts.
    expect(convertedWithin).toBeLessThan(15_000)
    expect((await getJob(server, hooked[0]!.id)).status).toBe('completed')
  })
})
