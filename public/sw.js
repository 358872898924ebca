// OS Platforms service worker. Keeps the app shell (page HTML, the wasm/js/css bundles, icons,
// manifest) so the installed app opens offline and says so. Live data (server functions,
// websockets, /health) is never cached or intercepted: stale prices must never look live.
// Alert notifications the app shows through it lead back to the app when clicked.
'use strict';

const VERSION = new URL(self.location.href).searchParams.get('v') || 'dev';
const CACHE = `osp-shell-${VERSION}`;
const SHELL = [
  '/',
  '/pkg/osp.js',
  '/pkg/osp.wasm',
  '/pkg/osp.css',
  // The loader of the wasm chunks (a split release build only).
  '/pkg/__wasm_split.______________________.js',
  '/manifest.webmanifest',
  '/favicon.ico',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
];
const STATIC_PREFIXES = ['/pkg/', '/icons/'];
const STATIC_FILES = ['/manifest.webmanifest', '/favicon.ico'];

// The wasm chunks each group of pages loads with (a release build is split by route): every
// one is kept, so an installed app opens any page offline, not only those already visited.
// Their names are in the split's manifest; a build without one has no chunks.
async function splitChunks() {
  try {
    const response = await fetch('/pkg/__wasm_split_manifest.json');
    if (!response.ok) return [];
    const manifest = await response.json();
    const files = new Set(Object.values(manifest).flat());
    return [...files].map((name) => `/pkg/${name}.wasm`);
  } catch (err) {
    return [];
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      const urls = SHELL.concat(await splitChunks());
      // One missing file must not stop the others from being kept.
      await Promise.all(urls.map((url) => cache.add(url).catch(() => undefined)));
    }).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('osp-shell-') && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

function isStatic(url) {
  return STATIC_PREFIXES.some((p) => url.pathname.startsWith(p)) || STATIC_FILES.includes(url.pathname);
}

// Pages: network first (fresh prices), the saved copy of that page or of "/" when offline.
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    return (await cache.match(request)) || (await cache.match('/')) || Response.error();
  }
}

// Bundles and icons: answer from the cache at once, refresh it in the background.
async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  const refresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => undefined);
  return cached || (await refresh) || Response.error();
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request));
  } else if (isStatic(url)) {
    event.respondWith(asset(request));
  }
});

// A click on an alert's notification: bring an open window of the app forward, else open one.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      return open ? open.focus() : self.clients.openWindow('/alerts');
    }),
  );
});
