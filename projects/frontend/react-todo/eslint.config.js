import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "test-results/", "public/sw.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  reactHooks.configs.flat["recommended-latest"] ??
    reactHooks.configs["recommended-latest"],
  {
    languageOptions: {
      globals: {
        document: "readonly",
        window: "readonly",
        navigator: "readonly",
        localStorage: "readonly",
        matchMedia: "readonly",
        WebSocket: "readonly",
        HTMLElement: "readonly",
        customElements: "readonly",
        crypto: "readonly",
        console: "readonly",
        process: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        location: "readonly",
        indexedDB: "readonly",
        EventSource: "readonly",
        MessageEvent: "readonly",
        FormData: "readonly",
        requestAnimationFrame: "readonly",
        structuredClone: "readonly",
        fetch: "readonly",
        Response: "readonly",
        globalThis: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
);
