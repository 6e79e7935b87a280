/**
 * What the API (producer) and `docloader worker` processes (consumers) agree on when jobs
 * go through BullMQ. The job store stays the source of truth for a job's state; a BullMQ
 * job only carries the id of the store's job (and is named by it, so enqueueing a job twice
 * never makes two BullMQ jobs).
 */
import type { JobsOptions } from 'bullmq'

/** BullMQ queue name. */
export const QUEUE_NAME = 'docloader-conversions'

/** Data of a BullMQ job. */
export interface ConversionJobData {
  /** Id of the job in the store. */
  jobId: string
  /**
   * The API's hard time limit (`serve --hard-timeout`): the worker applies the smaller of
   * this and its own. Absent: the worker's own limit.
   */
  hardTimeoutMs?: number
  /** The API's soft time limit, likewise. */
  softTimeoutMs?: number
}

/** Redis pub/sub channels, under the store's key prefix. */
export const channels = (prefix: string) => ({
  /** Workers publish every job change (JobRecord JSON): live progress for the API's SSE streams. */
  updates: `${prefix}job-updates`,
  /** The API publishes the id of a cancelled job: the worker converting it aborts at once. */
  cancel: `${prefix}job-cancel`,
})

/**
 * Lock and stalled-job tuning shared by every worker. BullMQ's defaults (30 s) leave a
 * job of a killed worker untouched for half a minute or more; these hand it to another
 * worker within about `lockDurationMs + stalledIntervalMs`.
 */
export interface QueueTuning {
  /** How long a worker's lock on a job lasts without renewal (renewed every half of it). @default 10000 */
  lockDurationMs?: number
  /** How often workers look for jobs whose lock expired. @default 5000 */
  stalledIntervalMs?: number
}

export const DEFAULT_LOCK_DURATION_MS = 10_000
export const DEFAULT_STALLED_INTERVAL_MS = 5_000

/**
 * Options of every BullMQ job: `jobId` de-duplicates, attempts and backoff bound retries
 * of transient failures (crashed conversion thread), finished BullMQ jobs are dropped
 * (the store keeps the job).
 */
export function conversionJobOptions(jobId: string, maxAttempts: number, retryBaseMs: number): JobsOptions {
  return {
    jobId,
    attempts: maxAttempts,
    backoff: { type: 'exponential', delay: retryBaseMs },
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600 },
  }
}
