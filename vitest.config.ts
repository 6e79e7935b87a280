import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files run side by side on a CI machine's few cores: conversions in the idle
    // scheduling class (the server's default) would wait for every busy test file. The idle
    // class itself is tested in conversion-pool.test.ts.
    env: { DOCLOADER_CONVERSION_PRIORITY: 'low' },
  },
})
