/**
 * Requests and responses of the docloader HTTP API (`/openapi.json` on any server). Field
 * names are the API's own (snake_case). A test checks these against the server's OpenAPI
 * document, through the key lists below.
 */

/** Where a job is in its life. `completed`, `failed` and `cancelled` are final. */
export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled'

/** Every status, in life order. */
export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const satisfies readonly JobStatus[]

/** Statuses a job never leaves. */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['completed', 'failed', 'cancelled'])

/** Result formats: Markdown, plain text, or the JSON document model. */
export type OutputFormat = 'md' | 'txt' | 'json'

/** `{ code, message }`: why a job or a request failed. */
export interface ApiError {
  /** Stable code, e.g. `UNSUPPORTED_TYPE`, `TIMEOUT`, `CORRUPT_FILE` (see {@link ERROR_CODES}). */
  code: string
  message: string
}

/** One attempt at delivering a webhook event. */
export interface WebhookAttempt {
  /** The same for every retry of one event (header `X-Docloader-Event-Id`). */
  event_id: string
  /** The job status the event announced. */
  status: JobStatus
  /** 1 for the first try. */
  attempt: number
  /** When it was tried (ISO 8601). */
  at: string
  /** The receiver's HTTP status, or null when no answer came. */
  status_code: number | null
  /** What went wrong, or null. */
  error: string | null
  ok: boolean
  /** Duration in milliseconds. */
  ms: number
}

/** A conversion job, as `GET /api/v1/jobs/{id}` answers it. */
export interface Job {
  /** `job_` and 24 base32 characters. */
  id: string
  status: JobStatus
  /** 0-100. */
  progress: number
  pages_done: number
  /** 0 until the converter knows the page count. */
  pages_total: number
  /** The file name sent with the upload (metadata only). */
  filename: string
  /** Type detected from the bytes. */
  mime_type: string
  size_bytes: number
  output_format: OutputFormat
  options: { ocr: string | null; ocr_provider: string | null; pages: string | null; language: string | null }
  /** Conversion attempts so far (a crash or restart makes another). */
  attempts: number
  created_at: string
  started_at: string | null
  completed_at: string | null
  /** When the job, its upload and its result are deleted. */
  expires_at: string
  /** Set when `status` is `failed` (or `cancelled`). */
  error: ApiError | null
  /** Set when the result is incomplete (e.g. a soft time limit stopped OCR). */
  partial: { reason: string; code: string | null } | null
  /** Signed link to the result that works without the API key until it expires; null until completed. */
  result_url: string | null
  webhook: { url: string; attempts: WebhookAttempt[] } | null
}

/** One page of `GET /api/v1/jobs`. */
export interface JobList {
  /** Newest first. */
  jobs: Job[]
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null
}

/** The JSON body a server POSTs to a job's `webhook_url` on every status change. */
export interface WebhookEvent {
  job_id: string
  status: JobStatus
  /** 0-100. */
  progress: number
  /** Signed result link when completed, else null. */
  result_url: string | null
  /** `{ code, message }` when the job failed, else null. */
  error: ApiError | null
}

/** The error body of every API error. */
export interface ApiErrorBody {
  error: ApiError
}

/**
 * Codes the API answers with (`error.code`), besides the client's own (`NETWORK_ERROR`,
 * `TIMEOUT`, `ABORTED`, `INVALID_SIGNATURE`, `INVALID_WEBHOOK`, `INVALID_RESPONSE`).
 */
export const ERROR_CODES = [
  'UNSUPPORTED_TYPE',
  'FILE_TOO_LARGE',
  'EMPTY_FILE',
  'CORRUPT_FILE',
  'ENCRYPTED',
  'LIMIT_EXCEEDED',
  'OCR_FAILED',
  'TIMEOUT',
  'CANCELLED',
  'NOT_FOUND',
  'INVALID_OPTION',
  'INTERNAL',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RESULT_NOT_READY',
  'NOT_CANCELLABLE',
  'RATE_LIMITED',
  'UNAVAILABLE',
] as const

/** A code the API can answer with. */
export type ApiErrorCode = (typeof ERROR_CODES)[number]

// Key lists: the runtime face of the interfaces above, compared with the OpenAPI schemas
// in a test. The `Exact` check makes the compiler refuse a list that misses or adds a key.
type Exact<List extends readonly string[], Keys extends string> = [Exclude<Keys, List[number]>, Exclude<List[number], Keys>] extends [never, never] ? List : never

function keysOf<T>() {
  return <const List extends readonly (keyof T & string)[]>(list: Exact<List, keyof T & string>): List => list
}

/** Every key of {@link Job}. */
export const JOB_KEYS = keysOf<Job>()([
  'id',
  'status',
  'progress',
  'pages_done',
  'pages_total',
  'filename',
  'mime_type',
  'size_bytes',
  'output_format',
  'options',
  'attempts',
  'created_at',
  'started_at',
  'completed_at',
  'expires_at',
  'error',
  'partial',
  'result_url',
  'webhook',
])

/** Every key of {@link Job}`['options']`. */
export const JOB_OPTION_KEYS = keysOf<Job['options']>()(['ocr', 'ocr_provider', 'pages', 'language'])

/** Every key of {@link WebhookAttempt}. */
export const WEBHOOK_ATTEMPT_KEYS = keysOf<WebhookAttempt>()(['event_id', 'status', 'attempt', 'at', 'status_code', 'error', 'ok', 'ms'])

/** Every key of {@link JobList}. */
export const JOB_LIST_KEYS = keysOf<JobList>()(['jobs', 'next_cursor'])

/** Every key of {@link WebhookEvent}. */
export const WEBHOOK_EVENT_KEYS = keysOf<WebhookEvent>()(['job_id', 'status', 'progress', 'result_url', 'error'])
