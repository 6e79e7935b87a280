import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OcrImage, OcrProvider } from '../src/ocr/ocr-provider.js'
import { renderTextImage } from './render-text-image.js'

export interface OcrProviderSuiteOptions {
  /** Called before the abort tests (e.g. to make a fake server answer slowly). */
  beforeAbort?: () => void | Promise<void>
  /** Called after them. */
  afterAbort?: () => void | Promise<void>
}

/**
 * The conformance suite every OCR provider passes (like @keyv/test-suite for stores): reads a
 * generated text image, names itself in the result, rejects CANCELLED quickly on abort, and
 * releases what it holds on close().
 */
export function runOcrProviderSuite(name: string, makeProvider: () => OcrProvider | Promise<OcrProvider>, options: OcrProviderSuiteOptions = {}): void {
  describe(`OCR provider conformance: ${name}`, () => {
    let provider: OcrProvider
    let image: OcrImage
    beforeAll(async () => {
      provider = await makeProvider()
      const data = await renderTextImage('Hello docloader', { fontSize: 96 })
      image = { data, width: 1400, height: 250, dpi: 300 }
    })
    afterAll(async () => {
      await provider.close?.()
    })

    it('has a name', () => {
      expect(provider.name).toBe(name)
    })

    it('recognizes a generated text image', async () => {
      const result = await provider.recognize(image, { languages: ['eng'] }, new AbortController().signal)
      expect(result.provider).toBe(name)
      expect(result.text ?? result.markdown).toMatch(/Hello docloader/i)
      expect(result.confidence).toBeGreaterThanOrEqual(0)
      expect(result.confidence).toBeLessThanOrEqual(1)
      if (result.blocks) expect(result.blocks.map((block) => ('text' in block ? block.text : '')).join(' ')).toMatch(/Hello docloader/i)
    })

    it('rejects CANCELLED at once when the signal is already aborted', async () => {
      const controller = new AbortController()
      controller.abort()
      await expect(provider.recognize(image, { languages: ['eng'] }, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' })
    })

    it('rejects CANCELLED quickly when the signal aborts mid-way, and still works afterwards', async () => {
      await options.beforeAbort?.()
      const controller = new AbortController()
      const started = performance.now()
      const pending = provider.recognize(image, { languages: ['eng'] }, controller.signal)
      setTimeout(() => controller.abort(), 20)
      await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' })
      expect(performance.now() - started).toBeLessThan(1500)
      await options.afterAbort?.()
      const again = await provider.recognize(image, { languages: ['eng'] }, new AbortController().signal)
      expect(again.text ?? again.markdown).toMatch(/Hello docloader/i)
    })

    it('closes, releasing what it holds', async () => {
      await expect(Promise.resolve(provider.close?.())).resolves.toBeUndefined()
    })
  })
}
