/**
 * Importing @docloader/server (for the embedded default, or startWorker with a folder) loads
 * no AWS SDK module: it is imported only when storage is `s3://...`. Checked in a fresh Node
 * process on the built package (run `pnpm exec tsc -b` first); the SDK is CommonJS, so its
 * modules show in require.cache once loaded.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))

function awsModulesLoadedBy(imports: string[]): number {
  const script = `
    import { createRequire } from 'node:module'
    ${imports.map((path) => `await import(${JSON.stringify(new URL(path, `file://${dist}`).href)})`).join('\n')}
    const cache = createRequire(import.meta.url).cache
    process.stdout.write(String(Object.keys(cache).filter((key) => key.includes('@aws-sdk')).length))
  `
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dist, encoding: 'utf8' }))
}

describe('AWS SDK loaded lazily', () => {
  it('importing @docloader/server loads no AWS SDK module', () => {
    expect(awsModulesLoadedBy(['index.js'])).toBe(0)
  })

  it('the S3 storage module does load it (the check above can see it)', () => {
    expect(awsModulesLoadedBy(['index.js', 'storage/s3-storage.js'])).toBeGreaterThan(0)
  })
})
