import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { JobStatus } from '@docloader/client'
import { EXIT_FAILED, EXIT_OK, UsageError } from '../exit-codes.js'
import { createRemoteClient, type RemoteOptions } from '../remote/create-remote-client.js'

const STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled']

export type JobsAction = 'get' | 'list' | 'wait' | 'result' | 'cancel'

export interface JobsCommandOptions extends RemoteOptions {
  status?: string
  limit?: number
  /** `result`: write here instead of stdout. */
  out?: string
  /** `wait`: seconds before giving up. */
  timeout?: number
  /** `wait`: follow the event stream instead of polling. */
  events?: boolean
}

/**
 * `docloader jobs get|list|wait|result|cancel`, for scripts: JSON on stdout (the job, or an
 * array of jobs for `list`), errors as one line on stderr. `wait` exits 1 unless the job
 * completed. Resolves to the exit code.
 */
export async function runJobs(action: JobsAction, id: string | undefined, options: JobsCommandOptions): Promise<number> {
  if (options.status !== undefined && !STATUSES.includes(options.status)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, got "${options.status}".`)
  }
  const client = await createRemoteClient(options)
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  try {
    switch (action) {
      case 'get':
        print(await client.getJob(id!))
        return EXIT_OK
      case 'list': {
        const jobs = []
        for await (const job of client.listJobs({ ...(options.status ? { status: options.status as JobStatus } : {}), ...(options.limit ? { limit: options.limit } : { limit: 20 }) })) jobs.push(job)
        print(jobs)
        return EXIT_OK
      }
      case 'wait': {
        const job = await client.waitForJob(id!, {
          ...(options.timeout ? { timeout: options.timeout * 1000 } : {}),
          ...(options.events ? { useEvents: true } : {}),
          onProgress: (current) => {
            if (!process.stderr.isTTY) return
            process.stderr.write(`\r${current.status} ${current.pages_done}/${current.pages_total || '?'} pages (${current.progress}%)   `)
          },
        })
        if (process.stderr.isTTY) process.stderr.write('\n')
        print(job)
        return job.status === 'completed' ? EXIT_OK : EXIT_FAILED
      }
      case 'result': {
        const result = await client.getResultStream(id!)
        if (options.out) {
          const target = resolve(options.out)
          await mkdir(dirname(target), { recursive: true })
          await pipeline(result.body, createWriteStream(target))
        } else {
          await pipeline(result.body, process.stdout, { end: false })
        }
        return EXIT_OK
      }
      case 'cancel':
        print(await client.cancelJob(id!))
        return EXIT_OK
    }
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string }
    if (!code) throw error
    process.stderr.write(`docloader: ${code}: ${message}\n`)
    return EXIT_FAILED
  }
}
