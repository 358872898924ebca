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

# ---- a throwaway PostgreSQL and Redis on loopback (scripts/setup.sh), stopped on exit ----
cleanup() { stop_test_services; if [ -n "${SIM_PID:-}" ]; then kill "$SIM_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
start_test_services

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
# What a phone downloads, split by route (scripts/bundle_sizes.py): the first screen (the
# main module and the dashboard's group) and every page together, gzip -9. Ratchets over today's
# sizes, not the goals (300 KB and 800 KB): a change that grows them past these fails here.
FIRST_SCREEN_GZIP_BUDGET=700000
ALL_PAGES_GZIP_BUDGET=1480000
step "wasm within its budgets (first screen $FIRST_SCREEN_GZIP_BUDGET bytes gzip, every page $ALL_PAGES_GZIP_BUDGET)"
python3 scripts/bundle_sizes.py target/site/pkg \
  --first-screen-gzip "$FIRST_SCREEN_GZIP_BUDGET" --all-gzip "$ALL_PAGES_GZIP_BUDGET" \
  || fail "the wasm bundle is over its budget (above)"

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
