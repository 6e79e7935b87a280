export { convert } from './convert.js'
export { createEngine, normaliseFormat } from './engine/create-engine.js'
export type { ConvertManyItem, ConvertResult, Engine, EngineEvents, EngineOptions } from './engine/create-engine.js'
export { SUPPORTED_FORMATS } from './engine/converters.js'
export { detectSupportedType, detectType } from './detect/detect-type.js'
export type { DetectedType, SourceFormat } from './detect/detect-type.js'
export { DocloaderError, ERROR_CODES, isDocloaderError, toDocloaderError } from './errors.js'
export type { ErrorCode } from './errors.js'
export type {
  Block,
  BlockRole,
  CodeBlock,
  Document,
  DocumentMetadata,
  HeadingBlock,
  ImageBlock,
  Inline,
  ListBlock,
  ListItem,
  Page,
  ParagraphBlock,
  TableBlock,
} from './document.js'
export { DEFAULT_LIMITS } from './options.js'
export type { ConvertOptions, Limits, OcrMode, OutputFormat, OutputFormatInput, ProgressEvent } from './options.js'
export type { PageOcr } from './document.js'
export type { OcrAttempt, OcrImage, OcrOptions, OcrProvider, OcrResult } from './ocr/ocr-provider.js'
export { createTesseractProvider } from './ocr/tesseract-provider.js'
export type { TesseractProviderOptions } from './ocr/tesseract-provider.js'
export { createMistralProvider } from './ocr/mistral-provider.js'
export type { MistralOcrClient, MistralProviderOptions } from './ocr/mistral-provider.js'
export { withFallback } from './ocr/with-fallback.js'
export type { FallbackOptions, FallbackProvider, FallbackStep } from './ocr/with-fallback.js'
export { OCR_PROVIDER_NAMES, createOcrChain } from './ocr/create-ocr-chain.js'
export type { OcrChainOptions } from './ocr/create-ocr-chain.js'
export type { EngineOcrOptions } from './ocr/engine-ocr.js'
export { prepareForOcr } from './ocr/prepare-image.js'
export type { ConvertInput } from './input/read-input.js'
export { parsePageSelection } from './page-selection.js'
export { renderMarkdown } from './render/markdown.js'
export type { RenderOptions } from './render/markdown.js'
export { renderText } from './render/text.js'
export { DirectoryStore } from './cache/directory-store.js'
