import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { maskUrl } from '../queue/redis-url.js'
import { createLocalStorage } from './local-storage.js'
import { isS3Url, parseS3Url, s3Endpoint, s3Region, type S3StorageOptions } from './s3-config.js'
import type { Storage } from './storage.js'

/**
 * Opens the storage a `storage` setting names: a folder (created when missing) or
 * `s3://bucket/prefix`, checked before use so that a missing bucket, refused credentials or
 * an unreachable endpoint stop start-up with a `StorageError` (`UNAVAILABLE`) saying so.
 * The AWS SDK is loaded only for S3.
 */
export async function openStorage(setting: string, options: { s3?: S3StorageOptions } = {}): Promise<Storage> {
  if (isS3Url(setting)) {
    const { createS3Storage } = await import('./s3-storage.js')
    const storage = createS3Storage(setting, options.s3)
    try {
      await storage.check()
    } catch (error) {
      storage.close()
      throw error
    }
    return storage
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(setting)) {
    throw new TypeError(`Expected \`storage\` to be a folder or s3://bucket/prefix, got \`${maskUrl(setting)}\`.`)
  }
  const storage = createLocalStorage(resolve(setting))
  await mkdir(storage.root, { recursive: true })
  return storage
}

/**
 * A `storage` setting for logs and start-up banners, with the S3 endpoint and region in
 * effect (secrets masked; credentials are never shown). Loads nothing.
 * @example describeStorage('s3://docs/prod', { endpoint: 'http://minio:9000' }) // 's3://docs/prod/ (endpoint http://minio:9000, path-style, region us-east-1)'
 */
export function describeStorage(setting: string, s3: S3StorageOptions = {}): string {
  if (!isS3Url(setting)) return maskUrl(setting)
  const { bucket, prefix } = parseS3Url(setting)
  if (s3.client) return `s3://${bucket}/${prefix} (own client)`
  const endpoint = s3Endpoint(s3)
  const pathStyle = s3.forcePathStyle ?? Boolean(endpoint)
  return `s3://${bucket}/${prefix} (${endpoint ? `endpoint ${maskUrl(endpoint)}` : 'AWS'}${pathStyle ? ', path-style' : ''}, region ${s3Region(s3)})`
}
