// Issue #8's budget: the app's initial JavaScript (the entry script of dist/index.html and the
// chunks it preloads) at most 200 KB gzipped. Run after `vite build`; exits 1 over budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 200 * 1024;
const dist = new URL("../dist/", import.meta.url);
const html = readFileSync(new URL("index.html", dist), "utf8");
const files = [
  ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
].map((m) => m[1]);
if (files.length === 0) {
  console.error("dist/index.html names no script: was `vite build` run?");
  process.exit(1);
}
let total = 0;
for (const f of files) {
  const size = gzipSync(readFileSync(new URL(f, dist))).length;
  total += size;
  console.log(`  ${f}: ${(size / 1024).toFixed(1)} KB gzipped`);
}
const line = `initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`;
if (total > BUDGET) {
  console.error(`${line}: over budget`);
  process.exit(1);
}
console.log(line);
