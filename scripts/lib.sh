# Shared by scripts/run and scripts/test: install what is missing, quietly
# and only once. Everything here is idempotent and fast when nothing changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$ROOT"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A copy of target/ kept outside the clone, so that a new clone on the same
# machine (what CI makes for every run) starts with the dependencies
# compiled: from nothing, the two builds take about 50 of a cold run's 64
# minutes on a 2-core machine (BENCHMARKS.md, "CI run time"). A new clone's
# own crates still compile (their files are newer than the copy). Set
# GUILDTRACK_BUILD_CACHE= (empty) to do without; nothing needs it to pass.
BUILD_CACHE="${GUILDTRACK_BUILD_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/guildtrack/target}"

# A clone without target/ starts from the cache, if there is one.
restore_build_cache() {
  [ -n "$BUILD_CACHE" ] && [ -d "$BUILD_CACHE" ] && [ ! -e "$ROOT/target" ] || return 0
  say "Starting from the build cache in $BUILD_CACHE"
  if ! cp -a --reflink=auto "$BUILD_CACHE" "$ROOT/target.partial" || ! mv "$ROOT/target.partial" "$ROOT/target"; then
    rm -rf "$ROOT/target.partial"
    say "Could not copy the build cache: building from scratch"
  fi
}

# After a successful build: the cache follows target/. rsync copies only
# what changed (a few seconds when nothing did). A copy that fails half-way
# could pair new fingerprints with old files, so it is removed instead.
# Incremental state is left out: it is per clone path, so no other clone
# can use it, and it was 2.7 of the cache's 9.2 GB after two CI clones.
save_build_cache() {
  [ -n "$BUILD_CACHE" ] && command -v rsync >/dev/null || return 0
  mkdir -p "$BUILD_CACHE" &&
    rsync -a --delete --delete-excluded --exclude=/site --exclude=/site.next --exclude=incremental/ \
      "$ROOT/target/" "$BUILD_CACHE/" && return 0
  rm -rf "$BUILD_CACHE"
  say "Could not update the build cache in $BUILD_CACHE (disk full?): removed it"
}
restore_build_cache

apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  if [ ! -f /tmp/.guildtrack-apt-updated ]; then
    apt-get update -qq && touch /tmp/.guildtrack-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is not installed: see https://rustup.rs"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    say "Installing wasm-bindgen-cli $want"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

LEPTOSFMT_VERSION=0.1.33

# leptosfmt formats the view! macros (rustfmt leaves them alone).
ensure_leptosfmt() {
  if ! leptosfmt --version 2>/dev/null | grep -q " $LEPTOSFMT_VERSION\$"; then
    say "Installing leptosfmt $LEPTOSFMT_VERSION (about a minute, once)"
    cargo install leptosfmt --locked --version "$LEPTOSFMT_VERSION"
  fi
}

# npm packages of a folder, reinstalled only when its package.json changed.
ensure_npm() {
  local dir="$1"
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -f "$dir/node_modules/.installed" ] || [ "$dir/package.json" -nt "$dir/node_modules/.installed" ]; then
    say "Installing npm packages in $dir"
    if [ -f "$dir/package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
    touch "$dir/node_modules/.installed"
  fi
}

# wasm-opt for release builds: npm's binaryen, first on PATH.
ensure_binaryen() {
  ensure_npm "$ROOT/tools"
  export PATH="$ROOT/tools/node_modules/.bin:$PATH"
}

ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    say "Installing Chromium (Debian package)"
    apt_install chromium
  fi
}

# LibreOffice Calc opens the XLSX exports in the tests (a program nobody
# here wrote must read them).
ensure_libreoffice() {
  if ! command -v soffice >/dev/null; then
    say "Installing LibreOffice Calc (Debian package, for the export tests)"
    apt_install libreoffice-calc-nogui
  fi
}

# The environment of debug builds: `cargo test` and `build_site debug` use
# the same, so both share one set of compiled dependencies instead of
# rebuilding each other's. LEPTOS_OUTPUT_NAME is read at compile time too.
leptos_debug_env() {
  export LEPTOS_OUTPUT_NAME=guildtrack LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_HASH_FILES=false
  export RUSTFLAGS="--cfg erase_components"
}

# wasm-opt for release builds: flags for the wasm features rustc 1.95 emits
# for wasm32-unknown-unknown by default, which every current browser has.
WASM_OPT_FLAGS=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue)

# Builds the server and the site (target/site) without cargo-leptos, which
# took 11 to 30 minutes to compile on a new machine before the first build
# could even start: cargo builds the server and the wasm, wasm-bindgen makes
# the JS glue, wasm-opt shrinks the release wasm, and tools/site.mjs
# minifies, hashes, precompresses and lays out the files as cargo-leptos
# did (see that file).
#
# `build_site debug` uses the variables of leptos_debug_env, so it shares
# its compiled dependencies with `cargo test`. `build_site release` is what
# users run (scripts/run) and what the browser tests test (scripts/test):
# hashed asset names with .br/.gz copies (the server caches the former for
# a year and serves the latter, see server/src/assets.rs), and Leptos's
# type-erased views on both sides. Erased views need far fewer instances of
# tachys' and reactive_graph's generic code: when measured, the wasm was
# 1.79 MB instead of 2.28 MB, 448 KB brotli instead of 605 KB
# (BENCHMARKS.md). The server must be built the same way as the wasm, or
# hydration fails, so the flag goes in RUSTFLAGS for both. Both scripts
# set the same variables, so they share one set of compiled files.
#
# WASM_LINT=(env RUSTC_WORKSPACE_WRAPPER=… CLIPPY_ARGS=…) makes clippy lint
# the wasm's own crates (app with `hydrate`, frontend) as the wasm build
# compiles them (scripts/test): a separate `cargo clippy` for the wasm
# checked every dependency once more, four and a half minutes of a cold run.
WASM_LINT=(env)
build_site() {
  local mode="$1" server_dir wasm bindgen_dir
  ensure_binaryen
  if [ "$mode" = release ]; then
    export RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=guildtrack \
      LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_HASH_FILES=true
    unset LEPTOS_RELOAD_PORT LEPTOS_JS_MINIFY
    cargo build -p server --release
    RUSTFLAGS="$RUSTFLAGS $WASM_SPLIT_RUSTFLAGS" "${WASM_LINT[@]}" \
      cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
    server_dir=target/release wasm=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
  else
    leptos_debug_env
    cargo build -p server
    RUSTFLAGS="$RUSTFLAGS $WASM_SPLIT_RUSTFLAGS" "${WASM_LINT[@]}" \
      cargo build -p frontend --lib --target wasm32-unknown-unknown
    server_dir=target/debug wasm=target/wasm32-unknown-unknown/debug/frontend.wasm
  fi
  bindgen_dir="target/bindgen-$mode"
  rm -rf "$bindgen_dir"
  mkdir -p "$bindgen_dir/split"
  # The lazy routes' code goes into modules of their own (see
  # ensure_wasm_split); wasm-bindgen then makes the glue of the main module,
  # keeping the linker's exports the split modules call into.
  "$(ensure_wasm_split)" "$wasm" "$bindgen_dir/split" "$bindgen_dir/main.wasm" guildtrack
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$bindgen_dir" --out-name guildtrack "$bindgen_dir/main.wasm"
  if [ "$mode" = release ]; then
    # Two at a time (the machine's cores): one by one, the 105 modules took
    # over four minutes, mostly wasm-opt starting up.
    printf '%s\0' "$bindgen_dir/guildtrack_bg.wasm" "$bindgen_dir"/split/*.wasm |
      xargs -0 -P 2 -I{} wasm-opt "${WASM_OPT_FLAGS[@]}" {} -o {}
  fi
  node tools/site.mjs "$mode" "$bindgen_dir" "$server_dir"
  save_build_cache
}

# The routes marked `Lazy` in app/src/lib.rs (#[lazy_route]) are split out
# of the wasm into modules the browser fetches when a page first needs
# them, so the first load of Posts does not carry Accounts, Exports, the
# settings pages or the invitation page (BENCHMARKS.md). Splitting needs the linker's
# relocations in the wasm, and tools/wasm-split, which does what
# `cargo leptos build --split` does (with the same library). It is built
# once into target/tools; prints the binary's path.
WASM_SPLIT_RUSTFLAGS="-Clink-args=--emit-relocs"
ensure_wasm_split() {
  cargo build --quiet --release --locked --manifest-path "$ROOT/tools/wasm-split/Cargo.toml" \
    --target-dir "$ROOT/target/tools" >&2
  echo "$ROOT/target/tools/release/wasm-split"
}

postgres_up() {
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null
}

# Starts the machine's PostgreSQL if it is installed but stopped.
ensure_postgres() {
  postgres_up && return 0
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    say "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do postgres_up && return 0; sleep 1; done
  fi
  return 1
}
