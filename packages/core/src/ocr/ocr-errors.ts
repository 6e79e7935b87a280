import { DocloaderError, isDocloaderError } from '../errors.js'

/** The error for an aborted OCR call: our own reason (TIMEOUT, closed) or CANCELLED. */
export function ocrAbortError(reason: unknown): DocloaderError {
  if (reason instanceof DocloaderError) return reason
  if (isDocloaderError(reason)) return new DocloaderError(reason.code, reason.message, { cause: reason })
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new DocloaderError('TIMEOUT', 'OCR took longer than its time limit.', { cause: reason })
  }
  return new DocloaderError('CANCELLED', 'OCR was cancelled.', { cause: reason })
}

/** An OCR_FAILED error that says whether trying the same provider again may help. */
export function ocrFailed(provider: string, reason: string, retryable: boolean, cause?: unknown, extra: Record<string, unknown> = {}): DocloaderError {
  return new DocloaderError('OCR_FAILED', `OCR with ${provider} failed: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { provider, reason, retryable, ...extra },
  })
}

/** Whether an OCR error says a retry of the same provider may succeed. */
export function isRetryable(error: unknown): boolean {
  return isDocloaderError(error) && error.details?.['retryable'] === true
}

/** Rejects as soon as the signal aborts (with the abort error), even if the work does not notice. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort?.()
    promise.catch(() => undefined)
    return Promise.reject(ocrAbortError(signal.reason))
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.()
      promise.catch(() => undefined)
      reject(ocrAbortError(signal.reason))
    }
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}
