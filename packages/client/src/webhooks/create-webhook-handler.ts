import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { isDocloaderError } from '../docloader-error.js'
import type { WebhookEvent } from '../types.js'
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhook } from './verify-webhook.js'

export interface WebhookHandlerOptions {
  /** The organisation's webhook secret (`await client.getWebhookSecret()`). */
  secret: string
  /**
   * Called once per verified event. Throw (or reject) to answer 500, so the server
   * delivers the event again later.
   */
  onEvent: (event: WebhookEvent, context: { eventId: string | undefined; headers: IncomingHttpHeaders }) => void | Promise<void>
  /** @default 300 */
  toleranceSeconds?: number
  /**
   * Largest body read, in bytes; a larger one is answered 413 without being read whole.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number
  /**
   * Skip events whose `X-Docloader-Event-Id` was already handled by this handler (the server
   * retries a delivery it saw fail, e.g. on a timeout after `onEvent` ran). Remembers this
   * many ids, in this process only; `true` means 10000.
   * @default false
   */
  deduplicate?: boolean | number
}

/** What the handler answers; `handle()` returns it for frameworks that own the response. */
export interface WebhookAnswer {
  status: 204 | 400 | 401 | 413 | 500
  /** `{ error: { code, message } }` for failures. */
  body?: { error: { code: string; message: string } }
  /** The event, when it was verified. */
  event?: WebhookEvent
  /** Whether the event was a repeat skipped by `deduplicate`. */
  duplicate?: boolean
}

/** A Node `http` request listener (and Express-style middleware) that receives webhooks. */
export interface WebhookHandler {
  (request: IncomingMessage & { body?: unknown; rawBody?: unknown }, response: ServerResponse, next?: (error?: unknown) => void): void
  /**
   * The same for a body already read (Fastify with `parseAs: 'buffer'`, serverless
   * functions...): verifies, calls `onEvent`, and says what to answer.
   */
  handle(rawBody: string | Uint8Array, headers: IncomingHttpHeaders): Promise<WebhookAnswer>
}

/**
 * Receives signed webhooks: reads the raw body (size-limited), verifies the signature,
 * parses the event, calls `onEvent` and answers `204`; `401` for a bad, missing or old
 * signature, `400` for a body that is not an event, `413` for one too large, `500` when
 * `onEvent` failed. With Express, mount it without a JSON body parser before it (or with
 * `express.raw()`): the signature covers the exact bytes sent.
 *
 * @example http.createServer(createWebhookHandler({ secret, onEvent: (e) => console.log(e.job_id, e.status) }))
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const remember = options.deduplicate === true ? 10_000 : typeof options.deduplicate === 'number' ? options.deduplicate : 0
  // Event id -> its handling (a repeat arriving while the first is still running waits for it).
  const seen = new Map<string, Promise<void>>()

  async function handle(rawBody: string | Uint8Array, headers: IncomingHttpHeaders): Promise<WebhookAnswer> {
    let event: WebhookEvent
    try {
      event = verifyWebhook(rawBody, headers[SIGNATURE_HEADER], options.secret, { ...(options.toleranceSeconds !== undefined ? { toleranceSeconds: options.toleranceSeconds } : {}) })
    } catch (error) {
      if (!isDocloaderError(error)) throw error
      return { status: error.code === 'INVALID_SIGNATURE' ? 401 : 400, body: { error: { code: error.code, message: error.message } } }
    }
    const eventIdHeader = headers[EVENT_ID_HEADER]
    const eventId = Array.isArray(eventIdHeader) ? eventIdHeader[0] : eventIdHeader
    const key = remember && eventId ? eventId : undefined
    const earlier = key ? seen.get(key) : undefined
    if (earlier) {
      try {
        await earlier
        return { status: 204, event, duplicate: true }
      } catch {
        // the first delivery failed: handle this one
      }
    }
    const handling = Promise.resolve().then(() => options.onEvent(event, { eventId, headers }))
    if (key) {
      seen.delete(key)
      seen.set(key, handling)
      if (seen.size > remember) seen.delete(seen.keys().next().value!)
    }
    try {
      await handling
      return { status: 204, event }
    } catch (error) {
      if (key && seen.get(key) === handling) seen.delete(key)
      return { status: 500, event, body: { error: { code: 'INTERNAL', message: `The receiver failed to handle the event: ${error instanceof Error ? error.message : String(error)}` } } }
    }
  }

  const handler = ((request, response, next) => {
    void (async () => {
      let answer: WebhookAnswer
      const given = request.rawBody ?? request.body
      if (typeof given === 'string' || given instanceof Uint8Array) {
        answer = await handle(given, request.headers)
      } else {
        const body = await readBody(request, maxBodyBytes)
        answer = body === undefined ? { status: 413, body: { error: { code: 'INVALID_WEBHOOK', message: `The body is larger than ${maxBodyBytes} bytes.` } } } : await handle(body, request.headers)
      }
      if (answer.body) {
        response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.status === 413 ? { connection: 'close' } : {}) })
        response.end(JSON.stringify(answer.body))
      } else {
        response.writeHead(answer.status)
        response.end()
      }
    })().catch((error: unknown) => {
      if (next) next(error)
      else if (!response.headersSent) {
        response.writeHead(500)
        response.end()
      }
    })
  }) as WebhookHandler
  handler.handle = handle
  return handler
}

/** The whole body, or undefined once it passes `limit` (the rest is drained, not kept). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'])
    const chunks: Buffer[] = []
    let size = 0
    if (Number.isFinite(declared) && declared > limit) {
      request.resume()
      resolve(undefined)
      return
    }
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      // Answer at once; the rest is drained and dropped.
      else resolve(undefined)
    })
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)))
    request.on('error', reject)
  })
}
