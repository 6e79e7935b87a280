import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

/** Where and how to open the job database (see SqliteJobStoreOptions). */
export interface OpenOptions {
  path: string
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

/** Opens (creating and migrating when needed) the job database in WAL mode with `synchronous = FULL`. */
export function openDatabase(options: OpenOptions): Database.Database {
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
    // committed in groups on the writer thread (sqlite-writer-thread.ts), so concurrent
    // requests share one fsync and the event loop never waits for it.
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
