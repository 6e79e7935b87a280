import type { Readable } from 'node:stream'

/** One Server-Sent Event (comments such as keep-alives are skipped). */
export interface ServerSentEvent {
  event: string
  data: string
  id: string | undefined
}

/** Yields the events of a `text/event-stream` body as they arrive, until the body ends. */
export async function* readEventStream(body: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    buffer += (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })).replace(/\r\n?/g, '\n')
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      let id: string | undefined
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
        else if (field === 'id') id = value
      }
      if (data.length) yield { event, data: data.join('\n'), id }
    }
  }
}
