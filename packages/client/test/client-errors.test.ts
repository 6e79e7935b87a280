/** Every failure is a DocloaderError with the API's code, the HTTP status and the request id. */
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocloaderClient, DocloaderError, isDocloaderError } from '../src/index.js'
import { ACME_KEY, closeAll, startRealServer } from './real-server.js'

let url: string
let client: DocloaderClient

beforeAll(async () => {
  const server = await startRealServer()
  url = server.url
  client = new DocloaderClient({ baseUrl: url, apiKey: ACME_KEY, retry: { limit: 2, backoffLimit: 20 } })
})
afterAll(closeAll)

async function failure(promise: Promise<unknown>): Promise<DocloaderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(isDocloaderError(error), String(error)).toBe(true)
  return error as DocloaderError
}

describe('errors', () => {
  it('401 UNAUTHORIZED for a wrong key, with the request id and the API message', async () => {
    const error = await failure(new DocloaderClient({ baseUrl: url, apiKey: 'wrong' }).getJob('job_aaaaaaaaaaaaaaaaaaaaaaaa'))
    expect(error).toBeInstanceOf(DocloaderError)
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(error.message).toContain('The API key is not valid.')
    expect(error.message).toContain('GET /api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa')
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'UNAUTHORIZED', status: 401, requestId: error.requestId })
  })

  it('404 NOT_FOUND for an unknown job; 415 UNSUPPORTED_TYPE; 400 EMPTY_FILE / INVALID_OPTION', async () => {
    expect(await failure(client.getJob('job_aaaaaaaaaaaaaaaaaaaaaaaa'))).toMatchObject({ code: 'NOT_FOUND', status: 404 })
    expect(await failure(client.createJob(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(200).fill(0)])))).toMatchObject({ code: 'UNSUPPORTED_TYPE', status: 415 })
    expect(await failure(client.createJob(Buffer.alloc(0)))).toMatchObject({ code: 'EMPTY_FILE', status: 400 })
    expect(await failure(client.createJob(Buffer.from('# x'), { pages: 'zero' }))).toMatchObject({ code: 'INVALID_OPTION', status: 400 })
  })

  it('409 RESULT_NOT_READY before completion, NOT_CANCELLABLE after', async () => {
    const job = await client.createJob(Buffer.from('# Soon\n'), { filename: 'soon.md' })
    const early = await client.getResult(job.id).then(() => undefined, (error: DocloaderError) => error)
    if (early) expect(early).toMatchObject({ code: 'RESULT_NOT_READY', status: 409 })
    await client.waitForJob(job.id)
    expect(await failure(client.cancelJob(job.id))).toMatchObject({ code: 'NOT_CANCELLABLE', status: 409 })
  })

  it('NETWORK_ERROR when nothing listens (after the retries), with the cause', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const error = await failure(new DocloaderClient({ baseUrl: `http://127.0.0.1:${closed}`, apiKey: ACME_KEY, retry: 1 }).getJob('job_x'))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.status).toBeUndefined()
    expect(error.cause).toBeDefined()
    expect(error.message).toMatch(/ECONNREFUSED/)
  })

  it('INVALID_RESPONSE when the base URL is not a docloader server', async () => {
    const other = await new Promise<{ port: number; close: () => void }>((resolve) => {
      const server = createServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 6\r\n\r\n<html>')).listen(0, '127.0.0.1', () =>
        resolve({ port: (server.address() as { port: number }).port, close: () => server.close() }),
      )
    })
    try {
      expect(await failure(new DocloaderClient({ baseUrl: `http://127.0.0.1:${other.port}`, apiKey: ACME_KEY }).getJob('job_x'))).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 })
    } finally {
      other.close()
    }
  })

  it('refuses bad options with a message saying what was expected', () => {
    expect(() => new DocloaderClient({ baseUrl: 'localhost:9001', apiKey: 'k' })).toThrow(/Expected `baseUrl` to be an http\(s\) URL/)
    expect(() => new DocloaderClient({ baseUrl: 'http://x', apiKey: '' })).toThrow(/apiKey/)
    expect(() => new DocloaderClient({ baseUrl: 'http://x', apiKey: 'k', retry: { limit: -1 } })).toThrow(/retry.limit/)
  })
})
