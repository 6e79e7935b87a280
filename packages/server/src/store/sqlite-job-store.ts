import { existsSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'
import { DocloaderError } from '@docloader/core'
import { JOB_STATUSES } from '../jobs/job.js'
import type { JobRecord, JobStatus, WebhookAttempt, WebhookDelivery } from '../jobs/job.js'
import type { JobPage, JobStore } from './job-store.js'
import { checkEpochMs, checkStatus, clampLimit, isoToMs } from './record-checks.js'
import { openDatabase } from './sqlite-schema.js'
import type { FromWriter, ToWriter } from './sqlite-writer-thread.js'
import { batchCommitter, type DeliveryRow, type JobInsert, prepareWrites, type UpdateParams, type WriteOp, type WriteResult, writeError } from './sqlite-writes.js'

export interface SqliteJobStoreOptions {
  /**
   * Path of the SQLite file; its folder is created when missing. `':memory:'` works for
   * tests only: such a store is private to its connection and lost on close.
   * @example '/var/lib/docloader/jobs.sqlite'
   */
  path: string
  /**
   * How long a write waits for another connection's write lock (another process, or another
   * store on the same file) before failing with `SQLITE_BUSY`. Writes wait on the store's
   * writer thread; reads wait on the caller's thread, whose event loop stalls meanwhile.
   * @default 5000
   */
  busyTimeoutMs?: number
}

/** Fields every JobRecord has: a patch setting one to `undefined` leaves it unchanged. */
const REQUIRED_FIELDS: ReadonlySet<string> = new Set<keyof JobRecord>([
  'status', 'filename', 'mimeType', 'sizeBytes', 'outputFormat', 'options', 'progress', 'pagesDone',
  'pagesTotal', 'attempts', 'runAfter', 'createdAt', 'expiresAt', 'webhookAttempts',
])

interface JobRow {
  data: string
}

interface ListRow {
  seq: number
  createdMs: number
  data: string
}


/**
 * The embedded job store: one SQLite file, safe to share between processes (API and
 * workers on one machine). Reads are one short synchronous statement on the caller's thread;
 * writes go to a writer thread of the store's own, which commits the writes that arrive
 * together in one transaction (see writerThread). Errors are thrown, never swallowed.
 *
 * @example
 * const store = createSqliteJobStore({ path: './data/jobs.sqlite' })
 */
export function createSqliteJobStore(options: SqliteJobStoreOptions): JobStore {
  const db = openDatabase(options)
  try {
    // A `:memory:` database belongs to its connection: its writes stay on this thread.
    const writer = options.path === ':memory:' ? inThreadWriter(db) : writerThread(options)
    return buildStore(db, writer)
  } catch (error) {
    db.close()
    throw error
  }
}

function buildStore(db: Database.Database, writer: Writer): JobStore {
  const selectById = db.prepare<[string], JobRow>('SELECT data FROM jobs WHERE id = ?')
  const selectByOrgAndId = db.prepare<[string, string], JobRow>('SELECT data FROM jobs WHERE org = ? AND id = ?')
  const listQueries = new Map<string, Database.Statement<[ListParams], ListRow>>()
  for (const byStatus of [false, true]) {
    for (const afterCursor of [false, true]) {
      listQueries.set(`${byStatus}:${afterCursor}`, db.prepare<[ListParams], ListRow>(`
        SELECT seq, created_ms AS createdMs, data FROM jobs
        WHERE org = @org
          ${byStatus ? 'AND status = @status' : ''}
          ${afterCursor ? 'AND (created_ms, seq) < (@cursorMs, @cursorSeq)' : ''}
        ORDER BY created_ms DESC, seq DESC
        LIMIT @limit`))
    }
  }
  const selectProcessing = db.prepare<[], JobRow>(
    "SELECT data FROM jobs WHERE status = 'processing' ORDER BY created_ms, seq",
  )
  const selectExpired = db.prepare<[number, number], JobRow>(
    'SELECT data FROM jobs WHERE expires_at < ? ORDER BY expires_at, seq LIMIT ?',
  )
  const countStatuses = db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status')
  const selectDue = db.prepare<[number, number], DeliveryRow>(`
    SELECT event_id AS eventId, job_id AS jobId, org, url, body, status, attempts,
           next_attempt_at AS nextAttemptAt, state
    FROM deliveries
    WHERE state = 'pending' AND next_attempt_at <= ?
    ORDER BY next_attempt_at, rowid
    LIMIT ?`)
  const selectOne = db.prepare<[], number>('SELECT 1').pluck()

  let closed = false
  const write = (op: WriteOp): Promise<WriteResult> => (closed ? Promise.reject(new Error('The job store is closed.')) : writer.write(op))

  return {
    async create(job) {
      const result = await write({ op: 'create', row: toJobInsert(job), key: job.idempotencyKey ?? null })
      return { job: parseJob(result.data!), created: result.created === true }
    },

    async get(org, id) {
      const row = selectByOrgAndId.get(org, id)
      return row && parseJob(row.data)
    },

    async getById(id) {
      const row = selectById.get(id)
      return row && parseJob(row.data)
    },

    async update(id, patch, onlyIf) {
      const { data } = await write({ op: 'update', params: toUpdateParams(id, patch, onlyIf) })
      return data === undefined ? undefined : parseJob(data)
    },

    async list(org, options = {}) {
      const limit = clampLimit(options.limit)
      const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
      const query = listQueries.get(`${options.status !== undefined}:${cursor !== undefined}`)
      if (!query) throw new Error('No list query prepared for these options')
      // One row more than asked tells whether a next page exists.
      const rows = query.all({ org, status: options.status ?? null, cursorMs: cursor?.createdMs ?? null, cursorSeq: cursor?.seq ?? null, limit: limit + 1 })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      const result: JobPage = { jobs: page.map(r => parseJob(r.data)) }
      if (rows.length > limit && last) result.nextCursor = encodeCursor(last.createdMs, last.seq)
      return result
    },

    async claimNext(now) {
      if (!Number.isFinite(now)) throw new TypeError(`Expected \`now\` to be epoch milliseconds, got \`${String(now)}\` (${typeof now})`)
      const { data } = await write({ op: 'claim', now, startedAt: new Date(now).toISOString() })
      return data === undefined ? undefined : parseJob(data)
    },

    async listProcessing() {
      return selectProcessing.all().map(r => parseJob(r.data))
    },

    async addWebhookAttempt(jobId, attempt: WebhookAttempt) {
      // A job deleted meanwhile (expired) has no history left to record into: no-op.
      await write({ op: 'appendAttempt', id: jobId, attempt: JSON.stringify(attempt) })
    },

    async listExpired(now, limit) {
      return selectExpired.all(now.getTime(), Math.max(0, Math.floor(limit))).map(r => parseJob(r.data))
    },

    async delete(id) {
      await write({ op: 'delete', id })
    },

    async countByStatus() {
      const counts = Object.fromEntries(JOB_STATUSES.map(s => [s, 0])) as Record<JobStatus, number>
      for (const { status, n } of countStatuses.all()) {
        if ((JOB_STATUSES as readonly string[]).includes(status)) counts[status as JobStatus] = n
      }
      return counts
    },

    async addDelivery(delivery) {
      const row = {
        eventId: delivery.eventId,
        jobId: delivery.jobId,
        org: delivery.org,
        url: delivery.url,
        body: delivery.body,
        status: delivery.status,
        attempts: delivery.attempts,
        nextAttemptAt: delivery.nextAttemptAt,
        state: delivery.state,
      }
      await write({ op: 'insertDelivery', row })
    },

    async dueDeliveries(now, limit, leaseUntil) {
      const count = Math.max(0, Math.floor(limit))
      if (leaseUntil === undefined) return selectDue.all(now, count).map(toDelivery)
      checkEpochMs('leaseUntil', leaseUntil)
      if (count === 0) return []
      const { deliveries = [] } = await write({ op: 'claimDeliveries', now, limit: count, leaseUntil })
      return deliveries.map(toDelivery)
    },

    async updateDelivery(eventId, patch) {
      await write({ op: 'updateDelivery', patch: { eventId, attempts: patch.attempts ?? null, nextAttemptAt: patch.nextAttemptAt ?? null, state: patch.state ?? null } })
    },

    async ping() {
      // The one method whose answer is a boolean: a closed or broken database is "not ready".
      if (closed || !db.open || writer.broken) return false
      try {
        return selectOne.get() === 1
      } catch {
        return false
      }
    },

    async close() {
      if (closed) return
      closed = true
      try {
        await writer.close()
      } finally {
        db.close()
      }
    },
  }
}



interface ListParams {
  org: string
  status: string | null
  cursorMs: number | null
  cursorSeq: number | null
  limit: number
}

function toJobInsert(job: JobRecord): JobInsert {
  if (typeof job.id !== 'string' || job.id === '') throw new TypeError(`Expected \`job.id\` to be a non-empty string, got \`${String(job.id)}\``)
  if (typeof job.org !== 'string' || job.org === '') throw new TypeError(`Expected \`job.org\` to be a non-empty string, got \`${String(job.org)}\``)
  checkStatus(job.status)
  return {
    id: job.id,
    org: job.org,
    status: job.status,
    idempotencyKey: job.idempotencyKey ?? null,
    createdMs: isoToMs('createdAt', job.createdAt),
    runAfter: checkEpochMs('runAfter', job.runAfter),
    expiresAt: isoToMs('expiresAt', job.expiresAt),
    data: JSON.stringify(job),
  }
}

function toUpdateParams(id: string, patch: Partial<Omit<JobRecord, 'id' | 'org'>>, onlyIf: JobStatus[] | undefined): UpdateParams {
  const clear: Record<string, null> = {}
  const set: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(patch)) {
    // id and org are the job's identity; never rewritten even if a caller slips them in.
    if (key === 'id' || key === 'org') continue
    if (value === undefined) {
      // `{ error: undefined }` clears an optional field, as `{ ...job, ...patch }` would.
      // A required field cannot be cleared: leave it as it is.
      if (!REQUIRED_FIELDS.has(key)) clear[key] = null
      continue
    }
    clear[key] = null
    set[key] = value
  }
  if (patch.status !== undefined) checkStatus(patch.status)
  for (const status of onlyIf ?? []) checkStatus(status)
  const hasKey = Object.hasOwn(patch, 'idempotencyKey')
  return {
    id,
    clear: JSON.stringify(clear),
    set: JSON.stringify(set),
    status: patch.status ?? null,
    createdMs: patch.createdAt === undefined ? null : isoToMs('createdAt', patch.createdAt),
    runAfter: patch.runAfter === undefined ? null : checkEpochMs('runAfter', patch.runAfter),
    expiresAt: patch.expiresAt === undefined ? null : isoToMs('expiresAt', patch.expiresAt),
    setKey: hasKey ? 1 : 0,
    idempotencyKey: patch.idempotencyKey ?? null,
    onlyIf: onlyIf === undefined ? null : JSON.stringify(onlyIf),
  }
}




function parseJob(data: string): JobRecord {
  return JSON.parse(data) as JobRecord
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    eventId: row.eventId,
    jobId: row.jobId,
    org: row.org,
    url: row.url,
    body: row.body,
    status: row.status as JobStatus,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    state: row.state as WebhookDelivery['state'],
  }
}


/** Cursor: base64url of `v1:<created ms>:<seq>`, the position of the last job of the page. */
function encodeCursor(createdMs: number, seq: number): string {
  return Buffer.from(`v1:${createdMs}:${seq}`).toString('base64url')
}

function decodeCursor(cursor: string): { createdMs: number; seq: number } {
  const match = /^v1:(-?\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) {
    throw new DocloaderError('INVALID_OPTION', 'The `cursor` is not one this server issued. Pass the `next_cursor` of the previous page unchanged, or leave it out to start from the newest job.', { details: { option: 'cursor' } })
  }
  return { createdMs: Number(match[1]), seq: Number(match[2]) }
}

/** Where the store's writes run (see writerThread, inThreadWriter). */
interface Writer {
  write(op: WriteOp): Promise<WriteResult>
  /** Set once the writer can no longer write (its thread died): the store is not ready. */
  readonly broken: boolean
  /** Waits for the writes asked for, then stops. */
  close(): Promise<void>
}

/**
 * The thread entry is always built JavaScript. From dist/ it sits next to this module; when
 * this module runs from src/ (vitest), the built one in dist/ is used: build with `tsc -b`
 * before testing.
 */
function writerEntry(): URL {
  const beside = new URL('./sqlite-writer-thread.js', import.meta.url)
  if (existsSync(beside)) return beside
  const built = new URL('../../dist/store/sqlite-writer-thread.js', import.meta.url)
  if (existsSync(built)) return built
  throw new Error(`The SQLite writer thread entry is missing: expected ${beside.pathname} or ${built.pathname}. Build the server package with \`tsc -b\`.`)
}

/**
 * Writes on a thread of their own (sqlite-writer-thread.ts): the fsync of every commit no
 * longer stalls the event loop, and writes asked for during a commit share the next one.
 * A write's promise settles after its commit, so a resolved `create` is as durable as before.
 * The thread keeps the process alive only while writes are in flight.
 */
function writerThread(options: SqliteJobStoreOptions): Writer {
  const worker = new Worker(writerEntry(), { workerData: { path: options.path, busyTimeoutMs: options.busyTimeoutMs } })
  worker.unref()
  const pending = new Map<number, { resolve: (value: WriteResult) => void; reject: (error: Error) => void }>()
  let seq = 0
  let broken: Error | undefined
  let closing: Promise<void> | undefined
  let closedByUs: () => void = () => {}

  const settle = (id: number, outcome: { ok: true; value: WriteResult } | { ok: false; error: Error }): void => {
    const entry = pending.get(id)
    if (!entry) return
    pending.delete(id)
    if (pending.size === 0) worker.unref()
    if (outcome.ok) entry.resolve(outcome.value)
    else entry.reject(outcome.error)
  }
  const failAll = (error: Error): void => {
    broken ??= error
    for (const id of [...pending.keys()]) settle(id, { ok: false, error })
  }

  worker.on('message', (message: FromWriter) => {
    if (message.type === 'done') {
      for (const { seq: id, outcome } of message.results) settle(id, outcome.ok ? outcome : { ok: false, error: writeError(outcome.error) })
    } else if (message.type === 'failed') {
      const error = writeError(message.error)
      for (const id of message.seqs) settle(id, { ok: false, error })
    } else {
      closedByUs()
    }
  })
  worker.on('error', (error) => failAll(new Error(`The SQLite writer thread failed: ${error.message}`, { cause: error })))
  worker.on('exit', (code) => failAll(new Error(`The SQLite writer thread stopped (exit code ${code}).`)))

  return {
    get broken() {
      return broken !== undefined
    },
    write(op) {
      if (broken) return Promise.reject(broken)
      return new Promise<WriteResult>((resolve, reject) => {
        const id = ++seq
        pending.set(id, { resolve, reject })
        if (pending.size === 1) worker.ref()
        worker.postMessage({ type: 'write', seq: id, write: op } satisfies ToWriter)
      })
    },
    close() {
      closing ??= (async () => {
        if (broken) return
        worker.ref()
        const closed = new Promise<void>((resolve) => (closedByUs = resolve))
        worker.postMessage({ type: 'close' } satisfies ToWriter)
        await Promise.race([closed, new Promise<void>((resolve) => worker.once('exit', () => resolve()))])
        await worker.terminate()
      })()
      return closing
    },
  }
}

/** Writes on the store's own thread, committed together per turn of the event loop (`:memory:` stores). */
function inThreadWriter(db: Database.Database): Writer {
  const commit = batchCommitter(db, prepareWrites(db))
  let queue: { op: WriteOp; resolve: (value: WriteResult) => void; reject: (error: Error) => void }[] = []
  let flushing: Promise<void> | undefined
  const flush = (): void => {
    flushing = undefined
    const batch = queue
    queue = []
    let outcomes: ReturnType<typeof commit>
    try {
      outcomes = commit(batch.map((item) => item.op))
    } catch (error) {
      for (const item of batch) item.reject(error as Error)
      return
    }
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.value) : batch[i]!.reject(writeError(outcome.error))))
  }
  return {
    broken: false,
    write: (op) =>
      new Promise<WriteResult>((resolve, reject) => {
        queue.push({ op, resolve, reject })
        flushing ??= new Promise<void>((done) =>
          setImmediate(() => {
            flush()
            done()
          }),
        )
      }),
    close: async () => void (await flushing),
  }
}
