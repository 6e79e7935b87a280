/**
 * The `docloader worker` command's own process: a supervisor that converts nothing. It runs
 * the real worker (startWorker, in worker-process.ts) as a child process (node:cluster) and
 * replaces it when it retires: after `maxJobs` jobs, or once its resident memory (its
 * conversion threads included) is above `maxMemoryMb`. A retiring child takes no more jobs
 * and finishes its running ones while its replacement already takes new ones, so no job is
 * lost or interrupted. A child that dies unexpectedly is replaced too, after a backoff.
 * SIGTERM/SIGINT are forwarded (SIGTERM) to every child, and the supervisor exits once all
 * have handed back or finished their jobs. A supervisor killed outright (SIGKILL) takes its
 * children with it: node:cluster ends a child whose parent's IPC channel closes.
 */
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import type { WorkerOptions } from '@docloader/server'

/** What the supervisor tells a child once it is online. */
export interface StartMessage {
  type: 'start'
  /** startWorker's options (serialisable: no logger, no client objects). */
  worker: WorkerOptions
  /** Retire after this many jobs; 0: never. */
  maxJobs: number
  /** Retire once the process's RSS is above this many MiB (checked after it did a job); 0: never. */
  maxMemoryMb: number
  /** SIGTERM: running jobs get this long to finish before they are handed back. */
  shutdownDeadlineMs: number
}

/**
 * What a child tells the supervisor: `listening` once it can receive the start message (an
 * ES module listens only after it has loaded, well after node:cluster's `online`), `ready`
 * once it takes jobs, `retiring` when it stops taking them to be replaced.
 */
export type ChildMessage = { type: 'listening' } | { type: 'ready' } | { type: 'retiring'; reason: string }

export interface SuperviseOptions extends Omit<StartMessage, 'type'> {
  /** Where status lines go. @default process.stderr */
  write?: (line: string) => void
}

/** Longest wait before replacing a child that keeps dying. */
const MAX_RESTART_DELAY_MS = 30_000
/** A child that lived this long resets the restart backoff. */
const HEALTHY_AFTER_MS = 60_000

/** Runs and replaces worker processes until SIGTERM/SIGINT; resolves to the exit code. */
export function superviseWorker(options: SuperviseOptions): Promise<number> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`))
  const start: StartMessage = {
    type: 'start',
    worker: options.worker,
    maxJobs: options.maxJobs,
    maxMemoryMb: options.maxMemoryMb,
    shutdownDeadlineMs: options.shutdownDeadlineMs,
  }
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-process.js', import.meta.url)), args: [], silent: false })

  return new Promise<number>((resolve) => {
    const live = new Set<Worker>()
    let stopping = false
    let everReady = false
    let failures = 0

    function spawn(): void {
      const child = cluster.fork()
      live.add(child)
      const pid = child.process.pid
      const startedAt = Date.now()
      let retiring = false
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'listening') {
          child.send(start)
        } else if (message.type === 'ready') {
          write(everReady ? `docloader worker: process ${pid} ready` : 'docloader worker ready')
          everReady = true
        } else if (message.type === 'retiring' && !retiring) {
          retiring = true
          write(`docloader worker: process ${pid} retiring (${message.reason}); it finishes its running jobs and takes no more, a new process takes over`)
          if (!stopping) spawn()
        }
      })
      child.once('exit', (code, signal) => {
        live.delete(child)
        if (stopping) {
          if (live.size === 0) resolve(0)
          return
        }
        if (retiring) {
          // Its replacement runs already.
          if (code !== 0) write(`docloader worker: retired process ${pid} ended with ${signal ?? `exit code ${code}`}`)
          return
        }
        if (!everReady) {
          // Never got going (bad settings, missing build...): its own message is above.
          write(`docloader worker: the worker process exited before it was ready (${signal ?? `exit code ${code}`})`)
          stop()
          resolve(1)
          return
        }
        failures = Date.now() - startedAt > HEALTHY_AFTER_MS ? 1 : failures + 1
        const delay = Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (failures - 1))
        write(`docloader worker: process ${pid} ended unexpectedly (${signal ?? `exit code ${code}`}); starting another in ${delay / 1000} s`)
        setTimeout(() => {
          if (!stopping) spawn()
        }, delay)
      })
    }

    function stop(): void {
      stopping = true
      for (const child of live) child.process.kill('SIGTERM')
    }

    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return
      write(`${signal}: stopping; taking no more jobs, running ones get up to ${Math.round(options.shutdownDeadlineMs / 1000)} s to finish, then go back to the queue`)
      stop()
      if (live.size === 0) resolve(0)
    }
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
    spawn()
  })
}
