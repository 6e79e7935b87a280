/**
 * Codes of HTTP errors beyond the conversion codes of @docloader/core (which the API also
 * uses: UNSUPPORTED_TYPE -> 415, FILE_TOO_LARGE -> 413, EMPTY_FILE / INVALID_OPTION -> 400,
 * NOT_FOUND -> 404).
 */
export type HttpErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RESULT_NOT_READY'
  | 'NOT_CANCELLABLE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INVALID_OPTION'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_TYPE'
  | 'FILE_TOO_LARGE'
  | 'EMPTY_FILE'
  | 'INTERNAL'

/** An error answered as `{ error: { code, message } }` with its HTTP status. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}
