import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { call, markdownDocument, submitJob, waitForJob } from './api-requests.js'
import { closeTestServers, listFiles, startTestServer } from './start-test-server.js'

afterEach(closeTestServers)

describe('retention', () => {
  it('deletes a job, its upload and its result once expires_at has passed', async () => {
    const server = await startTestServer({ retentionMs: 4000, retentionSweepMs: 100 })
    const created = await submitJob(server, markdownDocument('Short lived'), { filename: 'short.md' })
    const job = await waitForJob(server, created.id)
    expect(job.status).toBe('completed')
    expect(Date.parse(job.expires_at) - Date.parse(job.created_at)).toBe(4000)
    const jobDir = join(server.dataDir, 'files', 'acme', created.id)
    await access(jobDir)

    let status = 200
    for (let i = 0; i < 150 && status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      status = (await call(server, `/api/v1/jobs/${created.id}`)).status
    }
    expect(status).toBe(404)
    await expect(access(jobDir)).rejects.toThrow()
    expect((await listFiles(join(server.dataDir, 'files'))).filter((path) => path.includes(created.id))).toEqual([])
  })
})
