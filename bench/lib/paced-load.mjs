#!/usr/bin/env node
// An open-loop load generator: requests at a fixed rate, evenly spaced, sent whatever the
// answers take (like wrk2 -R or vegeta), over a pool of keep-alive connections. Run as a child
// process of a bench, so its event loop serves only these requests:
//
//   node bench/lib/paced-load.mjs '{"url":"http://127.0.0.1:8080","rate":1000,"seconds":10,
//     "connections":64,"headers":{},"paths":["/a","/b"]}'      (or @config.json)
//
// Prints one JSON line: per request (in the order they were due) the status (0 for a network
// error), the latency from the moment it was sent to the end of the answer, the latency from
// the moment it was due, and how late it was sent (this process's own delay: Node timers fire
// up to ~1 ms late). A request that waits for a free connection counts that wait in both
// latencies, so a slow server cannot hide by holding the requests after it back.
//
// autocannon's `overallRate` is not used for this: it lets each connection send its share of
// the second back to back from the start of every second, so the server sees bursts as deep
// as the connection count, not a rate.
import fs from 'node:fs'
import http from 'node:http'

// The configuration, or @file to read it from a file (a long path list does not fit in argv).
const argument = process.argv[2]
const { url, rate, seconds, connections, headers = {}, paths } = JSON.parse(argument.startsWith('@') ? fs.readFileSync(argument.slice(1), 'utf8') : argument)
const target = new URL(url)
const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
const total = Math.round(rate * seconds)
const intervalMs = 1000 / rate
const status = new Array(total).fill(-1)
const fromSend = new Float64Array(total)
const fromDue = new Float64Array(total)
const lateness = new Float64Array(total)
let sent = 0
let finished = 0
let errors = 0

function fire(index, dueAt) {
  const sentAt = performance.now()
  lateness[index] = sentAt - dueAt
  const path = paths[Math.floor(Math.random() * paths.length)]
  const request = http.request({ host: target.hostname, port: target.port, method: 'GET', path, headers, agent }, (response) => {
    response.resume()
    response.on('end', () => {
      const now = performance.now()
      fromSend[index] = now - sentAt
      fromDue[index] = now - dueAt
      status[index] = response.statusCode
      finished++
    })
  })
  request.on('error', () => {
    status[index] = 0
    errors++
    finished++
  })
  request.end()
}

const started = performance.now() + 20
await new Promise((resolve) => {
  const tick = () => {
    // Every request due by now goes out; then sleep until the next one is due.
    const now = performance.now()
    while (sent < total && started + sent * intervalMs <= now) fire(sent, started + sent++ * intervalMs)
    if (sent < total) setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()))
    else resolve()
  }
  setTimeout(tick, 20)
})
const deadline = performance.now() + 30_000
while (finished < total && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
const duration = (performance.now() - started) / 1000
agent.destroy()
// Unanswered requests keep the status -1.
process.stdout.write(
  `${JSON.stringify({
    status,
    fromSend: Array.from(fromSend),
    fromDue: Array.from(fromDue),
    lateness: Array.from(lateness.subarray(0, sent)),
    errors,
    unanswered: total - finished,
    duration,
  })}\n`,
)
