// Assembles target/site from what cargo and wasm-bindgen produced: the JS
// glue, the wasm, the stylesheet and public/. It does what cargo-leptos
// did after compiling, so that a new machine need not spend 11 to 30
// minutes compiling cargo-leptos itself (scripts/lib.sh, build_site).
//
//   node tools/site.mjs debug   BINDGEN_DIR BIN_DIR
//   node tools/site.mjs release BINDGEN_DIR BIN_DIR
//
// BINDGEN_DIR holds wasm-bindgen's guildtrack.js and guildtrack_bg.wasm
// (already wasm-opt'd for release). BIN_DIR is the server binary's folder:
// Leptos reads hash.txt from there (LEPTOS_HASH_FILES=true).
//
// Release: the JS and CSS are minified, each file's name carries a hash of
// its content (the server caches those for a year, server/src/assets.rs),
// and each gets a .br and a .gz copy, because brotli at its best level
// takes seconds for the wasm, far too slow per request.
// Debug: plain names, no copies, so the server revalidates every time.

import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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

if (release) {
  // esbuild comes from tools/package.json, beside wasm-opt.
  const esbuild = createRequire(join(ROOT, "tools", "package.json"))("esbuild");
  files.js = Buffer.from(esbuild.transformSync(files.js.toString(), { loader: "js", format: "esm", minify: true }).code);
  files.css = Buffer.from(esbuild.transformSync(files.css.toString(), { loader: "css", minify: true }).code);
}

// Written beside the old site and swapped in at the end, so that a failed
// build never leaves a half-written site, nor a stale hashed file whose
// name a new build no longer links.
const next = `${SITE_ROOT}.next`;
rmSync(next, { recursive: true, force: true });
mkdirSync(join(next, "pkg"), { recursive: true });
if (existsSync(join(ROOT, "public"))) cpSync(join(ROOT, "public"), next, { recursive: true });

const hashes = [];
for (const [kind, content] of Object.entries(files)) {
  let name = `${OUTPUT_NAME}.${kind}`;
  if (release) {
    const hash = createHash("sha256").update(content).digest("base64url").slice(0, 22);
    name = `${OUTPUT_NAME}.${hash}.${kind}`;
    hashes.push(`${kind}: ${hash}`);
    const path = join(next, "pkg", name);
    writeFileSync(`${path}.br`, brotliCompressSync(content, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
      },
    }));
    writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
  }
  writeFileSync(join(next, "pkg", name), content);
}

rmSync(SITE_ROOT, { recursive: true, force: true });
renameSync(next, SITE_ROOT);
const hashFile = join(binDir, "hash.txt");
if (release) writeFileSync(hashFile, hashes.join("\n") + "\n");
else rmSync(hashFile, { force: true });

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log(`site: ${kb(files.wasm.length)} wasm, ${kb(files.js.length)} js, ${kb(files.css.length)} css in ${SITE_ROOT}`);
