import { readFileSync } from 'node:fs'
import type { DocloaderClient } from '@docloader/client'
import { UsageError } from '../exit-codes.js'

/** The server and key of a remote command, from the flags or the environment. */
export interface RemoteOptions {
  server?: string
  apiKey?: string
}

/**
 * A client for --server / --api-key (env DOCLOADER_SERVER / DOCLOADER_API_KEY). The client
 * package is imported here, on first use, so local commands never load it.
 */
export async function createRemoteClient(options: RemoteOptions): Promise<DocloaderClient> {
  const server = options.server ?? (process.env.DOCLOADER_SERVER || undefined)
  const apiKey = options.apiKey ?? (process.env.DOCLOADER_API_KEY || undefined)
  if (!server) throw new UsageError('Say which server to use: --server <url> or the DOCLOADER_SERVER environment variable.')
  if (!/^https?:\/\/[^/]/i.test(server)) throw new UsageError(`--server must be an http(s) URL such as http://127.0.0.1:9001, got "${server}".`)
  if (!apiKey) throw new UsageError('Give the API key for the server: --api-key <key> or the DOCLOADER_API_KEY environment variable.')
  const { DocloaderClient } = await import('@docloader/client')
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return new DocloaderClient({ baseUrl: server, apiKey, userAgent: `docloader-cli/${version}` })
}
