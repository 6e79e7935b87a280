#!/usr/bin/env node
// The baseline of `bench/server-load.mjs`: a bare node:http server that answers a GET with a
// fixed JSON body and a POST by reading the whole request body and answering 202 with a fixed
// JSON body, both the size of docloader's answers. No framework, no store, no file: what this
// machine and Node give any HTTP service, measured in the same run under the same background
// load. Prints its port on its IPC channel.
import http from 'node:http'
import { watchLoopDelay } from './loop-delay.mjs'

const { getBody, postBody } = JSON.parse(process.argv[2])
const server = http.createServer((request, response) => {
  if (request.method === 'POST') {
    request.on('data', () => {})
    request.on('end', () => {
      response.writeHead(202, { 'content-type': 'application/json' })
      response.end(postBody)
    })
    return
  }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(getBody)
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}`, pid: process.pid }))
const loopDelay = watchLoopDelay()
process.on('message', (message) => loopDelay.answer(message))
process.on('disconnect', () => process.exit(0))
