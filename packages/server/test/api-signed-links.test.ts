/**
 * Signed result links (`result_url`): they work without the API key, expire, and a tampered
 * id, expiry or signature is refused with 403. Run `pnpm exec tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLinkSigner } from '../src/auth/signed-links.js'
import type { JobView } from '../src/http/job-view.js'
import { call, expectApiError, markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

const SECRET = 'api-signed-links-test-secret-0123456789'
const TTL_SECONDS = 120

let server: TestServer
let first: JobView
let second: JobView

beforeAll(async () => {
  server = await startTestServer({ secret: SECRET, linkTtlSeconds: TTL_SECONDS })
  const [a, b] = await Promise.all([
    submitJob(server, markdownDocument('First result'), { filename: 'first.md' }),
    submitJob(server, markdownDocument('Second result'), { filename: 'second.md' }),
  ])
  ;[first, second] = await Promise.all([waitForJob(server, a!.id), waitForJob(server, b!.id)])
})
afterAll(closeTestServers)

/** GET a URL with no API key. */
const anonymous = (url: string) => fetch(url)

function parts(resultUrl: string): { url: URL; expires: string; signature: string } {
  const url = new URL(resultUrl)
  return { url, expires: url.searchParams.get('expires')!, signature: url.searchParams.get('signature')! }
}

describe('signed result links', () => {
  it('serves the result through result_url without an API key, as /result does with one', async () => {
    expect(first.status).toBe('completed')
    const { url, expires } = parts(first.result_url!)
    expect(url.origin).toBe(server.url)
    expect(url.pathname).toBe(`/results/${first.id}`)
    // Valid for linkTtlSeconds from when the job was read.
    const now = Date.now() / 1000
    expect(Number(expires)).toBeGreaterThan(now + TTL_SECONDS - 30)
    expect(Number(expires)).toBeLessThanOrEqual(now + TTL_SECONDS + 1)

    const viaLink = await anonymous(first.result_url!)
    expect(viaLink.status).toBe(200)
    expect(viaLink.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    const withKey = await call(server, `/api/v1/jobs/${first.id}/result`)
    expect(await viaLink.text()).toBe(await withKey.text())
  })

  it("refuses a link whose job id was swapped for another job's", async () => {
    const { expires, signature } = parts(first.result_url!)
    const swapped = await anonymous(`${server.url}/results/${second.id}?expires=${expires}&signature=${signature}`)
    expect((await expectApiError(swapped, 403, 'FORBIDDEN')).message).toMatch(/not valid/)
    // The other job's own link still works.
    expect((await anonymous(second.result_url!)).status).toBe(200)
  })

  it('refuses a link whose expiry was pushed later', async () => {
    const { url, expires } = parts(first.result_url!)
    url.searchParams.set('expires', String(Number(expires) + 3600))
    await expectApiError(await anonymous(url.href), 403, 'FORBIDDEN')
  })

  it.each([
    ['one hex digit changed', (signature: string) => `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`],
    ['upper case', (signature: string) => signature.toUpperCase()],
    ['truncated', (signature: string) => signature.slice(0, 32)],
    ['empty', () => ''],
  ])('refuses a link whose signature is %s', async (_, tamper) => {
    const { url, signature } = parts(first.result_url!)
    url.searchParams.set('signature', tamper(signature))
    await expectApiError(await anonymous(url.href), 403, 'FORBIDDEN')
  })

  it('refuses a link without expires or signature', async () => {
    const { url } = parts(first.result_url!)
    await expectApiError(await anonymous(`${url.origin}${url.pathname}`), 403, 'FORBIDDEN')
    url.searchParams.delete('signature')
    await expectApiError(await anonymous(url.href), 403, 'FORBIDDEN')
  })

  it('refuses a link signed with another secret', async () => {
    const forged = createLinkSigner('some-other-secret-0123456789abcdef').sign(first.id, 600).query
    await expectApiError(await anonymous(`${server.url}/results/${first.id}?${forged}`), 403, 'FORBIDDEN')
  })

  it('refuses an expired link, saying it expired', async () => {
    // Signed with the server's secret two hours ago, valid for one minute then.
    const twoHoursAgo = createLinkSigner(SECRET, { now: () => Date.now() - 2 * 3600_000 })
    const expired = await anonymous(`${server.url}/results/${first.id}?${twoHoursAgo.sign(first.id, 60).query}`)
    expect((await expectApiError(expired, 403, 'FORBIDDEN')).message).toMatch(/expired/)
    // The same signer with a live expiry is accepted: only the expiry was wrong.
    const fresh = createLinkSigner(SECRET).sign(first.id, 60).query
    expect((await anonymous(`${server.url}/results/${first.id}?${fresh}`)).status).toBe(200)
  })

  it('does not accept the API key in place of a signature', async () => {
    const response = await call(server, `/results/${first.id}`)
    await expectApiError(response, 403, 'FORBIDDEN')
  })

  it('never signs with an empty DOCLOADER_SECRET: a link signed with an empty key is refused', async () => {
    const saved = process.env.DOCLOADER_SECRET
    process.env.DOCLOADER_SECRET = ''
    let unset: TestServer
    try {
      unset = await startTestServer()
    } finally {
      if (saved === undefined) delete process.env.DOCLOADER_SECRET
      else process.env.DOCLOADER_SECRET = saved
    }
    const job = await waitForJob(unset, (await submitJob(unset, markdownDocument('Empty secret'))).id)
    expect((await fetch(job.result_url!)).status).toBe(200)
    // Anyone can compute an HMAC with an empty key: such a link must not open the result.
    const forged = createLinkSigner('').sign(job.id, 600).query
    await expectApiError(await anonymous(`${unset.url}/results/${job.id}?${forged}`), 403, 'FORBIDDEN')
    // And the organisations still get their webhook secrets.
    expect((await call(unset, '/api/v1/webhook-secret')).status).toBe(200)
  })

  it('refuses to start with a secret shorter than 16 characters', async () => {
    await expect(startTestServer({ secret: 'short' })).rejects.toThrow(/at least 16 characters/)
  })
})
