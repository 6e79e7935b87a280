import type Database from 'better-sqlite3'

/** A job row as inserted: the record as JSON plus the columns kept for indexing. */
export interface JobInsert {
  id: string
  org: string
  status: string
  idempotencyKey: string | null
  createdMs: number
  runAfter: number
  expiresAt: number
  data: string
}

export interface UpdateParams {
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

export interface DeliveryRow {
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

export interface DeliveryPatch {
  eventId: string
  attempts: number | null
  nextAttemptAt: number | null
  state: string | null
}

/** One write of the job store, as plain data so it can cross to the writer thread. */
export type WriteOp =
  | { op: 'create'; row: JobInsert; key: string | null }
  | { op: 'update'; params: UpdateParams }
  | { op: 'claim'; now: number; startedAt: string }
  | { op: 'appendAttempt'; id: string; attempt: string }
  | { op: 'delete'; id: string }
  | { op: 'insertDelivery'; row: DeliveryRow }
  | { op: 'updateDelivery'; patch: DeliveryPatch }
  | { op: 'claimDeliveries'; now: number; limit: number; leaseUntil: number }

/** What a write returns: the job's JSON (`create`, `update`, `claim`) and whether `create` made it; claimed deliveries. */
export interface WriteResult {
  data?: string
  created?: boolean
  deliveries?: DeliveryRow[]
}

/** A write's outcome inside a batch: its result, or its own error (the others still commit). */
export type WriteOutcome = { ok: true; value: WriteResult } | { ok: false; error: { message: string; name?: string; code?: string } }

/**
 * Prepares the store's write statements on `db` and returns a function applying one write.
 * Runs wherever the writes run: the writer thread, or the store's own thread for `:memory:`.
 */
export function prepareWrites(db: Database.Database): (write: WriteOp) => WriteResult {
  const jobColumns = 'id, org, status, idempotency_key, created_ms, run_after, expires_at, data'
  const jobValues = '@id, @org, @status, @idempotencyKey, @createdMs, @runAfter, @expiresAt, @data'
  const insertJob = db.prepare<JobInsert>(`INSERT INTO jobs (${jobColumns}) VALUES (${jobValues})`)
  const insertJobUnlessKeyExists = db.prepare<JobInsert>(
    `INSERT INTO jobs (${jobColumns}) VALUES (${jobValues}) ON CONFLICT (org, idempotency_key) DO NOTHING`,
  )
  const selectByKey = db.prepare<[string, string], { data: string }>('SELECT data FROM jobs WHERE org = ? AND idempotency_key = ?')

  // Patch in one statement, so `onlyIf` is a compare-and-set: the status test and the write
  // happen under one write lock. `clear` removes every patched key (merge-patch null), `set`
  // then writes the new values whole, so patching `options` replaces it rather than merging.
  const updateJob = db.prepare<[UpdateParams], { data: string }>(`
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
  const claim = db.prepare<[{ now: number; startedAt: string }], { data: string }>(`
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

  // One statement appends inside SQLite: no read-modify-write between processes.
  const appendAttempt = db.prepare<[{ id: string; attempt: string }]>(`
    UPDATE jobs SET data = json_set(data, '$.webhookAttempts',
      json_insert(coalesce(json_extract(data, '$.webhookAttempts'), json('[]')), '$[#]', json(@attempt)))
    WHERE id = @id`)
  const deleteJobRow = db.prepare<[string]>('DELETE FROM jobs WHERE id = ?')
  const deleteJobDeliveries = db.prepare<[string]>('DELETE FROM deliveries WHERE job_id = ?')
  const insertDelivery = db.prepare<[DeliveryRow]>(`
    INSERT INTO deliveries (event_id, job_id, org, url, body, status, attempts, next_attempt_at, state)
    VALUES (@eventId, @jobId, @org, @url, @body, @status, @attempts, @nextAttemptAt, @state)`)
  const updateDeliveryRow = db.prepare<[DeliveryPatch]>(`
    UPDATE deliveries SET
      attempts = coalesce(@attempts, attempts),
      next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
      state = coalesce(@state, state)
    WHERE event_id = @eventId`)

  // Claims the due deliveries: one statement, so two processes never claim the same one.
  const claimDeliveries = db.prepare<[{ now: number; limit: number; leaseUntil: number }], DeliveryRow & { seq: number }>(`
    UPDATE deliveries SET next_attempt_at = @leaseUntil
    WHERE rowid IN (
      SELECT rowid FROM deliveries
      WHERE state = 'pending' AND next_attempt_at <= @now
      ORDER BY next_attempt_at, rowid
      LIMIT @limit)
    RETURNING rowid AS seq, event_id AS eventId, job_id AS jobId, org, url, body, status, attempts,
              next_attempt_at AS nextAttemptAt, state`)

  return (write) => {
    switch (write.op) {
      case 'create': {
        if (write.key === null) {
          insertJob.run(write.row)
          return { data: write.row.data, created: true }
        }
        if (insertJobUnlessKeyExists.run(write.row).changes === 1) return { data: write.row.data, created: true }
        // The write lock is held (the batch is IMMEDIATE), so the job that won the key has
        // committed and is visible here.
        const existing = selectByKey.get(write.row.org, write.key)
        if (!existing) throw new Error(`Job insert with idempotency key ${JSON.stringify(write.key)} conflicted, yet no job holds that key`)
        return { data: existing.data, created: false }
      }
      case 'update':
        return { ...updateJob.get(write.params) }
      case 'claim':
        return { ...claim.get({ now: write.now, startedAt: write.startedAt }) }
      case 'appendAttempt':
        // A job deleted meanwhile (expired) has no history left to record into: no-op.
        appendAttempt.run({ id: write.id, attempt: write.attempt })
        return {}
      case 'delete':
        deleteJobDeliveries.run(write.id)
        deleteJobRow.run(write.id)
        return {}
      case 'insertDelivery':
        insertDelivery.run(write.row)
        return {}
      case 'updateDelivery':
        updateDeliveryRow.run(write.patch)
        return {}
      case 'claimDeliveries': {
        // RETURNING comes in no set order: oldest first, by insertion.
        const rows = claimDeliveries.all({ now: write.now, limit: write.limit, leaseUntil: write.leaseUntil })
        return { deliveries: rows.sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...row }) => row) }
      }
    }
  }
}

/**
 * Commits a batch of writes in one IMMEDIATE transaction (one fsync of the WAL under
 * `synchronous = FULL`), each write in its own savepoint so one failing write does not undo
 * the others. Throws when the commit itself fails (disk full, busy past the timeout): then
 * none of the writes happened.
 */
export function batchCommitter(db: Database.Database, apply: (write: WriteOp) => WriteResult): (batch: WriteOp[]) => WriteOutcome[] {
  const savepoint = db.transaction((write: WriteOp) => apply(write))
  const commit = db.transaction((batch: WriteOp[]) =>
    batch.map((write): WriteOutcome => {
      try {
        return { ok: true, value: savepoint(write) }
      } catch (error) {
        const { message, name, code } = error as { message?: string; name?: string; code?: string }
        return { ok: false, error: { message: message ?? String(error), ...(name ? { name } : {}), ...(code ? { code } : {}) } }
      }
    }),
  )
  return (batch) => commit.immediate(batch)
}

/** An error as it came out of a write, rebuilt on the thread that asked for the write. */
export function writeError(error: { message: string; name?: string; code?: string }): Error {
  return Object.assign(new Error(error.message), { ...(error.name ? { name: error.name } : {}), ...(error.code ? { code: error.code } : {}) })
}
