import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A real webhook receiver on 127.0.0.1, port 0, answering each request by the next step of
 * a script (the last step repeats): an HTTP status, `drop` (close the connection without an
 * answer), `hang` (never answer), `slow` (200 after 300 ms) or `redirect` (302 to /elsewhere
 * on the same receiver).
 */
export type ReceiverStep = number | 'drop' | 'hang' | 'slow' | 'redirect'

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

export interface WebhookReceiver {
  /** Base URL of the receiver, e.g. `http://127.0.0.1:51234`. */
  url: string
  port: number
  requests: ReceivedRequest[]
  close(): Promise<void>
}

export async function startReceiver(script: ReceiverStep[]): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const step = script[Math.min(requests.length, script.length - 1)] ?? 200
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() })
      if (step === 'hang') return
      if (step === 'drop') {
        req.socket.destroy()
        return
      }
      if (step === 'slow') {
        setTimeout(() => res.writeHead(200).end('ok'), 300)
        return
      }
      if (step === 'redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end('moved')
        return
      }
      res.writeHead(step, { 'content-type': 'text/plain' }).end(step >= 200 && step < 300 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
