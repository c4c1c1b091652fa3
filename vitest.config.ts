import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/astotp first and keeps the run's temp files in one dir it removes.
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/remove-temp.ts'],
  },
});
