#!/usr/bin/env bash
# Sets up what is missing and runs every test: formatting and lints, core/app/server unit and
# integration tests (SQLite, a throwaway PostgreSQL and Redis), the wasm tests in headless Chromium,
# and the Playwright end-to-end suite against a release build. Exits non-zero if anything
# fails or could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

setup_rust_toolchain
setup_test_tools

started=$(date +%s)
step() { say "[$(( $(date +%s) - started ))s] $*"; }

# ---- a throwaway PostgreSQL on loopback, stopped on exit ----
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)")
[ -x "$PG_BIN/initdb" ] || fail "PostgreSQL's initdb was not found after installing postgresql"
PG_DIR=$(mktemp -d /tmp/osp-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() {
  # PostgreSQL refuses to run as root: use the postgres user when we are root.
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$PG_DIR"; runuser -u postgres -- "$@"; else "$@"; fi
}
stop_pg() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
stop_redis() { if [ -n "${REDIS_PORT:-}" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi; }
cleanup() { stop_redis; stop_pg; if [ -n "${SIM_PID:-}" ]; then kill "$SIM_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
step "starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null
export OSP_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

# ---- a throwaway Redis on loopback (the bus of the scale-out test), stopped on exit; it also
# speaks TLS on a second port, with a certificate signed by a CA made here (the rediss:// test) ----
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port)
REDISS_PORT=$(free_port)
TLS_DIR="$PG_DIR/tls"
mkdir -p "$TLS_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=osp test CA" \
  -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" 2>/dev/null || fail "openssl could not make a test CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$TLS_DIR/redis.key" -out "$TLS_DIR/redis.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TLS_DIR/san.ext"
openssl x509 -req -in "$TLS_DIR/redis.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
  -CAcreateserial -days 2 -extfile "$TLS_DIR/san.ext" -out "$TLS_DIR/redis.crt" 2>/dev/null \
  || fail "openssl could not sign the test Redis certificate"
step "starting a throwaway Redis on 127.0.0.1:$REDIS_PORT (TLS on $REDISS_PORT)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --tls-port "$REDISS_PORT" --tls-cert-file "$TLS_DIR/redis.crt" --tls-key-file "$TLS_DIR/redis.key" \
  --tls-ca-cert-file "$TLS_DIR/ca.crt" --tls-auth-clients no \
  --logfile "$PG_DIR/redis.log" --dir "$PG_DIR" >/dev/null
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping >/dev/null || fail "Redis did not start: $(cat "$PG_DIR/redis.log")"
export OSP_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export OSP_TEST_REDISS_URL="rediss://localhost:$REDISS_PORT"
export OSP_TEST_REDIS_CA="$TLS_DIR/ca.crt"

step "formatting"
cargo fmt --all -- --check

step "clippy (server side, all targets)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
step "clippy (browser side, wasm32: the core, app's hydrate code, the entry and its tests)"
cargo clippy -p osp-core -p app -p frontend --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --tests -- -D warnings

# Each runner's output is kept to add up the counts for the closing line.
LOGS=$(mktemp -d /tmp/osp-test-logs.XXXXXX)

step "unit and integration tests (core, app, server; SQLite and PostgreSQL)"
cargo nextest run --workspace --exclude frontend --no-fail-fast 2>&1 | tee "$LOGS/nextest"

step "wasm tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p frontend --target wasm32-unknown-unknown 2>&1 | tee "$LOGS/wasm"

build_release
# A ratchet, not the goal: the bundle is ~1.2 MB gzip today and the first screen's target is
# 300 KB (see the closing note of stop 35); a change that grows it past this fails here.
WASM_GZIP_BUDGET=1300000
WASM_BROTLI_BUDGET=900000
step "wasm bundle within its budget ($WASM_GZIP_BUDGET bytes gzip; what a browser downloads, brotli, within $WASM_BROTLI_BUDGET)"
wasm_gzip=$(gzip -c target/site/pkg/osp.wasm | wc -c)
echo "target/site/pkg/osp.wasm: $(wc -c <target/site/pkg/osp.wasm) bytes, $wasm_gzip bytes gzip"
[ "$wasm_gzip" -le "$WASM_GZIP_BUDGET" ] || \
  fail "the wasm bundle is $wasm_gzip bytes gzip, over its budget of $WASM_GZIP_BUDGET: look at what the change added to app/ and frontend/ (new crates, large views)"
# The server sends the brotli sibling build_release writes (server/src/site.rs).
{ [ -f target/site/pkg/osp.wasm.br ] && [ ! target/site/pkg/osp.wasm -nt target/site/pkg/osp.wasm.br ]; } || \
  fail "target/site/pkg/osp.wasm.br is missing or older than the bundle: build_release (scripts/setup.sh) writes it"
wasm_br=$(wc -c <target/site/pkg/osp.wasm.br)
echo "target/site/pkg/osp.wasm.br (sent to browsers): $wasm_br bytes"
[ "$wasm_br" -le "$WASM_BROTLI_BUDGET" ] || \
  fail "the wasm bundle is $wasm_br bytes in brotli, over its budget of $WASM_BROTLI_BUDGET: look at what the change added to app/ and frontend/"

step "Zerodha's official Python client against osp kite-sim"
SIM_LOG="$LOGS/kite-sim"
target/release/osp kite-sim --listen 127.0.0.1:0 --api-key check_key --api-secret check_secret \
  --redirect-url http://127.0.0.1:9/callback --auto-login --tick-ms 100 >"$SIM_LOG" 2>&1 &
SIM_PID=$!
for _ in $(seq 100); do grep -q '^Kite simulator on' "$SIM_LOG" && break; sleep 0.1; done
SIM_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$SIM_LOG" | head -n1)
[ -n "$SIM_URL" ] || { kill "$SIM_PID"; fail "osp kite-sim did not start: $(cat "$SIM_LOG")"; }
official=0
if PYTHONPATH="$PYKITECONNECT_DIR" timeout 120 python3 scripts/official-clients/pykiteconnect_check.py \
  "$SIM_URL" check_key check_secret 2>&1 | tee "$LOGS/official"; then official=1; fi
kill "$SIM_PID" 2>/dev/null || true
[ "$official" -eq 1 ] || fail "Zerodha's official client does not work against the simulator (above)"

step "end-to-end tests (Playwright + Debian's Chromium against the release build)"
(cd end2end && npx playwright test) 2>&1 | tee "$LOGS/e2e"

# set -o pipefail stopped the run above if any runner failed; count what passed.
unit=$(grep -oE '[0-9]+ tests run: [0-9]+ passed' "$LOGS/nextest" | tail -n1 | awk '{print $4}')
wasm=$(grep -oE 'test result: ok\. [0-9]+ passed' "$LOGS/wasm" | awk '{s += $4} END {print s + 0}')
e2e=$(grep -oE '^ *[0-9]+ passed' "$LOGS/e2e" | tail -n1 | awk '{print $1}')
[ -n "$unit" ] && [ "$unit" -gt 0 ] || fail "nextest reported no tests"
[ "$wasm" -gt 0 ] || fail "the wasm runner reported no tests"
[ -n "$e2e" ] && [ "$e2e" -gt 0 ] || fail "Playwright reported no tests"
rm -rf "$LOGS"
step "all tests passed: $unit unit/integration, $wasm wasm, $official official-client, $e2e end-to-end"
echo "tests: $((unit + wasm + official + e2e)) passed, 0 failed"
