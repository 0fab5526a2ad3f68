// The app shell offline. On install it caches index.html and every file that page loads
// (read from its <script>/<link> tags: the names are content-hashed); other same-origin
// files are cached as they are fetched. A page load without a network gets the cached
// shell. The API (/v1) is never cached here: data offline comes from IndexedDB, which the
// app keeps itself.
const CACHE = "todo-shell-v1";

async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch("/index.html", { cache: "no-store" });
  const html = await res.clone().text();
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map(
    (m) => m[1],
  );
  await cache.put("/index.html", res);
  await cache.addAll(files);
}

self.addEventListener("install", (e) => {
  e.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/v1/")) return;
  if (e.request.mode === "navigate") {
    // Network first for pages, so a new release is picked up at once.
    e.respondWith(
      fetch(e.request)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put("/index.html", copy));
          }
          return res;
        })
        .catch(() => caches.match("/index.html", { ignoreVary: true })),
    );
    return;
  }
  // Hashed files never change: cache first (ignoring Vary: module scripts carry an Origin
  // header the precache requests did not).
  e.respondWith(
    caches.match(e.request, { ignoreVary: true }).then(
      (hit) =>
        hit ||
        fetch(e.request).then((res) => {
          if (res.ok) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put(e.request, copy));
          }
          return res;
        }),
    ),
  );
});
