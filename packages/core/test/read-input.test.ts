import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readInput } from '../src/input/read-input.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docloader-input-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('readInput', () => {
  it('reads a file path, a Buffer, an ArrayBuffer and a stream alike', async () => {
    const path = join(dir, 'a.txt')
    await writeFile(path, 'hello')
    for (const input of [path, new URL(`file://${path}`), Buffer.from('hello'), new TextEncoder().encode('hello').buffer, Readable.from([Buffer.from('hel'), Buffer.from('lo')])]) {
      expect(Buffer.from(await readInput(input as never, 1000)).toString()).toBe('hello')
    }
  })

  it('reads a web ReadableStream', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('web'))
        controller.close()
      },
    })
    expect(Buffer.from(await readInput(stream, 1000)).toString()).toBe('web')
  })

  it('fails with EMPTY_FILE for zero bytes', async () => {
    const path = join(dir, 'empty.pdf')
    await writeFile(path, '')
    await expect(readInput(path, 1000)).rejects.toMatchObject({ code: 'EMPTY_FILE' })
  })

  it('fails with NOT_FOUND for a missing path, naming it', async () => {
    await expect(readInput(join(dir, 'nope.pdf'), 1000)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope.pdf') })
  })

  it('refuses a file above the limit from its size, before reading it', async () => {
    const path = join(dir, 'big.txt')
    await writeFile(path, 'x'.repeat(5000))
    await expect(readInput(path, 4096)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' })
  })

  it('stops an endless stream at the limit instead of reading it all', async () => {
    let produced = 0
    const endless = new Readable({
      read() {
        produced += 1024
        this.push(Buffer.alloc(1024, 120))
      },
    })
    await expect(readInput(endless, 10 * 1024)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' })
    expect(produced).toBeLessThan(64 * 1024)
  })
})
