/**
 * The `s3://bucket/prefix` storage location and how the S3 client is configured. This file
 * never loads the AWS SDK: `create-storage.ts` imports `s3-storage.ts` only for S3 storage.
 */
import type { S3Client } from '@aws-sdk/client-s3'

export interface S3StorageOptions {
  /**
   * Endpoint of an S3-compatible service (MinIO, Ceph, s3rver...). With an endpoint the
   * bucket goes in the URL path (path-style addressing), as those services expect.
   * @default env DOCLOADER_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3, else AWS's endpoint for the region
   * @example 'http://minio.internal:9000'
   */
  endpoint?: string
  /** @default env AWS_REGION, else AWS_DEFAULT_REGION, else 'us-east-1' */
  region?: string
  /** Bucket in the URL path instead of the host name. @default true when an endpoint is set */
  forcePathStyle?: boolean
  /**
   * Access key. @default the AWS SDK's chain: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
   * (+ AWS_SESSION_TOKEN), AWS_PROFILE, web identity, container and instance roles
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** A ready S3Client to use as it is: `endpoint`, `region`, `forcePathStyle` and `credentials` are then ignored. */
  client?: S3Client
  /**
   * Lifetime of the presigned GET URLs that result links (`result_url`) redirect to. The
   * redirect is followed at once, so it can be short.
   * @default 300
   */
  presignedUrlTtlSeconds?: number
  /** Folder for the local copies a conversion works on (removed after each job). @default os.tmpdir() */
  tempDir?: string
}

export interface S3Location {
  bucket: string
  /** Key prefix, empty or ending with `/`. */
  prefix: string
}

/** Whether a `storage` setting names S3 storage rather than a folder. */
export function isS3Url(value: string | undefined): value is string {
  return value !== undefined && /^s3:\/\//i.test(value)
}

/**
 * `s3://bucket/prefix` parsed. The prefix may be empty or have several levels.
 * @example parseS3Url('s3://docloader/prod/files') // { bucket: 'docloader', prefix: 'prod/files/' }
 */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(url)
  const bucket = match?.[1] ?? ''
  // S3's rules for bucket names (MinIO's are the same): 3-63 of a-z, 0-9, '.', '-'.
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new TypeError(`Expected S3 storage as \`s3://bucket/prefix\` with a bucket name of 3-63 lower-case letters, digits, dots and hyphens, got \`${url.replace(/\/\/[^@/]*@/, '//***@')}\`.`)
  }
  const prefix = (match[2] ?? '').split('/').filter(Boolean).join('/')
  return { bucket, prefix: prefix ? `${prefix}/` : '' }
}

/** The endpoint in effect: the option, else DOCLOADER_S3_ENDPOINT, else the AWS variables. */
export function s3Endpoint(options: S3StorageOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return options.endpoint || env.DOCLOADER_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined
}

/** The region in effect. S3-compatible services mostly ignore it, but requests are signed with it. */
export function s3Region(options: S3StorageOptions, env: NodeJS.ProcessEnv = process.env): string {
  return options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'
}
