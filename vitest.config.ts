import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    dir: 'test',
    // Builds dist/astotp first; removes each test file's temp dirs after it.
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/remove-temp.ts'],
  },
});
