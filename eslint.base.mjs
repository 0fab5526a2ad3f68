// The ESLint setup every browser package shares: JS and TypeScript recommended rules,
// browser globals, unused names allowed with a leading underscore. A package's
// eslint.config.js adds its ignores (and, for React, the hooks rules).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export function webConfig({ ignores = [], extra = [] } = {}) {
  return tseslint.config(
    { ignores: ["dist/", "coverage/", ...ignores] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    ...extra,
    {
      languageOptions: { globals: { ...globals.browser, ...globals.node } },
      rules: {
        "@typescript-eslint/no-unused-vars": [
          "error",
          { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
        ],
      },
    },
  );
}
