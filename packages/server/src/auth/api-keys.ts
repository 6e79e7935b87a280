import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'

/** API keys held only as SHA-256 hashes, each mapped to its organisation. */
export interface ApiKeys {
  /** The organisation of a key, or undefined for an unknown key (constant-time comparison). */
  authenticate(key: string | undefined): string | undefined
  readonly size: number
}

interface Entry {
  hash: Buffer
  org: string
}

/**
 * Parses `key1:org1,key2:org2` (the DOCLOADER_API_KEYS format; also one pair per line in a
 * keys file, `#` comments allowed). Throws on a malformed entry, naming it by position only
 * (never echoing a key).
 */
export function parseApiKeys(text: string): Array<{ key: string; org: string }> {
  const entries: Array<{ key: string; org: string }> = []
  const parts = text
    .split(/[,\n]/)
    .map((part) => part.replace(/#.*$/, '').trim())
    .filter(Boolean)
  parts.forEach((part, index) => {
    const colon = part.lastIndexOf(':')
    const key = part.slice(0, colon).trim()
    const org = part.slice(colon + 1).trim()
    if (colon <= 0 || !key || !org) throw new Error(`API key entry ${index + 1} is not "key:organisation".`)
    if (key.length < 16) throw new Error(`API key entry ${index + 1} (organisation ${org}) is shorter than 16 characters; use a long random key.`)
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(org)) throw new Error(`Organisation "${org}" must start with a letter or digit and hold only letters, digits, ".", "_" and "-" (at most 64).`)
    entries.push({ key, org })
  })
  return entries
}

export async function readKeysFile(path: string): Promise<Array<{ key: string; org: string }>> {
  return parseApiKeys(await readFile(path, 'utf8'))
}

/** Keys given in clear (`key`) or as the hex SHA-256 of the key (`sha256`, as stored for a generated key). */
export type ApiKeyEntry = { key: string; org: string } | { sha256: string; org: string }

export function createApiKeys(entries: ApiKeyEntry[]): ApiKeys {
  const hashed: Entry[] = entries.map((entry) => ({ hash: 'key' in entry ? sha256(entry.key) : Buffer.from(entry.sha256, 'hex'), org: entry.org }))
  return {
    authenticate(key) {
      if (!key) return undefined
      const hash = sha256(key)
      let org: string | undefined
      // Compare against every entry, whatever matched, so timing says nothing about the keys.
      for (const entry of hashed) if (timingSafeEqual(entry.hash, hash) && org === undefined) org = entry.org
      return org
    },
    get size() {
      return hashed.length
    },
  }
}

/** A new random API key: `dl_` + 32 base62-ish characters. */
export function generateApiKey(): string {
  return `dl_${randomBytes(24).toString('base64url')}`
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
