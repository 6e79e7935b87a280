/**
 * What the conversion pool (parent) and a conversion thread exchange. Both sides import
 * these types; nothing here runs.
 */
import type { DocumentMetadata } from '@docloader/core'
import type { JobOptions, OutputFormat } from '../jobs/job.js'

/**
 * `workerData` of a conversion thread. `cancelled` holds one Int32 that the parent sets to
 * the `seq` of a task to cancel. The thread reads it between pages: a PDF conversion can keep
 * the thread's event loop busy for seconds, during which a `cancel` message waits unread.
 */
export interface ThreadData {
  cancelled: SharedArrayBuffer
}

/** Parent -> thread. */
export type ToThread =
  | {
      type: 'run'
      /** Task number, unique in the pool. */
      seq: number
      inputPath: string
      /** Where the thread writes the result; the parent renames it to the task's `outputPath`. */
      tempPath: string
      format: OutputFormat
      options: JobOptions
      /** Passed to the engine as `softTimeout`: OCR stops, the pages read are kept, flagged partial. */
      softTimeoutMs?: number
    }
  | { type: 'cancel'; seq: number }

/** Thread -> parent. */
export type FromThread =
  | { type: 'progress'; pagesDone: number; pagesTotal: number }
  | { type: 'done'; metadata: DocumentMetadata; resultBytes: number }
  | { type: 'failed'; error: { code: string; message: string } }
