import { describe, expect, it } from 'vitest'
import { signWebhook, verifyWebhookSignature, WebhookSignatureError } from '../src/webhooks/sign-webhook.js'
import { orgWebhookSecret } from '../src/webhooks/webhook-secret.js'

const body = '{"job_id":"job_a","status":"completed"}'
const secret = 'whsec_test'
const t = 1_700_000_000
const nowMs = t * 1000

function failure(fn: () => unknown): WebhookSignatureError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookSignatureError)
    return error as WebhookSignatureError
  }
  throw new Error('expected the signature to be refused')
}

describe('signWebhook', () => {
  it('signs "t.body" with HMAC-SHA256 (vector computed with openssl dgst -sha256 -hmac)', () => {
    expect(signWebhook(body, secret, t)).toBe('t=1700000000,v1=872e3938f05fb445f61d2202cdcb50b9ffaeb6761bfbdcacfb405a18df1b18b0')
  })

  it('uses the current time by default', () => {
    const before = Math.floor(Date.now() / 1000)
    const header = signWebhook(body, secret)
    const signedAt = Number(/^t=(\d+),v1=[0-9a-f]{64}$/.exec(header)?.[1])
    expect(signedAt).toBeGreaterThanOrEqual(before)
    expect(signedAt).toBeLessThanOrEqual(before + 2)
    expect(verifyWebhookSignature(body, header, secret)).toBe(true)
  })

  it('refuses a timestamp that is not whole seconds', () => {
    expect(() => signWebhook(body, secret, 1.5)).toThrow(/timestampSeconds/)
  })
})

describe('verifyWebhookSignature', () => {
  const header = signWebhook(body, secret, t)

  it('accepts the body, header and secret it was signed with', () => {
    expect(verifyWebhookSignature(body, header, secret, { now: nowMs + 10_000 })).toBe(true)
  })

  it('refuses a tampered body', () => {
    const error = failure(() => verifyWebhookSignature(body.replace('completed', 'failed'), header, secret, { now: nowMs }))
    expect(error.reason).toBe('mismatch')
    expect(error.message).toMatch(/does not match/)
  })

  it('refuses a signature made with another secret', () => {
    const forged = signWebhook(body, 'whsec_other', t)
    expect(failure(() => verifyWebhookSignature(body, forged, secret, { now: nowMs })).reason).toBe('mismatch')
  })

  it('refuses a changed timestamp with the old signature (the timestamp is signed)', () => {
    const moved = header.replace(`t=${t}`, `t=${t + 60}`)
    expect(failure(() => verifyWebhookSignature(body, moved, secret, { now: nowMs + 60_000 })).reason).toBe('mismatch')
  })

  it('refuses an old timestamp, and one too far in the future', () => {
    const old = failure(() => verifyWebhookSignature(body, header, secret, { now: nowMs + 301_000 }))
    expect(old.reason).toBe('timestamp')
    expect(old.message).toMatch(/301 s old.*tolerance of 300 s/)
    expect(failure(() => verifyWebhookSignature(body, header, secret, { now: nowMs - 301_000 })).message).toMatch(/in the future/)
    expect(verifyWebhookSignature(body, header, secret, { now: nowMs + 3_600_000, toleranceSeconds: 7200 })).toBe(true)
  })

  it('refuses a missing or malformed header', () => {
    for (const bad of [undefined, '', 'garbage', `t=${t}`, 'v1=' + 'a'.repeat(64), `t=abc,v1=${'a'.repeat(64)}`, `t=${t},v1=xyz`]) {
      expect(failure(() => verifyWebhookSignature(body, bad, secret, { now: nowMs })).reason).toBe('malformed')
    }
  })

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const old = signWebhook(body, 'whsec_old', t).split(',')[1]
    expect(verifyWebhookSignature(body, `${header},${old}`, secret, { now: nowMs })).toBe(true)
    expect(verifyWebhookSignature(body, `t=${t},${old},${header.split(',')[1]}`, secret, { now: nowMs })).toBe(true)
  })
})

describe('orgWebhookSecret', () => {
  const serverSecret = 'server-secret-0123456789'

  it('is whsec_ + hex HMAC-SHA256(serverSecret, "webhook:" + org) (vector computed with openssl)', () => {
    expect(orgWebhookSecret(serverSecret, 'acme')).toBe('whsec_5c06d525089a34f5a5a6f62cf5b0270bf3aaee88347249de5abf31736a689bea')
  })

  it('gives each org its own secret, so one org cannot sign as another', () => {
    const acme = orgWebhookSecret(serverSecret, 'acme')
    const globex = orgWebhookSecret(serverSecret, 'globex')
    expect(acme).not.toBe(globex)
    const forged = signWebhook(body, globex, t)
    expect(failure(() => verifyWebhookSignature(body, forged, acme, { now: nowMs })).reason).toBe('mismatch')
    expect(orgWebhookSecret('another-server-secret-xyz', 'acme')).not.toBe(acme)
  })

  it('refuses a short server secret or an empty org', () => {
    expect(() => orgWebhookSecret('short', 'acme')).toThrow(/at least 16 characters/)
    expect(() => orgWebhookSecret(serverSecret, '')).toThrow(/org/)
  })
})
