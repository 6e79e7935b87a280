/**
 * A worker process started by the `docloader worker` supervisor (supervise-worker.ts, through
 * node:cluster): waits for its settings over IPC, runs startWorker, and retires (takes no
 * more jobs, finishes its running ones, exits 0) after `maxJobs` jobs or once its RSS is
 * above `maxMemoryMb`. SIGTERM from the supervisor: running jobs get the shutdown deadline,
 * then go back to the queue. SIGINT is left to the supervisor (Ctrl-C reaches the whole
 * process group).
 */
import { startWorker, type RunningWorker } from '@docloader/server'
import type { ChildMessage, StartMessage } from './supervise-worker.js'

/** How often the resident memory is looked at, besides after every job. */
const MEMORY_CHECK_MS = 2000
/** A retiring process's jobs get their hard time limit plus this to finish. */
const RETIRE_GRACE_MS = 10_000

if (!process.send) throw new Error('worker-process.js is started by `docloader worker`, not directly.')
const send = (message: ChildMessage) => process.send!(message)

process.on('SIGINT', () => undefined)
process.once('message', (message: StartMessage) => {
  run(message).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`docloader worker: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exit(1)
    },
  )
})
send({ type: 'listening' })

async function run(config: StartMessage): Promise<void> {
  let worker: RunningWorker | undefined
  let jobsDone = 0
  let closeWith: number | undefined
  let finished!: () => void
  const done = new Promise<void>((resolve) => (finished = resolve))

  /** Stops taking jobs; each call may bring the hand-back deadline closer. */
  const close = (deadlineMs: number) => {
    closeWith = Math.min(closeWith ?? Infinity, deadlineMs)
    if (worker) void worker.close(deadlineMs).then(finished, finished)
  }
  let retired = false
  const retire = (reason: string) => {
    if (retired) return
    retired = true
    send({ type: 'retiring', reason })
    close((config.worker.hardTimeoutMs ?? 600_000) + RETIRE_GRACE_MS)
  }
  const check = () => {
    if (config.maxJobs > 0 && jobsDone >= config.maxJobs) {
      retire(`${jobsDone} jobs done`)
    } else if (config.maxMemoryMb > 0 && jobsDone > 0) {
      // Only after a job: a process that is above the limit from the start would retire in a loop.
      const rssMb = process.memoryUsage.rss() / 2 ** 20
      if (rssMb > config.maxMemoryMb) retire(`resident memory ${Math.round(rssMb)} MB, above ${config.maxMemoryMb} MB`)
    }
  }
  process.once('SIGTERM', () => close(config.shutdownDeadlineMs))

  worker = await startWorker({
    ...config.worker,
    onJobDone: () => {
      jobsDone++
      check()
    },
  })
  send({ type: 'ready' })
  // A SIGTERM or retirement that came while starting.
  if (closeWith !== undefined) close(closeWith)
  const timer = setInterval(check, MEMORY_CHECK_MS)
  timer.unref()
  await done
  clearInterval(timer)
}
