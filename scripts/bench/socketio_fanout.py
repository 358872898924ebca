"""The seed's price push, for scripts/bench.sh's fan-out comparison: a Flask-SocketIO server
(Flask-SocketIO, python-socketio, gevent and gevent-websocket from PyPI, unmodified; run with
`socketio.run`, the deployment Flask-SocketIO's documentation calls production-ready) that
publishes ticks the way a Flask-SocketIO app does — each tick emitted to its instrument's room —
while clients `follow` instruments by joining their rooms.

It is driven by `cargo bench -p server --bench price_fanout` with FANOUT_PEER=socketio, which
starts it, speaks Socket.IO to it and reads what it prints, the same lines as our side's:
  PORT <port>
  USAGE <cpu ms> <rss KiB> <peak rss KiB> <clients>      (every second)
Knobs (environment, as for ours): FANOUT_INSTRUMENTS (3000), FANOUT_TICKS_PER_SECOND (3000).
Loopback only; it runs until the bench kills it.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from flask import Flask  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

INSTRUMENTS = int(os.environ.get("FANOUT_INSTRUMENTS", "3000"))
PER_SECOND = int(os.environ.get("FANOUT_TICKS_PER_SECOND", "3000"))

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")
clients = 0


@socketio.on("connect")
def connected():
    global clients
    clients += 1


@socketio.on("disconnect")
def disconnected(*_):
    global clients
    clients -= 1


@socketio.on("follow")
def follow(tokens):
    for token in tokens[:200]:
        join_room(str(int(token)))


def usage():
    tick = os.sysconf("SC_CLK_TCK")
    while True:
        gevent.sleep(1)
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu_ms = (int(fields[11]) + int(fields[12])) * 1000 // tick
        status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
        kib = lambda key: int(status[key].split()[0])
        print(f"USAGE {cpu_ms} {kib('VmRSS')} {kib('VmHWM')} {clients}", flush=True)


def publish():
    """`PER_SECOND` ticks a second in 100 slices, round-robin over the instruments, as ours."""
    state = 7
    last = []
    for _ in range(INSTRUMENTS):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        last.append(1_000_000 + (state >> 33) % 50_000_000)
    nxt, carry = 0, 0
    deadline = time.monotonic()
    while True:
        deadline += 0.01
        gevent.sleep(max(0.0, deadline - time.monotonic()))
        carry += PER_SECOND
        count, carry = carry // 100, carry % 100
        now = int(time.time() * 1000)
        for _ in range(count):
            i = nxt
            nxt = (nxt + 1) % INSTRUMENTS
            state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            last[i] = max(500, last[i] + ((state >> 33) % 21) * 500 - 5_000)
            price = f"{last[i] / 10_000:.2f}"
            socketio.emit("tick", {
                "token": i + 1, "last_price": price, "last_quantity": 1, "volume": 0,
                "ohlc": {"open": price, "high": price, "low": price, "close": price},
                "exchange_time_ms": now,
            }, to=str(i + 1))


if __name__ == "__main__":
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    print(f"PORT {port}", flush=True)
    socketio.start_background_task(usage)
    socketio.start_background_task(publish)
    socketio.run(app, host="127.0.0.1", port=port, log_output=False)
    sys.exit(0)
