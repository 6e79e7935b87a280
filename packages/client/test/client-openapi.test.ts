/**
 * The client's types follow the server's API description: the key lists that mirror the
 * client's interfaces (checked against them by the compiler) must equal the required
 * properties of the OpenAPI schemas, and the status and error code lists their enums.
 */
import { openApiDocument } from '@docloader/server'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, JOB_KEYS, JOB_LIST_KEYS, JOB_OPTION_KEYS, JOB_STATUSES, WEBHOOK_ATTEMPT_KEYS, WEBHOOK_EVENT_KEYS } from '../src/index.js'

const schemas = openApiDocument.components.schemas
const sorted = (list: readonly string[]) => [...list].sort()

describe('types in step with /openapi.json', () => {
  it('Job has exactly the required properties of the Job schema', () => {
    expect(sorted(JOB_KEYS)).toEqual(sorted(schemas.Job.required))
    expect(sorted(Object.keys(schemas.Job.properties))).toEqual(sorted(schemas.Job.required))
    expect(sorted(JOB_OPTION_KEYS)).toEqual(sorted(schemas.Job.properties.options.required))
  })

  it('JobList, WebhookEvent and WebhookAttempt likewise', () => {
    expect(sorted(JOB_LIST_KEYS)).toEqual(sorted(schemas.JobList.required))
    expect(sorted(WEBHOOK_EVENT_KEYS)).toEqual(sorted(schemas.WebhookEvent.required))
    expect(sorted(WEBHOOK_ATTEMPT_KEYS)).toEqual(sorted(schemas.WebhookAttempt.required))
  })

  it('the statuses and the error codes are the API\'s', () => {
    expect([...JOB_STATUSES]).toEqual([...schemas.JobStatus.enum])
    expect(sorted(ERROR_CODES)).toEqual(sorted(schemas.Error.properties.error.properties.code.enum))
  })
})
