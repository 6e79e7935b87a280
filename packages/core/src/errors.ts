/**
 * Stable error codes shared by the library, the CLI and the HTTP API.
 * Callers match on `code`, never on `instanceof` (errors cross process and package boundaries).
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
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface DocloaderErrorOptions {
  /** The original error, kept for logs; never shown to users as a stack trace. */
  cause?: unknown
  /** Extra machine-readable facts (detected type, limit, actual value...). */
  details?: Record<string, unknown>
}

/** The one error type docloader throws. `message` says what is wrong and what to do. */
export class DocloaderError extends Error {
  override readonly name = 'DocloaderError'
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: DocloaderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}

/** True for any error carrying one of our codes, whichever copy of the package made it. */
export function isDocloaderError(error: unknown): error is DocloaderError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((error as { code: string }).code) &&
    typeof (error as { message?: unknown }).message === 'string'
  )
}

/**
 * Turns anything thrown into a DocloaderError at a boundary. Abort reasons become
 * CANCELLED or TIMEOUT; anything unknown becomes INTERNAL with the original as `cause`.
 */
export function toDocloaderError(error: unknown): DocloaderError {
  if (error instanceof DocloaderError) return error
  if (isDocloaderError(error)) return new DocloaderError(error.code, error.message, { cause: error })
  if (error instanceof Error && (error.name === 'TimeoutError')) {
    return new DocloaderError('TIMEOUT', 'The conversion took longer than its time limit. Raise the timeout or convert fewer pages.', { cause: error })
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new DocloaderError('CANCELLED', 'The conversion was cancelled.', { cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new DocloaderError('INTERNAL', `Unexpected internal error: ${message}. Please report it with the input file if you can.`, { cause: error })
}
