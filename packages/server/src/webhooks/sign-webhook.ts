import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures (DESIGN.md, Webhooks): header
 * `X-Docloader-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * The timestamp is inside the signed text, so a captured request cannot be replayed later
 * than the receiver's tolerance. The client package carries its own copy of the verifier;
 * this one serves the server's tests and examples.
 */

/** Name of the header carrying the signature. */
export const SIGNATURE_HEADER = 'x-docloader-signature'

/**
 * Signs `body` (the exact bytes sent) with `secret`.
 *
 * @param timestampSeconds Unix time to sign with. @default now
 * @returns the header value, `t=<unix>,v1=<hex>`
 * @example signWebhook('{"job_id":"job_x"}', orgWebhookSecret(serverSecret, 'acme'))
 */
export function signWebhook(body: string, secret: string, timestampSeconds: number = Math.floor(Date.now() / 1000)): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new TypeError(`Expected \`timestampSeconds\` to be a whole number of seconds from 0 up, got \`${timestampSeconds}\`.`)
  }
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`
}

export interface VerifyWebhookOptions {
  /**
   * Largest accepted difference, in seconds, between the signed timestamp and now (either
   * direction): older (or further future) signatures are refused as possible replays.
   * @default 300
   */
  toleranceSeconds?: number
  /** Current time in epoch milliseconds (tests). @default Date.now() */
  now?: number
}

/** Why a signature was refused: `malformed` header, timestamp outside tolerance, or no `v1` matched. */
export type WebhookSignatureFailure = 'malformed' | 'timestamp' | 'mismatch'

/** Thrown by {@link verifyWebhookSignature}; match on `reason`. */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError'
  readonly reason: WebhookSignatureFailure
  constructor(reason: WebhookSignatureFailure, message: string) {
    super(message)
    this.reason = reason
  }
}

/**
 * Checks a signature header against the raw body. Returns `true`, or throws a
 * {@link WebhookSignatureError} saying why (malformed header, old or future timestamp,
 * tampered body or wrong secret). Several `v1=` entries are accepted (any may match), so a
 * sender can sign with an old and a new secret during a rotation.
 *
 * @example verifyWebhookSignature(rawBody, req.headers['x-docloader-signature'], secret)
 */
export function verifyWebhookSignature(body: string, header: string | undefined, secret: string, options: VerifyWebhookOptions = {}): true {
  const toleranceSeconds = options.toleranceSeconds ?? 300
  const nowMs = options.now ?? Date.now()
  if (typeof header !== 'string' || header.trim() === '') {
    throw new WebhookSignatureError('malformed', 'Missing X-Docloader-Signature header: expected "t=<unix seconds>,v1=<hex signature>".')
  }
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (eq <= 0) continue
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value)
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'))
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookSignatureError('malformed', `Malformed X-Docloader-Signature header: expected "t=<unix seconds>,v1=<64 hex characters>", got "${header.slice(0, 200)}".`)
  }
  const ageSeconds = Math.floor(nowMs / 1000) - timestamp
  if (Math.abs(ageSeconds) > toleranceSeconds) {
    throw new WebhookSignatureError(
      'timestamp',
      `Webhook signature timestamp is ${Math.abs(ageSeconds)} s ${ageSeconds > 0 ? 'old' : 'in the future'}, outside the tolerance of ${toleranceSeconds} s: refused as a possible replay (check the receiver's clock).`,
    )
  }
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex')
  // Compare against every entry so timing does not reveal which one matched.
  let matched = false
  for (const signature of signatures) if (timingSafeEqual(signature, expected)) matched = true
  if (!matched) {
    throw new WebhookSignatureError('mismatch', 'Webhook signature does not match the body: the body was changed, or it was signed with another secret.')
  }
  return true
}

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')
}
