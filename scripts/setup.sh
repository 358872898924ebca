# Sourced by run.sh, test.sh, bench.sh and chaos.sh: installs what is missing, idempotently,
# saying what it does.
# Pinned versions are the ones measured to work together here (see docs/BUILD.md).

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

need_root_or_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    fail "need root (or sudo) to run: $*"; fi
}

apt_install() {
  # apt_install PACKAGE... — installs the Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  need_root_or_sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive need_root_or_sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

setup_rust_toolchain() {
  command -v cargo >/dev/null || fail "cargo is not installed; install Rust with rustup first"
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes, once)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (must equal wasm-bindgen in Cargo.lock)"
    # Without --locked: with it, a pinned dependency is missing from the registry index.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm; Debian's v108 breaks hydration)"
    command -v npm >/dev/null || apt_install nodejs npm
    need_root_or_sudo npm install -g --silent "binaryen@$BINARYEN_VERSION"
  fi
}

PYKITECONNECT_VERSION=5.0.1
PYKITECONNECT_DIR="$PWD/target/pykiteconnect-$PYKITECONNECT_VERSION"

setup_test_tools() {
  apt_install chromium chromium-driver
  if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
  # The scale-out test's bus between processes.
  command -v redis-server >/dev/null || apt_install redis-server
  # The TLS Redis's certificates for the rediss:// test.
  command -v openssl >/dev/null || apt_install openssl
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    say "installing Playwright's test runner (browsers come from Debian, not downloaded)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
  # Zerodha's official Python client, to check the Kite simulator answers as Kite does.
  setup_official_client
}

# Zerodha's official Python client (unmodified, from PyPI) in target/: the tests check the
# simulator against it, and scripts/bench.sh measures us beside it.
setup_official_client() {
  command -v python3 >/dev/null || apt_install python3 python3-pip
  if [ ! -f "$PYKITECONNECT_DIR/kiteconnect/__init__.py" ]; then
    say "installing Zerodha's official Python client (kiteconnect $PYKITECONNECT_VERSION) into $PYKITECONNECT_DIR"
    python3 -m pip install --quiet --disable-pip-version-check --target "$PYKITECONNECT_DIR" \
      "kiteconnect==$PYKITECONNECT_VERSION" \
      || fail "could not install kiteconnect from PyPI"
  fi
}

# The seed's web stack, unmodified from PyPI, in target/: Flask + Jinja under gunicorn (the
# dashboard) and Flask-SocketIO on gevent (the price push); wrk from Debian. scripts/bench.sh
# measures ours beside them.
FLASK_VERSION=3.1.3
GUNICORN_VERSION=27.0.1
FLASK_SOCKETIO_VERSION=5.7.0
GEVENT_VERSION=26.9.0
GEVENT_WEBSOCKET_VERSION=0.10.1
FLASK_PEER_DIR="$PWD/target/flask-peer-$FLASK_VERSION-$FLASK_SOCKETIO_VERSION"

setup_flask_peer() {
  command -v wrk >/dev/null || apt_install wrk
  if [ ! -f "$FLASK_PEER_DIR/flask_socketio/__init__.py" ]; then
    say "installing Flask $FLASK_VERSION, gunicorn, Flask-SocketIO $FLASK_SOCKETIO_VERSION and gevent into $FLASK_PEER_DIR"
    python3 -m pip install --quiet --disable-pip-version-check --target "$FLASK_PEER_DIR" \
      "flask==$FLASK_VERSION" "gunicorn==$GUNICORN_VERSION" \
      "flask-socketio==$FLASK_SOCKETIO_VERSION" "gevent==$GEVENT_VERSION" \
      "gevent-websocket==$GEVENT_WEBSOCKET_VERSION" \
      || fail "could not install Flask, gunicorn, Flask-SocketIO and gevent from PyPI"
  fi
}

# Google's Lighthouse, unmodified from npm, in target/: scripts/bench.sh scores the signed-in
# dashboard with it in Debian's Chromium (mobile emulation).
LIGHTHOUSE_VERSION=13.5.0
LIGHTHOUSE_DIR="$PWD/target/lighthouse-$LIGHTHOUSE_VERSION"
LIGHTHOUSE_CLI="$LIGHTHOUSE_DIR/node_modules/lighthouse/cli/index.js"

setup_lighthouse() {
  apt_install chromium
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -f "$LIGHTHOUSE_CLI" ]; then
    say "installing Lighthouse $LIGHTHOUSE_VERSION into $LIGHTHOUSE_DIR"
    mkdir -p "$LIGHTHOUSE_DIR"
    npm install --prefix "$LIGHTHOUSE_DIR" --no-audit --no-fund --silent "lighthouse@$LIGHTHOUSE_VERSION" \
      || fail "could not install lighthouse from npm"
  fi
}

build_release() {
  say "building the release (server + wasm bundle, split by route)"
  # --split: each group of pages' code is a wasm chunk of its own, loaded with its first page
  # (app/src/pages/routes.rs); the first screen downloads the main module and its group alone.
  # Required, not an option: a browser build without it never hydrates (routes.rs says why).
  cargo leptos build --release --split
  shrink_wasm
  precompress_bundles
}

# The server sends each bundle in target/site/pkg as its brotli or gzip sibling to a browser
# that accepts it (server/src/site.rs): the wasm is 3.7 MB as it is, about 1 MB in brotli.
# Written once per bundle: a sibling newer than its file is kept.
precompress_bundles() {
  command -v brotli >/dev/null || apt_install brotli
  local file
  for file in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
    [ -f "$file" ] || continue
    if [ ! "$file.br" -nt "$file" ]; then
      say "compressing $(basename "$file") (brotli -q 11, gzip -9)"
      brotli -q 11 -n -f -o "$file.br" "$file" || fail "brotli could not compress $file"
    fi
    if [ ! "$file.gz" -nt "$file" ]; then
      gzip -9 -c "$file" >"$file.gz.tmp" && mv "$file.gz.tmp" "$file.gz" || fail "gzip could not compress $file"
    fi
  done
}

# cargo-leptos runs wasm-opt -Oz once; running it to a fixed point (--converge) takes the
# bundle ~6 KB gzip smaller (measured: 1,302,674 -> 1,296,702 bytes). Done once per bundle
# cargo-leptos writes: the stamp holds the hash of the bundle it produced, and a bundle already
# shrunk is left alone (another -Oz pass over it grows it again).
shrink_wasm() {
  local wasm=target/site/pkg/osp.wasm stamp=target/site/pkg/.osp.wasm.shrunk
  [ -f "$wasm" ] || fail "cargo leptos build --release left no $wasm"
  if [ -f "$stamp" ] && [ "$(sha256sum "$wasm" | cut -d' ' -f1)" = "$(cat "$stamp")" ]; then
    return
  fi
  say "shrinking the wasm bundle (wasm-opt -Oz --converge)"
  wasm-opt -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals "$wasm" -o "$wasm.tmp" \
    || fail "wasm-opt could not shrink $wasm"
  mv "$wasm.tmp" "$wasm"
  sha256sum "$wasm" | cut -d' ' -f1 >"$stamp"
}

# A throwaway PostgreSQL and Redis on loopback for the tests (test.sh) and the reliability
# trials (chaos.sh): PostgreSQL (fsync off) and Redis (no persistence, plus TLS on a second
# port with a certificate signed by a CA made here, for the rediss:// test) in a fresh
# directory. Exports OSP_TEST_POSTGRES_URL, OSP_TEST_REDIS_URL, OSP_TEST_REDISS_URL and
# OSP_TEST_REDIS_CA; the caller stops them with stop_test_services (trap it on EXIT).
start_test_services() {
  PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)")
  [ -x "$PG_BIN/initdb" ] || fail "PostgreSQL's initdb was not found after installing postgresql"
  PG_DIR=$(mktemp -d /tmp/osp-pg.XXXXXX)
  PG_PORT=$(free_port)
  say "starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null
  export OSP_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

  REDIS_PORT=$(free_port)
  REDISS_PORT=$(free_port)
  local tls="$PG_DIR/tls"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=osp test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null || fail "openssl could not make a test CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/redis.key" -out "$tls/redis.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tls/san.ext"
  openssl x509 -req -in "$tls/redis.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/san.ext" -out "$tls/redis.crt" 2>/dev/null \
    || fail "openssl could not sign the test Redis certificate"
  say "starting a throwaway Redis on 127.0.0.1:$REDIS_PORT (TLS on $REDISS_PORT)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --tls-port "$REDISS_PORT" --tls-cert-file "$tls/redis.crt" --tls-key-file "$tls/redis.key" \
    --tls-ca-cert-file "$tls/ca.crt" --tls-auth-clients no \
    --logfile "$PG_DIR/redis.log" --dir "$PG_DIR" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null || fail "Redis did not start: $(cat "$PG_DIR/redis.log")"
  export OSP_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export OSP_TEST_REDISS_URL="rediss://localhost:$REDISS_PORT"
  export OSP_TEST_REDIS_CA="$tls/ca.crt"
}

stop_test_services() {
  if [ -n "${REDIS_PORT:-}" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ -n "${PG_DIR:-}" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root: as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$PG_DIR"; runuser -u postgres -- "$@"; else "$@"; fi
}
