import { defineConfig } from "vitest/config";

// End-to-end tests: e2e/setup.ts starts a platform (the task API on a throwaway SQLite
// database, and this app's build served with /v1 proxied to it); the tests drive Debian's
// Chromium through playwright-core.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
