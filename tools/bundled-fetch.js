// Prepended to the wasm-split loader by tools/site.mjs, which also makes
// every `fetch(new URL(…))` of the loader a `bundledFetch(new URL(…))` and
// puts the bundle table in place of the placeholder below.
//
// Why: wasm-split makes a module for every set of lazy pieces that share
// code, so opening one lazy page fetched up to 48 small files. Over
// HTTP/1.1 a browser opens six connections to a host, so at a phone's
// round trip those files took more than a second on their own
// (BENCHMARKS.md). site.mjs therefore also writes, per lazy piece, one
// bundle that holds every module the piece loads, one after the other;
// the manifest names that bundle, so the server preloads one file, not
// dozens.
//
// The loader asks for all of a piece's modules in one synchronous run (its
// chunks' loaders, then its own), so the requests of one turn of the event
// loop are collected and served from as few bundles as possible. A module
// that is in no bundle is fetched on its own, as before.

/** Bundle file name → [[module file name, offset, length], …]. */
const BUNDLES = "__GUILDTRACK_BUNDLES__";

/** Bundles asked for, by name; a failed fetch is forgotten so that the next load tries again. */
const bundleBytes = new Map();
/** Module file name → { url, resolve, response } of this turn's requests. */
let pending = null;

function bundledFetch(url) {
  const name = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  if (pending === null) {
    pending = new Map();
    queueMicrotask(serveFromBundles);
  }
  let request = pending.get(name);
  if (request === undefined) {
    let resolve;
    const response = new Promise((r) => (resolve = r));
    request = { url, resolve, response };
    pending.set(name, request);
  }
  // A clone per caller: a response's body can be read only once.
  return request.response.then((response) => response.clone());
}

function serveFromBundles() {
  const wanted = pending;
  pending = null;
  while (wanted.size > 0) {
    const bundle = bestBundleFor(wanted);
    if (bundle === null) break;
    const bytes = fetchBundle(bundle);
    for (const [name, offset, length] of BUNDLES[bundle]) {
      const request = wanted.get(name);
      if (!request) continue;
      wanted.delete(name);
      const response = bytes.then((buffer) =>
        new Response(new Uint8Array(buffer, offset, length), {
          headers: { "Content-Type": "application/wasm" },
        }));
      request.resolve(response);
    }
  }
  for (const { url, resolve } of wanted.values()) resolve(fetch(url));
}

/** The bundle holding the most of the wanted modules, the smallest of equals. */
function bestBundleFor(wanted) {
  let best = null;
  let bestHits = 0;
  let bestSize = Infinity;
  for (const [bundle, parts] of Object.entries(BUNDLES)) {
    let hits = 0;
    let size = 0;
    for (const [name, , length] of parts) {
      if (wanted.has(name)) hits += 1;
      size += length;
    }
    if (hits > bestHits || (hits > 0 && hits === bestHits && size < bestSize)) {
      best = bundle;
      bestHits = hits;
      bestSize = size;
    }
  }
  return best;
}

function fetchBundle(bundle) {
  let bytes = bundleBytes.get(bundle);
  if (bytes === undefined) {
    // The same request as the server's <link rel="preload" as="fetch"
    // crossorigin>, so that a preloaded bundle is not fetched twice.
    bytes = fetch(new URL(`./${bundle}`, import.meta.url)).then((response) => {
      if (!response.ok) throw new Error(`${bundle}: HTTP ${response.status}`);
      return response.arrayBuffer();
    });
    bytes.catch(() => bundleBytes.delete(bundle));
    bundleBytes.set(bundle, bytes);
  }
  return bytes;
}
