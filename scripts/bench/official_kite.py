"""The official client's half of the side-by-side comparisons (`scripts/bench.sh`).

Zerodha's pykiteconnect, unmodified from PyPI, on the same files `side_by_side` reads:
  python3 official_kite.py decode FILE       -> {"packets_per_second": N}
  python3 official_kite.py instruments FILE  -> {"parse_rows_per_second": N}
Each is the best of three rounds of about two seconds, as on our side.
"""

import json
import sys
import time

from kiteconnect import KiteConnect, KiteTicker

ROUND = 2.0


def best_rate(work):
    best = 0.0
    for _ in range(3):
        start, done = time.perf_counter(), 0
        while time.perf_counter() - start < ROUND:
            done += work()
        best = max(best, done / (time.perf_counter() - start))
    return best


def decode(path):
    frame = open(path, "rb").read()
    # The parser is a method of the ticker; making one connects nowhere.
    ticker = KiteTicker("bench", "bench")
    if not ticker._parse_binary(frame):
        raise SystemExit(f"{path}: the official parser found no packets")
    return {"packets_per_second": round(best_rate(lambda: len(ticker._parse_binary(frame))))}


def instruments(path):
    data = open(path, "rb").read()
    kite = KiteConnect("bench")
    return {"parse_rows_per_second": round(best_rate(lambda: len(kite._parse_instruments(data))))}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("decode", "instruments"):
        raise SystemExit(__doc__)
    print(json.dumps({"decode": decode, "instruments": instruments}[sys.argv[1]](sys.argv[2])))
