/**
 * Real docloader servers for the client's tests (port 0, fresh data folder, silent logs),
 * and a scripted HTTP proxy to put in front of one: it answers errors, drops connections
 * or passes requests through, as each test says.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer, type ServerOptions } from '@docloader/server'
import { pino } from 'pino'

export const ACME_KEY = 'key-acme-client-0123456789'
export const GLOBEX_KEY = 'key-globex-client-0123456789'

const running: RunningServer[] = []
const folders: string[] = []
const proxies: Server[] = []

export async function tempDir(prefix = 'docloader-client-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  folders.push(dir)
  return dir
}

/** A real server with keys for acme and globex and private webhooks allowed. */
export async function startRealServer(options: ServerOptions = {}): Promise<RunningServer & { dataDir: string }> {
  const dataDir = options.dataDir ?? (await tempDir('docloader-client-server-'))
  const server = await startServer({
    port: 0,
    keys: [
      { key: ACME_KEY, org: 'acme' },
      { key: GLOBEX_KEY, org: 'globex' },
    ],
    allowPrivateWebhooks: true,
    logger: pino({ level: 'silent' }),
    concurrency: 2,
    ...options,
    dataDir,
  })
  running.push(server)
  return { ...server, dataDir }
}

/** Closes every server and proxy started here and removes their folders. */
export async function closeAll(): Promise<void> {
  await Promise.all(proxies.splice(0).map((proxy) => new Promise((done) => { proxy.closeAllConnections(); proxy.close(done) })))
  await Promise.all(running.splice(0).map((server) => server.close(0)))
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

/** What the proxy does with one request. */
export type ProxyAction =
  | 'pass'
  /** Forward, let the server answer, then cut the client's connection before it sees the answer. */
  | 'pass-then-drop'
  /** Cut the connection at once. */
  | 'drop'
  | { status: number; headers?: Record<string, string>; body?: string }

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  action: ProxyAction
}

export interface ScriptedProxy {
  url: string
  seen: SeenRequest[]
}

/** An HTTP proxy in front of `target` that asks `script` what to do with each request. */
export async function startScriptedProxy(target: string, script: (request: IncomingMessage, index: number) => ProxyAction): Promise<ScriptedProxy> {
  const seen: SeenRequest[] = []
  const server = createServer((request, response) => {
    const action = script(request, seen.length)
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, action })
    handle(request, response, action, target)
  })
  proxies.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

function handle(request: IncomingMessage, response: ServerResponse, action: ProxyAction, target: string): void {
  const socket = request.socket as Socket
  if (action === 'drop') {
    socket.destroy()
    return
  }
  if (typeof action === 'object') {
    request.resume()
    request.on('end', () => {
      response.writeHead(action.status, { 'content-type': 'application/json', ...action.headers })
      response.end(action.body ?? JSON.stringify({ error: { code: action.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', message: `proxy says ${action.status}` } }))
    })
    return
  }
  const url = new URL(request.url ?? '/', target)
  const upstream = httpRequest(url, { method: request.method, headers: { ...request.headers, host: url.host } }, (answer) => {
    if (action === 'pass-then-drop') {
      answer.resume()
      answer.on('end', () => socket.destroy())
      return
    }
    response.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(response)
  })
  upstream.on('error', () => socket.destroy())
  request.pipe(upstream)
}
