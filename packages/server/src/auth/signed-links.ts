import { createHmac, timingSafeEqual } from 'node:crypto'

/** Signs and checks result links: `?expires=<unix>&signature=<hex hmac>` over the job id. */
export interface LinkSigner {
  /** Query string (without `?`) for a link to `jobId` valid for `ttlSeconds`. */
  sign(jobId: string, ttlSeconds?: number): { query: string; expiresAt: Date }
  /** `ok`, or why the link is refused. */
  verify(jobId: string, expires: string | undefined, signature: string | undefined): 'ok' | 'expired' | 'invalid'
}

export function createLinkSigner(secret: string, options: { defaultTtlSeconds?: number; now?: () => number } = {}): LinkSigner {
  const defaultTtl = options.defaultTtlSeconds ?? 3600
  const now = options.now ?? Date.now
  const mac = (jobId: string, expires: string) => createHmac('sha256', secret).update(`result:${jobId}:${expires}`).digest()
  return {
    sign(jobId, ttlSeconds = defaultTtl) {
      const expires = Math.floor(now() / 1000) + ttlSeconds
      return { query: `expires=${expires}&signature=${mac(jobId, String(expires)).toString('hex')}`, expiresAt: new Date(expires * 1000) }
    },
    verify(jobId, expires, signature) {
      if (!expires || !signature || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return 'invalid'
      if (!timingSafeEqual(mac(jobId, expires), Buffer.from(signature, 'hex'))) return 'invalid'
      return Number(expires) * 1000 < now() ? 'expired' : 'ok'
    },
  }
}
