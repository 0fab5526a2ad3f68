import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One origin: the app's files here, the API under /v1 proxied to the task API
// (`TASK_API_URL`, default http://127.0.0.1:8000), including the push stream (SSE) and the
// counters' WebSockets. `vite` (dev) and `vite preview` / scripts/serve.mjs (the build) alike.
const api = process.env.TASK_API_URL ?? "http://127.0.0.1:8000";
const proxy = { "/v1": { target: api, ws: true, changeOrigin: false } };

export default defineConfig({
  esbuild: { jsx: "automatic" },
  // The workspace packages from source: no build order between them (tsconfig "paths" agree).
  resolve: {
    alias: {
      "@portfolio/d3-interactive-bar-chart": fileURLToPath(
        new URL(
          "../../data-viz/d3-interactive-bar-chart/src/index.ts",
          import.meta.url,
        ),
      ),
      "@portfolio/live-counter": fileURLToPath(
        new URL("../live-counter/src/index.ts", import.meta.url),
      ),
    },
  },
  server: { proxy },
  preview: { proxy },
  build: { sourcemap: true, target: "es2022" },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
  },
});
