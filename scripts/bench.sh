#!/usr/bin/env bash
# Performance side by side: each comparison runs our code and what a user would otherwise run
# (Zerodha's official Python client, unmodified from PyPI) in one run, on the same inputs, and
# writes docs/PERFORMANCE.md with both figures, the ratio, the machine and this command.
# Not part of the test command: loopback only, bounded (about 10 minutes on 2 cores), stops by
# itself. Usage: scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

setup_rust_toolchain
setup_official_client

OUT=$(mktemp -d /tmp/osp-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
RESULTS="$OUT/results.jsonl"

say "building our half (release)"
cargo build --release -q -p server --example side_by_side --example tick_to_order
OURS=target/release/examples/side_by_side
official() { PYTHONPATH="$PYKITECONNECT_DIR" python3 scripts/bench/official_kite.py "$@"; }
record() {
  # record NAME UNIT OURS_JSON OURS_KEY OFFICIAL_JSON OFFICIAL_KEY
  python3 -c 'import json,sys
name, unit, ours, ours_key, theirs, theirs_key = sys.argv[1:]
print(json.dumps({"name": name, "unit": unit,
                  "ours": json.loads(ours)[ours_key], "official": json.loads(theirs)[theirs_key]}))' "$@" >>"$RESULTS"
}

"$OURS" inputs "$OUT"
# Kite's own published packets (one each, base64, no frame header), framed 100 to a frame as
# the ticker sends them.
for mode in full quote; do
  python3 -c 'import base64, struct, sys
packet = base64.b64decode(open(sys.argv[1]).read())
sys.stdout.buffer.write(struct.pack(">H", 100) + (struct.pack(">H", len(packet)) + packet) * 100)' \
    "adapters/kite-connect/tests/fixtures/ticker_$mode.packet" >"$OUT/kite_$mode.bin"
done

say "1. ticker decode: ours vs KiteTicker._parse_binary, frame by frame"
for frame in full quote ltp index kite_full kite_quote; do
  ours=$("$OURS" decode "$OUT/$frame.bin")
  theirs=$(official decode "$OUT/$frame.bin")
  record "Ticker decode, $frame frame" "packets/s" "$ours" packets_per_second "$theirs" packets_per_second
  say "   $frame: ours $ours, official $theirs"
done

say "2. instruments: our parse (and parse + load into SQLite) vs KiteConnect._parse_instruments, 100k rows"
ours=$("$OURS" instruments "$OUT/instruments.csv")
theirs=$(official instruments "$OUT/instruments.csv")
record "Instruments dump, parse (100k rows)" "rows/s" "$ours" parse_rows_per_second "$theirs" parse_rows_per_second
record "Instruments dump, ours parsed and loaded into SQLite vs their parse" "rows/s" "$ours" parse_and_load_rows_per_second "$theirs" parse_rows_per_second
say "   ours $ours, official $theirs"

say "5. tick -> order through the whole app (demo mode, 1,000 armed levels), ours alone"
# A failed run is reported in the table, not allowed to stop the comparisons around it.
target/release/examples/tick_to_order | tee "$OUT/tick_to_order.json" \
  || echo '{"failed": "tick_to_order exited with an error (its output is above)"}' >"$OUT/tick_to_order.json"

say "6. level engine: ticks/s with 100k armed levels (criterion, ours alone)"
cargo bench -q -p server --bench level_monitor -- --noplot 2>/dev/null | tee "$OUT/level_monitor.txt" | grep -E "thrpt|time:" || true

BUNDLE="$OUT/bundle.md"
if [ -f target/site/pkg/osp.wasm ]; then
  printf -- '- `osp.wasm` (every page, one file): %s bytes, %s bytes gzip\n' \
    "$(wc -c <target/site/pkg/osp.wasm)" "$(gzip -c target/site/pkg/osp.wasm | wc -c)" >"$BUNDLE"
else
  echo "- No release build in target/site: run scripts/test.sh (or build_release) first." >"$BUNDLE"
fi

python3 - "$RESULTS" "$OUT/level_monitor.txt" "$(git rev-parse --short HEAD)" "$OUT/tick_to_order.json" "$BUNDLE" <<'EOF' >docs/PERFORMANCE.md
import json, os, platform, re, sys, datetime
results = [json.loads(line) for line in open(sys.argv[1])]
level = open(sys.argv[2]).read()
commit = sys.argv[3]
tick = json.loads(open(sys.argv[4]).read().strip().splitlines()[-1])
bundle = open(sys.argv[5]).read()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
def fmt(n):
    return f"{n:,.0f}"
print("# Performance, side by side")
print()
print("Written by `scripts/bench.sh` (run it to refresh this file). Each row ran both sides in one")
print("run, on the same input, one after the other: the ratio is what counts on a shared machine.")
print("The official side is Zerodha's `kiteconnect` from PyPI, unmodified.")
print()
print(f"- Run: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{commit}`")
print(f"- Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}")
print()
print("| Comparison | Unit | Ours | Official client | Ratio |")
print("|---|---|---:|---:|---:|")
for r in results:
    ratio = r["ours"] / r["official"] if r["official"] else float("inf")
    print(f"| {r['name']} | {r['unit']} | {fmt(r['ours'])} | {fmt(r['official'])} | {ratio:,.0f}× |")
print()
thrpt = re.findall(r"thrpt:\s*\[[^\]]*?([\d.]+ \w?elem/s)[^\]]*\]", level)
print("Ours alone:")
print()
if thrpt:
    print(f"- Level engine, 100,000 armed levels over 3,000 instruments: {thrpt[0]} (ticks; criterion's middle estimate, `cargo bench -p server --bench level_monitor`).")
else:
    print("- Level engine: criterion printed no throughput this run.")
if "failed" in tick:
    print(f"- Tick → order through the whole app: no figures this run, {tick['failed']}.")
else:
    print(f"- Tick → order through the whole app (`server/examples/tick_to_order.rs`: demo mode, "
          f"SQLite, {tick['levels']:,} armed levels over {tick['instruments']} instruments, the "
          f"simulator over loopback): p50 {tick['p50_us']:,} µs, p99 {tick['p99_us']:,} µs, "
          f"p99.9 {tick['p999_us']:,} µs, max {tick['max_us']:,} µs over {tick['samples']:,} crossings "
          f"({tick['missing']} without an order). From the crossing frame written to the ticker's "
          f"socket to its order arriving at `POST /orders/regular`. Goal: p99 < 1 ms.")
    print(f"- Manual ticket → order sent (confirm call to the order arriving): p50 "
          f"{tick['manual_p50_us']:,} µs, p99 {tick['manual_p99_us']:,} µs over {tick['manual_samples']} orders.")
print()
print("What a phone downloads (the release build in `target/site`):")
print()
print(bundle.rstrip())
print()
print("How each is measured: `server/examples/side_by_side.rs` (ours) and")
print("`scripts/bench/official_kite.py` (theirs) each repeat the work for two seconds, three")
print("rounds, and report the best. Frames are 100 packets each (full: NSE equity with depth,")
print("quote, ltp, index), plus Kite's own published full and quote frames; both decoders build")
print("their whole tick (ours a typed packet in fixed-point paise, theirs a dict with floats and")
print("datetimes). The dump has Kite's columns, a third equities and the rest an options chain.")
EOF
say "wrote docs/PERFORMANCE.md"
cat docs/PERFORMANCE.md
