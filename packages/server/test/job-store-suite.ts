/**
 * Conformance suite for JobStore implementations, in the manner of @keyv/test-suite: one
 * function runs the same tests against any store (SQLite now, Redis later). It uses only
 * the JobStore interface, so it says what every store must do, not how.
 *
 * @example
 * runJobStoreSuite('sqlite', async () => {
 *   const store = createSqliteJobStore({ path })
 *   return { store, cleanup: () => store.close(), openAnother: async () => createSqliteJobStore({ path }) }
 * })
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JOB_STATUSES } from '../src/jobs/job.js'
import type { JobRecord, JobStatus, WebhookAttempt, WebhookDelivery } from '../src/jobs/job.js'
import type { JobStore } from '../src/store/job-store.js'

export interface JobStoreHarness {
  /** A store over fresh, empty storage. */
  store: JobStore
  /** Closes the store (it may already be closed) and removes its storage. */
  cleanup: () => Promise<void>
  /**
   * Opens another store on the same storage, as a second process would (a worker next to
   * the API). The suite closes what it opens. Without it, the tests of persistence and of
   * claims from two instances are skipped.
   */
  openAnother?: () => Promise<JobStore>
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** `job_` + 24 random base32 characters, as the API makes them. */
export function newJobId(): string {
  const bytes = randomBytes(24)
  let id = 'job_'
  for (const byte of bytes) id += BASE32[byte % 32]
  return id
}

const T0 = Date.parse('2025-03-01T12:00:00.000Z')

/** A valid pending job; `overrides` win. Created at T0 unless told otherwise. */
export function makeJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: newJobId(),
    org: 'org_a',
    status: 'pending',
    filename: 'contract.pdf',
    mimeType: 'application/pdf',
    sizeBytes: 12_345,
    outputFormat: 'md',
    options: { ocr: 'auto', language: 'eng' },
    progress: 0,
    pagesDone: 0,
    pagesTotal: 0,
    attempts: 0,
    runAfter: 0,
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 86_400_000).toISOString(),
    webhookAttempts: [],
    ...overrides,
  }
}

function makeAttempt(overrides: Partial<WebhookAttempt> = {}): WebhookAttempt {
  return { eventId: randomUUID(), status: 'completed', attempt: 1, at: new Date(T0).toISOString(), statusCode: 200, ok: true, ms: 42, ...overrides }
}

function makeDelivery(jobId: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    eventId: randomUUID(),
    jobId,
    org: 'org_a',
    url: 'https://example.com/hooks/docloader',
    body: JSON.stringify({ job_id: jobId, status: 'completed', progress: 100, result_url: null, error: null }),
    status: 'completed',
    attempts: 0,
    nextAttemptAt: T0,
    state: 'pending',
    ...overrides,
  }
}

export function runJobStoreSuite(name: string, makeStore: () => Promise<JobStoreHarness>): void {
  describe(`JobStore conformance: ${name}`, () => {
    let harness: JobStoreHarness
    let store: JobStore
    let opened: JobStore[] = []

    beforeEach(async () => {
      harness = await makeStore()
      store = harness.store
      opened = []
    })

    afterEach(async () => {
      for (const other of opened) await other.close()
      await harness.cleanup()
    })

    /** Another instance on the same storage, or undefined when the harness cannot make one. */
    async function another(): Promise<JobStore | undefined> {
      if (!harness.openAnother) return undefined
      const other = await harness.openAnother()
      opened.push(other)
      return other
    }

    /** Creates jobs one after another (creation order is part of what is tested). */
    async function createAll(jobs: JobRecord[], on: JobStore = store): Promise<JobRecord[]> {
      for (const job of jobs) {
        const { created } = await on.create(job)
        expect(created).toBe(true)
      }
      return jobs
    }

    describe('create, get, getById', () => {
      it('stores a job and returns it whole', async () => {
        const job = makeJob({ webhookUrl: 'https://example.com/hook', partial: { reason: 'soft time limit', code: 'TIMEOUT' } })
        const result = await store.create(job)
        expect(result).toEqual({ job, created: true })
        expect(await store.get('org_a', job.id)).toEqual(job)
        expect(await store.getById(job.id)).toEqual(job)
      })

      it('answers undefined for an unknown id', async () => {
        expect(await store.get('org_a', newJobId())).toBeUndefined()
        expect(await store.getById(newJobId())).toBeUndefined()
      })

      it('returns copies or frozen records: mutating a returned job changes nothing stored', async () => {
        const job = makeJob()
        await store.create(job)
        const read = await store.getById(job.id)
        try {
          read!.status = 'failed'
          read!.webhookAttempts.push(makeAttempt())
        } catch (error) {
          // The status cache hands out its records frozen (nested objects too) instead of copies.
          expect(error).toBeInstanceOf(TypeError)
          expect(Object.isFrozen(read!.webhookAttempts)).toBe(true)
        }
        job.status = 'cancelled'
        expect(await store.getById(job.id)).toMatchObject({ status: 'pending', webhookAttempts: [] })
      })

      it('rejects a second job with an existing id', async () => {
        const job = makeJob()
        await store.create(job)
        await expect(store.create({ ...job, filename: 'other.pdf' })).rejects.toThrow()
        expect((await store.getById(job.id))?.filename).toBe('contract.pdf')
      })
    })

    describe('idempotency keys', () => {
      it('returns the existing job, not a new one, for the same org and key', async () => {
        const first = makeJob({ idempotencyKey: 'upload-1' })
        expect(await store.create(first)).toEqual({ job: first, created: true })
        const second = makeJob({ idempotencyKey: 'upload-1', filename: 'retry.pdf' })
        const again = await store.create(second)
        expect(again.created).toBe(false)
        expect(again.job).toEqual(first)
        expect(await store.getById(second.id)).toBeUndefined()
        expect((await store.list('org_a')).jobs).toHaveLength(1)
      })

      it('scopes keys to the org', async () => {
        await store.create(makeJob({ idempotencyKey: 'k' }))
        const other = makeJob({ org: 'org_b', idempotencyKey: 'k' })
        expect(await store.create(other)).toEqual({ job: other, created: true })
      })

      it('never makes two jobs for one key under concurrent creates', async () => {
        const jobs = Array.from({ length: 20 }, () => makeJob({ idempotencyKey: 'racing' }))
        const results = await Promise.all(jobs.map(job => store.create(job)))
        expect(results.filter(r => r.created)).toHaveLength(1)
        expect(new Set(results.map(r => r.job.id)).size).toBe(1)
        expect((await store.list('org_a')).jobs).toHaveLength(1)
      })

      it('never makes two jobs for one key when two instances create at once', async ({ skip }) => {
        const other = await another()
        if (!other) return skip()
        const jobs = Array.from({ length: 20 }, () => makeJob({ idempotencyKey: 'two-processes' }))
        const results = await Promise.all(jobs.map((job, i) => (i % 2 === 0 ? store : other).create(job)))
        expect(results.filter(r => r.created)).toHaveLength(1)
        expect(new Set(results.map(r => r.job.id)).size).toBe(1)
      })

      it('lets jobs without a key coexist', async () => {
        await createAll([makeJob(), makeJob(), makeJob()])
        expect((await store.list('org_a')).jobs).toHaveLength(3)
      })
    })

    describe('org isolation', () => {
      it('hides a job from another org', async () => {
        const job = makeJob({ org: 'org_a' })
        await store.create(job)
        expect(await store.get('org_b', job.id)).toBeUndefined()
        expect(await store.get('org_a', job.id)).toEqual(job)
      })

      it('lists only the org\'s jobs', async () => {
        const mine = await createAll([makeJob({ org: 'org_a' }), makeJob({ org: 'org_a' })])
        const theirs = await createAll([makeJob({ org: 'org_b' })])
        expect((await store.list('org_a')).jobs.map(j => j.id).sort()).toEqual(mine.map(j => j.id).sort())
        expect((await store.list('org_b')).jobs.map(j => j.id)).toEqual(theirs.map(j => j.id))
        expect(await store.list('org_c')).toEqual({ jobs: [] })
      })
    })

    describe('list', () => {
      it('lists newest first by createdAt, whatever the creation order', async () => {
        const at = (s: number) => new Date(T0 + s * 1000).toISOString()
        const [middle, oldest, newest] = await createAll([makeJob({ createdAt: at(2) }), makeJob({ createdAt: at(1) }), makeJob({ createdAt: at(3) })])
        expect((await store.list('org_a')).jobs.map(j => j.id)).toEqual([newest!.id, middle!.id, oldest!.id])
      })

      it('pages 45 jobs created in one millisecond newest first, with no duplicates or gaps', async () => {
        const jobs = await createAll(Array.from({ length: 45 }, () => makeJob()))
        const expected = jobs.map(j => j.id).reverse()

        const seen: string[] = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = await store.list('org_a', cursor === undefined ? { limit: 10 } : { limit: 10, cursor })
          expect(page.jobs.length).toBeLessThanOrEqual(10)
          seen.push(...page.jobs.map(j => j.id))
          cursor = page.nextCursor
          pages++
        } while (cursor !== undefined && pages < 20)
        expect(pages).toBe(5)
        expect(seen).toEqual(expected)
      })

      it('filters by status, paging within the filter', async () => {
        const statuses: JobStatus[] = ['pending', 'completed', 'failed']
        const jobs = await createAll(Array.from({ length: 45 }, (_, i) => makeJob({ status: statuses[i % 3]! })))
        const completed = jobs.filter(j => j.status === 'completed').map(j => j.id).reverse()
        const seen: string[] = []
        let cursor: string | undefined
        do {
          const page = await store.list('org_a', { status: 'completed', limit: 4, ...(cursor === undefined ? {} : { cursor }) })
          expect(page.jobs.every(j => j.status === 'completed')).toBe(true)
          seen.push(...page.jobs.map(j => j.id))
          cursor = page.nextCursor
        } while (cursor !== undefined && seen.length <= 45)
        expect(seen).toEqual(completed)
        expect((await store.list('org_a', { status: 'cancelled' })).jobs).toEqual([])
      })

      it('keeps a cursor valid while new jobs arrive: later pages neither repeat nor skip', async () => {
        const jobs = await createAll(Array.from({ length: 30 }, () => makeJob()))
        const first = await store.list('org_a', { limit: 10 })
        await createAll(Array.from({ length: 5 }, () => makeJob()))
        const rest: string[] = []
        let cursor = first.nextCursor
        while (cursor !== undefined) {
          const page = await store.list('org_a', { limit: 10, cursor })
          rest.push(...page.jobs.map(j => j.id))
          cursor = page.nextCursor
        }
        expect([...first.jobs.map(j => j.id), ...rest]).toEqual(jobs.map(j => j.id).reverse())
      })

      it('pages 20 by default, at most 100, and gives no cursor on the last page', async () => {
        await createAll(Array.from({ length: 105 }, () => makeJob()))
        const byDefault = await store.list('org_a')
        expect(byDefault.jobs).toHaveLength(20)
        expect(byDefault.nextCursor).toBeTypeOf('string')
        const capped = await store.list('org_a', { limit: 1000 })
        expect(capped.jobs).toHaveLength(100)
        const last = await store.list('org_a', { limit: 100, cursor: capped.nextCursor! })
        expect(last.jobs).toHaveLength(5)
        expect(last.nextCursor).toBeUndefined()
        const exact = await store.list('org_a', { limit: 5, cursor: capped.nextCursor! })
        expect(exact.jobs).toHaveLength(5)
        expect(exact.nextCursor).toBeUndefined()
      })

      it('rejects a cursor it did not issue with code INVALID_OPTION', async () => {
        await createAll([makeJob()])
        await expect(store.list('org_a', { cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
      })
    })

    describe('update', () => {
      it('applies a patch and returns the updated job', async () => {
        const job = makeJob()
        await store.create(job)
        const updated = await store.update(job.id, { status: 'processing', progress: 40, pagesDone: 2, pagesTotal: 5 })
        const expected = { ...job, status: 'processing', progress: 40, pagesDone: 2, pagesTotal: 5 }
        expect(updated).toEqual(expected)
        expect(await store.getById(job.id)).toEqual(expected)
      })

      it('replaces object fields whole and clears an optional field patched to undefined', async () => {
        const job = makeJob({ error: { code: 'TIMEOUT', message: 'took too long' }, partial: { reason: 'soft limit', code: 'TIMEOUT' } })
        await store.create(job)
        const updated = await store.update(job.id, { error: undefined, partial: { reason: 'damaged file' }, options: { pages: '1-3' } })
        expect(updated).toBeDefined()
        expect(updated!.error).toBeUndefined()
        expect(updated!.partial).toEqual({ reason: 'damaged file' })
        expect(updated!.options).toEqual({ pages: '1-3' })
        expect(await store.getById(job.id)).toEqual(updated)
      })

      it('answers undefined for a missing job', async () => {
        expect(await store.update(newJobId(), { progress: 10 })).toBeUndefined()
      })

      it('with onlyIf, applies only while the status is one of those', async () => {
        const job = makeJob({ status: 'cancelled' })
        await store.create(job)
        expect(await store.update(job.id, { status: 'completed', progress: 100 }, ['processing'])).toBeUndefined()
        expect(await store.getById(job.id)).toEqual(job)
        expect(await store.update(job.id, { progress: 5 }, [])).toBeUndefined()
        const updated = await store.update(job.id, { progress: 7 }, ['pending', 'cancelled'])
        expect(updated).toMatchObject({ status: 'cancelled', progress: 7 })
      })

      it('with onlyIf, lets exactly one of two racing final updates win', async () => {
        const job = makeJob({ status: 'processing' })
        await store.create(job)
        const other = (await another()) ?? store
        const [completed, cancelled] = await Promise.all([
          store.update(job.id, { status: 'completed', progress: 100 }, ['pending', 'processing']),
          other.update(job.id, { status: 'cancelled' }, ['pending', 'processing']),
        ])
        expect([completed, cancelled].filter(r => r !== undefined)).toHaveLength(1)
        const final = await store.getById(job.id)
        expect(final?.status).toBe((completed ?? cancelled)!.status)
      })

      it('keeps status, runAfter and expiresAt queryable after a patch', async () => {
        const job = makeJob({ status: 'processing' })
        await store.create(job)
        await store.update(job.id, { status: 'pending', runAfter: T0 + 5000, expiresAt: new Date(T0 - 1).toISOString() })
        expect((await store.list('org_a', { status: 'pending' })).jobs.map(j => j.id)).toEqual([job.id])
        expect(await store.listProcessing()).toEqual([])
        expect(await store.claimNext(T0)).toBeUndefined()
        expect((await store.claimNext(T0 + 5000))?.id).toBe(job.id)
        expect((await store.listExpired(new Date(T0), 10)).map(j => j.id)).toEqual([job.id])
        expect((await store.countByStatus()).processing).toBe(1)
      })
    })

    describe('claimNext', () => {
      it('answers undefined when nothing is pending', async () => {
        expect(await store.claimNext(T0)).toBeUndefined()
        await createAll([makeJob({ status: 'processing' }), makeJob({ status: 'completed' }), makeJob({ status: 'cancelled' })])
        expect(await store.claimNext(T0)).toBeUndefined()
      })

      it('takes the oldest pending job, marks it processing, sets startedAt and counts the attempt', async () => {
        const at = (s: number) => new Date(T0 + s * 1000).toISOString()
        const [b, a, c] = await createAll([makeJob({ createdAt: at(2) }), makeJob({ createdAt: at(1), attempts: 2 }), makeJob({ createdAt: at(2) })])
        const now = T0 + 60_000
        const first = await store.claimNext(now)
        expect(first).toEqual({ ...a, status: 'processing', startedAt: new Date(now).toISOString(), attempts: 3 })
        expect(await store.getById(a!.id)).toEqual(first)
        expect((await store.claimNext(now))?.id).toBe(b!.id)
        expect((await store.claimNext(now))?.id).toBe(c!.id)
        expect(await store.claimNext(now)).toBeUndefined()
      })

      it('claims jobs of one millisecond in creation order', async () => {
        const jobs = await createAll(Array.from({ length: 10 }, () => makeJob()))
        const claimed: string[] = []
        for (let i = 0; i < 10; i++) claimed.push((await store.claimNext(T0))!.id)
        expect(claimed).toEqual(jobs.map(j => j.id))
      })

      it('skips a job until its runAfter', async () => {
        const [later, now] = await createAll([makeJob({ runAfter: T0 + 10_000 }), makeJob({ runAfter: T0 })])
        expect((await store.claimNext(T0))?.id).toBe(now!.id)
        expect(await store.claimNext(T0 + 9_999)).toBeUndefined()
        expect((await store.claimNext(T0 + 10_000))?.id).toBe(later!.id)
      })

      it('compares a fractional runAfter exactly', async () => {
        const [job] = await createAll([makeJob({ runAfter: T0 + 0.5 })])
        expect(await store.claimNext(T0)).toBeUndefined()
        expect(await store.claimNext(T0 + 1)).toMatchObject({ id: job!.id, runAfter: T0 + 0.5 })
      })

      it('never hands one job to two concurrent claims', async () => {
        await createAll(Array.from({ length: 30 }, () => makeJob()))
        const claimed = await Promise.all(Array.from({ length: 40 }, () => store.claimNext(T0)))
        const ids = claimed.filter(j => j !== undefined).map(j => j.id)
        expect(ids).toHaveLength(30)
        expect(new Set(ids).size).toBe(30)
      })

      it('never hands one job to two instances claiming in turn (200 jobs)', async ({ skip }) => {
        const other = await another()
        if (!other) return skip()
        const jobs = await createAll(Array.from({ length: 200 }, (_, i) => makeJob({ org: i % 2 ? 'org_a' : 'org_b' })))
        const claims = new Map<string, number>()
        let byStore = 0
        let byOther = 0
        for (;;) {
          const [mine, theirs] = await Promise.all([store.claimNext(T0), other.claimNext(T0)])
          if (mine) byStore++
          if (theirs) byOther++
          for (const job of [mine, theirs]) if (job) claims.set(job.id, (claims.get(job.id) ?? 0) + 1)
          if (!mine && !theirs) break
        }
        expect(claims.size).toBe(200)
        expect([...claims.values()].every(n => n === 1)).toBe(true)
        expect(new Set(claims.keys())).toEqual(new Set(jobs.map(j => j.id)))
        expect(byStore + byOther).toBe(200)
        expect(byStore).toBeGreaterThan(0)
        expect(byOther).toBeGreaterThan(0)
        expect((await store.countByStatus()).processing).toBe(200)
      })
    })

    describe('listProcessing', () => {
      it('lists every processing job, of every org', async () => {
        const jobs = await createAll([
          makeJob({ status: 'processing' }),
          makeJob({ status: 'pending' }),
          makeJob({ org: 'org_b', status: 'processing' }),
          makeJob({ status: 'completed' }),
        ])
        const claimed = await store.claimNext(T0)
        const ids = (await store.listProcessing()).map(j => j.id).sort()
        expect(ids).toEqual([jobs[0]!.id, jobs[2]!.id, claimed!.id].sort())
      })
    })

    describe('webhook attempts', () => {
      it('appends attempts in order, keeping the rest of the job', async () => {
        const job = makeJob({ status: 'completed' })
        await store.create(job)
        const first = makeAttempt({ ok: false, statusCode: 503, attempt: 1 })
        const second = makeAttempt({ eventId: first.eventId, attempt: 2, error: undefined })
        await store.addWebhookAttempt(job.id, first)
        await store.addWebhookAttempt(job.id, second)
        const stored = await store.getById(job.id)
        expect(stored).toEqual({ ...job, webhookAttempts: [first, second] })
      })

      it('loses no attempt when many are appended at once, from two instances', async () => {
        const job = makeJob()
        await store.create(job)
        const other = (await another()) ?? store
        const attempts = Array.from({ length: 30 }, (_, i) => makeAttempt({ attempt: i + 1 }))
        await Promise.all(attempts.map((a, i) => (i % 2 ? other : store).addWebhookAttempt(job.id, a)))
        const stored = await store.getById(job.id)
        expect(stored!.webhookAttempts).toHaveLength(30)
        expect(new Set(stored!.webhookAttempts.map(a => a.attempt))).toEqual(new Set(attempts.map(a => a.attempt)))
      })

      it('does not lose an update made between attempts', async () => {
        const job = makeJob()
        await store.create(job)
        await store.addWebhookAttempt(job.id, makeAttempt())
        await store.update(job.id, { status: 'completed', progress: 100 })
        await store.addWebhookAttempt(job.id, makeAttempt())
        expect(await store.getById(job.id)).toMatchObject({ status: 'completed', progress: 100, webhookAttempts: [{}, {}] })
      })

      it('ignores an attempt for a job that no longer exists', async () => {
        await expect(store.addWebhookAttempt(newJobId(), makeAttempt())).resolves.toBeUndefined()
      })
    })

    describe('expiry and delete', () => {
      it('lists jobs expired before now, at most limit', async () => {
        const at = (s: number) => new Date(T0 + s * 1000).toISOString()
        const expired = await createAll([makeJob({ expiresAt: at(-3) }), makeJob({ expiresAt: at(-2), org: 'org_b' }), makeJob({ expiresAt: at(-1) })])
        await createAll([makeJob({ expiresAt: at(0) }), makeJob({ expiresAt: at(60) })])
        const all = await store.listExpired(new Date(T0), 10)
        expect(all.map(j => j.id).sort()).toEqual(expired.map(j => j.id).sort())
        expect(await store.listExpired(new Date(T0), 2)).toHaveLength(2)
      })

      it('deletes the job and its deliveries', async () => {
        const [job, kept] = await createAll([makeJob(), makeJob()])
        await store.addDelivery(makeDelivery(job!.id))
        await store.addDelivery(makeDelivery(job!.id, { nextAttemptAt: T0 + 1 }))
        const keptDelivery = makeDelivery(kept!.id)
        await store.addDelivery(keptDelivery)
        await store.addWebhookAttempt(job!.id, makeAttempt())

        await store.delete(job!.id)
        expect(await store.getById(job!.id)).toBeUndefined()
        expect(await store.get('org_a', job!.id)).toBeUndefined()
        expect((await store.list('org_a')).jobs.map(j => j.id)).toEqual([kept!.id])
        expect(await store.dueDeliveries(T0 + 10, 10)).toEqual([keptDelivery])
        expect(await store.getById(kept!.id)).toEqual(kept)
      })

      it('deletes expired jobs so they are no longer listed as expired', async () => {
        await createAll(Array.from({ length: 5 }, () => makeJob({ expiresAt: new Date(T0 - 1000).toISOString() })))
        for (let batch = await store.listExpired(new Date(T0), 2); batch.length > 0; batch = await store.listExpired(new Date(T0), 2)) {
          for (const job of batch) await store.delete(job.id)
        }
        expect(await store.countByStatus()).toMatchObject({ pending: 0 })
      })

      it('lets an idempotency key be reused once its job is deleted', async () => {
        const job = makeJob({ idempotencyKey: 'reused' })
        await store.create(job)
        await store.delete(job.id)
        const again = makeJob({ idempotencyKey: 'reused' })
        expect(await store.create(again)).toEqual({ job: again, created: true })
      })

      it('resolves when deleting a missing job', async () => {
        await expect(store.delete(newJobId())).resolves.toBeUndefined()
      })
    })

    describe('countByStatus', () => {
      it('counts every status, zero included', async () => {
        expect(await store.countByStatus()).toEqual(Object.fromEntries(JOB_STATUSES.map(s => [s, 0])))
        await createAll([
          makeJob(),
          makeJob(),
          makeJob({ status: 'completed' }),
          makeJob({ org: 'org_b', status: 'failed' }),
          makeJob({ status: 'processing' }),
        ])
        await store.claimNext(T0)
        expect(await store.countByStatus()).toEqual({ pending: 1, processing: 2, completed: 1, failed: 1, cancelled: 0 })
      })
    })

    describe('deliveries', () => {
      it('returns pending deliveries due at now, oldest first, at most limit', async () => {
        const job = makeJob()
        await store.create(job)
        const late = makeDelivery(job.id, { nextAttemptAt: T0 + 3000 })
        const early = makeDelivery(job.id, { nextAttemptAt: T0 + 1000 })
        const middle = makeDelivery(job.id, { nextAttemptAt: T0 + 2000, status: 'failed' })
        const future = makeDelivery(job.id, { nextAttemptAt: T0 + 60_000 })
        const done = makeDelivery(job.id, { nextAttemptAt: T0, state: 'delivered' })
        const givenUp = makeDelivery(job.id, { nextAttemptAt: T0, state: 'failed', attempts: 8 })
        for (const d of [late, early, middle, future, done, givenUp]) await store.addDelivery(d)

        expect(await store.dueDeliveries(T0 + 3000, 10)).toEqual([early, middle, late])
        expect(await store.dueDeliveries(T0 + 3000, 2)).toEqual([early, middle])
        expect(await store.dueDeliveries(T0 + 999, 10)).toEqual([])
      })

      it('updates attempts, next attempt and state', async () => {
        const job = makeJob()
        await store.create(job)
        const delivery = makeDelivery(job.id)
        await store.addDelivery(delivery)

        await store.updateDelivery(delivery.eventId, { attempts: 1, nextAttemptAt: T0 + 5000 })
        expect(await store.dueDeliveries(T0 + 4999, 10)).toEqual([])
        expect(await store.dueDeliveries(T0 + 5000, 10)).toEqual([{ ...delivery, attempts: 1, nextAttemptAt: T0 + 5000 }])

        await store.updateDelivery(delivery.eventId, { attempts: 2, state: 'delivered' })
        expect(await store.dueDeliveries(T0 + 60_000, 10)).toEqual([])
      })

      it('keeps a fractional nextAttemptAt as given', async () => {
        const job = makeJob()
        await store.create(job)
        const delivery = makeDelivery(job.id, { nextAttemptAt: T0 + 1234.5 })
        await store.addDelivery(delivery)
        expect(await store.dueDeliveries(T0 + 1234, 10)).toEqual([])
        expect(await store.dueDeliveries(T0 + 1235, 10)).toEqual([delivery])
      })

      it('claims due deliveries with a lease: another instance does not get them until the lease ends', async () => {
        const job = makeJob()
        await store.create(job)
        const first = makeDelivery(job.id)
        const second = makeDelivery(job.id, { nextAttemptAt: T0 + 10 })
        const later = makeDelivery(job.id, { nextAttemptAt: T0 + 60_000 })
        for (const d of [first, second, later]) await store.addDelivery(d)
        const other = (await another()) ?? store

        // Two senders claim at once: each delivery goes to exactly one of them.
        const [mine, theirs] = await Promise.all([store.dueDeliveries(T0 + 100, 1, T0 + 30_000), other.dueDeliveries(T0 + 100, 10, T0 + 30_000)])
        expect([...mine, ...theirs].map(d => d.eventId).sort()).toEqual([first.eventId, second.eventId].sort())
        expect(await store.dueDeliveries(T0 + 100, 10, T0 + 30_000)).toEqual([])
        expect(await store.dueDeliveries(T0 + 100, 10)).toEqual([])
        // A sender that died leaves its deliveries due again once the lease has passed.
        const again = await other.dueDeliveries(T0 + 30_000, 10, T0 + 90_000)
        expect(again.map(d => d.eventId).sort()).toEqual([first.eventId, second.eventId].sort())
        expect(again.every(d => d.attempts === 0 && d.state === 'pending')).toBe(true)
        // Recording the attempt replaces the lease.
        await store.updateDelivery(first.eventId, { attempts: 1, nextAttemptAt: T0 + 40_000 })
        expect((await store.dueDeliveries(T0 + 40_000, 10)).map(d => d.eventId)).toEqual([first.eventId])
        expect(await store.dueDeliveries(T0 + 100, 0, T0 + 1)).toEqual([])
      })

      it('resolves when updating a missing delivery', async () => {
        await expect(store.updateDelivery(randomUUID(), { state: 'failed' })).resolves.toBeUndefined()
      })
    })

    describe('lifecycle', () => {
      it('pings while open', async () => {
        expect(await store.ping()).toBe(true)
      })

      it('rejects calls after close instead of swallowing them, and closes twice', async () => {
        await store.close()
        await expect(store.create(makeJob())).rejects.toThrow()
        await expect(store.getById(newJobId())).rejects.toThrow()
        await expect(store.claimNext(T0)).rejects.toThrow()
        expect(await store.ping()).toBe(false)
        await expect(store.close()).resolves.toBeUndefined()
      })

      it('keeps everything after close and reopen', async ({ skip }) => {
        if (!harness.openAnother) return skip()
        const [pending, keyed, other] = await createAll([
          makeJob(),
          makeJob({ idempotencyKey: 'persist', webhookUrl: 'https://example.com/h' }),
          makeJob({ org: 'org_b' }),
        ])
        const claimed = await store.claimNext(T0)
        await store.update(keyed!.id, { progress: 50, pagesDone: 1, pagesTotal: 2 })
        const attempt = makeAttempt()
        await store.addWebhookAttempt(keyed!.id, attempt)
        const delivery = makeDelivery(keyed!.id)
        await store.addDelivery(delivery)
        const before = {
          jobs: await store.list('org_a'),
          other: await store.getById(other!.id),
          counts: await store.countByStatus(),
        }
        await store.close()

        const reopened = (await another())!
        expect(await reopened.list('org_a')).toEqual(before.jobs)
        expect(await reopened.getById(other!.id)).toEqual(before.other)
        expect(await reopened.countByStatus()).toEqual(before.counts)
        expect(await reopened.listProcessing()).toEqual([claimed])
        expect(claimed!.id).toBe(pending!.id)
        expect((await reopened.getById(keyed!.id))?.webhookAttempts).toEqual([attempt])
        expect(await reopened.dueDeliveries(T0, 10)).toEqual([delivery])
        expect(await reopened.create(makeJob({ idempotencyKey: 'persist' }))).toMatchObject({ created: false, job: { id: keyed!.id } })
        // New jobs still sort after the old ones, also in the same millisecond.
        const newer = makeJob()
        await reopened.create(newer)
        expect((await reopened.list('org_a', { limit: 1 })).jobs[0]?.id).toBe(newer.id)
      })
    })
  })
}
