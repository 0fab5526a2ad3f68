/**
 * Helpers of the browser tests and the live benchmark: Debian's Chromium through
 * playwright-core against the platform e2e/setup.ts started (its addresses come from
 * `inject`), sign-up and project steps through the UI, axe-core checks and screenshots.
 */
import { mkdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
} from "playwright-core";
import { expect, inject } from "vitest";

const baseURL = inject("baseURL");
export const apiURL = inject("apiURL");
const shots = new URL("../test-results/screenshots/", import.meta.url).pathname;
export const PASSWORD = "correct horse battery";
let browser: Browser;
let n = 0;

/** Launches Chromium; the vitest file calls it in `beforeAll`. */
export async function startBrowser(): Promise<void> {
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function stopBrowser(): Promise<void> {
  await browser?.close();
}

const opened: BrowserContext[] = [];
/** Closes the contexts opened since the last call (`afterEach`). */
export async function closeContexts(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.close()));
}

/** A fresh browser context (closed after the test). */
export async function context(): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 900 },
  });
  opened.push(ctx);
  const page = await ctx.newPage();
  return { ctx, page };
}

export async function signUp(page: Page, email: string): Promise<void> {
  await page.goto("/");
  await page.getByRole("button", { name: "I need an account" }).click();
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Projects" }).waitFor();
}

export function uniqueEmail(who: string): string {
  return `${who}-${Date.now()}-${++n}@example.org`;
}

/** The signed-in user's access token (for checking the API directly). */
export async function token(page: Page): Promise<string> {
  const raw = await page.evaluate(() => localStorage.getItem("todo.session"));
  return (JSON.parse(raw ?? "{}") as { access_token: string }).access_token;
}

export async function api<T>(
  page: Page,
  path: string,
  init: RequestInit = {},
): Promise<T> {
  const res = await fetch(`${apiURL}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${await token(page)}`,
      "content-type": "application/json",
      ...(init.headers ?? {}),
    },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function newProject(page: Page, name: string): Promise<string> {
  await page.getByLabel("Project name").fill(name);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByRole("heading", { name, level: 2 }).waitFor();
  return page.url().split("/projects/")[1]!.split("/")[0]!;
}

export async function addTask(page: Page, title: string): Promise<void> {
  await page.getByLabel("New task", { exact: true }).fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.locator(`li[data-title="${title}"]:not(.unsynced)`).waitFor();
}

export async function titles(page: Page): Promise<string[]> {
  return page
    .locator("ol.tasks > li")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-title") ?? ""));
}

/** Two signed-up users; A owns a new project with `tasks` and has invited B as `role`. */
export async function team(
  name: string,
  role = "contributor",
  tasks: string[] = [],
) {
  const a = await context();
  const b = await context();
  const emailB = uniqueEmail("b");
  await signUp(b.page, emailB);
  await signUp(a.page, uniqueEmail("a"));
  const project = await newProject(a.page, name);
  for (const t of tasks) await addTask(a.page, t);
  // The owner invites through the members tab.
  await a.page.getByRole("link", { name: "Members" }).click();
  await a.page.getByLabel("E-mail of the person to invite").fill(emailB);
  await a.page.getByLabel("Role", { exact: true }).selectOption(role);
  await a.page.getByRole("button", { name: "Invite" }).click();
  await a.page.getByRole("cell", { name: emailB, exact: true }).waitFor();
  await a.page.getByRole("link", { name: "Tasks" }).click();
  return { a, b, project };
}

/** No serious or critical axe-core violation on the page as it stands. */
export async function accessible(page: Page, what: string): Promise<void> {
  // Colours are judged once transitions (theme switch, live highlight) have finished.
  await page.evaluate(() =>
    Promise.all(
      document.getAnimations().map((a) => a.finished.catch(() => null)),
    ),
  );
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((x) => `${x.target.join(" ")}: ${x.failureSummary ?? ""}`).join("; ")}`,
    );
  expect(bad, `${what}: axe violations`).toEqual([]);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
}

/** Waits at most `ms` for `check` to hold on the page. */
export async function within(
  ms: number,
  page: Page,
  fn: () => boolean | Promise<boolean>,
): Promise<number> {
  const start = Date.now();
  while (!(await fn())) {
    if (Date.now() - start > ms)
      throw new Error(
        `not within ${ms} ms: ${fn.toString().replace(/\s+/g, " ").slice(0, 200)}`,
      );
    await page.waitForTimeout(20);
  }
  return Date.now() - start;
}
