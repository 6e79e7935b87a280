/** examples/library.mjs runs as users run it (`node examples/library.mjs`), after `pnpm exec tsc -b`. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const EXAMPLE = fileURLToPath(new URL('../examples/library.mjs', import.meta.url))
const PDF = fileURLToPath(new URL('../examples/documents/node-documentation.pdf', import.meta.url))
const CSV = fileURLToPath(new URL('../examples/documents/prices.csv', import.meta.url))

describe('examples/library.mjs', () => {
  it('converts one document, then a batch through an engine, reporting each as ok', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE, PDF, CSV])
    expect(stdout).toContain(`${PDF}: 3 page(s)`)
    expect(stdout).toMatch(/^# About this documentation$/m)
    expect(stdout).toMatch(new RegExp(`^ok {3}${PDF.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 3 page\\(s\\)`, 'm'))
    expect(stdout).toMatch(/^ok {3}.*prices\.csv: 1 page\(s\)/m)
    expect(stdout).not.toMatch(/^fail/m)
  })
})
