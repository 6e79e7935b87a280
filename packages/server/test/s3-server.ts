/**
 * A real S3-protocol server for tests: s3rver in this process, on a free loopback port, with
 * a temporary folder and one bucket. Checks what real S3 checks for presigned URLs except
 * the SigV4 signature bytes themselves: expiry and the access key id are enforced.
 *
 * @example
 * let s3: S3Server
 * beforeAll(async () => { s3 = await startS3Server() })
 * afterAll(async () => { await s3?.dispose() })
 * startTestServer({ storage: s3.storageUrl('prefix'), s3: s3.options })
 */
/// <reference path="./s3rver.d.ts" />
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import type { S3StorageOptions } from '../src/storage/s3-config.js'

// The SDK warns once per process that its 2027 releases will need Node 22; not news in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** s3rver's built-in account. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string
  bucket: string
  /** Storage options reaching this server (endpoint, region, credentials). */
  options: S3StorageOptions
  /** The environment a `docloader serve` / `worker` child process needs to reach it. */
  env: Record<string, string>
  /** `s3://<bucket>/<prefix>` */
  storageUrl(prefix?: string): string
  /** Every key in the bucket under `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>
  /** Stops answering (connections dropped), as an outage would. */
  stop(): Promise<void>
  /** Starts again on the same port and folder. */
  restart(): Promise<void>
  /** Stops it and removes its folder. */
  dispose(): Promise<void>
}

export async function startS3Server(bucket = 'docloader-test'): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'docloader-s3rver-'))
  const make = (port: number) => new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] })
  let server = make(0)
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS })
  let running = true
  const stop = async () => {
    if (!running) return
    running = false
    server.httpServer?.closeAllConnections()
    await server.close()
  }
  return {
    endpoint,
    bucket,
    options: { endpoint, region: 'us-east-1', credentials: CREDENTIALS },
    env: { DOCLOADER_S3_ENDPOINT: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    storageUrl: (prefix = '') => `s3://${bucket}/${prefix}`,
    async keys(prefix = '') {
      const keys: string[] = []
      let token: string | undefined
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }))
        keys.push(...(page.Contents ?? []).map((object) => object.Key!))
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      return keys.sort()
    },
    stop,
    async restart() {
      await stop()
      server = make(port)
      await server.run()
      running = true
    },
    async dispose() {
      await stop()
      client.destroy()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
