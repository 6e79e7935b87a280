import { Mistral } from '@mistralai/mistralai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMistralProvider } from '../src/ocr/mistral-provider.js'
import type { OcrImage, OcrProvider } from '../src/ocr/ocr-provider.js'
import { createTesseractProvider } from '../src/ocr/tesseract-provider.js'
import { withFallback } from '../src/ocr/with-fallback.js'
import { type FakeMistralServer, startFakeMistralServer } from './fake-mistral-server.js'
import { runOcrProviderSuite } from './ocr-provider-suite.js'
import { renderTextImage } from './render-text-image.js'

let fake: FakeMistralServer
let image: OcrImage
let tesseract: OcrProvider & { readonly workersStarted: number }
const signal = new AbortController().signal
const languages = { languages: ['eng'] }

beforeAll(async () => {
  fake = await startFakeMistralServer('test-key')
  image = { data: await renderTextImage('Hello docloader', { fontSize: 96 }), width: 1400, height: 250, dpi: 300 }
  tesseract = createTesseractProvider({ workers: 1, orientation: false })
})
afterAll(async () => {
  await tesseract.close?.()
  await fake.close()
})

const mistral = (options: { timeout?: number } = {}) => createMistralProvider({ apiKey: 'test-key', serverUrl: fake.url, ...options })

runOcrProviderSuite('mistral', () => mistral(), {
  beforeAbort: () => fake.script({ kind: 'slow', ms: 5000, markdown: 'late' }),
})

describe('mistral provider through the real SDK', () => {
  it('sends the wire format (bearer key, snake_case body, data URL, include_blocks) and parses the Markdown into blocks', async () => {
    fake.requests.length = 0
    fake.script({ kind: 'ok', markdown: '# Invoice 42\n\nDear customer,\n\n- first\n- second\n\n| item | price |\n| --- | --- |\n| tea | 3 |\n' })
    const result = await mistral().recognize(image, languages, signal)
    expect(fake.requests[0]).toMatchObject({
      authorization: 'Bearer test-key',
      body: { model: 'mistral-ocr-latest', include_blocks: true, document: { type: 'image_url', image_url: expect.stringMatching(/^data:image\/png;base64,iVBOR/) } },
    })
    expect(result).toMatchObject({ provider: 'mistral', confidence: 1, markdown: expect.stringContaining('# Invoice 42') })
    expect(result.blocks).toEqual([
      { type: 'heading', level: 1, text: 'Invoice 42', inlines: [] },
      { type: 'paragraph', text: 'Dear customer,', inlines: [] },
      { type: 'list', ordered: false, items: [{ text: 'first', inlines: [] }, { text: 'second', inlines: [] }] },
      { type: 'table', rows: [['item', 'price'], ['tea', '3']], header: true },
    ])
  })

  it('accepts a ready SDK client', async () => {
    const client = new Mistral({ apiKey: 'test-key', serverURL: fake.url })
    const result = await createMistralProvider({ client }).recognize(image, languages, signal)
    expect(result.markdown).toContain('Hello docloader')
  })

  it('reads the key and base URL from MISTRAL_API_KEY and MISTRAL_SERVER_URL, and says when there is no key', async () => {
    const saved = { key: process.env['MISTRAL_API_KEY'], url: process.env['MISTRAL_SERVER_URL'] }
    try {
      process.env['MISTRAL_API_KEY'] = 'test-key'
      process.env['MISTRAL_SERVER_URL'] = fake.url
      expect((await createMistralProvider().recognize(image, languages, signal)).provider).toBe('mistral')
      delete process.env['MISTRAL_API_KEY']
      await expect(createMistralProvider().recognize(image, languages, signal)).rejects.toMatchObject({ code: 'OCR_FAILED', message: expect.stringContaining('MISTRAL_API_KEY') })
    } finally {
      for (const [name, value] of [['MISTRAL_API_KEY', saved.key], ['MISTRAL_SERVER_URL', saved.url]] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })

  it.each([
    ['429', { kind: 'status', status: 429, retryAfter: '1' } as const, { retryable: true, status: 429, retryAfterMs: 1000 }, /rate limited/],
    ['500', { kind: 'status', status: 500 } as const, { retryable: true, status: 500 }, /server error \(HTTP 500\)/],
    ['422', { kind: 'status', status: 422, body: { detail: [{ loc: ['body', 'document'], msg: 'bad document', type: 'value_error' }] } } as const, { retryable: false, status: 422 }, /invalid \(HTTP 422\).*bad document/],
    ['401', { kind: 'status', status: 401 } as const, { retryable: false, status: 401 }, /API key was refused/],
    ['a malformed 200', { kind: 'malformed' } as const, { retryable: false }, /did not match the OCR response format/],
  ])('maps %s to OCR_FAILED with its reason', async (_label, answer, details, message) => {
    fake.script(answer)
    const error = await mistral().recognize(image, languages, signal).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'OCR_FAILED', details: { provider: 'mistral', ...details } })
    expect((error as Error).message).toMatch(message)
  })

  it('maps a slow answer past its timeout to OCR_FAILED (not retryable)', async () => {
    fake.script({ kind: 'slow', ms: 3000, markdown: 'late' })
    const started = performance.now()
    const error = await mistral({ timeout: 200 }).recognize(image, languages, signal).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'OCR_FAILED', details: { retryable: false } })
    expect((error as Error).message).toMatch(/no answer within/)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe('withFallback: mistral, then tesseract', () => {
  const chain = () => withFallback({ retries: 1, retryDelay: 10, timeout: 30_000 }, { provider: mistral(), timeout: 500 }, tesseract)

  it.each([
    ['500 (after one retry)', [{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }] as const, 2],
    ['429 (after one retry)', [{ kind: 'status', status: 429 }, { kind: 'status', status: 429 }] as const, 2],
    ['a malformed 200 (no retry)', [{ kind: 'malformed' }] as const, 1],
    ['a slow answer past the per-provider timeout', [{ kind: 'slow', ms: 5000, markdown: 'late' }] as const, 1],
  ])('falls back to tesseract on %s and records why', async (_label, answers, tries) => {
    fake.requests.length = 0
    fake.script(...answers)
    const result = await chain().recognize(image, languages, signal)
    expect(result.provider).toBe('tesseract')
    expect(result.text).toMatch(/Hello docloader/)
    expect(fake.requests).toHaveLength(tries)
    expect(result.attempts).toHaveLength(tries)
    for (const attempt of result.attempts!) expect(attempt).toMatchObject({ provider: 'mistral', code: expect.stringMatching(/OCR_FAILED|TIMEOUT/), ms: expect.any(Number) })
  })

  it('uses mistral when it answers, with no failed attempts', async () => {
    const result = await chain().recognize(image, languages, signal)
    expect(result).toMatchObject({ provider: 'mistral', attempts: [] })
  })

  it('falls back on an empty answer, and fails with every reason when all providers fail', async () => {
    fake.script({ kind: 'ok', markdown: '   ' })
    const broken: OcrProvider = { name: 'broken', recognize: () => Promise.reject(new Error('disk on fire')) }
    const lone = withFallback({ retries: 0 }, mistral(), broken)
    const error = await lone.recognize(image, languages, signal).catch((e: unknown) => e)
    // An empty result is kept as the best answer when nothing better comes.
    expect(error).toMatchObject({ provider: 'mistral', attempts: [{ provider: 'mistral', error: 'empty result' }, { provider: 'broken' }] })
    fake.script({ kind: 'status', status: 503 })
    const failure = await lone.recognize(image, languages, signal).catch((e: unknown) => e)
    expect(failure).toMatchObject({ code: 'OCR_FAILED' })
    expect((failure as Error).message).toMatch(/mistral: .*HTTP 503.*; broken: .*disk on fire/)
  })

  it('opens the circuit after K consecutive failures, so the server gets no requests during the cool-down, then half-opens', async () => {
    const stand: OcrProvider = { name: 'stand-in', recognize: async () => ({ text: 'from the stand-in', confidence: 0.9, provider: 'stand-in' }) }
    const breaker = withFallback({ retries: 0, breakerThreshold: 3, coolDown: 400 }, mistral(), stand)
    fake.requests.length = 0
    fake.fallback = { kind: 'status', status: 500 }
    try {
      for (let i = 0; i < 3; i++) expect((await breaker.recognize(image, languages, signal)).provider).toBe('stand-in')
      expect(fake.requests).toHaveLength(3)
      expect(breaker.circuit('mistral')).toBe('open')
      const skipped = await breaker.recognize(image, languages, signal)
      expect(skipped.attempts).toEqual([expect.objectContaining({ provider: 'mistral', error: expect.stringMatching(/^skipped: 3 consecutive failures/), ms: 0 })])
      for (let i = 0; i < 5; i++) await breaker.recognize(image, languages, signal)
      expect(fake.requests).toHaveLength(3)

      await new Promise((resolve) => setTimeout(resolve, 450))
      expect(breaker.circuit('mistral')).toBe('half-open')
      fake.fallback = { kind: 'ok', markdown: '# Hello docloader' }
      expect((await breaker.recognize(image, languages, signal)).provider).toBe('mistral')
      expect(fake.requests).toHaveLength(4)
      expect(breaker.circuit('mistral')).toBe('closed')
    } finally {
      fake.fallback = { kind: 'ok', markdown: '# Hello docloader' }
    }
  })

  it('a failed half-open trial opens the circuit again', async () => {
    const stand: OcrProvider = { name: 'stand-in', recognize: async () => ({ text: 'x', confidence: 0.9, provider: 'stand-in' }) }
    const breaker = withFallback({ retries: 0, breakerThreshold: 1, coolDown: 200 }, mistral(), stand)
    fake.script({ kind: 'status', status: 500 })
    await breaker.recognize(image, languages, signal)
    expect(breaker.circuit('mistral')).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 250))
    fake.script({ kind: 'status', status: 502 })
    await breaker.recognize(image, languages, signal)
    expect(breaker.circuit('mistral')).toBe('open')
  })

  it('falls back on low confidence and keeps the best result when none is confident', async () => {
    const unsure = (name: string, confidence: number): OcrProvider => ({ name, recognize: async () => ({ text: name, confidence, provider: name }) })
    const result = await withFallback({ minConfidence: 0.8 }, unsure('a', 0.3), unsure('b', 0.5)).recognize(image, languages, signal)
    expect(result).toMatchObject({ provider: 'b', confidence: 0.5, attempts: [{ provider: 'a', error: 'confidence 0.3 below 0.8' }] })
  })
})
