// A webhook receiver: verifies each delivery's signature, then handles the event.
//
//   DOCLOADER_SERVER=http://127.0.0.1:9001 DOCLOADER_API_KEY=... node examples/webhook-receiver.mjs
//
// Listens on PORT (default 3000; 0 picks a free one) and prints `listening on <url>`. Give
// jobs `webhookUrl: '<url>/docloader'` (or `-F webhook_url=...`): each status change is
// printed as one JSON line. The secret comes from the server (GET /api/v1/webhook-secret),
// or from DOCLOADER_WEBHOOK_SECRET when set.
import { createServer } from 'node:http'
import { createWebhookHandler, DocloaderClient } from '@docloader/client'

const secret =
  process.env.DOCLOADER_WEBHOOK_SECRET ??
  (await new DocloaderClient({ baseUrl: process.env.DOCLOADER_SERVER ?? 'http://127.0.0.1:9001', apiKey: process.env.DOCLOADER_API_KEY ?? '' }).getWebhookSecret())

const webhooks = createWebhookHandler({
  secret,
  // The server retries a delivery it did not see succeed: handle each event once.
  deduplicate: true,
  async onEvent(event, { eventId }) {
    // Save to your database, fetch event.result_url (works without the API key), ...
    console.log(JSON.stringify({ event_id: eventId, ...event }))
  },
})

const server = createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/docloader') return webhooks(request, response)
  response.writeHead(404).end()
})
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.error(`listening on http://127.0.0.1:${server.address().port}`)
})
process.once('SIGTERM', () => server.close())
process.once('SIGINT', () => server.close())
