"""The seed's stack for the same page, for scripts/bench.sh: Flask + Jinja (unmodified, from
PyPI) rendering a signed-in user's 50-row market watch, served by gunicorn with one worker per
core, as a Flask app is deployed. Each request does what the seed's dashboard did: the user from
Flask's signed session cookie, the watchlist from SQLite, the latest ticks from the process's
memory (where the seed's KiteTicker thread kept them), and the page through a Jinja template
(compiled once, cached by Jinja).

Environment: BENCH_DB (the SQLite file scripts/bench/pages.py wrote), BENCH_PRICES (a JSON file
of the ticks by token), BENCH_SECRET (the session key).
Run: gunicorn -w 2 -b 127.0.0.1:PORT flask_dashboard:app
"""

import json
import os
import sqlite3

from flask import Flask, redirect, render_template, session
from jinja2 import DictLoader

app = Flask(__name__)
app.secret_key = os.environ["BENCH_SECRET"]
DB = os.environ["BENCH_DB"]
with open(os.environ["BENCH_PRICES"]) as f:
    PRICES = {int(k): v for k, v in json.load(f).items()}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dashboard · OS Platforms</title><link rel="stylesheet" href="/static/app.css"></head>
<body><header class="top-bar"><a href="/">OS Platforms</a><span class="mode">DEMO</span>
<span class="user">{{ user }}</span></header>
<nav><a href="/">Dashboard</a><a href="/levels">Levels</a><a href="/orders">Orders</a>
<a href="/trades">Trades</a><a href="/alerts">Alerts</a><a href="/account">Account</a></nav>
<main><h1>Market watch</h1>
<div class="tabs">{% for l in lists %}<button class="tab">{{ l }}</button>{% endfor %}</div>
<table class="market-watch"><thead><tr><th scope="col">Symbol</th><th scope="col" class="num">LTP</th>
<th scope="col" class="num">Chg</th><th scope="col" class="num">%</th><th scope="col" class="num">Bid</th>
<th scope="col" class="num">Ask</th><th scope="col" class="num">Volume</th><th></th></tr></thead>
<tbody>{% for r in rows %}<tr data-token="{{ r.token }}"><th scope="row">{{ r.symbol }}
<small>{{ r.exchange }}</small></th><td class="num">{{ "%.2f"|format(r.ltp) }}</td>
<td class="num {{ 'up' if r.change >= 0 else 'down' }}">{{ "%+.2f"|format(r.change) }}</td>
<td class="num">{{ "%+.2f"|format(r.change_pct) }}%</td><td class="num">{{ "%.2f"|format(r.bid) }}</td>
<td class="num">{{ "%.2f"|format(r.ask) }}</td><td class="num">{{ "{:,}".format(r.volume) }}</td>
<td><button aria-label="Remove {{ r.symbol }}">×</button></td></tr>{% endfor %}</tbody></table>
</main></body></html>"""
app.jinja_loader = DictLoader({"dashboard.html": PAGE})


@app.route("/login/<user>")
def login(user):
    session["user"] = user
    return redirect("/")


@app.route("/")
def dashboard():
    user = session.get("user")
    if not user:
        return redirect("/login")
    db = sqlite3.connect(DB)
    try:
        lists = [n for (n,) in db.execute("SELECT name FROM watchlists WHERE owner = ? ORDER BY id", (user,))]
        items = db.execute(
            "SELECT i.token, i.tradingsymbol, i.exchange FROM watchlist_items i "
            "JOIN watchlists w ON w.id = i.watchlist WHERE w.owner = ? ORDER BY w.id, i.position",
            (user,),
        ).fetchall()
    finally:
        db.close()
    rows = []
    for token, symbol, exchange in items:
        t = PRICES.get(token, {})
        ltp, close = t.get("ltp", 0.0), t.get("close", 0.0)
        rows.append({
            "token": token, "symbol": symbol, "exchange": exchange, "ltp": ltp,
            "change": ltp - close, "change_pct": (ltp - close) / close * 100 if close else 0.0,
            "bid": t.get("bid", 0.0), "ask": t.get("ask", 0.0), "volume": t.get("volume", 0),
        })
    return render_template("dashboard.html", user=user, lists=lists, rows=rows)
