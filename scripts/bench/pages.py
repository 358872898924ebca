"""Server-rendered dashboard and memory, side by side, for scripts/bench.sh (items 4 and 7).

Usage: python3 pages.py OSP_BINARY FLASK_PEER_DIR
Prints one JSON line. Loopback only, bounded (about two minutes), stops what it started.

1. Ours: `osp serve` (release, demo mode, SQLite in a temporary directory) is started; its RSS
   is read idle; a user is set up and a 50-row watchlist filled through the app's own API; the
   signed-in `GET /` is checked to carry the 50th row's symbol in its server-rendered HTML, then
   loaded with wrk. Requests/s, latency p50/p99, the server's CPU (cores busy) and RSS after.
2. Theirs: the same user, watchlist and ticks written to SQLite and JSON for
   scripts/bench/flask_dashboard.py (Flask + Jinja under gunicorn, one worker per core); the
   same check, the same wrk.
"""

import http.cookiejar
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from osp_app import ROWS, fail, free_port, rss_kb, signed_in, stop, wait_for

WRK_SECONDS = 15
WRK_CONNECTIONS = 32


def cpu_seconds(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except FileNotFoundError:
            pass
    return total


def family(pid):
    """The process and its children (gunicorn's workers)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [pid] + [int(p) for p in out.stdout.split()]


def wrk(url, cookie, pids):
    cpu_before, started = cpu_seconds(pids), time.time()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "--latency",
         "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, timeout=WRK_SECONDS + 60,
    ).stdout
    busy = (cpu_seconds(pids) - cpu_before) / (time.time() - started)

    def latency_ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            fail(f"wrk printed no {label} latency:\n{out}")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if not rps:
        fail(f"wrk printed no rate:\n{out}")
    if non2xx:
        fail(f"{non2xx.group(1)} of wrk's requests were refused:\n{out}")
    return {"rps": float(rps.group(1)), "p50_ms": latency_ms("50%"),
            "p99_ms": latency_ms("99%"), "cores_busy": round(busy, 2)}


def ours(binary, work):
    with signed_in(binary, work) as app:
        result = wrk(f"{app.base}/", app.cookie, [app.server.pid])
        result.update(rss_idle_kb=app.idle_kb, rss_after_kb=rss_kb([app.server.pid]),
                      page_bytes=len(app.html.encode()))
        return result, app.view


def theirs(peer_dir, work, view):
    db_path = os.path.join(work, "flask.db")
    db = sqlite3.connect(db_path)
    db.executescript(
        "CREATE TABLE watchlists (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL);"
        "CREATE TABLE watchlist_items (watchlist INTEGER NOT NULL, position INTEGER NOT NULL,"
        " token INTEGER NOT NULL, tradingsymbol TEXT NOT NULL, exchange TEXT NOT NULL);"
        "CREATE INDEX items_by_list ON watchlist_items (watchlist, position);")
    for l in view["lists"]:
        db.execute("INSERT INTO watchlists (id, owner, name) VALUES (?, 'bench', ?)", (l["id"], l["name"]))
        for pos, i in enumerate(l["items"]):
            db.execute("INSERT INTO watchlist_items VALUES (?, ?, ?, ?, ?)",
                       (l["id"], pos, i["token"], i["tradingsymbol"], i["exchange"]))
    db.commit()
    db.close()
    prices = {}
    for t in view["ticks"]:
        depth = t.get("depth") or {}
        best = lambda side: float(depth[side][0]["price"]) if depth.get(side) else 0.0
        prices[t["token"]] = {"ltp": float(t["last_price"]), "close": float(t["ohlc"]["close"]),
                              "bid": best("buy"), "ask": best("sell"), "volume": t["volume"]}
    prices_path = os.path.join(work, "prices.json")
    with open(prices_path, "w") as f:
        json.dump(prices, f)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=f"{peer_dir}:{os.path.dirname(os.path.abspath(__file__))}",
               BENCH_DB=db_path, BENCH_PRICES=prices_path, BENCH_SECRET=os.urandom(16).hex())
    workers = str(os.cpu_count() or 1)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", workers, "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "flask_dashboard:app"], env=env, stdout=subprocess.DEVNULL)
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        wait_for(f"{base}/login/bench", 60, opener)
        time.sleep(2)
        pids = family(server.pid)
        idle = rss_kb(pids)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        html = urllib.request.urlopen(urllib.request.Request(f"{base}/", headers={"Cookie": cookie}),
                                      timeout=30).read().decode()
        last = [i for l in view["lists"] for i in l["items"]][-1]["tradingsymbol"]
        if last not in html:
            fail(f"the Flask page does not show {last}")
        result = wrk(f"{base}/", cookie, pids)
        result.update(rss_idle_kb=idle, rss_after_kb=rss_kb(pids), page_bytes=len(html.encode()),
                      workers=int(workers))
        return result
    finally:
        stop(server)


def main():
    if len(sys.argv) != 3:
        fail("usage: pages.py OSP_BINARY FLASK_PEER_DIR")
    with tempfile.TemporaryDirectory() as work:
        our, view = ours(sys.argv[1], work)
        their = theirs(sys.argv[2], work, view)
    print(json.dumps({"ours": our, "flask": their, "rows": ROWS,
                      "wrk": f"wrk -t2 -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s"}))


if __name__ == "__main__":
    main()
