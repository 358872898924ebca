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
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

WRK_SECONDS = 15
WRK_CONNECTIONS = 32
ROWS = 50


def fail(message):
    print(f"pages bench FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (FileNotFoundError, StopIteration):
            pass
    return total


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


def stop(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_for(url, seconds, opener=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with (opener or urllib.request.build_opener()).open(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    fail(f"{url} did not answer 200 within {seconds} s")


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
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, OSP__DATA_DIR=os.path.join(work, "osp"), OSP__SERVER__ADDR=f"127.0.0.1:{port}",
               OSP__LOG__FILTER="warn", OSP__METRICS__ADDR="off", OSP__PROFILE="development")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for(f"{base}/ready", 60)
        time.sleep(5)
        idle = rss_kb([server.pid])
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.addheaders = [("Origin", base)]

        def call(endpoint, **form):
            data = urllib.parse.urlencode(form).encode()
            with opener.open(f"{base}/api/{endpoint}", data=data, timeout=30) as r:
                return json.loads(r.read() or b"null")

        setup = urllib.parse.urlencode({"username": "bench", "password": "correct horse battery staple"})
        opener.open(f"{base}/api/auth/setup", data=setup.encode(), timeout=30).read()
        lists = call("watchlists")["lists"]
        list_id = lists[0]["id"] if lists else call("watchlists/create", name="Bench")["id"]
        held = {i["token"] for i in (lists[0]["items"] if lists else [])}
        for letters in "abcdefghijklmnopqrstuvwxyz":
            if len(held) >= ROWS:
                break
            for inst in call("instruments/search", query=letters):
                if len(held) >= ROWS:
                    break
                if inst["exchange"] == "NSE" and inst["token"] not in held:
                    call("watchlists/add", id=list_id, token=inst["token"])
                    held.add(inst["token"])
        view = call("watchlists")
        items = [i for l in view["lists"] for i in l["items"]]
        if len(items) < ROWS:
            fail(f"the watchlist holds {len(items)} instruments, not {ROWS}")
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        page = urllib.request.Request(f"{base}/", headers={"Cookie": cookie})
        html = urllib.request.urlopen(page, timeout=30).read().decode()
        last = items[-1]["tradingsymbol"]
        if last not in html:
            fail(f"our server-rendered dashboard does not show {last}")
        result = wrk(f"{base}/", cookie, [server.pid])
        result.update(rss_idle_kb=idle, rss_after_kb=rss_kb([server.pid]), page_bytes=len(html.encode()))
        return result, view
    finally:
        stop(server)


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
