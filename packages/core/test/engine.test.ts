import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DirectoryStore } from '../src/cache/directory-store.js'
import { convert } from '../src/convert.js'
import { createEngine } from '../src/engine/create-engine.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docloader-engine-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A stream that sends a first chunk and then never ends, like a stalled upload. */
function stalledStream(): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) this.push(Buffer.from('# heading\n'))
      sent = true
    },
  })
}

describe('convert', () => {
  it('passes Markdown through unchanged and parses it into the Document model', async () => {
    const source = '# Guide\n\nIntro with **bold**.\n\n- one\n  - nested\n- two\n\n| a | b |\n| - | - |\n| 1 | 2 |\n'
    const result = await convert(Buffer.from(source))
    expect(result.content).toBe(source)
    expect(result.metadata).toMatchObject({ sourceFormat: 'markdown', mimeType: 'text/markdown', title: 'Guide', pageCount: 1 })
    const json = await convert(Buffer.from(source), { format: 'json' })
    const blocks = JSON.parse(json.content).pages[0].blocks
    expect(blocks.map((b: { type: string }) => b.type)).toEqual(['heading', 'paragraph', 'list', 'table'])
    expect(blocks[2].items[0].children.items[0].text).toBe('nested')
    expect(blocks[3].rows).toEqual([['a', 'b'], ['1', '2']])
  })

  it('turns CSV into a pipe table, quoted commas kept inside cells', async () => {
    const result = await convert(Buffer.from('name,city\nAda,London\nAlan,"Wilmslow, Cheshire"\n'))
    expect(result.content).toBe('| name | city |\n| --- | --- |\n| Ada | London |\n| Alan | Wilmslow, Cheshire |\n')
  })

  it('passes plain text through as text and renders it as paragraphs in Markdown', async () => {
    const text = 'Dear reader,\r\n\r\nThis is a letter.\r\nSecond line.\r\n'
    expect((await convert(Buffer.from(text), { format: 'txt' })).content).toBe('Dear reader,\n\nThis is a letter.\nSecond line.\n')
    expect((await convert(Buffer.from(text), { format: 'md' })).content).toBe('Dear reader,\n\nThis is a letter.\nSecond line.\n')
  })

  it('rejects a bad format with INVALID_OPTION', async () => {
    await expect(convert(Buffer.from('x'), { format: 'docx' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })
})

describe('createEngine', () => {
  it('rejects a concurrency below 1', () => {
    expect(() => createEngine({ concurrency: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })

  it('stops a conversion at its time limit with TIMEOUT', async () => {
    const engine = createEngine({ timeout: 200 })
    const started = Date.now()
    await expect(engine.convert(stalledStream())).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(5000)
    await engine.close()
  })

  it('cancels through an AbortSignal with CANCELLED', async () => {
    const engine = createEngine()
    const controller = new AbortController()
    const pending = engine.convert(stalledStream(), { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' })
    await engine.close()
  })

  it('never runs more documents at once than its concurrency', async () => {
    const engine = createEngine({ concurrency: 2 })
    let running = 0
    let peak = 0
    engine.on('start', () => {
      running++
      peak = Math.max(peak, running)
    })
    const settle = () => running--
    engine.on('done', settle)
    engine.on('failed', settle)
    const inputs = Array.from({ length: 8 }, (_, i) => Buffer.from(`# Doc ${i}\n\ntext\n`))
    const seen: number[] = []
    for await (const item of engine.convertMany(inputs)) {
      expect(item.ok).toBe(true)
      seen.push(item.index)
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(peak).toBeLessThanOrEqual(2)
    await engine.close()
  })

  it('yields failures from convertMany instead of throwing, with their codes', async () => {
    const engine = createEngine()
    const items = []
    for await (const item of engine.convertMany([Buffer.from('hello\n'), Buffer.alloc(0), join(dir, 'missing.pdf')])) items.push(item)
    items.sort((a, b) => a.index - b.index)
    expect(items.map((item) => (item.ok ? 'ok' : item.error.code))).toEqual(['ok', 'EMPTY_FILE', 'NOT_FOUND'])
    await engine.close()
  })

  it('reuses a cached result for the same content and options', async () => {
    const cacheDir = join(dir, 'cache')
    const path = join(dir, 'cached.md')
    await writeFile(path, '# Cached\n\nbody\n')
    const first = createEngine({ cache: new DirectoryStore(cacheDir) })
    expect((await first.convert(path)).cached).toBe(false)
    expect((await first.convert(path)).cached).toBe(true)
    expect((await first.convert(path, { pages: '1' })).cached).toBe(false)
    await first.close()
    expect((await readdir(cacheDir)).length).toBe(2)
    // A new engine (a new process) finds the result on disk.
    const second = createEngine({ cache: new DirectoryStore(cacheDir) })
    const again = await second.convert(path, { format: 'json' })
    expect(again.cached).toBe(true)
    expect(again.document.pages[0]!.blocks[0]).toMatchObject({ type: 'heading', text: 'Cached' })
    await second.close()
  })

  it('refuses new work after close', async () => {
    const engine = createEngine()
    await engine.close()
    await expect(engine.convert(Buffer.from('x'))).rejects.toMatchObject({ code: 'CANCELLED' })
  })
})
