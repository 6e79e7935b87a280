/** The local-folder storage (the default) passes the storage conformance suite. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalStorage } from '../src/storage/local-storage.js'
import { listFiles } from './start-test-server.js'
import { runStorageSuite } from './storage-suite.js'

runStorageSuite('local folder', async () => {
  const root = await mkdtemp(join(tmpdir(), 'docloader-storage-'))
  return {
    storage: createLocalStorage(root),
    stored: () => listFiles(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  }
})
