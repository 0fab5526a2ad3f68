// The component's size budget: 10 KB gzipped (it has no dependencies). Exits 1 over budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 10 * 1024;
const file = new URL("../dist/index.js", import.meta.url);
const size = gzipSync(readFileSync(file)).length;
const line = `dist/index.js: ${(size / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`;
if (size > BUDGET) {
  console.error(`${line}: over budget`);
  process.exit(1);
}
console.log(line);
