import { createHmac } from 'node:crypto'

/**
 * The signing secret of one organisation's webhooks, derived from the server secret:
 * `whsec_` + hex HMAC-SHA256(serverSecret, "webhook:" + org).
 *
 * Each org is given only its own secret, and HMAC does not let anyone go from one derived
 * secret to the server secret or to another org's, so one org can never forge webhooks
 * that verify as another org's. Rotating the server secret rotates every org's secret.
 *
 * @example orgWebhookSecret(process.env.DOCLOADER_SECRET, 'acme') // 'whsec_3f1c...'
 */
export function orgWebhookSecret(serverSecret: string, org: string): string {
  if (typeof serverSecret !== 'string' || serverSecret.length < 16) {
    throw new TypeError('Expected the server secret to be a string of at least 16 characters (use a long random value).')
  }
  if (typeof org !== 'string' || org === '') throw new TypeError(`Expected \`org\` to be a non-empty string, got \`${String(org)}\`.`)
  return `whsec_${createHmac('sha256', serverSecret).update(`webhook:${org}`).digest('hex')}`
}
