"""Our app for scripts/bench's measurements: `osp serve` started on loopback in demo mode and
signed in with a 50-row market watch, as a user would have it. Imported by pages.py (the
dashboard beside Flask) and lighthouse.py (the dashboard in Chromium)."""

import contextlib
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROWS = 50


def fail(message):
    print(f"bench FAILED: {message}", file=sys.stderr)
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


class SignedIn:
    """What `signed_in` yields: the server's process and address, the session's cookie, the
    idle RSS read before anyone signed in, the market watch as the app's API returned it, and
    the dashboard's server-rendered HTML (checked to show the last row)."""

    def __init__(self, server, base, cookie, idle_kb, view, html):
        self.server, self.base, self.cookie = server, base, cookie
        self.idle_kb, self.view, self.html = idle_kb, view, html


@contextlib.contextmanager
def signed_in(binary, work):
    """Starts `osp serve` (release, demo mode, SQLite under `work`), reads its RSS idle, sets
    up a user and fills a 50-row watchlist through the app's own API. Stops the server after."""
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
        yield SignedIn(server, base, cookie, idle, view, html)
    finally:
        stop(server)
