import type { JobRecord, JobStatus, WebhookAttempt, WebhookDelivery } from '../jobs/job.js'

export interface ListOptions {
  status?: JobStatus
  /** @default 20, at most 100 (larger values are capped, smaller than 1 raised to 1) */
  limit?: number
  /**
   * Opaque cursor from a previous page's `nextCursor`. One the store did not issue rejects
   * with an error of code `INVALID_OPTION` (HTTP 400).
   */
  cursor?: string
}

export interface JobPage {
  jobs: JobRecord[]
  /** Present when there are more jobs after this page. */
  nextCursor?: string
}

/**
 * Durable job state. Every method throws on storage failure: a store must never swallow
 * errors (a lost write is a lost job). Implementations: SQLite (embedded default), Redis, and
 * the status cache over either. Records read back are the caller's to read, never to change:
 * a store returns fresh copies or (the status cache) frozen records.
 */
export interface JobStore {
  /**
   * Inserts a job. When `job.idempotencyKey` is set and the same org already has a job with
   * that key, returns that job and `created: false` instead (atomically: two concurrent
   * creates with one key make one job).
   */
  create(job: JobRecord): Promise<{ job: JobRecord; created: boolean }>
  /** The job if it exists and belongs to `org`. */
  get(org: string, id: string): Promise<JobRecord | undefined>
  /** The job by id alone (internal use: workers, signed links). */
  getById(id: string): Promise<JobRecord | undefined>
  /**
   * Applies `patch` to the job. With `onlyIf`, applies it only while the job's status is one
   * of those (compare-and-set; e.g. never overwrite `cancelled` with `completed`). Returns
   * the updated job, or undefined when the job is missing or the condition failed.
   * Each patched field is replaced whole (`options: {...}` is not merged); an optional field
   * patched to `undefined` is removed, as `{ ...job, ...patch }` would.
   */
  update(id: string, patch: Partial<Omit<JobRecord, 'id' | 'org'>>, onlyIf?: JobStatus[]): Promise<JobRecord | undefined>
  /**
   * The org's jobs, newest first (by `createdAt`; jobs of one millisecond newest-created
   * first), optionally of one status, paged by cursor. A cursor stays valid while jobs are
   * added: later pages neither repeat nor skip.
   */
  list(org: string, options?: ListOptions): Promise<JobPage>
  /**
   * Atomically takes the oldest `pending` job whose `runAfter` <= now, sets it `processing`,
   * `startedAt` (= `new Date(now).toISOString()`), `attempts + 1`, and returns it. Undefined
   * when none is due. Oldest: by `createdAt`, jobs of one millisecond in creation order.
   * Two callers, in one process or several, never get the same job.
   */
  claimNext(now: number): Promise<JobRecord | undefined>
  /** Jobs left `processing` by a previous run (server restart): all of them. */
  listProcessing(): Promise<JobRecord[]>
  /**
   * The oldest `pending` jobs (claim order), at most `limit`. Optional: the API of the
   * distributed mode uses it to enqueue jobs whose enqueue was lost (Redis store).
   */
  listPending?(limit: number): Promise<JobRecord[]>
  /** Appends one attempt to the job's `webhookAttempts` (no lost appends under concurrency); no-op when the job is gone. */
  addWebhookAttempt(jobId: string, attempt: WebhookAttempt): Promise<void>
  /** Jobs whose `expiresAt` is before `now`, at most `limit`. */
  listExpired(now: Date, limit: number): Promise<JobRecord[]>
  /** Deletes the job and its deliveries; no-op when the job is gone. */
  delete(id: string): Promise<void>
  /** Number of jobs per status (for /metrics). */
  countByStatus(): Promise<Record<JobStatus, number>>

  /** Persists a webhook event to deliver. */
  addDelivery(delivery: WebhookDelivery): Promise<void>
  /**
   * Pending deliveries due at `now`, oldest first, at most `limit`. With `leaseUntil` they are
   * also claimed, atomically: their next attempt moves to `leaseUntil`, so another process
   * polling the same store (a second `serve`) does not send them too. The sender then records
   * the attempt with `updateDelivery`; one that dies before leaves them due again at `leaseUntil`.
   */
  dueDeliveries(now: number, limit: number, leaseUntil?: number): Promise<WebhookDelivery[]>
  /** Updates a delivery after an attempt; no-op when the delivery is gone. */
  updateDelivery(eventId: string, patch: Partial<Pick<WebhookDelivery, 'attempts' | 'nextAttemptAt' | 'state'>>): Promise<void>

  /** Whether the store answers (for /readyz); false once closed. */
  ping(): Promise<boolean>
  /** Closes the store; closing twice is harmless. Other calls reject afterwards. */
  close(): Promise<void>
}
