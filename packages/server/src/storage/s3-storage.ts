/**
 * Storage in an S3-compatible bucket. Loaded only when `storage` is `s3://...`
 * (create-storage.ts imports it dynamically), so the default never loads the AWS SDK.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { OutputFormat } from '../jobs/job.js'
import { maskUrl } from '../queue/redis-url.js'
import { parseS3Url, s3Endpoint, s3Region, type S3StorageOptions } from './s3-config.js'
import { fileNames, RESULT_CONTENT_TYPES, type Storage, StorageError, UploadTooLargeError } from './storage.js'

/** S3's smallest multipart part: an upload holds at most two of these in memory at once. */
const PART_BYTES = 5 * 1024 * 1024

export interface S3Storage extends Storage {
  readonly bucket: string
  /** Key prefix, empty or ending with `/`. */
  readonly prefix: string
  readonly client: S3Client
  /** Throws a `StorageError` (`UNAVAILABLE`) saying what is wrong unless the bucket answers. */
  check(): Promise<void>
  close(): void
}

/**
 * @example createS3Storage('s3://docloader/prod', { endpoint: 'http://127.0.0.1:9000' })
 */
export function createS3Storage(url: string, options: S3StorageOptions = {}): S3Storage {
  const { bucket, prefix } = parseS3Url(url)
  const location = `s3://${bucket}/${prefix}`
  const endpoint = options.client ? undefined : s3Endpoint(options)
  const client = options.client ?? new S3Client({
    region: s3Region(options),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? Boolean(endpoint),
    followRegionRedirects: true,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Compatible services do not all read the trailing checksums the SDK sends by default
    // (s3rver stores the aws-chunked framing as the object's bytes): with an endpoint, send
    // checksums only where S3 requires them, unless the AWS variables say otherwise.
    ...(endpoint && !process.env.AWS_REQUEST_CHECKSUM_CALCULATION ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
    ...(endpoint && !process.env.AWS_RESPONSE_CHECKSUM_VALIDATION ? { responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
    // An unreachable endpoint fails in seconds rather than hanging start-up.
    requestHandler: { connectionTimeout: 5000 },
  })
  const presignTtl = options.presignedUrlTtlSeconds ?? 300
  const jobPrefix = (org: string, jobId: string) => `${prefix}${org}/${jobId}/`
  const uploadKey = (org: string, jobId: string) => jobPrefix(org, jobId) + fileNames.upload
  const resultKey = (org: string, jobId: string, format: OutputFormat) => jobPrefix(org, jobId) + fileNames.result(format)

  return {
    location,
    bucket,
    prefix,
    client,

    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(20_000) })
      } catch (error) {
        throw new StorageError('UNAVAILABLE', `S3 storage ${location} is not usable: ${explain(error, bucket, endpoint)}`, { cause: error })
      }
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(3000) })
        return true
      } catch {
        return false
      }
    },

    async writeUpload(org, jobId, head, body, maxBytes) {
      let written = 0
      // Kept apart: when the body stops, lib-storage may report its own cleanup's failure instead.
      let tooLarge: UploadTooLargeError | undefined
      const limited = async function* () {
        for await (const chunk of prepend(head, body)) {
          written += chunk.byteLength
          if (written > maxBytes) throw (tooLarge = new UploadTooLargeError(`The upload is larger than ${maxBytes} bytes.`))
          yield chunk
        }
      }
      // Parts of PART_BYTES go up as they fill; the object appears only once all are in, and a
      // failed upload is aborted (its parts deleted), so a refused upload leaves nothing.
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: uploadKey(org, jobId), Body: Readable.from(limited()), ContentType: 'application/octet-stream' },
        partSize: PART_BYTES,
        queueSize: 1,
        leavePartsOnError: false,
      })
      try {
        await upload.done()
        return written
      } catch (error) {
        if (tooLarge) throw tooLarge
        throw new StorageError('INTERNAL', `Could not store the upload in ${location}: ${explain(error, bucket, endpoint)}`, { cause: error })
      }
    },

    async prepareConversion(org, jobId, format, signal) {
      const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'docloader-job-'))
      const inputPath = join(dir, fileNames.upload)
      const outputPath = join(dir, fileNames.result(format))
      const dispose = () => rm(dir, { recursive: true, force: true }).catch(() => undefined)
      const aborted = () => Object.assign(new Error('The conversion was cancelled.'), { code: 'CANCELLED' })
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: uploadKey(org, jobId) }), signal ? { abortSignal: signal } : {})
        await pipeline(object.Body as Readable, createWriteStream(inputPath), signal ? { signal } : {})
      } catch (error) {
        await dispose()
        if (signal?.aborted) throw aborted()
        if (isNotFound(error)) throw new StorageError('NOT_FOUND', `The upload is no longer in ${location} (its retention ended, or it was removed).`, { cause: error })
        throw new StorageError('INTERNAL', `Could not download the upload from ${location}: ${explain(error, bucket, endpoint)}`, { cause: error })
      }
      return {
        inputPath,
        outputPath,
        async save() {
          try {
            const { size } = await stat(outputPath)
            await client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: resultKey(org, jobId, format),
                Body: createReadStream(outputPath),
                ContentLength: size,
                ContentType: RESULT_CONTENT_TYPES[format],
              }),
              signal ? { abortSignal: signal } : {},
            )
          } catch (error) {
            if (signal?.aborted) throw aborted()
            throw new StorageError('INTERNAL', `Could not store the result in ${location}: ${explain(error, bucket, endpoint)}`, { cause: error })
          }
        },
        dispose,
      }
    },

    async readResult(org, jobId, format) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: resultKey(org, jobId, format) }))
        return { body: object.Body as Readable, size: Number(object.ContentLength) }
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw new StorageError('INTERNAL', `Could not read the result from ${location}: ${explain(error, bucket, endpoint)}`, { cause: error })
      }
    },

    async resultLink(org, jobId, format) {
      const key = resultKey(org, jobId, format)
      try {
        // A link to a missing object would answer S3's XML error: say it is gone here instead.
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw new StorageError('INTERNAL', `Could not look up the result in ${location}: ${explain(error, bucket, endpoint)}`, { cause: error })
      }
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: presignTtl })
    },

    async remove(org, jobId) {
      // Listed rather than guessed, so anything under the job's prefix goes.
      let token: string | undefined
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: jobPrefix(org, jobId), ...(token ? { ContinuationToken: token } : {}) }))
        await Promise.all((page.Contents ?? []).map((object) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }))))
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
    },

    close() {
      // Close only what we created: a client passed in belongs to the caller.
      if (!options.client) client.destroy()
    },
  }
}

async function* prepend(head: Uint8Array, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (head.byteLength) yield head
  yield* body as AsyncIterable<Uint8Array>
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name
  return name === 'NoSuchKey' || name === 'NotFound' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'])

/** What went wrong, in words a user can act on. */
function explain(error: unknown, bucket: string, endpoint: string | undefined): string {
  const { name, code, message } = error as { name?: string; code?: string; message?: string }
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  const at = endpoint ? maskUrl(endpoint) : "AWS's S3 endpoint"
  // Missing keys are handled before this: a 404 here is the bucket's.
  if (name === 'NoSuchBucket' || status === 404) {
    return `the bucket \`${bucket}\` does not exist at ${at}; create it, or fix --storage.`
  }
  if (name === 'CredentialsProviderError') {
    return 'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE).'
  }
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'Forbidden') {
    return `access denied (${name ?? status}): check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) and the bucket's policy.`
  }
  if ((code && NETWORK_CODES.has(code)) || name === 'TimeoutError' || name === 'AbortError') {
    return `cannot reach ${at} (${code ?? name}); check DOCLOADER_S3_ENDPOINT (--s3-endpoint) and the network.`
  }
  return `${name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${message ?? String(error)}`
}
