import { createHash } from 'node:crypto'
import { DocloaderError } from '../errors.js'
import type { ConvertOptions, OcrMode } from '../options.js'
import { type OcrChainOptions, createNamedProvider, createOcrChain } from './create-ocr-chain.js'
import type { OcrImage, OcrProvider, OcrResult } from './ocr-provider.js'
import type { FallbackProvider } from './with-fallback.js'

/** The engine's OCR settings. */
export interface EngineOcrOptions extends Omit<OcrChainOptions, 'providers'> {
  /**
   * Default provider chain for documents that do not set `ocrProviders`.
   * @default ['tesseract']
   */
  providers?: string[]
  /** A ready provider (or chain) used for every document instead of named providers; not closed by the engine. */
  provider?: OcrProvider
}

const MODES: readonly OcrMode[] = ['auto', 'off', 'force']

/**
 * The OCR resources an engine owns: providers created on first use and shared by every
 * document (one tesseract worker pool, one Mistral client per key and URL), and one chain
 * per provider list (so circuit breakers see every document's failures). Closed with the engine.
 */
export function createEngineOcr(settings: EngineOcrOptions | string[] = {}) {
  const options: EngineOcrOptions = Array.isArray(settings) ? { providers: settings } : settings
  const providers = new Map<string, OcrProvider>()
  const chains = new Map<string, FallbackProvider>()
  const { providers: defaultNames = ['tesseract'], provider: custom, tesseract, mistral, ...fallback } = options

  function providerFor(name: string, mistralOptions: ConvertOptions['mistral']): OcrProvider {
    const merged = name === 'mistral' ? { ...mistral, ...definedOnly(mistralOptions ?? {}) } : undefined
    const key = name === 'mistral' ? `mistral:${hash(`${merged?.apiKey ?? ''}\n${merged?.serverUrl ?? ''}`)}` : name
    let provider = providers.get(key)
    if (!provider) {
      provider = createNamedProvider(name, { ...(tesseract ? { tesseract } : {}), ...(merged ? { mistral: merged } : {}) })
      providers.set(key, provider)
    }
    return provider
  }

  return {
    /** Checks a document's OCR options and returns its mode and `context.ocr` handle. */
    forDocument(convertOptions: ConvertOptions, signal: AbortSignal): { mode: OcrMode; ocr: (image: OcrImage) => Promise<OcrResult> } {
      const mode = convertOptions.ocr ?? 'auto'
      if (!MODES.includes(mode)) throw new DocloaderError('INVALID_OPTION', `Expected \`ocr\` to be one of auto, off, force, got \`${String(mode)}\`.`)
      const names = convertOptions.ocrProviders?.length ? convertOptions.ocrProviders : defaultNames
      const languages = convertOptions.languages?.length ? convertOptions.languages : ['eng']
      if (mode === 'off') {
        return {
          mode,
          ocr: () => Promise.reject(new DocloaderError('OCR_FAILED', 'This page has no text layer and OCR is off (`ocr: off`). Convert with OCR `auto` or `force` to read it.')),
        }
      }
      let chain: OcrProvider
      if (custom && !convertOptions.ocrProviders?.length) {
        chain = custom
      } else {
        const key = `${names.join(',')}|${names.includes('mistral') ? hash(JSON.stringify(convertOptions.mistral ?? {})) : ''}`
        let found = chains.get(key)
        if (!found) {
          const named = Object.fromEntries(names.map((name) => [name, providerFor(name, convertOptions.mistral)]))
          found = createOcrChain(names, { ...fallback, providers: named })
          chains.set(key, found)
        }
        chain = found
      }
      return { mode, ocr: (image) => chain.recognize(image, { languages }, signal) }
    },
    /** Closes the providers the engine created. */
    async close(): Promise<void> {
      const all = [...providers.values()]
      providers.clear()
      chains.clear()
      await Promise.all(all.map((provider) => provider.close?.().catch(() => undefined)))
    },
  }
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16)
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
