import { DocloaderError, toDocloaderError } from '../errors.js'
import { isRetryable, ocrAbortError, raceAbort } from './ocr-errors.js'
import type { OcrAttempt, OcrImage, OcrOptions, OcrProvider, OcrResult } from './ocr-provider.js'

/** How a chain treats its providers. Each value can also be set per provider (`FallbackStep`). */
export interface FallbackOptions {
  /**
   * Milliseconds one try of a provider may take before the chain moves on (`TIMEOUT`);
   * `Infinity` for none (the document's own time limit still applies).
   * @default 120000
   */
  timeout?: number
  /**
   * Further tries of the same provider after a retryable error (rate limit, 5xx, lost
   * connection), with exponential backoff and full jitter.
   * @default 2
   */
  retries?: number
  /**
   * First backoff in milliseconds; doubles per retry up to `maxRetryDelay`.
   * @default 500
   */
  retryDelay?: number
  /**
   * Longest wait between tries; a `Retry-After` longer than this falls back instead of waiting.
   * @default 8000
   */
  maxRetryDelay?: number
  /**
   * Results below this confidence (0-1) make the chain try the next provider; the best
   * result is kept if no provider does better.
   * @default 0.5
   */
  minConfidence?: number
  /**
   * Consecutive failed tries after which a provider is skipped for `coolDown` (circuit
   * breaker open); then one trial call decides (half-open).
   * @default 5
   */
  breakerThreshold?: number
  /**
   * Milliseconds an open circuit skips its provider.
   * @default 30000
   */
  coolDown?: number
}

/** A provider with its own settings inside a chain. */
export interface FallbackStep extends FallbackOptions {
  provider: OcrProvider
}

const DEFAULTS: Required<FallbackOptions> = {
  timeout: 120_000,
  retries: 2,
  retryDelay: 500,
  maxRetryDelay: 8_000,
  minConfidence: 0.5,
  breakerThreshold: 5,
  coolDown: 30_000,
}

interface Breaker {
  failures: number
  openUntil: number
  /** A half-open trial call is running. */
  probing: boolean
}

/** A chain of providers; `circuit(name)` tells a provider's breaker state (for tests and health checks). */
export interface FallbackProvider extends OcrProvider {
  circuit(provider: string): 'closed' | 'open' | 'half-open'
}

/**
 * Tries providers in order for each image, like undici's interceptors wrap a dispatcher:
 * the result is an OcrProvider again, so chains nest. It moves to the next provider on an
 * error, a per-provider timeout, a rate limit, an empty result or a confidence below
 * `minConfidence`; retries retryable errors with backoff; and skips a provider whose circuit
 * is open. The result names the provider that produced it and lists the failed attempts.
 * When every provider fails it rejects with OCR_FAILED listing each reason.
 * Closing the chain closes nothing: the providers belong to whoever created them.
 * @example
 * const ocr = withFallback({ timeout: 60_000 }, mistral, { provider: tesseract, timeout: 300_000 })
 */
export function withFallback(...providers: (OcrProvider | FallbackStep)[]): FallbackProvider
export function withFallback(options: FallbackOptions, ...providers: (OcrProvider | FallbackStep)[]): FallbackProvider
export function withFallback(...args: (OcrProvider | FallbackStep | FallbackOptions)[]): FallbackProvider {
  const first = args[0]
  const shared = first && !('recognize' in first) && !('provider' in first) ? (args.shift() as FallbackOptions) : {}
  const steps = (args as (OcrProvider | FallbackStep)[]).map((entry) => {
    const step: FallbackStep = 'recognize' in entry ? { provider: entry } : entry
    return { provider: step.provider, settings: { ...DEFAULTS, ...shared, ...definedOnly(step) }, breaker: { failures: 0, openUntil: 0, probing: false } as Breaker }
  })
  if (!steps.length) throw new DocloaderError('INVALID_OPTION', 'Expected at least one OCR provider in the chain, got none.')
  const name = steps.map((step) => step.provider.name).join(',')

  const state = (breaker: Breaker, now: number): 'closed' | 'open' | 'half-open' =>
    breaker.openUntil === 0 ? 'closed' : now < breaker.openUntil ? 'open' : 'half-open'

  return {
    name,
    circuit(provider) {
      const step = steps.find((s) => s.provider.name === provider)
      return step ? state(step.breaker, Date.now()) : 'closed'
    },
    async recognize(image: OcrImage, options: OcrOptions, signal: AbortSignal): Promise<OcrResult> {
      const attempts: OcrAttempt[] = []
      let best: OcrResult | undefined
      for (const [index, { provider, settings, breaker }] of steps.entries()) {
        const last = index === steps.length - 1
        for (let attempt = 0; ; attempt++) {
          if (signal.aborted) throw ocrAbortError(signal.reason)
          const circuit = state(breaker, Date.now())
          if (circuit === 'open' || (circuit === 'half-open' && breaker.probing)) {
            const seconds = Math.max(1, Math.ceil((breaker.openUntil - Date.now()) / 1000))
            attempts.push({ provider: provider.name, error: `skipped: ${breaker.failures} consecutive failures opened its circuit (next try in ${seconds} s)`, code: 'OCR_FAILED', ms: 0 })
            break
          }
          const probe = circuit === 'half-open'
          if (probe) breaker.probing = true
          const started = performance.now()
          try {
            const result = await tryOnce(provider, image, options, signal, settings.timeout)
            breaker.failures = 0
            breaker.openUntil = 0
            const ms = Math.round(performance.now() - started)
            const weak = isEmpty(result) ? 'empty result' : result.confidence < settings.minConfidence ? `confidence ${result.confidence} below ${settings.minConfidence}` : undefined
            if (!weak) return { ...result, provider: result.provider || provider.name, attempts }
            if (!best || result.confidence > best.confidence || (isEmpty(best) && !isEmpty(result))) best = { ...result, provider: result.provider || provider.name }
            if (!last) attempts.push({ provider: provider.name, error: weak, ms })
            break
          } catch (error) {
            if (signal.aborted) throw ocrAbortError(signal.reason)
            const failure = toDocloaderError(error)
            const ms = Math.round(performance.now() - started)
            attempts.push({ provider: provider.name, error: failure.message, code: failure.code, ms })
            breaker.failures++
            if (probe || breaker.failures >= settings.breakerThreshold) breaker.openUntil = Date.now() + settings.coolDown
            const wait = retryWait(failure, attempt, settings)
            if (wait === undefined || state(breaker, Date.now()) === 'open') break
            await sleep(wait, signal)
          } finally {
            if (probe) breaker.probing = false
          }
        }
      }
      if (best) return { ...best, attempts }
      const reasons = attempts.map((attempt) => `${attempt.provider}: ${attempt.error}`).join('; ')
      throw new DocloaderError('OCR_FAILED', `OCR failed with every provider (${reasons}).`, { details: { attempts } })
    },
  }
}

async function tryOnce(provider: OcrProvider, image: OcrImage, options: OcrOptions, signal: AbortSignal, timeout: number): Promise<OcrResult> {
  const controller = new AbortController()
  const timer = Number.isFinite(timeout)
    ? setTimeout(
        () => controller.abort(new DocloaderError('TIMEOUT', `${provider.name} took longer than ${timeout / 1000} s for one page.`, { details: { provider: provider.name, retryable: false } })),
        timeout,
      )
    : undefined
  const trySignal = AbortSignal.any([signal, controller.signal])
  try {
    return await raceAbort(provider.recognize(image, options, trySignal), trySignal)
  } finally {
    clearTimeout(timer)
  }
}

/** Milliseconds to wait before retrying, or undefined when the error is not worth a retry. */
function retryWait(error: DocloaderError, attempt: number, settings: Required<FallbackOptions>): number | undefined {
  if (attempt >= settings.retries || !isRetryable(error)) return undefined
  const backoff = Math.random() * Math.min(settings.maxRetryDelay, settings.retryDelay * 2 ** attempt)
  const retryAfter = error.details?.['retryAfterMs']
  if (typeof retryAfter === 'number') return retryAfter > settings.maxRetryDelay ? undefined : Math.max(retryAfter, backoff)
  return backoff
}

function isEmpty(result: OcrResult): boolean {
  const text = result.text ?? result.markdown ?? ''
  return !text.trim() && !result.blocks?.length
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return raceAbort(new Promise<void>((resolve) => setTimeout(resolve, ms)), signal)
}

function definedOnly(step: FallbackStep): FallbackOptions {
  const { provider: _provider, ...rest } = step
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)) as FallbackOptions
}
