// Size budgets of the browser code (issue #8), run by the packages' `npm test` after `vite
// build`: `node scripts/web-budget.mjs KB FILE`. FILE is a built module (its gzipped size), or
// an index.html (the gzipped sum of its entry script and the chunks it preloads: what a first
// visit downloads). Exits 1 over budget.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const [kb, target] = process.argv.slice(2);
if (!kb || !target || !(Number(kb) > 0)) {
  console.error("usage: web-budget.mjs KB FILE (a .js module or an index.html)");
  process.exit(2);
}
const budget = Number(kb) * 1024;
const path = resolve(target);
let files = [path];
if (path.endsWith(".html")) {
  const html = readFileSync(path, "utf8");
  files = [
    ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
  ].map((m) => join(dirname(path), m[1]));
  if (files.length === 0) {
    console.error(`${target} names no script: was \`vite build\` run?`);
    process.exit(1);
  }
}
let total = 0;
for (const f of files) {
  const size = gzipSync(readFileSync(f)).length;
  total += size;
  if (files.length > 1) console.log(`  ${f}: ${(size / 1024).toFixed(1)} KB gzipped`);
}
const line = `${target}: ${(total / 1024).toFixed(1)} KB gzipped (budget ${kb} KB)`;
if (total > budget) {
  console.error(`${line}: over budget`);
  process.exit(1);
}
console.log(line);
