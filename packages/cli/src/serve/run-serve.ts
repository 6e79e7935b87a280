import { maskUrl, readKeysFile, parseApiKeys, startServer, type ApiKeyEntry } from '@docloader/server'
import { UsageError } from '../exit-codes.js'
import { checkStorageSetting, s3FromFlags, storageBanner } from '../storage-setting.js'

export interface ServeCommandOptions {
  port: number
  host: string
  dataDir?: string
  store?: string
  queue?: string
  storage?: string
  s3Endpoint?: string
  keysFile?: string
  concurrency?: number
  maxUploadBytes?: number
  retentionHours?: number
  hardTimeout?: number
  softTimeout?: number
  publicUrl?: string
  allowPrivateWebhooks?: boolean
}

/** `docloader serve`: runs until SIGTERM/SIGINT, then shuts down gracefully. Resolves to the exit code. */
export async function runServe(options: ServeCommandOptions): Promise<number> {
  const queue = options.queue ?? process.env.DOCLOADER_QUEUE
  const store = options.store ?? process.env.DOCLOADER_STORE
  const storage = options.storage ?? process.env.DOCLOADER_STORAGE
  const redisQueue = queue !== undefined && queue !== 'embedded'
  if (redisQueue && !/^rediss?:\/\//.test(queue)) {
    throw new UsageError(`--queue ${maskUrl(queue)}: expected \`embedded\` or a Redis URL (redis://host:port).`)
  }
  if (store && !/^(sqlite:|file:|\/|\.)/.test(store) && /^[a-z]+:\/\//.test(store) && !/^rediss?:\/\//.test(store)) {
    throw new UsageError(`--store ${maskUrl(store)}: expected a SQLite file path (or sqlite:PATH) or a Redis URL (redis://host:port).`)
  }
  if (redisQueue && !(store && /^rediss?:\/\//.test(store))) {
    throw new UsageError(`--queue ${maskUrl(queue)} needs --store redis://... too: workers write job state to the shared store.`)
  }
  if (storage) checkStorageSetting(storage)
  const s3 = s3FromFlags(options)
  let keys: ApiKeyEntry[] = []
  try {
    if (options.keysFile) keys = await readKeysFile(options.keysFile)
    else if (process.env.DOCLOADER_API_KEYS) keys = parseApiKeys(process.env.DOCLOADER_API_KEYS)
  } catch (error) {
    throw new UsageError(`${options.keysFile ? `--keys-file ${options.keysFile}` : 'DOCLOADER_API_KEYS'}: ${(error as Error).message}`)
  }
  const server = await startServer({
    port: options.port,
    host: options.host,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(store ? { store: /^rediss?:\/\//.test(store) ? store : store.replace(/^(sqlite|file):(\/\/)?/, '') } : {}),
    ...(redisQueue ? { queue } : {}),
    ...(storage ? { storage } : {}),
    ...(s3 ? { s3 } : {}),
    keys,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.maxUploadBytes ? { maxUploadBytes: options.maxUploadBytes } : {}),
    ...(options.retentionHours ? { retentionMs: options.retentionHours * 3600_000 } : {}),
    ...(options.hardTimeout ? { hardTimeoutMs: options.hardTimeout * 1000 } : {}),
    ...(options.softTimeout ? { softTimeoutMs: options.softTimeout * 1000 } : {}),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    allowPrivateWebhooks: options.allowPrivateWebhooks ?? process.env.DOCLOADER_ALLOW_PRIVATE_WEBHOOKS === '1',
    onGeneratedKey(key, org) {
      process.stderr.write(
        `\nNo API keys configured (DOCLOADER_API_KEYS or --keys-file), so one was generated for organisation "${org}".\n` +
          `It is shown only this once; only its hash is kept:\n\n  X-API-Key: ${key}\n\n`,
      )
    },
  })
  process.stderr.write(
    `docloader server: queue ${redisQueue ? maskUrl(queue) : 'embedded'}, store ${store ? maskUrl(store) : `${options.dataDir ?? 'docloader-data'}/jobs.sqlite`}, storage ${storage ? storageBanner(storage, s3) : `${options.dataDir ?? 'docloader-data'}/files`}\n`,
  )
  process.stderr.write(`docloader server listening on ${server.url}\n`)
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`${signal}: stopping; running jobs get up to 30 s to finish, the rest stay pending\n`)
      resolve()
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  await server.close(30_000)
  return 0
}
