import { DocloaderError } from '../errors.js'
import { createMistralProvider, type MistralProviderOptions } from './mistral-provider.js'
import type { OcrProvider } from './ocr-provider.js'
import { createTesseractProvider, type TesseractProviderOptions } from './tesseract-provider.js'
import { type FallbackOptions, type FallbackProvider, withFallback } from './with-fallback.js'

/** Provider names `createOcrChain` knows. */
export const OCR_PROVIDER_NAMES = ['tesseract', 'mistral'] as const
export type OcrProviderName = (typeof OCR_PROVIDER_NAMES)[number]

export interface OcrChainOptions extends FallbackOptions {
  /** Options of the tesseract provider. */
  tesseract?: TesseractProviderOptions
  /** Options of the Mistral provider (key, base URL or a ready client). */
  mistral?: MistralProviderOptions
  /** Ready providers by name, used instead of creating them; the chain does not close these. */
  providers?: Partial<Record<string, OcrProvider>>
}

/**
 * Builds a fallback chain from provider names, in order, e.g. `['mistral', 'tesseract']`.
 * `close()` closes the providers the chain created (not those passed in `providers`).
 * @example
 * const ocr = createOcrChain(['mistral', 'tesseract'], { mistral: { apiKey }, timeout: 60_000 })
 * const result = await ocr.recognize(image, { languages: ['eng'] }, signal)
 * await ocr.close?.()
 */
export function createOcrChain(names: readonly string[], options: OcrChainOptions = {}): FallbackProvider {
  if (!names.length) throw new DocloaderError('INVALID_OPTION', `Expected at least one OCR provider (${OCR_PROVIDER_NAMES.join(', ')}), got none.`)
  const created: OcrProvider[] = []
  const { tesseract, mistral, providers, ...fallback } = options
  const chain = withFallback(
    fallback,
    ...names.map((name) => {
      let provider = providers?.[name]
      if (!provider) {
        provider = createNamedProvider(name, { ...(tesseract ? { tesseract } : {}), ...(mistral ? { mistral } : {}) })
        created.push(provider)
      }
      // Local tesseract waits for a free worker inside its try: only the document's time limit applies to it, unless set.
      return name === 'tesseract' && fallback.timeout === undefined ? { provider, timeout: Infinity } : provider
    }),
  )
  return Object.assign(chain, {
    async close() {
      await Promise.all(created.map((provider) => provider.close?.()))
    },
  })
}

/** Creates one provider by name; INVALID_OPTION for an unknown name. */
export function createNamedProvider(name: string, options: Pick<OcrChainOptions, 'tesseract' | 'mistral'> = {}): OcrProvider {
  switch (name) {
    case 'tesseract':
      return createTesseractProvider(options.tesseract)
    case 'mistral':
      return createMistralProvider(options.mistral)
    default:
      throw new DocloaderError('INVALID_OPTION', `Expected OCR providers from ${OCR_PROVIDER_NAMES.join(', ')}, got \`${name}\`.`)
  }
}
