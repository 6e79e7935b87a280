/**
 * S3 storage against a real S3-protocol server (s3rver on a free loopback port): the storage
 * conformance suite, presigned result links, temporary copies removed whatever happens, and
 * clear errors for a missing bucket or an unreachable endpoint.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeStorage, openStorage } from '../src/storage/create-storage.js'
import { createS3Storage, type S3Storage } from '../src/storage/s3-storage.js'
import { newJobId } from './job-store-suite.js'
import { startS3Server, type S3Server } from './s3-server.js'
import { runStorageSuite } from './storage-suite.js'

let s3: S3Server
let prefixes = 0
beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(async () => {
  await s3?.dispose()
})

/** A storage on its own key prefix (several levels deep, as users write them). */
async function freshStorage(extra: Parameters<typeof createS3Storage>[1] = {}): Promise<{ storage: S3Storage; prefix: string; tempDir: string }> {
  const prefix = `tenant-${++prefixes}/files/`
  const tempDir = await mkdtemp(join(tmpdir(), 'docloader-s3-temp-'))
  return { storage: createS3Storage(s3.storageUrl(prefix), { ...s3.options, tempDir, ...extra }), prefix, tempDir }
}

runStorageSuite('S3 (s3rver)', async () => {
  const { storage, prefix, tempDir } = await freshStorage()
  return {
    storage,
    stored: async () => (await s3.keys(prefix)).map((key) => key.slice(prefix.length)),
    cleanup: async () => {
      // Conversions leave no temporary copies behind.
      expect(await readdir(tempDir)).toEqual([])
      storage.close()
      await rm(tempDir, { recursive: true, force: true })
    },
  }
})

async function storedUpload(storage: S3Storage, text = '# Hello\n'): Promise<string> {
  const jobId = newJobId()
  await storage.writeUpload('acme', jobId, Buffer.from(text), Readable.from([]), 1024 * 1024)
  return jobId
}

async function saveResult(storage: S3Storage, jobId: string, text: string): Promise<void> {
  const files = await storage.prepareConversion('acme', jobId, 'md')
  await writeFile(files.outputPath, text)
  await files.save()
  await files.dispose()
}

describe('S3 storage', () => {
  it('lays keys out under the prefix as <org>/<job>/upload and result.<ext>', async () => {
    const { storage, prefix } = await freshStorage()
    const jobId = await storedUpload(storage)
    await saveResult(storage, jobId, '# Hello\n')
    expect(await s3.keys(prefix)).toEqual([`${prefix}acme/${jobId}/result.md`, `${prefix}acme/${jobId}/upload`])
    storage.close()
  })

  it('hands out a presigned GET URL for a result that plain fetch downloads, with its content type, until it expires', async () => {
    const { storage } = await freshStorage({ presignedUrlTtlSeconds: 1 })
    const jobId = await storedUpload(storage)
    await saveResult(storage, jobId, '# Linked\n')
    const link = await storage.resultLink!('acme', jobId, 'md')
    expect(link).toMatch(new RegExp(`^${s3.endpoint}/${s3.bucket}/tenant-\\d+/files/acme/${jobId}/result\\.md\\?.*X-Amz-Expires=1.*X-Amz-Signature=`))
    const response = await fetch(link!)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    expect(await response.text()).toBe('# Linked\n')
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const expired = await fetch(link!)
    expect(expired.status).toBe(403)
    expect(await expired.text()).toContain('Request has expired')
    storage.close()
  })

  it('a presigned URL with another access key is refused', async () => {
    const { storage } = await freshStorage()
    const jobId = await storedUpload(storage)
    await saveResult(storage, jobId, '# Linked\n')
    const link = (await storage.resultLink!('acme', jobId, 'md'))!
    // s3rver checks the key id and the expiry of presigned URLs, not the SigV4 bytes (real S3 checks all).
    const tampered = link.replace('X-Amz-Credential=S3RVER', 'X-Amz-Credential=INTRUDER')
    expect((await fetch(tampered)).status).toBe(403)
    storage.close()
  })

  it('has no result link when there is no result', async () => {
    const { storage } = await freshStorage()
    expect(await storage.resultLink!('acme', await storedUpload(storage), 'md')).toBeUndefined()
    storage.close()
  })

  it('a conversion of an upload that is gone fails with NOT_FOUND, leaving no temporary copy', async () => {
    const { storage, tempDir } = await freshStorage()
    await expect(storage.prepareConversion('acme', newJobId(), 'md')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(tempDir)).toEqual([])
    storage.close()
  })

  it('a conversion cancelled while its upload downloads fails with CANCELLED, leaving no temporary copy', async () => {
    const { storage, tempDir } = await freshStorage()
    const jobId = newJobId()
    await storage.writeUpload('acme', jobId, Buffer.alloc(0), Readable.from(Array.from({ length: 24 }, () => Buffer.alloc(1024 * 1024, 7))), 64 * 1024 * 1024)
    const controller = new AbortController()
    const preparing = storage.prepareConversion('acme', jobId, 'md', controller.signal)
    setTimeout(() => controller.abort(), 5)
    await expect(preparing).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await readdir(tempDir)).toEqual([])
    storage.close()
  })

  it('an upload larger than one part goes up in parts and comes back whole', async () => {
    const { storage } = await freshStorage()
    const jobId = newJobId()
    const chunks = Array.from({ length: 13 }, (_, index) => Buffer.alloc(1024 * 1024, index))
    expect(await storage.writeUpload('acme', jobId, Buffer.from('head'), Readable.from(chunks), 64 * 1024 * 1024)).toBe(4 + 13 * 1024 * 1024)
    const files = await storage.prepareConversion('acme', jobId, 'md')
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(files.inputPath))
    expect(size).toBe(4 + 13 * 1024 * 1024)
    await files.dispose()
    storage.close()
  })

  it('start-up stops with a clear error when the bucket does not exist', async () => {
    const opening = openStorage('s3://no-such-bucket/x', { s3: s3.options })
    await expect(opening).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('the bucket `no-such-bucket` does not exist at http://127.0.0.1:') })
  })

  it('start-up stops with a clear error when the endpoint does not answer', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`
    const opening = openStorage(s3.storageUrl('x'), { s3: { ...s3.options, endpoint } })
    await expect(opening).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`cannot reach ${endpoint} (ECONNREFUSED)`) })
  })

  it('ping turns false while the server is down and true once it is back', async () => {
    const { storage } = await freshStorage()
    expect(await storage.ping()).toBe(true)
    await s3.stop()
    try {
      expect(await storage.ping()).toBe(false)
    } finally {
      await s3.restart()
    }
    expect(await storage.ping()).toBe(true)
    storage.close()
  })

  it('refuses a storage setting that is neither a folder nor s3://bucket/prefix', async () => {
    await expect(openStorage('gs://bucket/x')).rejects.toThrow('Expected `storage` to be a folder or s3://bucket/prefix, got `gs://bucket/x`.')
    await expect(openStorage('s3://UPPER_case/x')).rejects.toThrow('bucket name of 3-63 lower-case letters')
  })

  it('describes the storage for start-up logs without credentials', () => {
    expect(describeStorage('s3://docs/prod', { endpoint: 'http://user:secret@minio:9000', credentials: { accessKeyId: 'AKIA', secretAccessKey: 'hidden' } })).toBe(
      's3://docs/prod/ (endpoint http://user:***@minio:9000/, path-style, region us-east-1)',
    )
    expect(describeStorage('/srv/files')).toBe('/srv/files')
  })
})

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
