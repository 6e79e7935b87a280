import type { RedisOptions } from 'ioredis'

/**
 * ioredis options for a BullMQ connection from a `redis://` or `rediss://` URL
 * (`redis://[user:password@]host[:port][/db]`). `maxRetriesPerRequest: null` is BullMQ's
 * production advice: its blocking workers wait out a Redis outage instead of failing.
 */
export function bullmqConnection(url: string): RedisOptions {
  const parsed = parseRedisUrl(url)
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  }
}

/** Whether `value` names a Redis server (`redis://` or `rediss://`). */
export function isRedisUrl(value: string | undefined): value is string {
  return value !== undefined && /^rediss?:\/\//i.test(value)
}

/**
 * `url` with its password replaced by `***`, for logs and start-up banners.
 * @example maskUrl('redis://:s3cret@redis.internal:6379/2') // 'redis://:***@redis.internal:6379/2'
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (!parsed.password) return url
    parsed.password = '***'
    return parsed.toString().replace('%2A%2A%2A', '***')
  } catch {
    // Not a URL (a folder, a file path): nothing secret to hide, but never echo userinfo.
    return url.replace(/\/\/[^@/]*@/, '//***@')
  }
}

function parseRedisUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`Expected a Redis URL such as \`redis://127.0.0.1:6379\`, got \`${maskUrl(url)}\`.`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`Expected a Redis URL starting with redis:// or rediss://, got \`${maskUrl(url)}\`.`)
  }
  if (parsed.pathname.length > 1 && !/^\/\d+$/.test(parsed.pathname)) {
    throw new TypeError(`Expected the Redis URL's path to be a database number (\`/2\`), got \`${parsed.pathname}\`.`)
  }
  return parsed
}
