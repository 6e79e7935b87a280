import type { JobRecord } from '../jobs/job.js'

/** The job as the API shows it (snake_case, DESIGN.md). */
export interface JobView {
  id: string
  status: JobRecord['status']
  progress: number
  pages_done: number
  pages_total: number
  filename: string
  mime_type: string
  size_bytes: number
  output_format: JobRecord['outputFormat']
  options: { ocr: string | null; ocr_provider: string | null; pages: string | null; language: string | null }
  attempts: number
  created_at: string
  started_at: string | null
  completed_at: string | null
  expires_at: string
  error: { code: string; message: string } | null
  partial: { reason: string; code: string | null } | null
  /** Signed link to the result, valid without the API key until it expires; null until completed. */
  result_url: string | null
  webhook: {
    url: string
    attempts: Array<{ event_id: string; status: string; attempt: number; at: string; status_code: number | null; error: string | null; ok: boolean; ms: number }>
  } | null
}

export function toJobView(job: JobRecord, resultUrl: string | null): JobView {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    pages_done: job.pagesDone,
    pages_total: job.pagesTotal,
    filename: job.filename,
    mime_type: job.mimeType,
    size_bytes: job.sizeBytes,
    output_format: job.outputFormat,
    options: {
      ocr: job.options.ocr ?? null,
      ocr_provider: job.options.ocrProvider ?? null,
      pages: job.options.pages ?? null,
      language: job.options.language ?? null,
    },
    attempts: job.attempts,
    created_at: job.createdAt,
    started_at: job.startedAt ?? null,
    completed_at: job.completedAt ?? null,
    expires_at: job.expiresAt,
    error: job.error ?? null,
    partial: job.partial ? { reason: job.partial.reason, code: job.partial.code ?? null } : null,
    result_url: job.status === 'completed' ? resultUrl : null,
    webhook: job.webhookUrl
      ? {
          url: job.webhookUrl,
          attempts: job.webhookAttempts.map((a) => ({
            event_id: a.eventId,
            status: a.status,
            attempt: a.attempt,
            at: a.at,
            status_code: a.statusCode ?? null,
            error: a.error ?? null,
            ok: a.ok,
            ms: a.ms,
          })),
        }
      : null,
  }
}
