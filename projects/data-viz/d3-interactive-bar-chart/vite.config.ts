import { defineConfig } from "vitest/config";

// Library build: one ES module; D3 and React stay external (the package's dependencies and
// peer dependency), so the budget (scripts/web-budget.mjs at the root) measures this package's own code.
export default defineConfig({
  build: {
    lib: { entry: "src/index.ts", formats: ["es"], fileName: "index" },
    rollupOptions: {
      external: [/^d3-/, "react", "react/jsx-runtime", "react-dom"],
    },
    sourcemap: true,
    emptyOutDir: true,
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
  },
});
