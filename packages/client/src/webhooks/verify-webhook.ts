import { createHmac, timingSafeEqual } from 'node:crypto'
import { DocloaderError } from '../docloader-error.js'
import { JOB_STATUSES, type WebhookEvent } from '../types.js'

/** The header carrying a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-docloader-signature'
/** The header naming the event; the same on every retry of one event. */
export const EVENT_ID_HEADER = 'x-docloader-event-id'

export interface VerifyWebhookOptions {
  /**
   * Largest difference between the signed time and now, in seconds, either way. Older
   * signatures are refused as possible replays.
   * @default 300
   */
  toleranceSeconds?: number
  /** The current time in epoch ms (tests). @default Date.now() */
  now?: number
}

/**
 * Checks a webhook's signature against its raw body (the exact bytes received, before any
 * JSON parsing) and returns the parsed event. Throws a DocloaderError with code
 * `INVALID_SIGNATURE` when the header is missing or malformed, the signature does not
 * match (changed body, other secret) or it is older than `toleranceSeconds`; code
 * `INVALID_WEBHOOK` when the signed body is not a docloader event.
 *
 * The secret is the organisation's (`await client.getWebhookSecret()`). Several `v1=`
 * entries are accepted, so a sender may sign with an old and a new secret while rotating.
 *
 * @example const event = verifyWebhook(rawBody, req.headers['x-docloader-signature'], secret)
 */
export function verifyWebhook(rawBody: string | Uint8Array, signatureHeader: string | string[] | undefined, secret: string, options: VerifyWebhookOptions = {}): WebhookEvent {
  const toleranceSeconds = options.toleranceSeconds ?? 300
  const header = Array.isArray(signatureHeader) ? signatureHeader.join(',') : signatureHeader
  if (typeof secret !== 'string' || secret === '') throw new TypeError('Expected `secret` to be the non-empty webhook secret of your organisation (GET /api/v1/webhook-secret).')
  if (typeof header !== 'string' || header.trim() === '') {
    throw new DocloaderError('INVALID_SIGNATURE', 'Missing X-Docloader-Signature header: expected "t=<unix seconds>,v1=<hex signature>".')
  }
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value)
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'))
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new DocloaderError('INVALID_SIGNATURE', `Malformed X-Docloader-Signature header: expected "t=<unix seconds>,v1=<64 hex characters>", got "${header.slice(0, 200)}".`)
  }
  const age = Math.floor((options.now ?? Date.now()) / 1000) - timestamp
  if (Math.abs(age) > toleranceSeconds) {
    throw new DocloaderError(
      'INVALID_SIGNATURE',
      `Webhook signature is ${Math.abs(age)} s ${age > 0 ? 'old' : 'in the future'}, outside the tolerance of ${toleranceSeconds} s: refused as a possible replay (check this machine's clock).`,
    )
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength)
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest()
  let matched = false
  // Compare with every entry, so the time taken does not say which one matched.
  for (const signature of signatures) if (timingSafeEqual(signature, expected)) matched = true
  if (!matched) {
    throw new DocloaderError('INVALID_SIGNATURE', 'Webhook signature does not match the body: the body was changed, or it was signed with another secret.')
  }
  let event: unknown
  try {
    event = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new DocloaderError('INVALID_WEBHOOK', 'The webhook body is not JSON.', { cause: error })
  }
  if (!isWebhookEvent(event)) throw new DocloaderError('INVALID_WEBHOOK', 'The webhook body is not a docloader event: expected { job_id, status, progress, result_url, error }.')
  return event
}

function isWebhookEvent(value: unknown): value is WebhookEvent {
  const event = value as Partial<WebhookEvent> | null
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.job_id === 'string' &&
    (JOB_STATUSES as readonly string[]).includes(event.status as string) &&
    typeof event.progress === 'number'
  )
}
