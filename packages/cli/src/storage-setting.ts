import { describeStorage, isS3Url, maskUrl } from '@docloader/server'
import { UsageError } from './exit-codes.js'

/** `--storage` of serve and worker: a folder or `s3://bucket/prefix`; anything else is a usage error. */
export function checkStorageSetting(storage: string): void {
  if (isS3Url(storage)) {
    try {
      describeStorage(storage)
    } catch (error) {
      throw new UsageError(`--storage: ${(error as Error).message}`)
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(storage)) {
    throw new UsageError(`--storage ${maskUrl(storage)}: expected a folder or s3://bucket/prefix.`)
  }
}

/** How `--storage` is shown at start: the folder, or the bucket with the S3 endpoint and region in effect (no credentials). */
export function storageBanner(storage: string, s3?: { endpoint?: string }): string {
  return describeStorage(storage, s3)
}

/** S3 settings from the command line; the rest (region, credentials) comes from the AWS environment variables. */
export function s3FromFlags(options: { s3Endpoint?: string }): { endpoint: string } | undefined {
  return options.s3Endpoint ? { endpoint: options.s3Endpoint } : undefined
}
