export { DocloaderClient } from './docloader-client.js'
export type { ConvertOptions, CreateJobOptions, DocloaderClientOptions, ListJobsOptions, RequestOptions, ResultStream } from './docloader-client.js'
export { DocloaderError, isDocloaderError } from './docloader-error.js'
export type { ClientErrorCode, DocloaderErrorOptions } from './docloader-error.js'
export type { RetryOptions } from './retry/retry-policy.js'
export type { UploadInput } from './upload/multipart-body.js'
export type { WaitForJobOptions } from './wait/wait-for-job.js'
export { verifyWebhook, SIGNATURE_HEADER, EVENT_ID_HEADER } from './webhooks/verify-webhook.js'
export type { VerifyWebhookOptions } from './webhooks/verify-webhook.js'
export { createWebhookHandler } from './webhooks/create-webhook-handler.js'
export type { WebhookAnswer, WebhookHandler, WebhookHandlerOptions } from './webhooks/create-webhook-handler.js'
export {
  ERROR_CODES,
  FINAL_STATUSES,
  JOB_KEYS,
  JOB_LIST_KEYS,
  JOB_OPTION_KEYS,
  JOB_STATUSES,
  WEBHOOK_ATTEMPT_KEYS,
  WEBHOOK_EVENT_KEYS,
} from './types.js'
export type { ApiError, ApiErrorBody, ApiErrorCode, Job, JobList, JobStatus, OutputFormat, WebhookAttempt, WebhookEvent } from './types.js'
