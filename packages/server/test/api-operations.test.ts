/**
 * The operational routes: /healthz, /readyz, /metrics (Prometheus text) and /openapi.json
 * (every route the app serves is described). Run `pnpm exec tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type AppDeps } from '../src/http/create-app.js'
import { call, markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { closeTestServers, startTestServer, type TestServer } from './start-test-server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(closeTestServers)

describe('operations', () => {
  it('answers /healthz and /readyz without a key', async () => {
    const health = await call(server, '/healthz', { key: null })
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const ready = await call(server, '/readyz', { key: null })
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })
  })

  it('echoes X-Request-Id, or makes one up', async () => {
    const given = await call(server, '/healthz', { key: null, headers: { 'x-request-id': 'trace-42' } })
    expect(given.headers.get('x-request-id')).toBe('trace-42')
    const made = await call(server, '/api/v1/jobs')
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('serves Prometheus metrics: jobs by status, queue depth, conversion and HTTP latency histograms', async () => {
    const job = await submitJob(server, markdownDocument('Measured'))
    await waitForJob(server, job.id)
    await call(server, '/api/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa')

    const response = await call(server, '/metrics', { key: null })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    expect(text).toMatch(/^# TYPE docloader_jobs gauge$/m)
    expect(text).toMatch(/^docloader_jobs\{status="completed"\} 1$/m)
    for (const status of ['pending', 'processing', 'failed', 'cancelled']) expect(text).toMatch(new RegExp(`^docloader_jobs\\{status="${status}"\\} 0$`, 'm'))
    expect(text).toMatch(/^docloader_queue_depth 0$/m)
    expect(text).toMatch(/^docloader_conversion_duration_seconds_count\{status="completed"\} 1$/m)
    expect(text).toMatch(/^# TYPE docloader_http_request_duration_seconds histogram$/m)
    expect(text).toMatch(/^docloader_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/jobs",status="202"\} 1$/m)
    // Labelled by route pattern, not by job id: one series for every job.
    expect(text).toMatch(/^docloader_http_request_duration_seconds_bucket\{le="[\d.]+",method="GET",route="\/api\/v1\/jobs\/:id",status="200"\} \d+$/m)
    expect(text).toMatch(/route="\/api\/v1\/jobs\/:id",status="404"/)
    expect(text).not.toMatch(/job_[a-z2-7]{24}/)
  })

  it('serves /openapi.json describing every route of the app, and nothing it does not serve', async () => {
    const response = await call(server, '/openapi.json', { key: null })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const document = JSON.parse(await response.text()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(document.openapi).toMatch(/^3\.1\./)

    // The routes the app really has (Hono lists them; middleware shows as ALL).
    const routes = createApp({} as AppDeps)
      .routes.filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    const described = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(routes.length).toBeGreaterThanOrEqual(12)
    expect([...described].sort()).toEqual([...new Set(routes)].sort())
  })
})
