import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { convertPdf } from '../src/convert/pdf/index.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'
import { parsePageSelection } from '../src/page-selection.js'

const fixture = (name: string): Promise<Buffer> => readFile(new URL(`./fixtures/pdf/${name}`, import.meta.url))

interface TestContext extends ConverterContext {
  controller: AbortController
  done: number
  total: number
  warnings: string[]
}

function context(options: { pages?: string; password?: string; maxPages?: number } = {}): TestContext {
  const controller = new AbortController()
  const ctx: TestContext = {
    controller,
    done: 0,
    total: 0,
    warnings: [],
    signal: controller.signal,
    pageSelection: parsePageSelection(options.pages),
    limits: { ...DEFAULT_LIMITS, maxPages: options.maxPages ?? DEFAULT_LIMITS.maxPages },
    setPagesTotal(total) {
      ctx.total = total
    },
    pageDone() {
      ctx.done++
    },
    warn(message) {
      ctx.warnings.push(message)
    },
  }
  if (options.password !== undefined) ctx.password = options.password
  return ctx
}

describe('PDF errors, limits and page selection', () => {
  it('fails with ENCRYPTED and says how to pass a password', async () => {
    const error = await convertPdf(await fixture('encrypted-rc4.pdf'), context()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ENCRYPTED' })
    expect((error as Error).message).toMatch(/--password|`password`/)
  })

  it('says so when the password is wrong', async () => {
    const error = await convertPdf(await fixture('encrypted-rc4.pdf'), context({ password: 'nope' })).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ENCRYPTED' })
    expect((error as Error).message).toMatch(/wrong/)
  })

  it('reads an encrypted PDF with the right password', async () => {
    const result = await convertPdf(await fixture('encrypted-rc4.pdf'), context({ password: 'dev-user-pw' }))
    expect(result.metadata.pagesConverted).toBe(1)
    expect(result.pages[0]!.blocks.some((b) => 'text' in b && b.text.includes('ABSTRACT'))).toBe(true)
  })

  it('fails with CORRUPT_FILE on bytes that are not a PDF', async () => {
    const error = await convertPdf(new TextEncoder().encode('%PDF-1.4\nnot really a pdf\n'), context()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CORRUPT_FILE' })
  })

  it('never passes a truncated PDF off as complete', async () => {
    const whole = await fixture('dafx_p009.pdf')
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6))
    const outcome = await convertPdf(cut, context()).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    )
    if ('error' in outcome) {
      expect(outcome.error).toMatchObject({ code: 'CORRUPT_FILE' })
    } else {
      const { metadata } = outcome.result
      // pdfjs may rebuild a damaged file; if it read fewer pages, the result says so
      if ((metadata.pagesConverted ?? 0) < 7) expect(metadata.partial).toMatchObject({ code: 'CORRUPT_FILE' })
      else expect(metadata.partial).toBeUndefined()
    }
  })

  it('fails with LIMIT_EXCEEDED when the PDF has more pages than allowed', async () => {
    const error = await convertPdf(await fixture('dafx_p009.pdf'), context({ maxPages: 5 })).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    expect((error as Error).message).toContain('7 pages')
  })

  it('converts a page selection that fits the limit, reporting progress', async () => {
    const ctx = context({ pages: '2-3', maxPages: 5 })
    const result = await convertPdf(await fixture('dafx_p009.pdf'), ctx)
    expect(result.pages.map((p) => p.number)).toEqual([2, 3])
    expect(result.metadata).toMatchObject({ pageCount: 7, pagesConverted: 2 })
    expect(ctx.total).toBe(2)
    expect(ctx.done).toBe(2)
  })

  it('stops when aborted and throws the abort reason', async () => {
    const ctx = context()
    const reason = new Error('stop now')
    ctx.pageDone = () => {
      ctx.done++
      if (ctx.done === 2) ctx.controller.abort(reason)
    }
    const error = await convertPdf(await fixture('dafx_p009.pdf'), ctx).catch((e: unknown) => e)
    expect(error).toBe(reason)
    expect(ctx.done).toBe(2)
  })

  it('does not start when already aborted', async () => {
    const ctx = context()
    ctx.controller.abort(new Error('cancelled before start'))
    await expect(convertPdf(await fixture('dafx_p009.pdf'), ctx)).rejects.toThrow('cancelled before start')
    expect(ctx.done).toBe(0)
  })
})
