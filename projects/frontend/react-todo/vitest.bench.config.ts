import { defineConfig } from "vitest/config";

// `npm run bench`: the live figures (bench/live.run.ts) against the platform e2e/setup.ts starts.
export default defineConfig({
  test: {
    environment: "node",
    include: ["bench/**/*.run.ts"],
    globalSetup: ["e2e/setup.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
