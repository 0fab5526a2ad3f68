// Serves the built app and proxies /v1 (REST, the push stream, the counters' WebSockets) to
// the task API, so everything is one origin. `portfolio up` runs it (see project.toml).
// Settings: REACT_TODO_ADDR (default 127.0.0.1:8080), TASK_API_URL (http://127.0.0.1:8000).
import { existsSync } from "node:fs";
import { preview } from "vite";

const root = new URL("..", import.meta.url).pathname;
if (!existsSync(new URL("../dist/index.html", import.meta.url))) {
  console.error("react-todo: dist/ is missing; run `npm run build` first");
  process.exit(1);
}
const [host, port] = (process.env.REACT_TODO_ADDR ?? "127.0.0.1:8080").split(
  ":",
);
const server = await preview({
  root,
  preview: { host, port: Number(port), strictPort: true },
  logLevel: "warn",
});
console.log(
  `react-todo on ${server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`}`,
);
const stop = () => server.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
