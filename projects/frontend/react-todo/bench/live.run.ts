/**
 * How live the product is, measured in two real browsers (`npm run bench`; BENCH_N changes,
 * default 50): the time from a change made in one user's page to the other user's page
 * showing it (through the API, the outbox feed and the push stream), and how long two users
 * clicking the shared counter 100 times each take until both pages show the server's 200.
 * Prints the figures; asserts only that the pages converge.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeContexts, startBrowser, stopBrowser, team } from "../e2e/helpers";

beforeAll(startBrowser);
afterAll(async () => {
  await closeContexts();
  await stopBrowser();
});

function figures(ms: number[]): string {
  const s = [...ms].sort((x, y) => x - y);
  const at = (q: number) =>
    s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${s[s.length - 1]} ms (n=${s.length})`;
}

it("live propagation and the shared counter", async () => {
  const n = Number(process.env.BENCH_N ?? 50);
  const { a, b, project } = await team("Bench", "contributor", ["bench task"]);
  await b.page.goto(`/#/projects/${project}`);
  await b.page.locator('li[data-title="bench task"]').waitFor();

  const priorities = ["high", "low", "urgent", "medium"];
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = priorities[i % priorities.length]!;
    const start = Date.now();
    await a.page.getByLabel("Priority: bench task").selectOption(p);
    await b.page.waitForFunction(
      (want) =>
        (
          document.querySelector(
            'select[aria-label="Priority: bench task"]',
          ) as HTMLSelectElement
        )?.value === want,
      p,
      { polling: 5, timeout: 10_000 },
    );
    seen.push(Date.now() - start);
  }
  console.log(`change in one page → shown in the other: ${figures(seen)}`);

  const button = (pg: typeof a.page) =>
    pg.locator("live-counter[name=kudos] button");
  const value = (pg: typeof a.page) =>
    pg.locator("live-counter[name=kudos] output");
  const start = Date.now();
  await Promise.all(
    [a.page, b.page].map(async (pg) => {
      for (let i = 0; i < 100; i++) await button(pg).click();
    }),
  );
  const clicked = Date.now() - start;
  await Promise.all(
    [a.page, b.page].map((pg) =>
      pg.waitForFunction(
        () =>
          document
            .querySelector("live-counter[name=kudos]")
            ?.shadowRoot?.querySelector("output")?.textContent === "200",
        undefined,
        { polling: 5, timeout: 30_000 },
      ),
    ),
  );
  const settled = Date.now() - start;
  expect([
    await value(a.page).textContent(),
    await value(b.page).textContent(),
  ]).toEqual(["200", "200"]);
  console.log(
    `counter, 2 users × 100 clicks: clicks done in ${clicked} ms, both pages at 200 after ${settled} ms`,
  );
});
