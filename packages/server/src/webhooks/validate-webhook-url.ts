import { isIP } from 'node:net'
import { DocloaderError } from '@docloader/core'

/**
 * Webhook URL checks (SSRF protection).
 *
 * A webhook makes the server send requests to an address a client chose. Unless the
 * operator allows it, that address must not be the server itself or its private network
 * (databases, admin ports, cloud metadata at 169.254.169.254). Two checks:
 *
 * 1. when a job is created, {@link validateWebhookUrl}: http/https only, no credentials,
 *    and no `localhost` / private IP literal;
 * 2. before each delivery attempt, the dispatcher resolves the host name and refuses it
 *    when any address it resolves to is private ({@link isPrivateAddress}), and pins the
 *    connection to checked addresses, so a name that resolved to a public address at
 *    creation and to 127.0.0.1 later (DNS rebinding) is still refused.
 *
 * Allowing private addresses: `docloader serve --allow-private-webhooks` or
 * `DOCLOADER_ALLOW_PRIVATE_WEBHOOKS=1` (for receivers on the same machine or network, and
 * tests). Default: refused.
 */

export interface ValidateWebhookUrlOptions {
  /**
   * Accept loopback, private, link-local and other non-public addresses and `localhost`.
   * Only for deployments where every API key holder is trusted with the server's network.
   * @default false (the server's --allow-private-webhooks / DOCLOADER_ALLOW_PRIVATE_WEBHOOKS)
   */
  allowPrivate: boolean
}

/** Longest accepted webhook URL. */
export const MAX_WEBHOOK_URL_LENGTH = 2048

/**
 * Parses and checks a webhook URL; returns the parsed URL or throws a DocloaderError with
 * code `INVALID_OPTION` and a message naming the problem.
 *
 * @example validateWebhookUrl('https://hooks.example.com/docloader', { allowPrivate: false })
 */
export function validateWebhookUrl(url: string, options: ValidateWebhookUrlOptions): URL {
  const invalid = (why: string) => new DocloaderError('INVALID_OPTION', `Invalid webhook_url: ${why}`, { details: { option: 'webhook_url' } })
  if (typeof url !== 'string' || url.trim() === '') throw invalid('expected an http or https URL, got an empty value.')
  if (url.length > MAX_WEBHOOK_URL_LENGTH) throw invalid(`expected at most ${MAX_WEBHOOK_URL_LENGTH} characters, got ${url.length}.`)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalid(`expected an absolute http or https URL such as https://example.com/hooks, got "${url.slice(0, 200)}".`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(`expected an http or https URL, got the scheme "${parsed.protocol.slice(0, -1)}".`)
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalid('credentials in the URL (user:password@) are not accepted; put a token in the path or query, and check the signature header.')
  }
  if (parsed.hostname === '') throw invalid('the URL has no host.')
  if (!options.allowPrivate) {
    const host = hostOf(parsed)
    if (isLocalhostName(host)) {
      throw invalid(`"${host}" is this machine; webhooks to private addresses are refused (the server allows them with --allow-private-webhooks).`)
    }
    if (isIP(host) !== 0 && isPrivateAddress(host)) {
      throw invalid(`${host} is a loopback, private, link-local or otherwise non-public address; webhooks to private addresses are refused (the server allows them with --allow-private-webhooks).`)
    }
  }
  return parsed
}

/** The URL's host as a name or bare IP (IPv6 without brackets, no trailing dot). */
export function hostOf(url: URL): string {
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname
  return host.endsWith('.') ? host.slice(0, -1) : host
}

/** `localhost` and any `*.localhost` name (RFC 6761: always loopback). */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost')
}

/**
 * True when `ip` (an IPv4 or IPv6 literal) is not a public unicast address: unspecified,
 * loopback, private (RFC 1918), CGNAT (100.64/10), link-local (169.254/16, fe80::/10),
 * unique-local (fc00::/7), site-local, multicast, broadcast, documentation, benchmarking
 * and other reserved ranges. IPv6 forms that embed an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by
 * that IPv4 address. A string that is not an IP literal returns false (resolve names first).
 */
export function isPrivateAddress(ip: string): boolean {
  const address = ip.trim().replace(/^\[(.*)\]$/, '$1')
  const version = isIP(address)
  if (version === 4) return isPrivateIPv4(parseIPv4(address))
  if (version === 6) {
    const words = parseIPv6(address)
    return words === undefined ? true : isPrivateIPv6(words)
  }
  return false
}

function parseIPv4(address: string): number[] {
  return address.split('.').map(Number)
}

function isPrivateIPv4(octets: number[]): boolean {
  const [a = 0, b = 0, c = 0] = octets
  return (
    a === 0 || // 0.0.0.0/8 "this network", includes the unspecified address
    a === 10 || // 10/8 private
    (a === 100 && b >= 64 && b <= 127) || // 100.64/10 carrier-grade NAT
    a === 127 || // 127/8 loopback
    (a === 169 && b === 254) || // 169.254/16 link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) || // 172.16/12 private
    (a === 192 && b === 0 && c === 0) || // 192.0.0/24 IETF protocol assignments
    (a === 192 && b === 0 && c === 2) || // 192.0.2/24 documentation
    (a === 192 && b === 88 && c === 99) || // 192.88.99/24 6to4 relay anycast (deprecated)
    (a === 192 && b === 168) || // 192.168/16 private
    (a === 198 && (b === 18 || b === 19)) || // 198.18/15 benchmarking
    (a === 198 && b === 51 && c === 100) || // 198.51.100/24 documentation
    (a === 203 && b === 0 && c === 113) || // 203.0.113/24 documentation
    a >= 224 // 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast
  )
}

/** Eight 16-bit words, or undefined when the text is not valid IPv6. */
function parseIPv6(address: string): number[] | undefined {
  let text = address.toLowerCase()
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  // An embedded dotted IPv4 tail (::ffff:127.0.0.1) becomes two hex words.
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (tail.includes('.')) {
    if (isIP(tail) !== 4) return undefined
    const [a = 0, b = 0, c = 0, d = 0] = parseIPv4(tail)
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const toWords = (part: string) => (part === '' ? [] : part.split(':').map((word) => Number.parseInt(word, 16)))
  const head = toWords(halves[0] ?? '')
  const rest = halves.length === 2 ? toWords(halves[1] ?? '') : []
  const missing = 8 - head.length - rest.length
  if (halves.length === 2 ? missing < 0 : missing !== 0) return undefined
  const words = [...head, ...new Array<number>(missing).fill(0), ...rest]
  return words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff) ? words : undefined
}

function isPrivateIPv6(words: number[]): boolean {
  const w = (index: number) => words[index] ?? 0
  const embeddedV4 = (high: number, low: number) => [w(high) >> 8, w(high) & 0xff, w(low) >> 8, w(low) & 0xff]
  const firstFiveZero = w(0) === 0 && w(1) === 0 && w(2) === 0 && w(3) === 0 && w(4) === 0
  if (firstFiveZero && w(5) === 0) {
    // :: unspecified, ::1 loopback, and deprecated IPv4-compatible ::a.b.c.d: none is public.
    return true
  }
  if (firstFiveZero && w(5) === 0xffff) return isPrivateIPv4(embeddedV4(6, 7)) // ::ffff:a.b.c.d IPv4-mapped
  if (w(0) === 0x64 && w(1) === 0xff9b) {
    // 64:ff9b::/96 well-known NAT64 prefix reaches the embedded IPv4 address; 64:ff9b:1::/48 is local-use.
    if (w(2) === 0 && w(3) === 0 && w(4) === 0 && w(5) === 0) return isPrivateIPv4(embeddedV4(6, 7))
    return true
  }
  if (w(0) === 0x2002) return isPrivateIPv4(embeddedV4(1, 2)) // 6to4 embeds the IPv4 address
  if (w(0) === 0x0100 && w(1) === 0 && w(2) === 0 && w(3) === 0) return true // 100::/64 discard
  if (w(0) === 0x2001 && w(1) === 0x0db8) return true // 2001:db8::/32 documentation
  if ((w(0) & 0xfe00) === 0xfc00) return true // fc00::/7 unique local
  if ((w(0) & 0xffc0) === 0xfe80) return true // fe80::/10 link-local
  if ((w(0) & 0xffc0) === 0xfec0) return true // fec0::/10 site-local (deprecated)
  if ((w(0) & 0xff00) === 0xff00) return true // ff00::/8 multicast
  // Global unicast is 2000::/3; anything else is unassigned or reserved.
  return (w(0) & 0xe000) !== 0x2000
}
