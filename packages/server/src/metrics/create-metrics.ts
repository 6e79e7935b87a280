import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { JOB_STATUSES } from '../jobs/job.js'
import type { JobStore } from '../store/job-store.js'

export interface Metrics {
  readonly registry: Registry
  conversionSeconds: Histogram<'status'>
  webhookAttempts: Counter<'outcome'>
  httpSeconds: Histogram<'method' | 'route' | 'status'>
}

/** What the metrics read from the job runner. */
export interface RunnerGauges {
  /** Conversions running in this process (embedded mode). */
  readonly active: number
  /**
   * Conversions running anywhere, read at scrape time: a queue runner converts nothing
   * itself, its workers do (BullMQ's active jobs). When absent, `active` is used.
   */
  countRunning?(): Promise<number>
}

/** Prometheus metrics of one server process; job counts are read from the store at scrape time. */
export function createMetrics(store: JobStore, runner: RunnerGauges): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'docloader_' })
  new Gauge({
    name: 'docloader_jobs',
    help: 'Jobs by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await store.countByStatus()
      for (const status of JOB_STATUSES) this.set({ status }, counts[status] ?? 0)
    },
  })
  new Gauge({
    name: 'docloader_queue_depth',
    help: 'Jobs waiting to be converted (pending in the store, whichever process converts them).',
    registers: [registry],
    async collect() {
      this.set((await store.countByStatus()).pending ?? 0)
    },
  })
  new Gauge({
    name: 'docloader_conversions_running',
    help: 'Conversions running: in this process (embedded queue), or on all workers (Redis queue).',
    registers: [registry],
    async collect() {
      this.set(runner.countRunning ? await runner.countRunning() : runner.active)
    },
  })
  return {
    registry,
    conversionSeconds: new Histogram({
      name: 'docloader_conversion_duration_seconds',
      help: 'Time from the start of a conversion to its end, by final status.',
      labelNames: ['status'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'docloader_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, failed_status, failed_network).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'docloader_http_request_duration_seconds',
      help: 'HTTP request latency by route.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  }
}
