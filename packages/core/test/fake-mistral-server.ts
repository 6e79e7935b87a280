import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the fake answers to one request. */
export type FakeMistralAnswer =
  | { kind: 'ok'; markdown: string }
  | { kind: 'slow'; ms: number; markdown: string }
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: string }
  | { kind: 'malformed' }

export interface RecordedOcrRequest {
  authorization: string | undefined
  body: { model?: string; document?: { type?: string; image_url?: string }; include_blocks?: boolean; [key: string]: unknown }
}

export interface FakeMistralServer {
  /** Base URL to give the SDK as `serverURL`. */
  url: string
  /** Every request received on POST /v1/ocr, in order. */
  requests: RecordedOcrRequest[]
  /** Answers for the next requests, in order; after them `fallback` answers. */
  script(...answers: FakeMistralAnswer[]): void
  /** What to answer once the script is used up. */
  fallback: FakeMistralAnswer
  close(): Promise<void>
}

/**
 * A fake Mistral OCR API on a free port speaking the wire format the SDK uses (STACK.md):
 * POST /v1/ocr with a bearer key and a snake_case JSON body, answered with the smallest
 * response the SDK accepts. Scriptable per request: correct, slow, any status, malformed.
 */
export async function startFakeMistralServer(apiKey = 'test-key'): Promise<FakeMistralServer> {
  const queue: FakeMistralAnswer[] = []
  const requests: RecordedOcrRequest[] = []
  const sockets = new Set<import('node:net').Socket>()
  const fake: Omit<FakeMistralServer, 'url' | 'close'> = {
    requests,
    script: (...answers) => void queue.push(...answers),
    fallback: { kind: 'ok', markdown: '# Hello docloader' },
  }
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }
  const page = (markdown: string) => ({ pages: [{ index: 0, markdown, images: [], dimensions: null }], model: 'mistral-ocr-fake', usage_info: { pages_processed: 1 } })

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (req.method !== 'POST' || req.url !== '/v1/ocr') return json(res, 404, { detail: 'Not Found' })
    if (req.headers.authorization !== `Bearer ${apiKey}`) return json(res, 401, { detail: 'Unauthorized' })
    let body: RecordedOcrRequest['body']
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return json(res, 422, { detail: [{ msg: 'invalid JSON' }] })
    }
    requests.push({ authorization: req.headers.authorization, body })
    if (body.document?.type !== 'image_url' || !String(body.document.image_url ?? '').startsWith('data:image/')) {
      return json(res, 422, { detail: [{ loc: ['body', 'document'], msg: 'expected an image_url document', type: 'value_error' }] })
    }
    const answer = queue.shift() ?? fake.fallback
    switch (answer.kind) {
      case 'ok':
        return json(res, 200, page(answer.markdown))
      case 'slow': {
        const timer = setTimeout(() => json(res, 200, page(answer.markdown)), answer.ms)
        res.on('close', () => clearTimeout(timer))
        return
      }
      case 'status':
        return json(res, answer.status, answer.body ?? { object: 'error', message: `fake ${answer.status}` }, answer.retryAfter ? { 'retry-after': answer.retryAfter } : {})
      case 'malformed':
        return json(res, 200, { pages: [{ index: 'zero', text: 'no markdown key' }] })
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }) as FakeMistralServer
}
