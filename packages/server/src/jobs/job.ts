/**
 * Job records: what the API returns, what the store keeps. Field names of the HTTP
 * representation (snake_case) are a contract (../../../shared/DESIGN.md); this internal
 * record is camelCase and mapped by http/job-view.ts.
 */

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/** Statuses a job never leaves. */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled'])

export type OutputFormat = 'md' | 'txt' | 'json'

/** Conversion options the client chose (multipart fields of POST /api/v1/jobs). */
export interface JobOptions {
  /** `auto` | `off` | `force`. */
  ocr?: string
  /** Provider chain, e.g. `mistral,tesseract`. */
  ocrProvider?: string
  /** Page ranges, e.g. `1-3,7`. */
  pages?: string
  /** OCR languages, e.g. `eng,deu`. */
  language?: string
}

export interface JobError {
  /** One of the error codes of DESIGN.md. */
  code: string
  message: string
}

/** One webhook delivery attempt, kept on the job. */
export interface WebhookAttempt {
  /** Unique id of the event (same for every attempt of one delivery); sent as `X-Docloader-Event-Id`. */
  eventId: string
  /** The job status the event announced. */
  status: JobStatus
  /** 1-based attempt number for this event. */
  attempt: number
  /** ISO time of the attempt. */
  at: string
  /** HTTP status of the receiver's answer, when there was one. */
  statusCode?: number
  /** Network error, timeout... when there was no answer. */
  error?: string
  ok: boolean
  /** Milliseconds the attempt took. */
  ms: number
}

export interface JobRecord {
  /** `job_` + 24 random base32 characters. */
  id: string
  /** Organisation owning the job: every read is scoped to it. */
  org: string
  status: JobStatus
  /** The client's file name: metadata only, never used as a path. */
  filename: string
  /** Detected from the upload's bytes. */
  mimeType: string
  sizeBytes: number
  outputFormat: OutputFormat
  options: JobOptions
  webhookUrl?: string
  idempotencyKey?: string
  /** 0-100. */
  progress: number
  pagesDone: number
  pagesTotal: number
  /** Conversion attempts started so far. */
  attempts: number
  /** Epoch ms before which a pending job must not start (retry backoff). 0: now. */
  runAfter: number
  error?: JobError
  /** Set when the result is incomplete (soft time limit, damaged file). */
  partial?: { reason: string; code?: string }
  /** ISO times. */
  createdAt: string
  startedAt?: string
  completedAt?: string
  /** When the job, its upload and its result are deleted. */
  expiresAt: string
  webhookAttempts: WebhookAttempt[]
}

/** A webhook event waiting to be delivered (persisted, so deliveries survive restarts). */
export interface WebhookDelivery {
  eventId: string
  jobId: string
  org: string
  url: string
  /** The exact JSON body to send (signed as is). */
  body: string
  status: JobStatus
  /** Attempts made so far. */
  attempts: number
  /** Epoch ms of the next attempt. */
  nextAttemptAt: number
  /** `pending` until delivered or out of attempts. */
  state: 'pending' | 'delivered' | 'failed'
}
