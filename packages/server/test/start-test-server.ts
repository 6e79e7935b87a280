import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pino } from 'pino'
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js'

/** The two organisations every API test server knows. */
export const ACME_KEY = 'key-acme-0123456789abcdef'
export const GLOBEX_KEY = 'key-globex-0123456789abcdef'
export const TEST_KEYS = [
  { key: ACME_KEY, org: 'acme' },
  { key: GLOBEX_KEY, org: 'globex' },
]

export interface TestServer extends RunningServer {
  /** The server's data folder (a fresh temp folder unless `dataDir` was given). */
  dataDir: string
}

const running = new Set<TestServer>()
const tempDirs: string[] = []

/** A fresh temp folder, removed by `closeTestServers()`. */
export async function makeTempDir(prefix = 'docloader-api-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

/**
 * A real server on 127.0.0.1, port 0, with the two test keys, private webhooks allowed,
 * silent logs and two conversion threads; `options` override any of these.
 */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await makeTempDir())
  const server = await startServer({
    port: 0,
    keys: TEST_KEYS,
    allowPrivateWebhooks: true,
    logger: pino({ level: 'silent' }),
    concurrency: 2,
    // Tests poll fast; the rate-limit test sets its own limits.
    rateLimit: { perSecond: 1000, burst: 1000 },
    ...options,
    dataDir,
  })
  const started: TestServer = {
    ...server,
    dataDir,
    close(deadlineMs?: number) {
      running.delete(started)
      return server.close(deadlineMs)
    },
  }
  running.add(started)
  return started
}

/**
 * Closes every server still running without waiting for conversions (they are left
 * pending), then removes the temp folders. Call from afterEach or afterAll.
 */
export async function closeTestServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.close(0)))
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

/**
 * The job folders (one per stored upload) of an organisation in a server's storage, sorted.
 * An upload that was refused must not leave one behind.
 */
export async function jobFolders(server: { dataDir: string }, org = 'acme'): Promise<string[]> {
  return (await readdir(join(server.dataDir, 'files', org)).catch(() => [] as string[])).sort()
}

/** Every file under `dir`, as paths relative to it with `/` separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort()
}
