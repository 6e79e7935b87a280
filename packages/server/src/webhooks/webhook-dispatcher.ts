import { randomBytes } from 'node:crypto'
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import type { Logger } from 'pino'
import { Agent, request, type Dispatcher } from 'undici'
import type { JobRecord, WebhookAttempt, WebhookDelivery } from '../jobs/job.js'
import type { JobStore } from '../store/job-store.js'
import { signWebhook } from './sign-webhook.js'
import { hostOf, isPrivateAddress, validateWebhookUrl } from './validate-webhook-url.js'

/**
 * Webhook delivery: every event is persisted as a WebhookDelivery first, then a loop in
 * this process sends the due ones, at most `concurrency` at a time, and reschedules
 * failures with exponential backoff and jitter. Nothing a conversion does waits on a
 * receiver: `enqueue` only writes to the store. A restart resumes pending deliveries,
 * since `start()` picks up whatever is due. Receivers de-duplicate with the event id
 * (the same on every attempt of one event): delivery is at least once.
 */

export interface WebhookDispatcherOptions {
  /** Where deliveries and attempts are kept. */
  store: JobStore
  /** The signing secret of an organisation's webhooks (see orgWebhookSecret). */
  secretFor(org: string): string
  /**
   * Deliver to loopback, private, link-local and other non-public addresses. When false,
   * each attempt resolves the host first and refuses a private address (recorded as the
   * attempt's error, not retried), and connections are pinned to checked addresses.
   * @default none: the server passes --allow-private-webhooks / DOCLOADER_ALLOW_PRIVATE_WEBHOOKS (false in production)
   */
  allowPrivate: boolean
  /**
   * Attempts per event before the delivery is marked `failed`.
   * @default 8 (with the default delays, spread over about four minutes)
   */
  maxAttempts?: number
  /**
   * Delay before the second attempt; each later one doubles it. The actual delay is random
   * between half and all of `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`.
   * @default 2000
   */
  baseDelayMs?: number
  /** Longest delay between two attempts. @default 600000 (10 minutes) */
  maxDelayMs?: number
  /** Time limit of one attempt: connect, answer and body. @default 10000 */
  timeoutMs?: number
  /** Attempts in flight at once; a receiver that never answers holds one slot until its timeout. @default 8 */
  concurrency?: number
  /** How often the store is asked for due deliveries (enqueue and finished attempts also wake the loop). @default 500 */
  pollIntervalMs?: number
  logger?: Logger
  /**
   * The undici dispatcher to send with. By default the dispatcher makes its own Agent (closed
   * by `stop()`), whose connections resolve through the private-address check. A dispatcher
   * passed here gets only the check before each attempt, and must not follow redirects.
   * @example new ProxyAgent('http://proxy.internal:3128')
   */
  dispatcher?: Dispatcher
  /**
   * Resolves a host name to all its addresses (tests, custom DNS); used for the private-address
   * check and, with the dispatcher's own Agent, for connecting.
   * @default dns.lookup with `all: true`
   */
  lookup?: (hostname: string) => Promise<LookupAddress[]>
  /**
   * Gives the body to sign and send for a delivery, at each attempt (the API fills in the
   * signed result link of events that `docloader worker` processes stored without one).
   * @default the delivery's stored body, as is
   */
  prepareBody?: (delivery: WebhookDelivery) => string
  /** Called after each attempt is recorded (metrics). Errors it throws are logged and ignored. */
  onAttempt?: (attempt: WebhookAttempt, delivery: WebhookDelivery) => void
}

export interface WebhookDispatcher {
  /**
   * Persists a delivery of `body` (JSON-encoded once, signed as is) to `job.webhookUrl`,
   * announcing `job.status`, and wakes the loop. Does nothing when the job has no webhook
   * URL. Resolves once the delivery is stored, never waiting for the receiver.
   */
  enqueue(job: JobRecord, body: object): Promise<WebhookDelivery | undefined>
  /** Starts the delivery loop (resuming deliveries left pending by a previous run). */
  start(): void
  /**
   * Stops polling and waits for attempts in flight, up to `timeoutMs`; attempts still
   * running then are aborted without being recorded, so they are retried after a restart.
   */
  stop(): Promise<void>
}

/** Most bytes of a receiver's answer read (and discarded) before the connection is dropped. */
const MAX_RESPONSE_BYTES = 64 * 1024
const USER_AGENT = 'docloader-webhook/0.1'
const PRIVATE_ADDRESS = 'ERR_WEBHOOK_PRIVATE_ADDRESS'
/** A claimed delivery stays with its sender this long past the attempt's time limit (recording the attempt included). */
const LEASE_MARGIN_MS = 30_000

/**
 * Delay before attempt `failedAttempts + 1`: random between half and all of
 * `baseDelayMs * 2^(failedAttempts-1)`, capped at `maxDelayMs`.
 */
export function webhookRetryDelay(failedAttempts: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, failedAttempts - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, secretFor, allowPrivate, logger, onAttempt } = options
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts, 8)
  const baseDelayMs = positiveInteger('baseDelayMs', options.baseDelayMs, 2000)
  const maxDelayMs = positiveInteger('maxDelayMs', options.maxDelayMs, 10 * 60_000)
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 10_000)
  const concurrency = positiveInteger('concurrency', options.concurrency, 8)
  const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs, 500)
  const resolve = options.lookup ?? defaultLookup

  let running = false
  let timer: NodeJS.Timeout | undefined
  let polling: Promise<void> | undefined
  let wakeRequested = false
  let stopController = new AbortController()
  let ownAgent: Agent | undefined
  const inFlight = new Map<string, Promise<void>>()

  /**
   * Connect-time lookup through `resolve`; unless private addresses are allowed, the
   * addresses a socket actually connects to pass the same check as before the attempt.
   */
  const connectLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = allowPrivate ? undefined : addresses.find((entry) => isPrivateAddress(entry.address))
        if (refused) return callback(privateAddressError(hostname, refused.address), '')
        const first = addresses[0]
        if (!first) return callback(Object.assign(new Error(`No address found for ${hostname}.`), { code: 'ENOTFOUND' }), '')
        if ((lookupOptions as LookupOptions).all) return callback(null, addresses)
        return callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    )
  }

  function schedule(delayMs: number): void {
    if (!running) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void poll(), delayMs)
    timer.unref()
  }

  function wake(): void {
    if (!running) return
    if (polling) wakeRequested = true
    else schedule(0)
  }

  function poll(): Promise<void> {
    if (polling) {
      wakeRequested = true
      return polling
    }
    timer = undefined
    wakeRequested = false
    polling = (async () => {
      try {
        if (!running || inFlight.size >= concurrency) return
        // Claimed with a lease past the attempt's time limit: another `serve` on the same store
        // does not send them too, and they come back if this process dies mid-attempt.
        const now = Date.now()
        const due = await store.dueDeliveries(now, concurrency - inFlight.size, now + timeoutMs + LEASE_MARGIN_MS)
        for (const delivery of due) {
          if (!running || inFlight.size >= concurrency) break
          if (!inFlight.has(delivery.eventId)) launch(delivery)
        }
      } catch (error) {
        logger?.error({ err: error }, 'webhook delivery poll failed')
      }
    })().finally(() => {
      polling = undefined
      schedule(wakeRequested ? 0 : pollIntervalMs)
    })
    return polling
  }

  function launch(delivery: WebhookDelivery): void {
    const task = deliver(delivery)
      .catch((error: unknown) => logger?.error({ err: error, eventId: delivery.eventId, jobId: delivery.jobId }, 'webhook delivery failed to record'))
      .finally(() => {
        inFlight.delete(delivery.eventId)
        wake()
      })
    inFlight.set(delivery.eventId, task)
  }

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    const attemptNumber = delivery.attempts + 1
    const startedAt = Date.now()
    const outcome = await send(delivery, attemptNumber)
    if (outcome === 'stopped') return
    const attempt: WebhookAttempt = {
      eventId: delivery.eventId,
      status: delivery.status,
      attempt: attemptNumber,
      at: new Date(startedAt).toISOString(),
      ...(outcome.statusCode === undefined ? {} : { statusCode: outcome.statusCode }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      ok: outcome.ok,
      ms: Date.now() - startedAt,
    }
    const patch: Partial<Pick<WebhookDelivery, 'attempts' | 'nextAttemptAt' | 'state'>> = outcome.ok
      ? { attempts: attemptNumber, state: 'delivered' }
      : !outcome.retry || attemptNumber >= maxAttempts
        ? { attempts: attemptNumber, state: 'failed' }
        : { attempts: attemptNumber, nextAttemptAt: Date.now() + webhookRetryDelay(attemptNumber, baseDelayMs, maxDelayMs) }
    try {
      await store.addWebhookAttempt(delivery.jobId, attempt)
    } catch (error) {
      // The job may have been deleted meanwhile; the delivery still must not be sent again.
      logger?.warn({ err: error, eventId: delivery.eventId, jobId: delivery.jobId }, 'could not record webhook attempt on the job')
    }
    await store.updateDelivery(delivery.eventId, patch)
    const log = { eventId: delivery.eventId, jobId: delivery.jobId, attempt: attemptNumber, statusCode: attempt.statusCode, error: attempt.error, ms: attempt.ms }
    if (outcome.ok) logger?.debug(log, 'webhook delivered')
    else if (patch.state === 'failed') logger?.warn(log, `webhook delivery failed after ${attemptNumber} attempt(s)`)
    else logger?.info({ ...log, nextAttemptAt: patch.nextAttemptAt }, 'webhook attempt failed; will retry')
    try {
      onAttempt?.(attempt, { ...delivery, ...patch })
    } catch (error) {
      logger?.warn({ err: error }, 'webhook onAttempt callback threw')
    }
  }

  type Outcome = { ok: boolean; retry: boolean; statusCode?: number; error?: string } | 'stopped'

  async function send(delivery: WebhookDelivery, attemptNumber: number): Promise<Outcome> {
    const stopSignal = stopController.signal
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), stopSignal])
    try {
      let url: URL
      try {
        url = validateWebhookUrl(delivery.url, { allowPrivate })
      } catch (error) {
        return { ok: false, retry: false, error: `refused: ${(error as Error).message}` }
      }
      if (!allowPrivate) {
        const host = hostOf(url)
        if (isIP(host) === 0) {
          const addresses = await abortable(resolve(host), signal)
          const refused = addresses.find((entry) => isPrivateAddress(entry.address))
          if (refused) return { ok: false, retry: false, error: privateAddressError(host, refused.address).message }
        }
      }
      const body = options.prepareBody ? options.prepareBody(delivery) : delivery.body
      const response = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-docloader-signature': signWebhook(body, secretFor(delivery.org)),
          'x-docloader-event-id': delivery.eventId,
          'x-docloader-attempt': String(attemptNumber),
        },
        body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        dispatcher: dispatcher(),
      })
      // The answer's body means nothing to us; read a little so the connection can be reused.
      await response.body.dump({ limit: MAX_RESPONSE_BYTES, signal }).catch(() => undefined)
      const { statusCode } = response
      if (statusCode >= 200 && statusCode < 300) return { ok: true, retry: false, statusCode }
      if (statusCode >= 300 && statusCode < 400) {
        return { ok: false, retry: true, statusCode, error: `redirect to ${String(response.headers.location ?? '(no Location)').slice(0, 200)} not followed: webhooks must answer 2xx at the URL given` }
      }
      return { ok: false, retry: true, statusCode }
    } catch (error) {
      if (stopSignal.aborted) return 'stopped'
      const code = (error as { code?: unknown }).code
      if (code === PRIVATE_ADDRESS) return { ok: false, retry: false, error: (error as Error).message }
      return { ok: false, retry: true, error: describeError(error, signal) }
    }
  }

  function dispatcher(): Dispatcher {
    if (options.dispatcher) return options.dispatcher
    ownAgent ??= new Agent({
      connect: allowPrivate && !options.lookup ? { timeout: timeoutMs } : { timeout: timeoutMs, lookup: connectLookup },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    return ownAgent
  }

  function describeError(error: unknown, signal: AbortSignal): string {
    const code = (error as { code?: unknown }).code
    const name = (error as { name?: unknown }).name
    if (
      (signal.aborted && !stopController.signal.aborted) ||
      name === 'TimeoutError' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return `timeout: no answer within ${timeoutMs} ms`
    }
    const message = error instanceof Error ? error.message : String(error)
    return typeof code === 'string' ? `${code}: ${message}` : message
  }

  return {
    async enqueue(job, body) {
      if (!job.webhookUrl) return undefined
      const delivery: WebhookDelivery = {
        eventId: `evt_${base32(randomBytes(15))}`,
        jobId: job.id,
        org: job.org,
        url: job.webhookUrl,
        body: JSON.stringify(body),
        status: job.status,
        attempts: 0,
        nextAttemptAt: Date.now(),
        state: 'pending',
      }
      await store.addDelivery(delivery)
      wake()
      return delivery
    },

    start() {
      if (running) return
      running = true
      if (stopController.signal.aborted) stopController = new AbortController()
      schedule(0)
    },

    async stop() {
      running = false
      if (timer) clearTimeout(timer)
      timer = undefined
      await polling
      if (inFlight.size > 0) {
        let graceTimer: NodeJS.Timeout | undefined
        const grace = new Promise<void>((done) => {
          graceTimer = setTimeout(done, timeoutMs)
        })
        await Promise.race([Promise.allSettled([...inFlight.values()]), grace])
        clearTimeout(graceTimer)
        stopController.abort(new Error('The webhook dispatcher is stopping.'))
        await Promise.allSettled([...inFlight.values()])
      }
      const agent = ownAgent
      ownAgent = undefined
      await agent?.destroy().catch(() => undefined)
    },
  }
}

function defaultLookup(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)))
  })
}

function privateAddressError(host: string, address: string): Error {
  return Object.assign(
    new Error(`refused: ${host} resolves to the private address ${address}; webhooks to private addresses are refused (the server allows them with --allow-private-webhooks)`),
    { code: PRIVATE_ADDRESS },
  )
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`Expected \`${name}\` to be a whole number from 1 and up, got \`${String(value)}\` (${typeof value}).`)
  }
  return value
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32(bytes: Buffer): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}
