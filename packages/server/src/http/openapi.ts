/** The API description served at /openapi.json (OpenAPI 3.1). Keep in step with create-app.ts. */

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          enum: ['UNSUPPORTED_TYPE', 'FILE_TOO_LARGE', 'EMPTY_FILE', 'CORRUPT_FILE', 'ENCRYPTED', 'LIMIT_EXCEEDED', 'OCR_FAILED', 'TIMEOUT', 'CANCELLED', 'NOT_FOUND', 'INVALID_OPTION', 'INTERNAL', 'UNAUTHORIZED', 'FORBIDDEN', 'RESULT_NOT_READY', 'NOT_CANCELLABLE', 'RATE_LIMITED', 'UNAVAILABLE'],
        },
        message: { type: 'string' },
      },
    },
  },
} as const

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } })
const nullable = (schema: object) => ({ oneOf: [schema, { type: 'null' }] })
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^job_[a-z2-7]{24}$' } }

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'docloader API',
    version: '0.1.0',
    description: 'Convert documents to Markdown, text or JSON with asynchronous jobs. Every /api/v1 route needs an X-API-Key header; each key belongs to one organisation and sees only its jobs.',
  },
  components: {
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    schemas: {
      Error: error,
      JobStatus: { type: 'string', enum: ['pending', 'processing', 'completed', 'failed', 'cancelled'] },
      WebhookAttempt: {
        type: 'object',
        required: ['event_id', 'status', 'attempt', 'at', 'status_code', 'error', 'ok', 'ms'],
        properties: {
          event_id: { type: 'string' },
          status: { $ref: '#/components/schemas/JobStatus' },
          attempt: { type: 'integer', minimum: 1 },
          at: { type: 'string', format: 'date-time' },
          status_code: nullable({ type: 'integer' }),
          error: nullable({ type: 'string' }),
          ok: { type: 'boolean' },
          ms: { type: 'number' },
        },
      },
      Job: {
        type: 'object',
        required: ['id', 'status', 'progress', 'pages_done', 'pages_total', 'filename', 'mime_type', 'size_bytes', 'output_format', 'options', 'attempts', 'created_at', 'started_at', 'completed_at', 'expires_at', 'error', 'partial', 'result_url', 'webhook'],
        properties: {
          id: { type: 'string' },
          status: { $ref: '#/components/schemas/JobStatus' },
          progress: { type: 'integer', minimum: 0, maximum: 100 },
          pages_done: { type: 'integer', minimum: 0 },
          pages_total: { type: 'integer', minimum: 0 },
          filename: { type: 'string', description: "The client's file name, metadata only." },
          mime_type: { type: 'string', description: 'Detected from the bytes.' },
          size_bytes: { type: 'integer' },
          output_format: { type: 'string', enum: ['md', 'txt', 'json'] },
          options: {
            type: 'object',
            required: ['ocr', 'ocr_provider', 'pages', 'language'],
            properties: { ocr: nullable({ type: 'string' }), ocr_provider: nullable({ type: 'string' }), pages: nullable({ type: 'string' }), language: nullable({ type: 'string' }) },
          },
          attempts: { type: 'integer' },
          created_at: { type: 'string', format: 'date-time' },
          started_at: nullable({ type: 'string', format: 'date-time' }),
          completed_at: nullable({ type: 'string', format: 'date-time' }),
          expires_at: { type: 'string', format: 'date-time' },
          error: nullable({ type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } }),
          partial: nullable({ type: 'object', required: ['reason', 'code'], properties: { reason: { type: 'string' }, code: nullable({ type: 'string' }) } }),
          result_url: nullable({ type: 'string', format: 'uri', description: 'Signed link to the result, valid without the API key until it expires (default one hour). With S3 storage it redirects (302) to a presigned URL of the object.' }),
          webhook: nullable({
            type: 'object',
            required: ['url', 'attempts'],
            properties: { url: { type: 'string', format: 'uri' }, attempts: { type: 'array', items: { $ref: '#/components/schemas/WebhookAttempt' } } },
          }),
        },
      },
      JobList: {
        type: 'object',
        required: ['jobs', 'next_cursor'],
        properties: { jobs: { type: 'array', items: { $ref: '#/components/schemas/Job' } }, next_cursor: nullable({ type: 'string' }) },
      },
      WebhookEvent: {
        type: 'object',
        description: 'Body POSTed to webhook_url on every status change, signed with X-Docloader-Signature: t=<unix>,v1=<hex hmac-sha256 of "t.body"> using the organisation secret from GET /api/v1/webhook-secret; X-Docloader-Event-Id identifies the event across retries.',
        required: ['job_id', 'status', 'progress', 'result_url', 'error'],
        properties: {
          job_id: { type: 'string' },
          status: { $ref: '#/components/schemas/JobStatus' },
          progress: { type: 'integer' },
          result_url: nullable({ type: 'string', format: 'uri' }),
          error: nullable({ type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } }),
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/api/v1/jobs': {
      post: {
        summary: 'Upload a document and start a conversion job',
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'The same key from the same organisation returns the same job.' }],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file'],
                properties: {
                  file: { type: 'string', format: 'binary' },
                  output_format: { type: 'string', enum: ['md', 'txt', 'json'], default: 'md' },
                  ocr: { type: 'string', enum: ['auto', 'off', 'force'] },
                  ocr_provider: { type: 'string', example: 'mistral,tesseract' },
                  pages: { type: 'string', example: '1-3,7' },
                  language: { type: 'string', example: 'eng,deu' },
                  webhook_url: { type: 'string', format: 'uri' },
                },
              },
            },
          },
        },
        responses: {
          '202': { description: 'Accepted; conversion runs in the background.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } },
          '400': errorResponse('Bad parameters or empty file'),
          '401': errorResponse('No or unknown API key'),
          '413': errorResponse('Upload above the size limit (stopped while streaming)'),
          '415': errorResponse('Unsupported type, detected from the bytes'),
          '429': errorResponse('Rate limited; see Retry-After'),
        },
      },
      get: {
        summary: "List the organisation's jobs, newest first",
        parameters: [
          { name: 'status', in: 'query', schema: { $ref: '#/components/schemas/JobStatus' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'A page of jobs', content: { 'application/json': { schema: { $ref: '#/components/schemas/JobList' } } } }, '400': errorResponse('Bad parameters'), '401': errorResponse('No or unknown API key') },
      },
    },
    '/api/v1/jobs/{id}': {
      parameters: [idParam],
      get: { summary: 'A job', responses: { '200': { description: 'The job', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, '404': errorResponse('No such job for this organisation') } },
      delete: {
        summary: 'Cancel a pending or processing job',
        responses: { '200': { description: 'The cancelled job', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, '404': errorResponse('No such job'), '409': errorResponse('Already finished') },
      },
    },
    '/api/v1/jobs/{id}/result': {
      parameters: [idParam],
      get: {
        summary: 'The converted content',
        description: 'Streamed by the API whatever the storage (a folder or S3), so clients that do not follow redirects work, and the API key is never sent to the storage host.',
        responses: {
          '200': { description: 'The result', content: { 'text/markdown': { schema: { type: 'string' } }, 'text/plain': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } },
          '404': errorResponse('No such job'),
          '409': errorResponse('Not completed'),
        },
      },
    },
    '/api/v1/jobs/{id}/events': {
      parameters: [idParam],
      get: { summary: 'Server-Sent Events of the job (event `job`, and `end` with the final state)', responses: { '200': { description: 'text/event-stream; each data is a Job', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '404': errorResponse('No such job') } },
    },
    '/api/v1/webhook-secret': {
      get: { summary: "The organisation's webhook signing secret", responses: { '200': { description: 'The secret', content: { 'application/json': { schema: { type: 'object', required: ['secret'], properties: { secret: { type: 'string' } } } } } } } },
    },
    '/results/{id}': {
      parameters: [idParam, { name: 'expires', in: 'query', required: true, schema: { type: 'string' } }, { name: 'signature', in: 'query', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'A result by signed link (no API key)',
        description: 'The link is checked by the API first. With a storage folder the API serves the content; with S3 storage it answers 302 to a presigned GET URL of the result object, valid a few minutes (default 300 s), so the bytes come straight from the bucket.',
        security: [],
        responses: {
          '200': { description: 'The result (folder storage)' },
          '302': { description: 'Redirect to a presigned S3 URL of the result (S3 storage)', headers: { Location: { schema: { type: 'string', format: 'uri' } } } },
          '403': errorResponse('Tampered or expired link'),
          '404': errorResponse('The job or its result no longer exists'),
          '409': errorResponse('Not completed'),
        },
      },
    },
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
    '/readyz': { get: { summary: 'Readiness: the store, the queue (Redis) and the storage (S3) answer', security: [], responses: { '200': { description: 'Ready' }, '503': errorResponse('Not ready') } } },
    '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text/plain exposition format' } } } },
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
  },
} as const
