// Assembles target/site from what cargo and wasm-bindgen produced: the JS
// glue, the wasm, the stylesheet and public/. It does what cargo-leptos
// did after compiling, so that a new machine need not spend 11 to 30
// minutes compiling cargo-leptos itself (scripts/lib.sh, build_site).
//
//   node tools/site.mjs debug   BINDGEN_DIR BIN_DIR
//   node tools/site.mjs release BINDGEN_DIR BIN_DIR
//
// BINDGEN_DIR holds wasm-bindgen's guildtrack.js and guildtrack_bg.wasm
// (already wasm-opt'd for release), and in split/ the lazy routes' modules,
// their JS loader and its manifest (tools/wasm-split). BIN_DIR is the
// server binary's folder: Leptos reads hash.txt from there
// (LEPTOS_HASH_FILES=true).
//
// Release: the JS and CSS are minified, each file's name carries a hash of
// its content (the server caches those for a year, server/src/assets.rs),
// and each gets a .br and a .gz copy, because brotli at its best level
// takes seconds for the wasm, far too slow per request.
// Debug: plain names, no copies, so the server revalidates every time.
// Both: each lazy piece's modules are also written as one bundle, which the
// loader fetches instead of the modules one by one (tools/bundled-fetch.js).

import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const OUTPUT_NAME = "guildtrack";
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SITE_ROOT = join(ROOT, "target", "site");
const PKG_DIR = join(SITE_ROOT, "pkg");

const [mode, bindgenDir, binDir] = process.argv.slice(2);
if (!["debug", "release"].includes(mode) || !bindgenDir || !binDir) {
  console.error("usage: node tools/site.mjs debug|release BINDGEN_DIR BIN_DIR");
  process.exit(2);
}
const release = mode === "release";

const files = {
  js: readFileSync(join(bindgenDir, `${OUTPUT_NAME}.js`)),
  wasm: readFileSync(join(bindgenDir, `${OUTPUT_NAME}_bg.wasm`)),
  css: readFileSync(join(ROOT, "style", "main.css")),
};

// The lazy routes' modules. The loader's name is the one Leptos expects
// (its underscores stand for a hash); the main module's glue imports it,
// and it imports the glue and fetches the modules, all by relative path.
const LOADER = "__wasm_split.______________________.js";
const MANIFEST = "__wasm_split_manifest.json";
const splitDir = join(bindgenDir, "split");
const split = {
  loader: readFileSync(join(splitDir, LOADER)),
  manifest: JSON.parse(readFileSync(join(splitDir, MANIFEST), "utf8")),
  modules: Object.fromEntries(readdirSync(splitDir).filter((f) => f.endsWith(".wasm"))
    .map((f) => [f.slice(0, -".wasm".length), readFileSync(join(splitDir, f))])),
};

const hashOf = (...contents) => {
  const hash = createHash("sha256");
  for (const content of contents) hash.update(content);
  return hash.digest("base64url").slice(0, 22);
};
// Byte-wise, as the wasm files mention the loader too (the name of the
// module their imports come from), where a same-length name keeps them valid.
const replaceAll = (content, from, to) => {
  const needle = Buffer.from(from);
  const parts = [];
  let start = 0;
  for (let at = content.indexOf(needle); at !== -1; at = content.indexOf(needle, start)) {
    parts.push(content.subarray(start, at), Buffer.from(to));
    start = at + needle.length;
  }
  parts.push(content.subarray(start));
  return Buffer.concat(parts);
};

// Each lazy piece's modules also go into one bundle (tools/bundled-fetch.js
// says why): the loader learns to fetch modules from bundles here, and
// their table goes in once every name is final.
const BUNDLE_TABLE = '"__GUILDTRACK_BUNDLES__"';
{
  if (!split.loader.includes("fetch(new URL(")) throw new Error(`${LOADER}: no fetch(new URL(…)) to serve from bundles`);
  split.loader = Buffer.concat([
    readFileSync(join(ROOT, "tools", "bundled-fetch.js")),
    replaceAll(split.loader, "fetch(new URL(", "bundledFetch(new URL("),
  ]);
}

const esbuild = release ? createRequire(join(ROOT, "tools", "package.json"))("esbuild") : null;
if (release) {
  // esbuild comes from tools/package.json, beside wasm-opt.
  const minify = (content, loader) =>
    Buffer.from(esbuild.transformSync(content.toString(), { loader, format: "esm", minify: true }).code);
  files.js = minify(files.js, "js");
  files.css = minify(files.css, "css");
  split.loader = minify(split.loader, "js");
}

// Hashed names (release). The glue imports the loader and the loader
// imports the glue, so neither can be named after its own final content:
// the loader is named after everything the build produced before renaming,
// which determines every file's final content. Other files are named after
// their own content, once the names they mention are final.
const names = { js: `${OUTPUT_NAME}.js`, wasm: `${OUTPUT_NAME}.wasm`, css: `${OUTPUT_NAME}.css`, loader: LOADER };
const moduleNames = Object.fromEntries(Object.keys(split.modules).map((stem) => [stem, stem]));
const hashes = [];
if (release) {
  const buildHash = hashOf(files.js, files.wasm, split.loader, ...Object.values(split.modules));
  names.loader = `__wasm_split.${buildHash}.js`;
  hashes.push(`split: ${buildHash}`);
  files.js = replaceAll(files.js, LOADER, names.loader);
  files.wasm = replaceAll(files.wasm, LOADER, names.loader);
  for (const [stem, content] of Object.entries(split.modules)) {
    split.modules[stem] = replaceAll(content, LOADER, names.loader);
    moduleNames[stem] = `${stem}.${hashOf(split.modules[stem])}`;
  }
  for (const kind of ["js", "wasm", "css"]) {
    const hash = hashOf(files[kind]);
    names[kind] = `${OUTPUT_NAME}.${hash}.${kind}`;
    hashes.push(`${kind}: ${hash}`);
  }
  split.loader = replaceAll(split.loader, `./${OUTPUT_NAME}.js`, `./${names.js}`);
  for (const [stem, name] of Object.entries(moduleNames)) {
    split.loader = replaceAll(split.loader, `./${stem}.wasm`, `./${name}.wasm`);
  }
}
// One bundle per lazy piece: the modules the manifest lists for it, in its
// order. The table tells the loader where each module sits in which bundle,
// and the manifest (what a page preloads when the server renders it, by
// name without `.wasm`) names the bundle instead of its modules.
const bundles = {};
const table = {};
for (const [piece, stems] of Object.entries(split.manifest)) {
  if (!/^[A-Za-z0-9_]+$/.test(piece)) throw new Error(`${MANIFEST}: unexpected name ${piece}`);
  const parts = [];
  let offset = 0;
  for (const stem of stems) {
    const content = split.modules[stem];
    if (!content) throw new Error(`${MANIFEST}: ${piece} lists ${stem}, which wasm-split did not write`);
    parts.push([`${moduleNames[stem]}.wasm`, offset, content.length]);
    offset += content.length;
  }
  const content = Buffer.concat(stems.map((stem) => split.modules[stem]));
  const stem = release ? `bundle_${piece}.${hashOf(content)}` : `bundle_${piece}`;
  bundles[stem] = content;
  table[`${stem}.wasm`] = parts;
  split.manifest[piece] = [stem];
}
const tableAt = split.loader.indexOf(BUNDLE_TABLE);
if (tableAt === -1 || split.loader.indexOf(BUNDLE_TABLE, tableAt + 1) !== -1) {
  throw new Error(`${LOADER}: the bundle table's place is not there exactly once`);
}
split.loader = replaceAll(split.loader, BUNDLE_TABLE, JSON.stringify(table));

const manifest = Buffer.from(JSON.stringify(split.manifest));
if (release) {
  const hash = hashOf(manifest);
  names.manifest = `__wasm_split_manifest.${hash}.json`;
  hashes.push(`manifest: ${hash}`);
} else {
  names.manifest = MANIFEST;
}

const output = [
  [names.js, files.js], [names.wasm, files.wasm], [names.css, files.css],
  [names.loader, split.loader], [names.manifest, manifest],
  ...Object.entries(split.modules).map(([stem, content]) => [`${moduleNames[stem]}.wasm`, content]),
  ...Object.entries(bundles).map(([stem, content]) => [`${stem}.wasm`, content]),
];

// Written beside the old site and swapped in at the end, so that a failed
// build never leaves a half-written site, nor a stale hashed file whose
// name a new build no longer links.
const next = `${SITE_ROOT}.next`;
rmSync(next, { recursive: true, force: true });
mkdirSync(join(next, "pkg"), { recursive: true });
if (existsSync(join(ROOT, "public"))) cpSync(join(ROOT, "public"), next, { recursive: true });

for (const [name, content] of output) {
  const path = join(next, "pkg", name);
  if (release) {
    writeFileSync(`${path}.br`, brotliCompressSync(content, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
      },
    }));
    writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
  }
  writeFileSync(path, content);
}

rmSync(SITE_ROOT, { recursive: true, force: true });
renameSync(next, SITE_ROOT);
const hashFile = join(binDir, "hash.txt");
if (release) writeFileSync(hashFile, hashes.join("\n") + "\n");
else rmSync(hashFile, { force: true });

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const lazyBytes = Object.values(split.modules).reduce((sum, m) => sum + m.length, 0);
const bundleBytes = Object.values(bundles).reduce((sum, b) => sum + b.length, 0);
console.log(`site: ${kb(files.wasm.length)} wasm (+ ${kb(lazyBytes)} in ${Object.keys(split.modules).length} lazy modules, ` +
  `bundled for fetching as ${kb(bundleBytes)} in ${Object.keys(bundles).length} bundles), ` +
  `${kb(files.js.length)} js, ${kb(files.css.length)} css in ${SITE_ROOT}`);
