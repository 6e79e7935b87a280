import { DocloaderError } from '@docloader/core'
import { JOB_STATUSES } from '../jobs/job.js'

/** Checks every store applies to what it is asked to write, so a bad record fails loudly, not later. */

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 100

export function checkStatus(status: unknown): void {
  if (!(JOB_STATUSES as readonly unknown[]).includes(status)) {
    throw new TypeError(`Expected a job status (${JOB_STATUSES.join(', ')}), got \`${String(status)}\` (${typeof status})`)
  }
}

export function isoToMs(field: string, iso: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN
  if (Number.isNaN(ms)) throw new TypeError(`Expected \`${field}\` to be an ISO date, got \`${String(iso)}\` (${typeof iso})`)
  return ms
}

export function checkEpochMs(field: string, value: number): number {
  if (!Number.isFinite(value)) throw new TypeError(`Expected \`${field}\` to be epoch milliseconds, got \`${String(value)}\` (${typeof value})`)
  return value
}

/** The page size of a listing: 20 by default, clamped to 1..100. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT
  if (!Number.isFinite(limit)) {
    throw new DocloaderError('INVALID_OPTION', `Expected \`limit\` to be a number from 1 to ${MAX_LIMIT}, got \`${String(limit)}\` (${typeof limit})`, { details: { option: 'limit' } })
  }
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)))
}
