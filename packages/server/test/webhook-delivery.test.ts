import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LookupAddress } from 'node:dns'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobRecord, WebhookAttempt, WebhookDelivery } from '../src/jobs/job.js'
import type { JobStore } from '../src/store/job-store.js'
import { createSqliteJobStore } from '../src/store/sqlite-job-store.js'
import { verifyWebhookSignature } from '../src/webhooks/sign-webhook.js'
import { webhookBody } from '../src/webhooks/webhook-body.js'
import { createWebhookDispatcher, webhookRetryDelay, type WebhookDispatcher, type WebhookDispatcherOptions } from '../src/webhooks/webhook-dispatcher.js'
import { orgWebhookSecret } from '../src/webhooks/webhook-secret.js'
import { startReceiver, type ReceiverStep, type WebhookReceiver } from './webhook-receiver.js'

const serverSecret = 'test-server-secret-0123456789'
const secretFor = (org: string) => orgWebhookSecret(serverSecret, org)
const resultUrl = 'https://docloader.example/api/v1/jobs/x/result?expires=1&signature=abc'

let dir: string
let storePath: string
let store: JobStore
let receivers: WebhookReceiver[]
let dispatchers: WebhookDispatcher[]

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docloader-webhooks-'))
  storePath = join(dir, 'jobs.sqlite')
  store = createSqliteJobStore({ path: storePath })
  receivers = []
  dispatchers = []
})

afterEach(async () => {
  // Receivers first: a hanging attempt then ends at once instead of holding stop() for its timeout.
  await Promise.all(receivers.map((receiver) => receiver.close()))
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.stop()))
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

async function receiver(script: ReceiverStep[]): Promise<WebhookReceiver> {
  const started = await startReceiver(script)
  receivers.push(started)
  return started
}

/** Small delays and timeouts so every case runs in well under a second or two. */
function dispatcher(options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  const created = createWebhookDispatcher({
    store,
    secretFor,
    allowPrivate: true,
    baseDelayMs: 30,
    maxDelayMs: 200,
    timeoutMs: 1000,
    pollIntervalMs: 20,
    ...options,
  })
  dispatchers.push(created)
  return created
}

let jobCount = 0
async function createJob(webhookUrl: string | undefined, org = 'acme'): Promise<JobRecord> {
  const now = new Date()
  const job: JobRecord = {
    id: `job_test${String(++jobCount).padStart(20, '0')}`,
    org,
    status: 'completed',
    filename: 'contract.pdf',
    mimeType: 'application/pdf',
    sizeBytes: 1234,
    outputFormat: 'md',
    options: {},
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    progress: 100,
    pagesDone: 3,
    pagesTotal: 3,
    attempts: 1,
    runAfter: 0,
    createdAt: now.toISOString(),
    startedAt: now.toISOString(),
    completedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    webhookAttempts: [],
  }
  await store.create(job)
  return job
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function attemptsOf(jobId: string): Promise<WebhookAttempt[]> {
  const job = await store.getById(jobId)
  if (!job) throw new Error(`job ${jobId} is gone`)
  return job.webhookAttempts
}

async function stillPending(eventId: string): Promise<boolean> {
  return (await store.dueDeliveries(Number.MAX_SAFE_INTEGER, 1000)).some((delivery) => delivery.eventId === eventId)
}

/** Collects onAttempt calls; `finalState` resolves once the delivery is delivered or failed. */
function attemptLog() {
  const calls: Array<{ attempt: WebhookAttempt; delivery: WebhookDelivery }> = []
  return {
    calls,
    onAttempt: (attempt: WebhookAttempt, delivery: WebhookDelivery) => void calls.push({ attempt, delivery }),
    finished: () => calls.some((call) => call.delivery.state !== 'pending'),
    finalState: () => calls.find((call) => call.delivery.state !== 'pending')?.delivery.state,
  }
}

describe('webhook delivery', () => {
  it('retries a 500 and a dropped connection, then delivers: three signed attempts with one event id, recorded on the job', async () => {
    const hook = await receiver([500, 'drop', 200])
    const job = await createJob(`${hook.url}/hooks/docloader?token=t1`)
    const log = attemptLog()
    const webhooks = dispatcher({ onAttempt: log.onAttempt })
    webhooks.start()
    const delivery = await webhooks.enqueue(job, webhookBody(job, resultUrl))
    expect(delivery?.eventId).toMatch(/^evt_[a-z2-7]{24}$/)
    const eventId = delivery?.eventId ?? ''

    await waitFor(log.finished, 'the delivery to finish')
    expect(log.finalState()).toBe('delivered')

    const attempts = await attemptsOf(job.id)
    expect(attempts.map((a) => [a.attempt, a.ok, a.statusCode])).toEqual([
      [1, false, 500],
      [2, false, undefined],
      [3, true, 200],
    ])
    expect(attempts[0]?.error).toBeUndefined()
    expect(attempts[1]?.error).toMatch(/\w/)
    for (const attempt of attempts) {
      expect(attempt.eventId).toBe(eventId)
      expect(attempt.status).toBe('completed')
      expect(Number.isNaN(Date.parse(attempt.at))).toBe(false)
      expect(attempt.ms).toBeGreaterThanOrEqual(0)
    }
    expect(log.calls.map((call) => call.attempt.attempt)).toEqual([1, 2, 3])

    expect(hook.requests).toHaveLength(3)
    hook.requests.forEach((request, index) => {
      expect(request.method).toBe('POST')
      expect(request.path).toBe('/hooks/docloader?token=t1')
      expect(request.headers['content-type']).toBe('application/json')
      expect(request.headers['user-agent']).toBe('docloader-webhook/0.1')
      expect(request.headers['x-docloader-event-id']).toBe(eventId)
      expect(request.headers['x-docloader-attempt']).toBe(String(index + 1))
      const signature = request.headers['x-docloader-signature']
      expect(typeof signature).toBe('string')
      expect(verifyWebhookSignature(request.body, signature as string, secretFor('acme'))).toBe(true)
      // Another org's secret does not verify it.
      expect(() => verifyWebhookSignature(request.body, signature as string, secretFor('globex'))).toThrow(/does not match/)
      expect(JSON.parse(request.body)).toStrictEqual({ job_id: job.id, status: 'completed', progress: 100, result_url: resultUrl, error: null })
    })
    // Backoff with jitter: attempt 2 waits 15-30 ms, attempt 3 waits 30-60 ms (plus polling).
    const [first, second, third] = hook.requests
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(14)
    expect((third?.at ?? 0) - (second?.at ?? 0)).toBeGreaterThanOrEqual(29)
    expect(await stillPending(eventId)).toBe(false)
  })

  it('times out on a receiver that never answers, records each attempt, and fails the delivery after maxAttempts', async () => {
    const hook = await receiver(['hang'])
    const job = await createJob(`${hook.url}/hook`)
    const log = attemptLog()
    const webhooks = dispatcher({ timeoutMs: 250, maxAttempts: 3, onAttempt: log.onAttempt })
    webhooks.start()
    const delivery = await webhooks.enqueue(job, webhookBody(job, resultUrl))

    await waitFor(log.finished, 'the delivery to fail')
    expect(log.finalState()).toBe('failed')
    const attempts = await attemptsOf(job.id)
    expect(attempts).toHaveLength(3)
    for (const attempt of attempts) {
      expect(attempt.ok).toBe(false)
      expect(attempt.statusCode).toBeUndefined()
      expect(attempt.error).toBe('timeout: no answer within 250 ms')
      expect(attempt.ms).toBeGreaterThanOrEqual(200)
    }
    expect(hook.requests).toHaveLength(3)
    expect(await stillPending(delivery?.eventId ?? '')).toBe(false)
  })

  it('retries 4xx answers too', async () => {
    const hook = await receiver([400, 429, 204])
    const job = await createJob(`${hook.url}/hook`)
    const log = attemptLog()
    const webhooks = dispatcher({ onAttempt: log.onAttempt })
    webhooks.start()
    await webhooks.enqueue(job, webhookBody(job, resultUrl))

    await waitFor(log.finished, 'the delivery to finish')
    expect(log.finalState()).toBe('delivered')
    expect((await attemptsOf(job.id)).map((a) => [a.statusCode, a.ok])).toEqual([
      [400, false],
      [429, false],
      [204, true],
    ])
  })

  it('does not follow a redirect: a 302 is a failed attempt', async () => {
    const hook = await receiver(['redirect'])
    const job = await createJob(`${hook.url}/hook`)
    const log = attemptLog()
    const webhooks = dispatcher({ maxAttempts: 2, onAttempt: log.onAttempt })
    webhooks.start()
    await webhooks.enqueue(job, webhookBody(job, resultUrl))

    await waitFor(log.finished, 'the delivery to fail')
    expect(log.finalState()).toBe('failed')
    const attempts = await attemptsOf(job.id)
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.ok])).toEqual([
      [1, 302, false],
      [2, 302, false],
    ])
    expect(attempts[0]?.error).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+\/elsewhere not followed/)
    expect(hook.requests.map((request) => request.path)).toEqual(['/hook', '/hook'])
  })

  it('resumes after a restart: a new dispatcher on the same store file makes the next attempt with the same event id', async () => {
    const hook = await receiver([503, 200])
    const job = await createJob(`${hook.url}/hook`)
    const first = dispatcher({ baseDelayMs: 400, maxDelayMs: 400 })
    first.start()
    const delivery = await first.enqueue(job, webhookBody(job, resultUrl))
    await waitFor(async () => (await attemptsOf(job.id)).length === 1, 'the first attempt')
    await first.stop()
    await store.close()

    store = createSqliteJobStore({ path: storePath })
    const [pending] = await store.dueDeliveries(Number.MAX_SAFE_INTEGER, 10)
    expect(pending).toMatchObject({ eventId: delivery?.eventId, attempts: 1, state: 'pending' })

    const log = attemptLog()
    dispatcher({ store, onAttempt: log.onAttempt }).start()
    await waitFor(log.finished, 'the resumed delivery')
    expect(log.finalState()).toBe('delivered')
    expect((await attemptsOf(job.id)).map((a) => [a.attempt, a.statusCode, a.ok, a.eventId])).toEqual([
      [1, 503, false, delivery?.eventId],
      [2, 200, true, delivery?.eventId],
    ])
    expect(hook.requests.map((request) => [request.headers['x-docloader-event-id'], request.headers['x-docloader-attempt']])).toEqual([
      [delivery?.eventId, '1'],
      [delivery?.eventId, '2'],
    ])
  })

  it('sends a delivery persisted by a dispatcher that never started, once another starts on the same file', async () => {
    const hook = await receiver([200])
    const job = await createJob(`${hook.url}/hook`)
    const first = dispatcher()
    const delivery = await first.enqueue(job, webhookBody(job, resultUrl))
    await first.stop()
    await store.close()
    expect(hook.requests).toHaveLength(0)

    store = createSqliteJobStore({ path: storePath })
    dispatcher({ store }).start()
    await waitFor(() => hook.requests.length === 1, 'the delivery')
    await waitFor(async () => (await attemptsOf(job.id)).length === 1, 'the attempt record')
    expect(hook.requests[0]?.headers['x-docloader-event-id']).toBe(delivery?.eventId)
  })

  it('two dispatchers on one store file (two serve processes) send every event once', async () => {
    const hook = await receiver([200])
    const other = createSqliteJobStore({ path: storePath })
    const jobs = await Promise.all(Array.from({ length: 20 }, () => createJob(`${hook.url}/hook`)))
    const a = dispatcher()
    const b = dispatcher({ store: other })
    for (const job of jobs) await (jobCount % 2 ? a : b).enqueue(job, webhookBody(job, resultUrl))
    a.start()
    b.start()
    await waitFor(async () => (await Promise.all(jobs.map((job) => attemptsOf(job.id)))).every((attempts) => attempts.length === 1), 'every delivery')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await Promise.all([a.stop(), b.stop()])
    await other.close()
    const eventIds = hook.requests.map((request) => request.headers['x-docloader-event-id'])
    expect(eventIds).toHaveLength(20)
    expect(new Set(eventIds).size).toBe(20)
  })

  it('keeps delivering while a receiver that never answers holds one slot', async () => {
    const slow = await receiver(['hang'])
    const fast = await receiver([200])
    const stuck = await createJob(`${slow.url}/hook`)
    const webhooks = dispatcher({ concurrency: 2, timeoutMs: 4000 })
    webhooks.start()
    await webhooks.enqueue(stuck, webhookBody(stuck, resultUrl))
    await waitFor(() => slow.requests.length === 1, 'the stuck request')

    const started = Date.now()
    const jobs = await Promise.all([createJob(`${fast.url}/a`), createJob(`${fast.url}/b`), createJob(`${fast.url}/c`)])
    for (const job of jobs) await webhooks.enqueue(job, webhookBody(job, resultUrl))
    await waitFor(() => fast.requests.length === 3, 'the other deliveries', 3000)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await attemptsOf(stuck.id)).toHaveLength(0)
  })

  it('stop() waits for an attempt in flight and records it', async () => {
    const hook = await receiver(['slow'])
    const job = await createJob(`${hook.url}/hook`)
    const webhooks = dispatcher()
    webhooks.start()
    await webhooks.enqueue(job, webhookBody(job, resultUrl))
    await waitFor(() => hook.requests.length === 1, 'the request')
    await webhooks.stop()
    expect((await attemptsOf(job.id)).map((a) => [a.statusCode, a.ok])).toEqual([[200, true]])
  })

  it('does nothing for a job without a webhook URL', async () => {
    const job = await createJob(undefined)
    expect(await dispatcher().enqueue(job, webhookBody(job))).toBeUndefined()
    expect(await store.dueDeliveries(Number.MAX_SAFE_INTEGER, 10)).toEqual([])
  })

  describe('private addresses refused (allowPrivate: false)', () => {
    async function refusedOnce(url: string, lookup?: (hostname: string) => Promise<LookupAddress[]>) {
      const job = await createJob(url)
      const log = attemptLog()
      const webhooks = dispatcher({ allowPrivate: false, onAttempt: log.onAttempt, ...(lookup ? { lookup } : {}) })
      webhooks.start()
      await webhooks.enqueue(job, webhookBody(job, resultUrl))
      await waitFor(log.finished, 'the refusal')
      expect(log.finalState()).toBe('failed')
      const attempts = await attemptsOf(job.id)
      expect(attempts).toHaveLength(1) // refused, not retried
      expect(attempts[0]).toMatchObject({ attempt: 1, ok: false })
      expect(attempts[0]?.statusCode).toBeUndefined()
      return attempts[0]?.error ?? ''
    }

    it('refuses a loopback IP literal without sending anything', async () => {
      const hook = await receiver([200])
      expect(await refusedOnce(`${hook.url}/hook`)).toMatch(/^refused: .*127\.0\.0\.1 is a loopback, private.*--allow-private-webhooks/)
      expect(hook.requests).toHaveLength(0)
    })

    it('refuses a host name resolving to a private address (any one of its addresses)', async () => {
      const hook = await receiver([200])
      const lookup = async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ]
      expect(await refusedOnce(`http://hooks.test:${hook.port}/hook`, lookup)).toMatch(/^refused: hooks\.test resolves to the private address 127\.0\.0\.1/)
      expect(hook.requests).toHaveLength(0)
    })

    it('refuses a name that re-resolves to a private address at connect time (DNS rebinding)', async () => {
      const hook = await receiver([200])
      let calls = 0
      const lookup = async () => [calls++ === 0 ? { address: '93.184.216.34', family: 4 } : { address: '127.0.0.1', family: 4 }]
      expect(await refusedOnce(`http://rebind.test:${hook.port}/hook`, lookup)).toMatch(/^refused: rebind\.test resolves to the private address 127\.0\.0\.1/)
      expect(calls).toBe(2)
      expect(hook.requests).toHaveLength(0)
    })

    it('delivers to the same receiver when private addresses are allowed', async () => {
      const hook = await receiver([200])
      const job = await createJob(`http://hooks.test:${hook.port}/hook`)
      const webhooks = dispatcher({ allowPrivate: true, lookup: async () => [{ address: '127.0.0.1', family: 4 }] })
      webhooks.start()
      await webhooks.enqueue(job, webhookBody(job, resultUrl))
      await waitFor(async () => (await attemptsOf(job.id)).length === 1, 'the attempt')
      expect((await attemptsOf(job.id))[0]).toMatchObject({ attempt: 1, statusCode: 200, ok: true })
      expect(hook.requests).toHaveLength(1)
    })
  })
})

describe('webhookRetryDelay', () => {
  it('is random between half and all of base * 2^(n-1), capped at maxDelayMs', () => {
    expect(webhookRetryDelay(1, 2000, 600_000, () => 0)).toBe(1000)
    expect(webhookRetryDelay(1, 2000, 600_000, () => 1)).toBe(2000)
    expect(webhookRetryDelay(4, 2000, 600_000, () => 0.5)).toBe(12_000)
    expect(webhookRetryDelay(20, 2000, 600_000, () => 1)).toBe(600_000)
    expect(webhookRetryDelay(20, 2000, 600_000, () => 0)).toBe(300_000)
  })

  it('with the defaults, eight attempts spread over minutes', () => {
    let totalMax = 0
    for (let n = 1; n < 8; n++) totalMax += webhookRetryDelay(n, 2000, 600_000, () => 1)
    expect(totalMax).toBe(254_000)
  })
})
