/**
 * A real `redis-server` for tests: its own process on a free loopback port with a temporary
 * folder, stopped by PID. Debian's `redis-server` package provides the binary (.ci/run
 * installs it); without it the tests fail with a message saying so, they never skip.
 *
 * @example
 * let redis: RedisServer
 * beforeAll(async () => { redis = await startRedisServer() })
 * afterAll(async () => { await redis?.stop() })
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServerOptions {
  /**
   * Keep data across a restart: append-only file fsynced at every write, as a production
   * Redis holding jobs should run. Off: no persistence at all (fastest).
   * @default false
   */
  persistent?: boolean
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  /** PID of the running server (changes on restart). */
  readonly pid: number
  /** Stops the server by PID (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>
  /** Stops it and starts it again on the same port and folder. */
  restart(): Promise<void>
  /** Stops it (if running) and removes its folder. */
  dispose(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'docloader-redis-'))
  // A free port can be taken between our probe and redis-server's bind: try a few.
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--maxmemory-policy', 'noeviction',
    ]
    let child: ChildProcess
    try {
      child = await launch(args, port)
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') {
        await rm(dir, { recursive: true, force: true })
        throw new Error('redis-server is not installed; the Redis tests need it. Install Debian\'s `redis-server` package (`apt-get install -y redis-server`); .ci/run does this on CI.', { cause: error })
      }
      lastError = error
      continue
    }
    const stop = async (): Promise<void> => {
      await stopByPid(child)
    }
    const server: RedisServer = {
      url: `redis://127.0.0.1:${port}`,
      port,
      get pid() {
        return child.pid as number
      },
      stop,
      async restart() {
        await stop()
        child = await launch(args, port)
      },
      async dispose() {
        await stop()
        await rm(dir, { recursive: true, force: true })
      },
    }
    return server
  }
  await rm(dir, { recursive: true, force: true })
  throw new Error('Could not start redis-server on a free port after 5 tries', { cause: lastError })
}

/** Starts redis-server and resolves once it answers PING; rejects with its output if it exits first. */
async function launch(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject)
    child.once('exit', code => reject(new Error(`redis-server exited with code ${String(code)} before answering PING:\n${output.slice(-2000)}`)))
  })
  exited.catch(() => {})
  const deadline = Date.now() + START_TIMEOUT_MS
  try {
    for (;;) {
      if (await Promise.race([pingOnce(port), exited])) return child
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS} ms:\n${output.slice(-2000)}`)
      await Promise.race([new Promise(resolve => setTimeout(resolve, 50)), exited])
    }
  } catch (error) {
    if (child.exitCode === null && child.pid !== undefined) await stopByPid(child)
    throw error
  }
}

/** One PING over a raw socket: true on +PONG, false on refusal or anything else. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', chunk => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

async function stopByPid(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
  }, 5000)
  await exited
  clearTimeout(timer)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('No port from the probe server'))))
    })
  })
}
