import type { DocumentMetadata } from '@docloader/core'
import type { JobOptions, OutputFormat } from '../jobs/job.js'

/** One conversion handed to the pool. */
export interface ConversionTask {
  jobId: string
  /** Absolute path of the uploaded file. */
  inputPath: string
  /** Absolute path where the rendered result is written (the pool writes it, atomically). */
  outputPath: string
  format: OutputFormat
  options: JobOptions
  /**
   * Hard time limit: past it the thread running the conversion is terminated (not just
   * asked to stop) and the task rejects with code `TIMEOUT`.
   */
  hardTimeoutMs: number
  /**
   * Soft time limit: past it the conversion is asked to stop OCR and return what it has,
   * flagged partial. Passed to the engine as far as it supports it.
   */
  softTimeoutMs?: number
}

export interface ConversionOutcome {
  /** Metadata of the converted document (page counts, partial flag, title...). */
  metadata: DocumentMetadata
  /** Size of the written result in bytes. */
  resultBytes: number
  /** Id of the worker thread that ran the conversion (for logs; shows recycling). */
  threadId?: number
}

export interface RunOptions {
  /** Cancels the task: the conversion is aborted, and its thread terminated if it does not stop within a second. Rejects with `CANCELLED`. */
  signal?: AbortSignal
  /** Called as pages finish, from the conversion thread's progress events. */
  onProgress?: (pagesDone: number, pagesTotal: number) => void
}

/**
 * Runs conversions off the API's event loop, in worker threads, at most `size` at once.
 * Rejections are errors with a `code` from DESIGN.md (`TIMEOUT`, `CANCELLED`, input codes
 * such as `CORRUPT_FILE`, or `INTERNAL` when a thread crashed or ran out of memory).
 */
export interface ConversionPool {
  run(task: ConversionTask, options?: RunOptions): Promise<ConversionOutcome>
  /** Threads configured. */
  readonly size: number
  /** Tasks running now. */
  readonly busy: number
  /** Terminates every thread; running tasks reject with `CANCELLED`. */
  close(): Promise<void>
}

export interface ConversionPoolOptions {
  /** Conversions at once (one per thread). @default os.availableParallelism() */
  size?: number
  /** Replace a thread after it ran this many tasks, bounding leaks. @default 50 */
  recycleAfter?: number
  /** V8 old-generation limit per thread, in MB; a thread above it dies and its task fails with `INTERNAL`. @default 1024 */
  maxMemoryMb?: number
}
