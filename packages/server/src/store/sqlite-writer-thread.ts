/**
 * Entry of the SQLite writer thread (node:worker_threads), started by the SQLite job store.
 * It owns the connection that writes: with `synchronous = FULL` each commit waits for an
 * fsync, which on the API's event loop would stall every request for milliseconds. Writes
 * that arrive while a commit runs are committed together by the next one (group commit).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase, type OpenOptions } from './sqlite-schema.js'
import { batchCommitter, prepareWrites, type WriteOp, type WriteOutcome } from './sqlite-writes.js'

/** Store -> writer. */
export type ToWriter = { type: 'write'; seq: number; write: WriteOp } | { type: 'close' }
/** Writer -> store: the outcomes of one committed batch, or the failure of its commit. */
export type FromWriter =
  | { type: 'done'; results: { seq: number; outcome: WriteOutcome }[] }
  | { type: 'failed'; seqs: number[]; error: { message: string; name?: string; code?: string } }
  | { type: 'closed' }

if (!parentPort) throw new Error('sqlite-writer-thread.js must be started as a worker thread by the SQLite job store.')
const port = parentPort
const db = openDatabase(workerData as OpenOptions)
const commit = batchCommitter(db, prepareWrites(db))
let queue: { seq: number; write: WriteOp }[] = []
let scheduled = false

function flush(): void {
  scheduled = false
  const batch = queue
  queue = []
  try {
    const outcomes = commit(batch.map((item) => item.write))
    port.postMessage({ type: 'done', results: batch.map((item, i) => ({ seq: item.seq, outcome: outcomes[i]! })) } satisfies FromWriter)
  } catch (error) {
    const { message, name, code } = error as { message?: string; name?: string; code?: string }
    const failure = { message: message ?? String(error), ...(name ? { name } : {}), ...(code ? { code } : {}) }
    port.postMessage({ type: 'failed', seqs: batch.map((item) => item.seq), error: failure } satisfies FromWriter)
  }
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    if (queue.length) flush()
    db.close()
    port.postMessage({ type: 'closed' } satisfies FromWriter)
    port.close()
    return
  }
  queue.push({ seq: message.seq, write: message.write })
  // Every message already waiting is delivered before the check phase: they share the commit.
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
})
