import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { request, type Dispatcher } from 'undici'
import { DocloaderError } from '../docloader-error.js'
import { backoffDelay, parseRetryAfter, type RetryPolicy, sleep } from '../retry/retry-policy.js'
import type { MultipartBody } from '../upload/multipart-body.js'

/** What every request of one client shares. */
export interface Transport {
  baseUrl: string
  apiKey: string
  dispatcher: Dispatcher | undefined
  retry: RetryPolicy
  /** Per-attempt wait for the answer, in ms (upload time excluded). */
  timeout: number
  userAgent: string
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  query?: Record<string, string | number | undefined>
  headers?: Record<string, string>
  body?: MultipartBody
  signal?: AbortSignal | undefined
  /** `stream`: resolve once headers arrived, with the body unread (retries cover only the headers). */
  read: 'json' | 'text' | 'stream'
  /** Extra statuses that are answers, not errors (none by default). */
  accept?: number[]
}

export interface Answer<T> {
  status: number
  headers: Record<string, string | string[] | undefined>
  requestId: string | undefined
  /** Attempts made, 1 when the first one answered. */
  attempts: number
  body: T
}

const ERROR_BODY_LIMIT = 64 * 1024

/**
 * Sends a request with the client's retry policy: network errors, timeouts and the retried
 * statuses (429 and 5xx by default) are tried again with exponential backoff and jitter,
 * or after `Retry-After`; other 4xx answers are thrown at once. Every failure is a
 * DocloaderError built from the API's `{ error: { code, message } }` body.
 */
export async function sendRequest(transport: Transport, spec: RequestSpec & { read: 'json' }): Promise<Answer<unknown>>
export async function sendRequest(transport: Transport, spec: RequestSpec & { read: 'text' }): Promise<Answer<string>>
export async function sendRequest(transport: Transport, spec: RequestSpec & { read: 'stream' }): Promise<Answer<Readable>>
export async function sendRequest(transport: Transport, spec: RequestSpec): Promise<Answer<unknown>> {
  const url = new URL(`${transport.baseUrl.replace(/\/+$/, '')}${spec.path}`)
  for (const [key, value] of Object.entries(spec.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value))
  const where = `${spec.method} ${url.pathname}`
  // One id for every attempt of this call, so the server's logs tie the retries together.
  const clientRequestId = randomUUID()
  const { retry } = transport
  for (let attempt = 1; ; attempt++) {
    if (spec.signal?.aborted) throw aborted(spec.signal, where)
    const outcome = await attemptOnce(transport, spec, url, where, clientRequestId, attempt)
    if (outcome.kind === 'answer') return outcome.answer
    const error = outcome.error
    const retriesLeft = attempt <= retry.limit
    if (!outcome.retryable || !retriesLeft) throw error
    let wait = backoffDelay(retry, attempt)
    if (error.retryAfter !== undefined && error.status !== undefined && retry.afterStatusCodes.has(error.status)) {
      const asked = error.retryAfter * 1000
      // As in ky: a server asking for more than maxRetryAfter gets the error back, not a long sleep.
      if (asked > retry.maxRetryAfter) throw error
      wait = Math.max(asked, 0)
    }
    try {
      await sleep(wait, spec.signal)
    } catch {
      throw aborted(spec.signal!, where)
    }
  }
}

type Outcome = { kind: 'answer'; answer: Answer<unknown> } | { kind: 'error'; error: DocloaderError; retryable: boolean }

async function attemptOnce(transport: Transport, spec: RequestSpec, url: URL, where: string, clientRequestId: string, attempt: number): Promise<Outcome> {
  const controller = new AbortController()
  let timedOut = false
  let timer: NodeJS.Timeout | undefined
  const startTimer = () => {
    timer = setTimeout(() => {
      timedOut = true
      controller.abort(new DocloaderError('TIMEOUT', `No answer within ${transport.timeout} ms: ${where}.`))
    }, transport.timeout)
  }
  const onAbort = () => controller.abort(spec.signal!.reason)
  spec.signal?.addEventListener('abort', onAbort, { once: true })
  const body = spec.body
  if (body && !body.replayable && body.consumed) {
    // A retry of a one-shot stream after bytes went out cannot be made.
    cleanup()
    return {
      kind: 'error',
      retryable: false,
      error: new DocloaderError('NETWORK_ERROR', `The upload failed after part of the stream was sent, and a stream can be read only once: ${where}. Pass a path, Buffer or Blob to make uploads retryable.`),
    }
  }
  // The answer timer starts once the upload is sent: a large file on a slow link is not a timeout.
  if (!body) startTimer()
  function cleanup() {
    clearTimeout(timer)
    spec.signal?.removeEventListener('abort', onAbort)
  }
  let response: Dispatcher.ResponseData
  try {
    response = await request(url, {
      method: spec.method,
      headers: {
        'x-api-key': transport.apiKey,
        'user-agent': transport.userAgent,
        'x-request-id': clientRequestId,
        accept: spec.read === 'json' ? 'application/json' : '*/*',
        ...(body ? { 'content-type': body.contentType, ...(body.length !== undefined ? { 'content-length': String(body.length) } : {}) } : {}),
        ...spec.headers,
      },
      ...(body ? { body: Readable.from(body.open(startTimer), { objectMode: false }) } : {}),
      signal: controller.signal,
      ...(transport.dispatcher ? { dispatcher: transport.dispatcher } : {}),
      // Our own timer bounds the wait; a slow upload must not trip undici's.
      headersTimeout: 0,
      bodyTimeout: spec.read === 'stream' ? transport.timeout * 10 : 0,
    })
  } catch (error) {
    cleanup()
    return failure(error)
  }
  const headers = response.headers
  const requestId = single(headers['x-request-id'])
  let streaming = false
  const ok = (response.statusCode >= 200 && response.statusCode < 300) || spec.accept?.includes(response.statusCode)
  try {
    if (!ok) {
      const text = await readLimited(response.body, ERROR_BODY_LIMIT)
      const error = errorFromAnswer(response.statusCode, text, requestId, single(headers['retry-after']), where)
      // A one-shot stream already sent cannot be sent again: the answer is final.
      const spent = Boolean(body && !body.replayable && body.consumed)
      return { kind: 'error', error, retryable: !spent && transport.retry.statusCodes.has(response.statusCode) }
    }
    if (spec.read === 'stream') {
      // The caller reads the body; the answer timer only covered the headers.
      // The caller's signal still aborts the body while it is read.
      clearTimeout(timer)
      streaming = true
      response.body.once('close', () => spec.signal?.removeEventListener('abort', onAbort))
      return { kind: 'answer', answer: { status: response.statusCode, headers, requestId, attempts: attempt, body: response.body } }
    }
    const text = await response.body.text()
    let parsed: unknown = text
    if (spec.read === 'json') {
      try {
        parsed = JSON.parse(text)
      } catch (error) {
        return {
          kind: 'error',
          retryable: false,
          error: new DocloaderError('INVALID_RESPONSE', `Expected JSON from ${where}, got ${JSON.stringify(text.slice(0, 100))} (status ${response.statusCode}). Is the base URL a docloader server?`, {
            status: response.statusCode,
            ...(requestId ? { requestId } : {}),
            cause: error,
          }),
        }
      }
    }
    return { kind: 'answer', answer: { status: response.statusCode, headers, requestId, attempts: attempt, body: parsed } }
  } catch (error) {
    response.body.destroy()
    return failure(error)
  } finally {
    if (!streaming) cleanup()
  }

  function failure(error: unknown): Outcome {
    if (error instanceof DocloaderError && error.code !== 'TIMEOUT') return { kind: 'error', error, retryable: false }
    if (spec.signal?.aborted) return { kind: 'error', error: aborted(spec.signal, where), retryable: false }
    const oneShotSpent = Boolean(body && !body.replayable && body.consumed)
    if (timedOut) {
      return { kind: 'error', retryable: !oneShotSpent, error: new DocloaderError('TIMEOUT', `No answer within ${transport.timeout} ms: ${where}.`, { cause: error }) }
    }
    const detail = error instanceof Error ? `${(error as { code?: string }).code ? `${(error as { code?: string }).code}: ` : ''}${error.message}` : String(error)
    return {
      kind: 'error',
      retryable: !oneShotSpent,
      error: new DocloaderError(
        'NETWORK_ERROR',
        oneShotSpent
          ? `The upload failed after part of the stream was sent (${detail}), and a stream can be read only once: ${where}. Pass a path, Buffer or Blob to make uploads retryable.`
          : `Request failed without an answer (${detail}): ${where}.`,
        { cause: error },
      ),
    }
  }
}

/** The typed error for an HTTP error answer, from the API's body when it has one. */
function errorFromAnswer(status: number, text: string, requestId: string | undefined, retryAfterHeader: string | undefined, where: string): DocloaderError {
  let code: string | undefined
  let message: string | undefined
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    if (typeof body?.error?.code === 'string') code = body.error.code
    if (typeof body?.error?.message === 'string') message = body.error.message
  } catch {
    // not the API's JSON: a proxy or load balancer answered
  }
  const retryAfterMs = parseRetryAfter(retryAfterHeader)
  return new DocloaderError(code ?? codeForStatus(status), message ? `${message} (${where})` : `Request failed with status code ${status}: ${where}.`, {
    status,
    ...(requestId ? { requestId } : {}),
    ...(retryAfterMs !== undefined ? { retryAfter: retryAfterMs / 1000 } : {}),
  })
}

function codeForStatus(status: number): string {
  if (status === 401) return 'UNAUTHORIZED'
  if (status === 403) return 'FORBIDDEN'
  if (status === 404) return 'NOT_FOUND'
  if (status === 408) return 'TIMEOUT'
  if (status === 413) return 'FILE_TOO_LARGE'
  if (status === 415) return 'UNSUPPORTED_TYPE'
  if (status === 429) return 'RATE_LIMITED'
  if (status === 502 || status === 503 || status === 504) return 'UNAVAILABLE'
  if (status >= 500) return 'INTERNAL'
  return 'INVALID_RESPONSE'
}

function aborted(signal: AbortSignal, where: string): DocloaderError {
  return new DocloaderError('ABORTED', `Aborted: ${where}.`, { cause: signal.reason })
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

async function readLimited(body: Readable | Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk)
    size += chunk.length
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit)
}
