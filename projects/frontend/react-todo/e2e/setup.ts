/**
 * Starts the platform the browser tests run against: the task API (built with cargo if
 * needed, on a throwaway SQLite database, no broker, a throwaway lake) and the app's build
 * served by `vite preview` with /v1 proxied to that API, both on free ports. The tests get the
 * lake's folder and the etl-job binary to put gold KPIs in it. Torn down after the run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseURL: string;
    apiURL: string;
    lakeDir: string;
    etlJob: string;
  }
}

const app = new URL("..", import.meta.url).pathname;
const repo = join(app, "../../..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitFor(
  url: string,
  what: string,
  child: ChildProcess,
  ms = 120_000,
) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready at ${url} within ${ms / 1000} s`);
}

export default async function setup(project: TestProject) {
  // PORTFOLIO_BIN_DIR: binaries built already (`portfolio test` after the workspace run).
  let bins = process.env.PORTFOLIO_BIN_DIR;
  if (!bins) {
    const build = spawnSync(
      "cargo",
      ["build", "--locked", "-q", "-p", "task-api", "-p", "etl-job"],
      { cwd: repo, stdio: "inherit" },
    );
    if (build.status !== 0)
      throw new Error("cargo build -p task-api -p etl-job failed");
    bins = join(process.env.CARGO_TARGET_DIR ?? join(repo, "target"), "debug");
  }
  const data = mkdtempSync(join(tmpdir(), "react-todo-e2e-"));
  const apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TASK_API_ADDR: `127.0.0.1:${apiPort}`,
    PORTFOLIO_DATA_DIR: data,
    LAKE_URL: join(data, "lake"),
    PORTFOLIO_ENV: "local",
    KAFKA_BOOTSTRAP_SERVERS: "",
    // Every browser shares 127.0.0.1 through the proxy: per-IP limits are not the test.
    TASK_API_RATE_LIMIT_PER_IP: "0",
    TASK_API_RATE_LIMIT_PER_USER: "0",
    RUST_LOG: "warn",
  };
  // SQLite in the data folder, an in-process cache, a generated JWT key.
  for (const k of [
    "PORTFOLIO_ROOT",
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "TASK_API_CONFIG",
  ])
    delete env[k];
  const api = spawn(join(bins, "task-api"), [], {
    cwd: join(repo, "projects/backend/task-api"),
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const apiURL = `http://127.0.0.1:${apiPort}`;
  await waitFor(`${apiURL}/readyz`, "task-api", api);

  // vite.config.ts reads TASK_API_URL when the preview server loads it.
  process.env.TASK_API_URL = apiURL;
  const { preview } = await import("vite");
  const webPort = await freePort();
  const server = await preview({
    root: app,
    preview: { host: "127.0.0.1", port: webPort, strictPort: true },
    logLevel: "warn",
  });
  const baseURL = `http://127.0.0.1:${webPort}`;
  project.provide("baseURL", baseURL);
  project.provide("apiURL", apiURL);
  project.provide("lakeDir", join(data, "lake"));
  project.provide("etlJob", join(bins, "etl-job"));

  return async () => {
    await server.close();
    api.kill("SIGTERM");
    await new Promise((r) => api.once("exit", r));
    rmSync(data, { recursive: true, force: true });
  };
}
