import { DocloaderError } from '../errors.js'
import { ocrAbortError, ocrFailed } from './ocr-errors.js'
import type { OcrImage, OcrOptions, OcrProvider, OcrResult } from './ocr-provider.js'

/** The part of the Mistral SDK client the provider calls (`new Mistral(...)` satisfies it). */
export interface MistralOcrClient {
  ocr: {
    process(
      request: { model: string | null; document: { type?: 'image_url'; imageUrl: string }; includeBlocks?: boolean },
      options?: { signal?: AbortSignal; timeoutMs?: number; retries?: { strategy: 'none' } },
    ): Promise<{ pages: { markdown: string; confidenceScores?: { averagePageConfidenceScore: number } | null | undefined }[] }>
  }
}

/** Options of the Mistral OCR provider. */
export interface MistralProviderOptions {
  /**
   * API key.
   * @default process.env.MISTRAL_API_KEY
   */
  apiKey?: string
  /**
   * Base URL of the API (a proxy, a regional endpoint or a test server).
   * @default process.env.MISTRAL_SERVER_URL, else the SDK's default
   * @example 'http://127.0.0.1:8080'
   */
  serverUrl?: string
  /** A ready, configured SDK client (`new Mistral({...})`); `apiKey` and `serverUrl` are then unused. */
  client?: MistralOcrClient
  /**
   * OCR model.
   * @default 'mistral-ocr-latest'
   */
  model?: string
  /**
   * Milliseconds one request may take (the SDK's own default is 300 s).
   * @default 120000
   */
  timeout?: number
}

/**
 * OCR with Mistral's OCR API through `@mistralai/mistralai` (loaded on first use). Each
 * image is sent as a data URL; the page's Markdown is parsed into blocks (headings, lists,
 * tables kept). The SDK's own retries are off: the chain (`withFallback`) decides. Errors
 * are OCR_FAILED with `details.retryable` (true for 429, 5xx and lost connections) and
 * `details.status`.
 * @example
 * const mistral = createMistralProvider({ apiKey: process.env.MISTRAL_API_KEY })
 */
export function createMistralProvider(options: MistralProviderOptions = {}): OcrProvider {
  const model = options.model ?? 'mistral-ocr-latest'
  const timeout = options.timeout ?? 120_000
  let client: Promise<MistralOcrClient> | undefined
  const getClient = () =>
    (client ??= (async () => {
      if (options.client) return options.client
      const apiKey = options.apiKey ?? process.env['MISTRAL_API_KEY']
      if (!apiKey) throw ocrFailed('mistral', 'no API key: set MISTRAL_API_KEY or pass `mistral.apiKey`.', false)
      const serverURL = options.serverUrl ?? (process.env['MISTRAL_SERVER_URL'] || undefined)
      const { Mistral } = await import('@mistralai/mistralai')
      return new Mistral({ apiKey, ...(serverURL ? { serverURL } : {}) }) as unknown as MistralOcrClient
    })())

  return {
    name: 'mistral',
    async recognize(image: OcrImage, _options: OcrOptions, signal: AbortSignal): Promise<OcrResult> {
      if (signal.aborted) throw ocrAbortError(signal.reason)
      const sdk = await getClient().catch((error: unknown) => {
        client = undefined
        throw error
      })
      const started = performance.now()
      // The SDK ignores its timeoutMs when given a signal, so the time limit joins the signal.
      const timer = AbortSignal.timeout(timeout)
      let response: Awaited<ReturnType<MistralOcrClient['ocr']['process']>>
      try {
        response = await sdk.ocr.process(
          { model, document: { type: 'image_url', imageUrl: `data:${mimeOf(image.data)};base64,${Buffer.from(image.data).toString('base64')}` }, includeBlocks: true },
          { signal: AbortSignal.any([signal, timer]), timeoutMs: timeout, retries: { strategy: 'none' } },
        )
      } catch (error) {
        if (signal.aborted) throw ocrAbortError(signal.reason)
        if (timer.aborted) throw ocrFailed('mistral', `no answer within ${formatSeconds(timeout)}.`, false, error)
        throw mistralError(error, performance.now() - started, timeout)
      }
      const page = response.pages[0]
      if (!page) throw ocrFailed('mistral', 'the answer had no page.', false)
      const markdown = page.markdown.trim()
      const { markdownToBlocks } = await import('../convert/text/convert-markdown.js')
      const blocks = await markdownToBlocks(markdown)
      const confidence = page.confidenceScores?.averagePageConfidenceScore ?? 1
      return { markdown, blocks, confidence, provider: 'mistral' }
    },
  }
}

/** Maps the SDK's errors (matched by name and status, not instanceof) to OCR_FAILED with a reason. */
function mistralError(error: unknown, ms: number, timeout: number): DocloaderError {
  const name = error instanceof Error ? error.name : ''
  const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : undefined
  if (name === 'ResponseValidationError') return ocrFailed('mistral', `the answer did not match the OCR response format (${firstLine(error)}).`, false, error, { status })
  if (status === 429) {
    const retryAfterMs = retryAfter((error as { headers?: Headers }).headers)
    return ocrFailed('mistral', 'rate limited (HTTP 429).', true, error, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })
  }
  if (status !== undefined && status >= 500) return ocrFailed('mistral', `server error (HTTP ${status}).`, true, error, { status })
  if (status === 401 || status === 403) return ocrFailed('mistral', `the API key was refused (HTTP ${status}); check MISTRAL_API_KEY.`, false, error, { status })
  if (status === 422) return ocrFailed('mistral', `the request was refused as invalid (HTTP 422): ${bodyOf(error)}`, false, error, { status })
  if (status !== undefined) return ocrFailed('mistral', `HTTP ${status}: ${bodyOf(error)}`, false, error, { status })
  if (name === 'RequestTimeoutError' || name === 'TimeoutError') return ocrFailed('mistral', `no answer within ${formatSeconds(timeout)} (gave up after ${Math.round(ms)} ms).`, false, error)
  if (name === 'ConnectionError') return ocrFailed('mistral', `could not connect (${firstLine(error)}).`, true, error)
  return ocrFailed('mistral', firstLine(error), false, error)
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get?.('retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function bodyOf(error: unknown): string {
  const body = (error as { body?: unknown }).body
  return typeof body === 'string' && body ? body.slice(0, 300) : firstLine(error)
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300)
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`
}

function mimeOf(data: Uint8Array): string {
  return data[0] === 0xff && data[1] === 0xd8 ? 'image/jpeg' : 'image/png'
}
