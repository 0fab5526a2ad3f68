/**
 * The product in a real browser: Debian's Chromium driven by playwright-core against the
 * platform e2e/setup.ts started. Screenshots of the main screens go to
 * test-results/screenshots/; every page is checked with axe-core (no serious or critical
 * violation).
 */
import { execFileSync } from "node:child_process";
import type { Page } from "playwright-core";
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  inject,
  it,
} from "vitest";
import {
  PASSWORD,
  accessible,
  addTask,
  api,
  closeContexts,
  context,
  newProject,
  shot,
  signUp,
  startBrowser,
  stopBrowser,
  team,
  titles,
  uniqueEmail,
  within,
} from "./helpers";

beforeAll(startBrowser);
afterAll(stopBrowser);
afterEach(closeContexts);

describe("the to-do app", () => {
  it("the sign-in, sign-up and empty project pages are accessible", async () => {
    const { page } = await context();
    await page.goto("/");
    await accessible(page, "sign-in page");
    await shot(page, "01-sign-in");
    await page.getByRole("button", { name: "I need an account" }).click();
    await accessible(page, "sign-up page");
    const email = uniqueEmail("new");
    await signUp(page, email);
    await accessible(page, "empty project list");
    await newProject(page, "First");
    await page.getByRole("link", { name: "← Projects" }).click();
    await page.getByRole("link", { name: "First" }).waitFor();
    await accessible(page, "project list");
    // Sign out, and back in.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "First" }).waitFor();
    // A wrong password is refused with the server's reason.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: /./ }).waitFor();
  });

  it("sign up → project → tasks → reorder → complete; a second user sees each change within 1 s", async () => {
    const { a, b, project } = await team("Launch", "contributor", [
      "Write the plan",
      "Book the venue",
      "Send invitations",
    ]);
    expect(await titles(a.page)).toEqual([
      "Write the plan",
      "Book the venue",
      "Send invitations",
    ]);

    // The second user opens the project; from now on every change must reach them live.
    await b.page.goto(`/#/projects/${project}`);
    await b.page.locator('li[data-title="Send invitations"]').waitFor();
    const seen = (title: string) => async () =>
      (await titles(b.page)).includes(title);

    // Reorder by keyboard: the last task's handle, Arrow Up twice → first.
    const handle = a.page.getByRole("button", {
      name: /Reorder “Send invitations”/,
    });
    await handle.focus();
    await a.page.keyboard.press("ArrowUp");
    await a.page.waitForFunction(
      () =>
        document
          .querySelectorAll("ol.tasks > li")[1]
          ?.getAttribute("data-title") === "Send invitations",
    );
    await a.page.keyboard.press("ArrowUp");
    const order = ["Send invitations", "Write the plan", "Book the venue"];
    await within(
      5000,
      a.page,
      async () =>
        JSON.stringify(await titles(a.page)) === JSON.stringify(order),
    );
    await within(
      1000,
      b.page,
      async () =>
        JSON.stringify(await titles(b.page)) === JSON.stringify(order),
    );
    // Persisted: the API lists them in the new order.
    const listed = await api<{ items: { title: string }[] }>(
      a.page,
      `/v1/projects/${project}/tasks`,
    );
    expect(listed.items.map((t) => t.title)).toEqual(order);

    // Drag and drop: "Book the venue" onto the first row.
    await a.page
      .getByRole("button", { name: /Reorder “Book the venue”/ })
      .dragTo(a.page.locator('li[data-title="Send invitations"]'));
    const dragged = ["Book the venue", "Send invitations", "Write the plan"];
    await within(
      5000,
      a.page,
      async () =>
        JSON.stringify(await titles(a.page)) === JSON.stringify(dragged),
    );
    await within(
      1000,
      b.page,
      async () =>
        JSON.stringify(await titles(b.page)) === JSON.stringify(dragged),
    );

    // A new task, an inline edit, a completion: each visible to B within a second.
    await a.page.getByLabel("New task", { exact: true }).fill("Order catering");
    await a.page.getByRole("button", { name: "Add", exact: true }).click();
    await within(1000, b.page, seen("Order catering"));

    await a.page.getByRole("button", { name: "Edit: Write the plan" }).click();
    const edit = a.page.getByRole("textbox", { name: "Title" });
    await edit.fill("Write the final plan");
    await edit.press("Enter");
    await within(1000, b.page, seen("Write the final plan"));

    await a.page.getByLabel("Status: Book the venue").selectOption("done");
    await within(
      1000,
      b.page,
      async () =>
        (await b.page.getByLabel("Status: Book the venue").inputValue()) ===
        "done",
    );
    // B's change reaches A the same way.
    await b.page.getByLabel("Priority: Order catering").selectOption("urgent");
    await within(
      1000,
      a.page,
      async () =>
        (await a.page.getByLabel("Priority: Order catering").inputValue()) ===
        "urgent",
    );

    // Overdue highlighting, labels and the filters.
    await a.page.getByLabel("Due: Order catering").fill("2020-01-01");
    await a.page.locator('li[data-title="Order catering"].overdue').waitFor();
    const labels = a.page.getByLabel(
      "Labels: Order catering (comma-separated)",
    );
    await labels.fill("food, vendors");
    await labels.press("Enter");
    // A change the server refuses is rolled back, with its reason in the live region.
    await labels.fill("x".repeat(60));
    await labels.press("Enter");
    await a.page.getByText("The server refused the change:").waitFor();
    await within(
      5000,
      a.page,
      async () =>
        (await a.page
          .getByLabel("Labels: Order catering (comma-separated)")
          .inputValue()) === "food, vendors",
    );
    await a.page.getByLabel("Overdue only").check();
    expect(await titles(a.page)).toEqual(["Order catering"]);
    await a.page.getByLabel("Overdue only").uncheck();
    await a.page.getByRole("searchbox", { name: "Search" }).fill("venue");
    expect(await titles(a.page)).toEqual(["Book the venue"]);
    await a.page.getByRole("searchbox", { name: "Search" }).fill("");
    await within(5000, a.page, async () => {
      const t = await api<{
        items: { title: string; labels: string[]; due_date: string | null }[];
      }>(a.page, `/v1/projects/${project}/tasks?label=vendors`);
      return t.items.length === 1 && t.items[0]!.due_date === "2020-01-01";
    });

    await accessible(a.page, "tasks");
    await shot(a.page, "02-tasks");
    await a.page.getByRole("link", { name: "Members" }).click();
    await a.page.getByRole("heading", { name: "Members", level: 3 }).waitFor();
    await accessible(a.page, "members");
    await shot(a.page, "03-members");

    // A deletion too.
    await a.page.getByRole("link", { name: "Tasks" }).click();
    await a.page
      .getByRole("button", { name: "Delete: Order catering" })
      .click();
    await within(
      1000,
      b.page,
      async () => !(await titles(b.page)).includes("Order catering"),
    );

    // Dark mode and German keep the page accessible.
    await a.page.getByLabel("Theme").selectOption("dark");
    await a.page.getByLabel("Language").selectOption("de");
    await a.page.getByRole("link", { name: "Aufgaben" }).waitFor();
    await accessible(a.page, "tasks, dark, German");
    await shot(a.page, "04-tasks-dark-de");
  });

  it("works with the keyboard alone", async () => {
    const { page } = await context();
    await signUp(page, uniqueEmail("keys"));
    await page.getByLabel("Project name").focus();
    await page.keyboard.type("Keyboard");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Keyboard", level: 2 }).waitFor();
    const field = page.getByRole("textbox", { name: "New task" });
    await field.focus();
    await page.keyboard.type("Typed task");
    await page.keyboard.press("Enter");
    await page.keyboard.type("Second task");
    await page.keyboard.press("Enter");
    await page.locator('li[data-title="Second task"]:not(.unsynced)').waitFor();
    // From the first row's handle: Tab to "Edit", Enter, type, Enter.
    await page.getByRole("button", { name: /Reorder “Typed task”/ }).focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("Typed and edited");
    await page.keyboard.press("Enter");
    await page.locator('li[data-title="Typed and edited"]').waitFor();
    // The focus is back on "Edit": Tab to the status select, change it with the arrows.
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
    await within(
      5000,
      page,
      async () =>
        (await page.getByLabel("Status: Typed and edited").inputValue()) ===
        "in_progress",
    );
    // Move the second task up with the arrows on its handle.
    await page.getByRole("button", { name: /Reorder “Second task”/ }).focus();
    await page.keyboard.press("ArrowUp");
    await within(
      5000,
      page,
      async () => (await titles(page))[0] === "Second task",
    );
    await page
      .getByText("“Second task” moved to position 1 of 2")
      .waitFor({ state: "attached" });
  });

  it("a viewer gets a read-only UI", async () => {
    const { b: v, project } = await team("Read only", "viewer", [
      "Look, do not touch",
    ]);
    await v.page.goto(`/#/projects/${project}`);
    await v.page.locator('li[data-title="Look, do not touch"]').waitFor();
    await v.page.getByText("You can view this project").waitFor();
    expect(await v.page.getByLabel("New task", { exact: true }).count()).toBe(
      0,
    );
    expect(
      await v.page.getByLabel("Status: Look, do not touch").isDisabled(),
    ).toBe(true);
    expect(
      await v.page.locator("live-counter[name=kudos] button").isHidden(),
    ).toBe(true);
    await accessible(v.page, "viewer");
  });

  it("edits made offline are queued, kept and synced on reconnect; a conflict asks the user", async () => {
    const { a, b, project } = await team("Offline", "contributor", [
      "Pack the tent",
      "Buy rope",
    ]);
    await b.page.goto(`/#/projects/${project}`);
    await b.page.locator('li[data-title="Buy rope"]').waitFor();

    // B loses the network and keeps working.
    await b.ctx.setOffline(true);
    await b.page.getByText("Offline: changes are saved").first().waitFor();
    await b.page.getByRole("button", { name: "Edit: Pack the tent" }).click();
    const edit = b.page.getByRole("textbox", { name: "Title" });
    await edit.fill("Pack the big tent");
    await edit.press("Enter");
    await b.page
      .getByLabel("New task", { exact: true })
      .fill("Check the weather");
    await b.page.getByRole("button", { name: "Add", exact: true }).click();
    await b.page.getByText("2 changes waiting to sync").waitFor();
    // Meanwhile A changes "Buy rope", which B also edits offline: a conflict.
    await a.page.getByRole("button", { name: "Edit: Buy rope" }).click();
    await a.page
      .getByRole("textbox", { name: "Title" })
      .fill("Buy 20 m of rope");
    await a.page.getByRole("textbox", { name: "Title" }).press("Enter");
    await a.page
      .locator('li[data-title="Buy 20 m of rope"]:not(.unsynced)')
      .waitFor();
    await within(5000, a.page, async () => {
      const t = await api<{ items: { title: string; version: number }[] }>(
        a.page,
        `/v1/projects/${project}/tasks`,
      );
      return t.items.some((x) => x.title === "Buy 20 m of rope");
    });
    await b.page.getByLabel("Priority: Buy rope").selectOption("high");
    await b.page.getByText("3 changes waiting to sync").waitFor();

    // Still only on B's device: the server has none of it.
    const before = await api<{ items: { title: string }[] }>(
      a.page,
      `/v1/projects/${project}/tasks`,
    );
    expect(before.items.map((t) => t.title).sort()).toEqual([
      "Buy 20 m of rope",
      "Pack the tent",
    ]);

    // A reload while offline: the app shell and the data come from the device.
    await b.page.reload();
    await b.page.locator('li[data-title="Pack the big tent"]').waitFor();
    await b.page.getByText("3 changes waiting to sync").waitFor();
    await shot(b.page, "05-offline");

    // Back online: the two clean edits sync, the conflicting one asks.
    await b.ctx.setOffline(false);
    const dialog = b.page.getByRole("alertdialog", {
      name: "Someone else changed this task",
    });
    await dialog.waitFor({ timeout: 15_000 });
    await accessible(b.page, "conflict dialog");
    await shot(b.page, "06-conflict");
    await within(5000, a.page, async () =>
      (await titles(a.page)).includes("Pack the big tent"),
    );
    await within(5000, a.page, async () =>
      (await titles(a.page)).includes("Check the weather"),
    );
    await dialog.getByRole("button", { name: "Keep my changes" }).click();
    await b.page.getByText("All changes saved").waitFor();
    await within(
      5000,
      a.page,
      async () =>
        (await a.page.getByLabel("Priority: Buy 20 m of rope").inputValue()) ===
        "high",
    );
    const after = await api<{ items: { title: string; priority: string }[] }>(
      a.page,
      `/v1/projects/${project}/tasks`,
    );
    expect(after.items.map((t) => `${t.title}:${t.priority}`).sort()).toEqual([
      "Buy 20 m of rope:high",
      "Check the weather:medium",
      "Pack the big tent:medium",
    ]);
  });

  it("the chart's bars equal the API's analytics numbers", async () => {
    const a = await context();
    await signUp(a.page, uniqueEmail("analyst"));
    const project = await newProject(a.page, "Numbers");
    for (const t of ["one", "two", "three", "four", "five"])
      await addTask(a.page, t);
    await a.page.getByLabel("Status: one").selectOption("done");
    await a.page.getByLabel("Status: two").selectOption("done");
    await a.page.getByLabel("Status: three").selectOption("in_progress");
    await a.page.getByText("All changes saved").waitFor();
    await a.page.getByRole("link", { name: "Analytics" }).click();
    const byStatus = a.page.locator("[data-chart=by-status] [data-value]");
    await within(10_000, a.page, async () => (await byStatus.count()) === 3);
    const numbers = await api<{
      by_status: Record<string, number>;
      completed_per_week: { week: string; completed: number }[];
      total: number;
    }>(a.page, `/v1/projects/${project}/analytics`);
    const bars = async (chart: string) =>
      a.page
        .locator(`[data-chart=${chart}] [data-value]`)
        .evaluateAll((els) =>
          els.map((e) => [
            e.getAttribute("data-label"),
            Number(e.getAttribute("data-value")),
          ]),
        );
    expect(await bars("by-status")).toEqual([
      ["To do", numbers.by_status.todo],
      ["In progress", numbers.by_status.in_progress],
      ["Done", numbers.by_status.done],
    ]);
    expect(numbers.by_status).toMatchObject({
      todo: 2,
      in_progress: 1,
      done: 2,
    });
    expect(await bars("per-week")).toEqual(
      numbers.completed_per_week.map((w) => [w.week, w.completed]),
    );
    expect(numbers.completed_per_week.at(-1)!.completed).toBe(2);
    await a.page.locator("[data-kpi=median-cycle-time]").waitFor();
    await accessible(a.page, "analytics");
    await shot(a.page, "07-analytics");
  });

  it("the daily KPIs from the lake's gold table show as a chart", async () => {
    const a = await context();
    await signUp(a.page, uniqueEmail("kpis"));
    const project = await newProject(a.page, "Lake KPIs");
    await a.page.getByRole("link", { name: "Analytics" }).click();
    // Before the ETL has run: the empty state, not an error.
    await a.page.locator("[data-empty=kpis]").waitFor();
    // Events of this project in the lake's bronze table, then the real ETL over them.
    const etl = (args: string[]) =>
      execFileSync(inject("etlJob"), args, {
        env: { ...process.env, RUST_LOG: "warn", PORTFOLIO_ROOT: "" },
        encoding: "utf8",
      });
    const lake = inject("lakeDir");
    const today = new Date().toISOString().slice(0, 10);
    etl([
      "gen-bronze",
      "--lake",
      lake,
      "--project-id",
      project,
      "--events",
      "600",
      "--days",
      "20",
      "--end",
      today,
      "--seed",
      "9",
      "--json",
    ]);
    etl([
      "run",
      "--lake",
      lake,
      "--lineage-file",
      `${lake}/../lineage.jsonl`,
      "--report-dir",
      `${lake}/../reports`,
    ]);
    // The API rereads the table within its 5-second recheck.
    type Kpis = { days: { date: string; tasks_completed: number }[] };
    let kpis: Kpis = { days: [] };
    await within(20_000, a.page, async () => {
      kpis = await api<Kpis>(a.page, `/v1/projects/${project}/kpis`);
      return kpis.days.length > 0;
    });
    expect(kpis.days.length).toBeGreaterThan(5);
    // The view polls every 30 s; a reload shows the new table at once.
    await a.page.reload();
    await a.page.getByRole("link", { name: "Analytics" }).click();
    const bars = a.page.locator("[data-chart=per-day] [data-value]");
    await within(20_000, a.page, async () => (await bars.count()) > 0);
    const shown = await bars.evaluateAll((els) =>
      els.map((e) => [
        e.getAttribute("data-label"),
        Number(e.getAttribute("data-value")),
      ]),
    );
    expect(shown).toEqual(
      kpis.days.map((d) => [d.date.slice(5), d.tasks_completed]),
    );
    await a.page.locator("[data-kpi=on-time-rate]").waitFor();
    await accessible(a.page, "daily KPIs");
    await shot(a.page, "08-daily-kpis");
  });

  it("two users clicking the same counter 100 times each both end at exactly 200", async () => {
    const { a, b, project } = await team("Kudos");
    await b.page.goto(`/#/projects/${project}`);
    const value = (p: Page) => p.locator("live-counter[name=kudos] output");
    for (const p of [a.page, b.page])
      await within(
        10_000,
        p,
        async () => (await value(p).textContent()) === "0",
      );
    const click100 = async (p: Page) => {
      const button = p.locator("live-counter[name=kudos] button");
      for (let i = 0; i < 100; i++) await button.click();
    };
    await Promise.all([click100(a.page), click100(b.page)]);
    for (const p of [a.page, b.page])
      await within(
        15_000,
        p,
        async () => (await value(p).textContent()) === "200",
      );
    const counter = await api<{ value: number }>(
      a.page,
      `/v1/projects/${project}/counters/kudos`,
    );
    expect(counter.value).toBe(200);
    // Both settle (no queued clicks) and stay at 200.
    await a.page.waitForTimeout(500);
    expect([
      await value(a.page).textContent(),
      await value(b.page).textContent(),
    ]).toEqual(["200", "200"]);

    // The read-only live figure follows completed tasks.
    await addTask(a.page, "finish line");
    await a.page.getByLabel("Status: finish line").selectOption("done");
    await within(
      5000,
      b.page,
      async () =>
        (await b.page
          .locator("live-counter[name=tasks-completed-today] output")
          .textContent()) === "1",
    );
    await accessible(a.page, "counters");
    await shot(a.page, "08-counters");
  });
});
