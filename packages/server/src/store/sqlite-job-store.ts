import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { DocloaderError } from '@docloader/core'
import { JOB_STATUSES } from '../jobs/job.js'
import type { JobRecord, JobStatus, WebhookAttempt, WebhookDelivery } from '../jobs/job.js'
import type { JobPage, JobStore, ListOptions } from './job-store.js'
import { checkEpochMs, checkStatus, clampLimit, isoToMs } from './record-checks.js'

export interface SqliteJobStoreOptions {
  /**
   * Path of the SQLite file; its folder is created when missing. `':memory:'` works for
   * tests only: such a store is private to its connection and lost on close.
   * @example '/var/lib/docloader/jobs.sqlite'
   */
  path: string
  /**
   * How long a write waits for another connection's write lock (another process, or another
   * store on the same file) before failing with `SQLITE_BUSY`. better-sqlite3 waits
   * synchronously, so this also bounds how long the event loop can stall on contention.
   * @default 5000
   */
  busyTimeoutMs?: number
}

/** Schema version kept in `PRAGMA user_version`; each step of MIGRATIONS brings the file one version up. */
const MIGRATIONS: readonly string[] = [
  // 0 -> 1
  `
  CREATE TABLE jobs (
    -- Monotonic (AUTOINCREMENT: never reused) creation order; breaks ties between jobs
    -- created in the same millisecond, for list order, cursors and claim order.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL,
    status TEXT NOT NULL,
    idempotency_key TEXT,
    created_ms INTEGER NOT NULL,
    -- REAL: a jittered backoff may set a fractional epoch ms; STRICT INTEGER would refuse it.
    run_after REAL NOT NULL,
    expires_at INTEGER NOT NULL,
    -- The whole JobRecord as JSON; the columns above are copies kept for indexing, written
    -- by the same statement that writes data.
    data TEXT NOT NULL
  ) STRICT;
  -- NULL keys are distinct in a SQLite UNIQUE index, so jobs without a key never collide.
  CREATE UNIQUE INDEX jobs_org_idempotency ON jobs (org, idempotency_key);
  CREATE INDEX jobs_org_created ON jobs (org, created_ms, seq);
  CREATE INDEX jobs_org_status_created ON jobs (org, status, created_ms, seq);
  -- claimNext, listProcessing, countByStatus; run_after last so the claim scan never reads rows.
  CREATE INDEX jobs_status_created ON jobs (status, created_ms, seq, run_after);
  CREATE INDEX jobs_expires ON jobs (expires_at);

  CREATE TABLE deliveries (
    event_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    org TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    state TEXT NOT NULL
  ) STRICT;
  CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
  CREATE INDEX deliveries_job ON deliveries (job_id);
  `,
]

const SCHEMA_VERSION = MIGRATIONS.length


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

interface DeliveryRow {
  eventId: string
  jobId: string
  org: string
  url: string
  body: string
  status: string
  attempts: number
  nextAttemptAt: number
  state: string
}

/**
 * The embedded job store: one SQLite file, safe to share between processes (API and
 * workers on one machine). Reads are one short synchronous statement; writes are gathered
 * over one turn of the event loop and committed together (see groupCommit). Errors are
 * thrown, never swallowed.
 *
 * @example
 * const store = createSqliteJobStore({ path: './data/jobs.sqlite' })
 */
export function createSqliteJobStore(options: SqliteJobStoreOptions): JobStore {
  const db = openDatabase(options)
  try {
    return buildStore(db)
  } catch (error) {
    db.close()
    throw error
  }
}

function openDatabase(options: SqliteJobStoreOptions): Database.Database {
  const { path } = options
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`Expected \`path\` to be a SQLite file path or ':memory:', got \`${String(path)}\` (${typeof path})`)
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`Expected \`busyTimeoutMs\` to be an integer from 0 and up, got \`${String(busyTimeoutMs)}\` (${typeof busyTimeoutMs})`)
  }
  const memory = path === ':memory:'
  if (!memory) mkdirSync(dirname(path), { recursive: true })

  // `timeout` sets busy_timeout for this connection before anything touches the file, so
  // even the journal-mode switch and the migration below wait for another opener.
  const db = new Database(path, { timeout: busyTimeoutMs })
  try {
    if (!memory) {
      // WAL: readers never block the writer and vice versa, which an API polled while
      // workers write needs. It is a property of the file, kept across connections.
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal') {
        throw new Error(`Could not put ${path} in WAL mode (got journal_mode ${String(mode)}); is it on a network file system?`)
      }
    }
    // FULL, not NORMAL: in WAL mode NORMAL does not fsync at commit, so after a power loss or
    // OS crash the last commits can roll back, and a job whose `create` already resolved
    // (and got its 202) would be gone. FULL fsyncs the WAL at every commit; writes are
    // committed in groups (see groupCommit) so concurrent requests share one fsync.
    db.pragma('synchronous = FULL')
    migrate(db, path)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

function migrate(db: Database.Database, path: string): void {
  // IMMEDIATE: two processes opening a new file at once must not both run a migration; the
  // second waits for the lock, then sees the new version.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new Error(`${path} has job store schema version ${version}, newer than this docloader understands (${SCHEMA_VERSION}). Upgrade docloader or point it at another file.`)
    }
    for (let v = version; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v] as string)
    }
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}

function buildStore(db: Database.Database): JobStore {
  const jobColumns = 'id, org, status, idempotency_key, created_ms, run_after, expires_at, data'
  const jobValues = '@id, @org, @status, @idempotencyKey, @createdMs, @runAfter, @expiresAt, @data'
  const insertJob = db.prepare<JobInsert>(`INSERT INTO jobs (${jobColumns}) VALUES (${jobValues})`)
  const insertJobUnlessKeyExists = db.prepare<JobInsert>(
    `INSERT INTO jobs (${jobColumns}) VALUES (${jobValues}) ON CONFLICT (org, idempotency_key) DO NOTHING`,
  )
  const selectByKey = db.prepare<[string, string], JobRow>('SELECT data FROM jobs WHERE org = ? AND idempotency_key = ?')
  const selectById = db.prepare<[string], JobRow>('SELECT data FROM jobs WHERE id = ?')
  const selectByOrgAndId = db.prepare<[string, string], JobRow>('SELECT data FROM jobs WHERE org = ? AND id = ?')

  // Patch in one statement, so `onlyIf` is a compare-and-set: the status test and the write
  // happen under one write lock. `clear` removes every patched key (merge-patch null), `set`
  // then writes the new values whole, so patching `options` replaces it rather than merging.
  const updateJob = db.prepare<[UpdateParams], JobRow>(`
    UPDATE jobs SET
      data = json_patch(json_patch(data, @clear), @set),
      status = coalesce(@status, status),
      created_ms = coalesce(@createdMs, created_ms),
      run_after = coalesce(@runAfter, run_after),
      expires_at = coalesce(@expiresAt, expires_at),
      idempotency_key = CASE WHEN @setKey THEN @idempotencyKey ELSE idempotency_key END
    WHERE id = @id AND (@onlyIf IS NULL OR status IN (SELECT value FROM json_each(@onlyIf)))
    RETURNING data`)

  // One statement: SQLite takes the write lock before running it, so the chosen row cannot be
  // taken by another connection between the SELECT and the UPDATE.
  const claim = db.prepare<[{ now: number; startedAt: string }], JobRow>(`
    UPDATE jobs SET
      status = 'processing',
      data = json_set(data,
        '$.status', 'processing',
        '$.startedAt', @startedAt,
        '$.attempts', coalesce(json_extract(data, '$.attempts'), 0) + 1)
    WHERE seq = (
      SELECT seq FROM jobs
      WHERE status = 'pending' AND run_after <= @now
      ORDER BY created_ms, seq
      LIMIT 1)
    RETURNING data`)

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
  // One statement appends inside SQLite: no read-modify-write between processes.
  const appendAttempt = db.prepare<[{ id: string; attempt: string }]>(`
    UPDATE jobs SET data = json_set(data, '$.webhookAttempts',
      json_insert(coalesce(json_extract(data, '$.webhookAttempts'), json('[]')), '$[#]', json(@attempt)))
    WHERE id = @id`)
  const selectExpired = db.prepare<[number, number], JobRow>(
    'SELECT data FROM jobs WHERE expires_at < ? ORDER BY expires_at, seq LIMIT ?',
  )
  const deleteJobRow = db.prepare<[string]>('DELETE FROM jobs WHERE id = ?')
  const deleteJobDeliveries = db.prepare<[string]>('DELETE FROM deliveries WHERE job_id = ?')
  const countStatuses = db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status')

  const insertDelivery = db.prepare<[DeliveryRow]>(`
    INSERT INTO deliveries (event_id, job_id, org, url, body, status, attempts, next_attempt_at, state)
    VALUES (@eventId, @jobId, @org, @url, @body, @status, @attempts, @nextAttemptAt, @state)`)
  const selectDue = db.prepare<[number, number], DeliveryRow>(`
    SELECT event_id AS eventId, job_id AS jobId, org, url, body, status, attempts,
           next_attempt_at AS nextAttemptAt, state
    FROM deliveries
    WHERE state = 'pending' AND next_attempt_at <= ?
    ORDER BY next_attempt_at, rowid
    LIMIT ?`)
  const updateDeliveryRow = db.prepare<[{ eventId: string; attempts: number | null; nextAttemptAt: number | null; state: string | null }]>(`
    UPDATE deliveries SET
      attempts = coalesce(@attempts, attempts),
      next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
      state = coalesce(@state, state)
    WHERE event_id = @eventId`)
  const selectOne = db.prepare<[], number>('SELECT 1').pluck()

  // IMMEDIATE takes the write lock first, so the follow-up read sees the job that won a
  // concurrent insert with the same key (which must have committed before we got the lock).
  const createWithKey = db.transaction((row: JobInsert, key: string): JobRow | undefined => {
    if (insertJobUnlessKeyExists.run(row).changes === 1) return undefined
    const existing = selectByKey.get(row.org, key)
    if (!existing) throw new Error(`Job insert with idempotency key ${JSON.stringify(key)} conflicted, yet no job holds that key`)
    return existing
  })
  const deleteJob = db.transaction((id: string) => {
    deleteJobDeliveries.run(id)
    deleteJobRow.run(id)
  })

  let closed = false
  const write = groupCommit(db)

  return {
    create(job) {
      const row = toJobInsert(job)
      const key = job.idempotencyKey
      return write(() => {
        if (key === undefined) {
          insertJob.run(row)
          return { job: parseJob(row.data), created: true }
        }
        const existing = createWithKey(row, key)
        return existing ? { job: parseJob(existing.data), created: false } : { job: parseJob(row.data), created: true }
      })
    },

    async get(org, id) {
      const row = selectByOrgAndId.get(org, id)
      return row && parseJob(row.data)
    },

    async getById(id) {
      const row = selectById.get(id)
      return row && parseJob(row.data)
    },

    update(id, patch, onlyIf) {
      const params = toUpdateParams(id, patch, onlyIf)
      return write(() => {
        const row = updateJob.get(params)
        return row && parseJob(row.data)
      })
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
      return write(() => {
        const row = claim.get({ now, startedAt: new Date(now).toISOString() })
        return row && parseJob(row.data)
      })
    },

    async listProcessing() {
      return selectProcessing.all().map(r => parseJob(r.data))
    },

    async addWebhookAttempt(jobId, attempt: WebhookAttempt) {
      // A job deleted meanwhile (expired) has no history left to record into: no-op.
      const params = { id: jobId, attempt: JSON.stringify(attempt) }
      await write(() => void appendAttempt.run(params))
    },

    async listExpired(now, limit) {
      return selectExpired.all(now.getTime(), Math.max(0, Math.floor(limit))).map(r => parseJob(r.data))
    },

    async delete(id) {
      await write(() => deleteJob(id))
    },

    async countByStatus() {
      const counts = Object.fromEntries(JOB_STATUSES.map(s => [s, 0])) as Record<JobStatus, number>
      for (const { status, n } of countStatuses.all()) {
        if ((JOB_STATUSES as readonly string[]).includes(status)) counts[status as JobStatus] = n
      }
      return counts
    },

    async addDelivery(delivery) {
      const params = {
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
      await write(() => void insertDelivery.run(params))
    },

    async dueDeliveries(now, limit) {
      return selectDue.all(now, Math.max(0, Math.floor(limit))).map(toDelivery)
    },

    async updateDelivery(eventId, patch) {
      const params = { eventId, attempts: patch.attempts ?? null, nextAttemptAt: patch.nextAttemptAt ?? null, state: patch.state ?? null }
      await write(() => void updateDeliveryRow.run(params))
    },

    async ping() {
      // The one method whose answer is a boolean: a closed or broken database is "not ready".
      if (closed || !db.open) return false
      try {
        return selectOne.get() === 1
      } catch {
        return false
      }
    },

    async close() {
      if (closed) return
      closed = true
      await write.drain()
      db.close()
    },
  }
}

/**
 * Group commit. With `synchronous = FULL` every commit waits for an fsync of the WAL, and
 * better-sqlite3 waits on the event loop: one commit per write made 32 concurrent uploads
 * queue behind each other's fsyncs. Writes are instead gathered during one turn of the event
 * loop and committed together in one IMMEDIATE transaction (one fsync), each in its own
 * savepoint so one failing write does not undo the others. A write's promise settles after
 * the commit, so a resolved `create` is as durable as before.
 */
function groupCommit(db: Database.Database): (<T>(work: () => T) => Promise<T>) & { drain(): Promise<void> } {
  type Pending = { work: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }
  let queue: Pending[] = []
  let flushing: Promise<void> | undefined
  const savepoint = db.transaction((work: () => unknown) => work())
  const commitAll = db.transaction((batch: Pending[]) =>
    batch.map((item): { ok: true; value: unknown } | { ok: false; error: unknown } => {
      try {
        return { ok: true, value: savepoint(item.work) }
      } catch (error) {
        return { ok: false, error }
      }
    }),
  )
  const flush = (): void => {
    flushing = undefined
    const batch = queue
    queue = []
    let outcomes: ReturnType<typeof commitAll>
    try {
      outcomes = batch.length === 1 ? [{ ok: true, value: savepoint.immediate(batch[0]!.work) }] : commitAll.immediate(batch)
    } catch (error) {
      // The commit itself failed (disk full, busy past the timeout): none of the writes happened.
      for (const item of batch) item.reject(error)
      return
    }
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.value) : batch[i]!.reject(outcome.error)))
  }
  const write = <T>(work: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      flushing ??= new Promise<void>((done) =>
        setImmediate(() => {
          flush()
          done()
        }),
      )
    })
  return Object.assign(write, { drain: async () => void (await flushing) })
}

interface JobInsert {
  id: string
  org: string
  status: string
  idempotencyKey: string | null
  createdMs: number
  runAfter: number
  expiresAt: number
  data: string
}

interface UpdateParams {
  id: string
  clear: string
  set: string
  status: string | null
  createdMs: number | null
  runAfter: number | null
  expiresAt: number | null
  setKey: 0 | 1
  idempotencyKey: string | null
  onlyIf: string | null
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
