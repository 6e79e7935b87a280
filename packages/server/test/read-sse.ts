/** One Server-Sent Event as received (comments such as keep-alives are skipped). */
export interface ServerSentEvent {
  event: string
  data: string
  id?: string
}

/**
 * Reads a `text/event-stream` body to its end, returning every event. Rejects if the stream
 * is still open after `timeoutMs`. `onEvent` sees each event as it arrives.
 */
export async function readSse(response: Response, { timeoutMs = 20_000, onEvent }: { timeoutMs?: number; onEvent?: (event: ServerSentEvent) => void } = {}): Promise<ServerSentEvent[]> {
  if (!response.body) throw new Error('The response has no body.')
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  const events: ServerSentEvent[] = []
  let buffer = ''
  let expired = false
  const timer = setTimeout(() => {
    expired = true
    void reader.cancel()
  }, timeoutMs)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += value.replace(/\r\n?/g, '\n')
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: ServerSentEvent = { event: 'message', data: '' }
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'event') event.event = value
          else if (field === 'data') data.push(value)
          else if (field === 'id') event.id = value
        }
        if (!data.length) continue
        event.data = data.join('\n')
        events.push(event)
        onEvent?.(event)
      }
    }
  } finally {
    clearTimeout(timer)
  }
  if (expired) throw new Error(`The event stream was still open after ${timeoutMs} ms; received ${JSON.stringify(events.map((event) => event.event))}`)
  return events
}
