import { type ConvertResult, type Engine, createEngine } from './engine/create-engine.js'
import type { ConvertInput } from './input/read-input.js'
import type { ConvertOptions } from './options.js'

let shared: Engine | undefined

/**
 * Converts one document with a shared default engine (no cache, concurrency = CPU count).
 * For caching, events or batches, create your own with `createEngine`.
 * @example
 * const { content, metadata } = await convert('contract.pdf', { format: 'markdown' })
 */
export function convert(input: ConvertInput, options?: ConvertOptions): Promise<ConvertResult> {
  shared ??= createEngine()
  return shared.convert(input, options)
}
