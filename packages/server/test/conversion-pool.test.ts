/**
 * The conversion pool with real worker threads and real PDFs. The threads run the built
 * dist/pool/conversion-thread.js (the pool falls back to it when run from src/), so build
 * with `pnpm exec tsc -b` before running these tests.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConversionPool, ConversionPoolOptions, ConversionTask } from '../src/pool/conversion-pool.js'
import { createConversionPool } from '../src/pool/create-conversion-pool.js'
import { generateTextPdf } from './generate-text-pdf.js'

const fixture = new URL('./fixtures/node-documentation.pdf', import.meta.url).pathname

let dir: string
/** 200 pages of 50 lines: several seconds to convert, page by page. */
let slowPdf: string
/** One page of 15,000 lines: seconds of work inside a single page, where a cancel goes unanswered. */
let hugePagePdf: string
/** The first half of the fixture. */
let truncatedPdf: string
/** 30 pages of three short lines: quick to OCR one by one. */
let shortPagesPdf: string
let outputs = 0
let pools: ConversionPool[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docloader-pool-'))
  slowPdf = join(dir, 'slow.pdf')
  hugePagePdf = join(dir, 'huge-page.pdf')
  truncatedPdf = join(dir, 'truncated.pdf')
  shortPagesPdf = join(dir, 'short-pages.pdf')
  await writeFile(shortPagesPdf, generateTextPdf(30, 3))
  await writeFile(slowPdf, generateTextPdf(200))
  await writeFile(hugePagePdf, generateTextPdf(1, 40_000))
  const bytes = await readFile(fixture)
  await writeFile(truncatedPdf, bytes.subarray(0, bytes.length >> 1))
})
afterEach(async () => {
  await Promise.all(pools.map((pool) => pool.close()))
  pools = []
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function pool(options: ConversionPoolOptions): ConversionPool {
  const created = createConversionPool(options)
  pools.push(created)
  return created
}

function task(inputPath: string, overrides: Partial<ConversionTask> = {}): ConversionTask {
  const id = ++outputs
  return { jobId: `job_${id}`, inputPath, outputPath: join(dir, `out-${id}.result`), format: 'md', options: {}, hardTimeoutMs: 60_000, ...overrides }
}

/** Temp files the pool left behind in the output folder. */
async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.tmp'))
}

describe('createConversionPool', () => {
  it('converts a PDF to Markdown and JSON, writes the result file and reports progress up to the page total', async () => {
    const conversions = pool({ size: 1 })
    const progress: [number, number][] = []
    const md = task(fixture)
    const outcome = await conversions.run(md, { onProgress: (done, total) => progress.push([done, total]) })
    const content = await readFile(md.outputPath, 'utf8')
    expect(content).toContain('About this documentation')
    expect(outcome.resultBytes).toBe(Buffer.byteLength(content))
    expect(outcome.metadata).toMatchObject({ sourceFormat: 'pdf', pageCount: 3, pagesConverted: 3 })
    expect(progress.at(-1)).toEqual([3, 3])
    expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b))

    const json = task(fixture, { format: 'json', options: { pages: '2-3' } })
    const jsonOutcome = await conversions.run(json)
    const document = JSON.parse(await readFile(json.outputPath, 'utf8')) as { version: number; pages: unknown[] }
    expect(document.version).toBe(1)
    expect(document.pages).toHaveLength(2)
    expect(jsonOutcome.metadata.pagesConverted).toBe(2)
    expect(await leftovers()).toEqual([])
  })

  it('runs at most `size` conversions at once', async () => {
    const conversions = pool({ size: 2 })
    expect(conversions.size).toBe(2)
    let maxBusy = 0
    const sampler = setInterval(() => (maxBusy = Math.max(maxBusy, conversions.busy)), 1)
    try {
      const outcomes = await Promise.all([1, 2, 3, 4].map(() => conversions.run(task(fixture))))
      expect(new Set(outcomes.map((outcome) => outcome.threadId)).size).toBe(2)
    } finally {
      clearInterval(sampler)
    }
    expect(maxBusy).toBe(2)
    expect(conversions.busy).toBe(0)
  })

  it('runs waiting tasks in the order they came', async () => {
    const conversions = pool({ size: 1 })
    const finished: number[] = []
    await Promise.all([1, 2, 3].map((n) => conversions.run(task(fixture)).then(() => finished.push(n))))
    expect(finished).toEqual([1, 2, 3])
  })

  it("keeps the caller's event loop responsive while converting", async () => {
    const conversions = pool({ size: 2 })
    // One page of 15,000 lines: its layout analysis alone blocks whatever event loop runs it
    // for seconds, so a gap near that would mean the conversion ran on the caller's loop.
    const heavy = join(dir, 'one-heavy-page.pdf')
    await writeFile(heavy, generateTextPdf(1, 15_000))
    let last = performance.now()
    let maxGap = 0
    let ticks = 0
    const ticker = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
      ticks++
    }, 10)
    const started = performance.now()
    try {
      await Promise.all([conversions.run(task(heavy)), conversions.run(task(heavy))])
    } finally {
      clearInterval(ticker)
    }
    const took = performance.now() - started
    expect(took).toBeGreaterThan(600)
    expect(ticks).toBeGreaterThan(20)
    // Scheduling noise on a busy machine stays far below the conversion's own length.
    expect(maxGap).toBeLessThan(Math.min(500, took / 3))
  })

  it('cancels a running conversion with CANCELLED, leaves no result, and reuses the thread that stopped', async () => {
    const conversions = pool({ size: 1 })
    const warm = await conversions.run(task(fixture))
    const controller = new AbortController()
    const cancelled = task(slowPdf)
    let abortedAt = 0
    const running = conversions.run(cancelled, {
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= 2 && !abortedAt) {
          abortedAt = performance.now()
          controller.abort()
        }
      },
    })
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(performance.now() - abortedAt).toBeLessThan(1000)
    expect(existsSync(cancelled.outputPath)).toBe(false)
    expect(await leftovers()).toEqual([])
    const after = await conversions.run(task(fixture))
    expect(after.threadId).toBe(warm.threadId)
  })

  it('terminates a thread that does not stop within a second of a cancel, and starts a fresh one', async () => {
    const conversions = pool({ size: 1 })
    const controller = new AbortController()
    let abortedAt = 0
    const warm = await conversions.run(task(fixture))
    // Page 1 of 1 is announced first; half a second later the thread is deep in that one page.
    const running = conversions.run(task(hugePagePdf), {
      signal: controller.signal,
      onProgress: () => {
        setTimeout(() => {
          abortedAt = performance.now()
          controller.abort()
        }, 500)
      },
    })
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
    const waited = performance.now() - abortedAt
    expect(waited).toBeGreaterThanOrEqual(990)
    expect(waited).toBeLessThan(3000)
    const after = await conversions.run(task(fixture))
    expect(after.threadId).not.toBe(warm.threadId)
    expect(await leftovers()).toEqual([])
  })

  it('drops a queued task on cancel without running it', async () => {
    const conversions = pool({ size: 1 })
    const first = conversions.run(task(fixture))
    const controller = new AbortController()
    const queued = task(fixture)
    const second = conversions.run(queued, { signal: controller.signal })
    controller.abort()
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(conversions.busy).toBe(1)
    await first
    expect(existsSync(queued.outputPath)).toBe(false)
    const aborted = AbortSignal.abort()
    await expect(conversions.run(task(fixture), { signal: aborted })).rejects.toMatchObject({ code: 'CANCELLED' })
  })

  it('terminates the thread at the hard time limit with TIMEOUT, and keeps working with a fresh thread', async () => {
    const conversions = pool({ size: 1 })
    const warm = await conversions.run(task(fixture))
    const timedOut = task(slowPdf, { hardTimeoutMs: 1500 })
    const started = performance.now()
    const error = await conversions.run(timedOut).then(
      () => undefined,
      (rejection: unknown) => rejection,
    )
    expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('1.5 s') })
    expect(performance.now() - started).toBeLessThan(3000)
    expect(existsSync(timedOut.outputPath)).toBe(false)
    expect(await leftovers()).toEqual([])
    const after = await conversions.run(task(fixture))
    expect(after.threadId).not.toBe(warm.threadId)
    expect(after.metadata.pagesConverted).toBe(3)
  })

  it('passes the job OCR options and the soft time limit to the engine: OCR stops, the pages read are kept, flagged partial', async () => {
    const conversions = pool({ size: 1 })
    const warm = await conversions.run(task(fixture))
    // 30 short pages, every one OCR'd under `force`: far more than fit in the soft limit.
    const limited = task(shortPagesPdf, { options: { ocr: 'force', language: 'eng' }, softTimeoutMs: 8000 })
    const outcome = await conversions.run(limited)
    expect(outcome.metadata.partial).toMatchObject({ code: 'TIMEOUT', reason: expect.stringMatching(/soft time limit of 8 s: pages .*30 were not read/) })
    const read = outcome.metadata.pagesConverted
    expect(await readFile(limited.outputPath, 'utf8')).toMatch(/Page 1 line 1: the quick brown fox/)
    expect(read).toBeGreaterThanOrEqual(1)
    expect(read).toBeLessThan(30)
    const after = await conversions.run(task(fixture))
    expect(after.threadId).toBe(warm.threadId)
  })

  it('fails a job whose OCR language is not installed with OCR_FAILED naming the package', async () => {
    const conversions = pool({ size: 1 })
    const job = task(shortPagesPdf, { options: { ocr: 'force', pages: '1', language: 'deu' } })
    await expect(conversions.run(job)).rejects.toMatchObject({ code: 'OCR_FAILED', message: expect.stringContaining('@tesseract.js-data/deu') })
  })

  it.runIf(process.platform === 'linux')('runs conversions in the idle scheduling class by default, so they never take a CPU from the API', async () => {
    const before = process.env.DOCLOADER_CONVERSION_PRIORITY
    delete process.env.DOCLOADER_CONVERSION_PRIORITY
    try {
      const conversions = pool({ size: 1 })
      await conversions.run(task(fixture))
      // Field 41 of /proc/<pid>/task/<tid>/stat is the scheduling policy; 5 is SCHED_IDLE.
      const policyOf = async (tid: string | number) => {
        const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38])
      }
      const policies = await Promise.all((await readdir('/proc/self/task')).map(policyOf))
      // The conversion thread and the threads it started; the main thread stays normal (0).
      expect(policies.filter((policy) => policy === 5).length).toBeGreaterThanOrEqual(1)
      expect(await policyOf(process.pid)).toBe(0)
    } finally {
      if (before !== undefined) process.env.DOCLOADER_CONVERSION_PRIORITY = before
    }
  })

  it('rejects a truncated PDF with CORRUPT_FILE and writes nothing', async () => {
    const conversions = pool({ size: 1 })
    const corrupt = task(truncatedPdf)
    await expect(conversions.run(corrupt)).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('damaged or truncated') })
    expect(existsSync(corrupt.outputPath)).toBe(false)
    expect(await leftovers()).toEqual([])
    await expect(conversions.run(task(fixture))).resolves.toMatchObject({ metadata: { pagesConverted: 3 } })
  })

  it('replaces a thread after `recycleAfter` tasks', async () => {
    const conversions = pool({ size: 1, recycleAfter: 2 })
    const threads: (number | undefined)[] = []
    for (let n = 0; n < 3; n++) threads.push((await conversions.run(task(fixture))).threadId)
    expect(threads[0]).toBeTypeOf('number')
    expect(threads[1]).toBe(threads[0])
    expect(threads[2]).not.toBe(threads[0])
  })

  it('fails a thread that runs out of memory with INTERNAL and recovers with a fresh thread', async () => {
    const conversions = pool({ size: 1, maxMemoryMb: 48 })
    const bloated = join(dir, 'bloated.pdf')
    await writeFile(bloated, generateTextPdf(1, 5, { bloat: 8_000_000 }))
    const warm = await conversions.run(task(fixture))
    const oom = task(bloated)
    await expect(conversions.run(oom)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('ran out of memory') })
    expect(existsSync(oom.outputPath)).toBe(false)
    const after = await conversions.run(task(fixture))
    expect(after.threadId).not.toBe(warm.threadId)
    expect(after.metadata.pagesConverted).toBe(3)
  })

  it('close() rejects running and queued tasks with CANCELLED, and later runs too', async () => {
    const conversions = pool({ size: 1 })
    let running!: () => void
    const isRunning = new Promise<void>((resolve) => (running = resolve))
    const tasks = [task(slowPdf), task(fixture), task(fixture)]
    const results = tasks.map((each, index) =>
      conversions.run(each, index === 0 ? { onProgress: () => running() } : {}).then(
        () => undefined,
        (error: unknown) => error,
      ),
    )
    await isRunning
    await conversions.close()
    for (const result of results) expect(await result).toMatchObject({ code: 'CANCELLED' })
    expect(conversions.busy).toBe(0)
    for (const each of tasks) expect(existsSync(each.outputPath)).toBe(false)
    expect(await leftovers()).toEqual([])
    await expect(conversions.run(task(fixture))).rejects.toMatchObject({ code: 'CANCELLED' })
  })

  it('rejects bad options with INVALID_OPTION', async () => {
    expect(() => createConversionPool({ size: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('`size`') }))
    expect(() => createConversionPool({ recycleAfter: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => createConversionPool({ maxMemoryMb: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    await expect(pool({ size: 1 }).run(task(fixture, { hardTimeoutMs: 0 }))).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })
})
