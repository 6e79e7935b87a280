import type { Job } from './types.js'

/**
 * Codes of errors the client makes itself (the API's codes are in `ERROR_CODES`):
 * - `NETWORK_ERROR`: no answer (connection refused or dropped, DNS...), after the retries;
 * - `TIMEOUT`: no answer in `timeout`, or `waitForJob` ran past its `timeout`;
 * - `ABORTED`: the caller's `AbortSignal` fired;
 * - `INVALID_RESPONSE`: the server answered something that is not the docloader API;
 * - `INVALID_SIGNATURE`: a webhook's signature is missing, wrong or too old;
 * - `INVALID_WEBHOOK`: a webhook body that is not a docloader event, or too large.
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'ABORTED' | 'INVALID_RESPONSE' | 'INVALID_SIGNATURE' | 'INVALID_WEBHOOK'

export interface DocloaderErrorOptions {
  /** HTTP status of the answer, when there was one. */
  status?: number
  /** The server's `X-Request-Id`, to find the request in its logs. */
  requestId?: string
  /** The job, when the error is a failed or cancelled job (`convert`, `waitForJob` with `throwOnFailure`). */
  job?: Job
  /** Seconds the server asked to wait (`Retry-After`). */
  retryAfter?: number
  cause?: unknown
}

/**
 * The one error the client throws. Match on `code` (a string that survives process and
 * package boundaries), not on `instanceof`: the API's codes (`UNSUPPORTED_TYPE`,
 * `RATE_LIMITED`, `NOT_FOUND`...) or the client's own ({@link ClientErrorCode}).
 *
 * @example
 * try { await dl.getJob(id) } catch (error) { if (error.code === 'NOT_FOUND') ... }
 */
export class DocloaderError extends Error {
  override readonly name = 'DocloaderError'
  readonly code: string
  readonly status: number | undefined
  readonly requestId: string | undefined
  readonly job: Job | undefined
  readonly retryAfter: number | undefined

  constructor(code: string, message: string, options: DocloaderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status
    this.requestId = options.requestId
    this.job = options.job
    this.retryAfter = options.retryAfter
  }

  /** `{ code, message, status?, requestId? }`, e.g. for logs and `--json` output. */
  toJSON(): { code: string; message: string; status?: number; requestId?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.requestId !== undefined ? { requestId: this.requestId } : {}),
    }
  }
}

/** Whether `value` looks like a DocloaderError (from any copy of this package). */
export function isDocloaderError(value: unknown): value is DocloaderError {
  return value instanceof Error && value.name === 'DocloaderError' && typeof (value as { code?: unknown }).code === 'string'
}
