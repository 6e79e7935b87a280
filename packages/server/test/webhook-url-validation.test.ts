import { describe, expect, it } from 'vitest'
import { isPrivateAddress, validateWebhookUrl } from '../src/webhooks/validate-webhook-url.js'

function refusal(url: string, allowPrivate: boolean): { code?: unknown; message: string } {
  try {
    validateWebhookUrl(url, { allowPrivate })
  } catch (error) {
    return error as { code?: unknown; message: string }
  }
  throw new Error(`expected ${url} to be refused`)
}

describe('validateWebhookUrl', () => {
  it('accepts public http and https URLs and returns them parsed', () => {
    const url = validateWebhookUrl('https://hooks.example.com:8443/docloader?token=abc', { allowPrivate: false })
    expect(url).toBeInstanceOf(URL)
    expect(url.hostname).toBe('hooks.example.com')
    expect(validateWebhookUrl('http://93.184.216.34/hook', { allowPrivate: false }).port).toBe('')
    expect(validateWebhookUrl('https://[2606:4700:4700::1111]/hook', { allowPrivate: false }).hostname).toBe('[2606:4700:4700::1111]')
  })

  it.each([
    ['', /empty/],
    ['not a url', /absolute http or https URL/],
    ['/relative/path', /absolute http or https URL/],
    ['ftp://example.com/hook', /scheme "ftp"/],
    ['file:///etc/passwd', /scheme "file"/],
    ['javascript:alert(1)', /scheme "javascript"/],
    ['https://user:pass@example.com/hook', /credentials/],
    ['https://token@example.com/hook', /credentials/],
    [`https://example.com/${'a'.repeat(2100)}`, /at most 2048/],
  ])('refuses %j with INVALID_OPTION, even when private addresses are allowed', (url, message) => {
    const error = refusal(url, true)
    expect(error.code).toBe('INVALID_OPTION')
    expect(error.message).toMatch(/^Invalid webhook_url: /)
    expect(error.message).toMatch(message)
  })

  it.each([
    'http://localhost:3000/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://127.0.0.1/hook',
    'http://127.1.2.3:8080/hook',
    'http://2130706433/hook', // 127.0.0.1 as one number: the URL parser normalises it
    'http://0x7f.1/hook',
    'http://0.0.0.0/hook',
    'http://0/hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.1/hook',
    'http://172.31.255.255/hook',
    'http://192.168.1.10/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/hook',
    'http://[::1]/hook',
    'http://[::]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:a9fe:a9fe]/hook',
    'http://[fe80::1]/hook',
    'http://[fd12:3456::1]/hook',
    'http://[fc00::1]/hook',
    'http://[64:ff9b::a00:1]/hook',
  ])('refuses the private address %s unless allowed', (url) => {
    const error = refusal(url, false)
    expect(error.code).toBe('INVALID_OPTION')
    expect(error.message).toMatch(/private addresses are refused.*--allow-private-webhooks/)
    expect(validateWebhookUrl(url, { allowPrivate: true })).toBeInstanceOf(URL)
  })

  it('lets names through that only DNS can judge (checked again at delivery time)', () => {
    expect(validateWebhookUrl('http://intranet/hook', { allowPrivate: false }).hostname).toBe('intranet')
    expect(validateWebhookUrl('http://localhost.example.com/hook', { allowPrivate: false }).hostname).toBe('localhost.example.com')
  })
})

describe('isPrivateAddress', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '100.64.0.0', '100.127.255.255', '127.0.0.1', '127.255.255.254',
    '169.254.0.1', '172.16.0.0', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.168.0.1', '198.18.0.1',
    '198.51.100.7', '203.0.113.9', '224.0.0.1', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::127.0.0.1', '0:0:0:0:0:ffff:c0a8:0101',
    'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'fc00::', 'fdff:ffff::1', 'ff02::1', '2001:db8::1', '100::1',
    '64:ff9b::127.0.0.1', '64:ff9b:1::1', '2002:7f00:0001::1', '2002:c0a8:0101::', '[::1]',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true)
  })

  it.each([
    '1.1.1.1', '8.8.8.8', '93.184.216.34', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0',
    '169.253.255.255', '192.167.1.1', '223.255.255.255',
    '2606:4700:4700::1111', '2a00:1450:4001:81b::200e', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::8.8.8.8',
    '2002:0808:0808::1',
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false)
  })

  it('returns false for a host name (resolve it first)', () => {
    expect(isPrivateAddress('example.com')).toBe(false)
  })
})
