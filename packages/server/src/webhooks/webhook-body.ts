import type { JobError, JobRecord, JobStatus } from '../jobs/job.js'

/** The JSON body of every webhook (DESIGN.md, Webhooks). Field names are a contract. */
export interface WebhookBody {
  job_id: string
  status: JobStatus
  /** 0-100. */
  progress: number
  /** Signed result link when the job is completed, else null. */
  result_url: string | null
  /** `{ code, message }` when the job failed, else null. */
  error: JobError | null
}

/**
 * The webhook body announcing `job`'s current status.
 *
 * @param resultUrl the signed result link (made by the HTTP layer), for completed jobs
 * @example dispatcher.enqueue(job, webhookBody(job, signedResultUrl))
 */
export function webhookBody(job: JobRecord, resultUrl?: string): WebhookBody {
  return {
    job_id: job.id,
    status: job.status,
    progress: job.progress,
    result_url: job.status === 'completed' && resultUrl ? resultUrl : null,
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
  }
}
