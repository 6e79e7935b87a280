import { createHash, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KeyvStoreAdapter, StoredData } from 'keyv'

/**
 * A keyv store keeping one file per key in a folder: survives restarts, safe for several
 * processes (writes go to a temporary file and are renamed into place), no native code.
 * Used by the CLI's `--cache <dir>`.
 */
export class DirectoryStore extends EventEmitter implements KeyvStoreAdapter {
  readonly opts: { dir: string }
  namespace?: string

  constructor(dir: string) {
    super()
    this.opts = { dir }
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    try {
      return (await readFile(this.pathOf(key), 'utf8')) as StoredData<Value>
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async set(key: string, value: unknown): Promise<boolean> {
    await mkdir(this.opts.dir, { recursive: true })
    const target = this.pathOf(key)
    const temporary = `${target}.${randomUUID()}.tmp`
    await writeFile(temporary, typeof value === 'string' ? value : JSON.stringify(value))
    await rename(temporary, target)
    return true
  }

  async delete(key: string): Promise<boolean> {
    try {
      await rm(this.pathOf(key))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
  }

  async clear(): Promise<void> {
    await rm(this.opts.dir, { recursive: true, force: true })
  }

  private pathOf(key: string): string {
    return join(this.opts.dir, `${createHash('sha256').update(key).digest('hex')}.json`)
  }
}
