"""Zerodha's official Python client (pykiteconnect), unmodified, against `osp kite-sim`.

Usage: python3 pykiteconnect_check.py http://127.0.0.1:PORT API_KEY API_SECRET
Logs in through the simulator's login page, then calls REST endpoints and streams the ticker
the way a user of the official client would. Exits non-zero with a message on any mismatch.
"""

import sys
import threading
import urllib.parse
import urllib.request

from kiteconnect import KiteConnect, KiteTicker


def fail(message):
    print(f"pykiteconnect check FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def request_token(login_url):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(login_url)
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
        query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
        return query["request_token"][0]
    fail("the login page did not redirect")


def main():
    base, api_key, api_secret = sys.argv[1:4]
    kite = KiteConnect(api_key=api_key, root=base)
    # The official client builds the login URL from its own constant; ask the simulator's.
    token = request_token(f"{base}/connect/login?v=3&api_key={api_key}")
    session = kite.generate_session(token, api_secret=api_secret)
    kite.set_access_token(session["access_token"])

    profile = kite.profile()
    check(profile["user_id"] == session["user_id"], "profile user_id")
    margins = kite.margins()
    check(margins["equity"]["net"] > 0, "equity margin")

    ltp = kite.ltp("NSE:INFY")
    check(ltp["NSE:INFY"]["last_price"] > 0, "ltp")
    quote = kite.quote(["NSE:INFY", "NSE:RELIANCE"])
    check(len(quote["NSE:INFY"]["depth"]["buy"]) == 5, "quote depth")
    ohlc = kite.ohlc("NSE:INFY")
    check(ohlc["NSE:INFY"]["ohlc"]["high"] >= ohlc["NSE:INFY"]["ohlc"]["low"], "ohlc")

    instruments = kite.instruments("NSE")
    symbols = {i["tradingsymbol"] for i in instruments}
    check("INFY" in symbols and "NIFTY 50" in symbols, "instruments dump")
    nfo = kite.instruments("NFO")
    check(any(i["instrument_type"] == "CE" and i["expiry"] for i in nfo), "options in the dump")

    infy_token = ltp["NSE:INFY"]["instrument_token"]
    candles = kite.historical_data(infy_token, "2026-11-23 09:15:00", "2026-11-23 15:30:00", "15minute")
    check(len(candles) == 25, f"historical candles: {len(candles)}")
    check(candles[0]["date"].hour == 9 and candles[0]["date"].minute == 15, "candle dates")

    order_id = kite.place_order(
        variety=kite.VARIETY_REGULAR,
        exchange=kite.EXCHANGE_NSE,
        tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_BUY,
        quantity=2,
        product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_MARKET,
        tag="official",
    )
    history = kite.order_history(order_id)
    check(history[-1]["status"] == "COMPLETE", f"order status {history[-1]['status']}")
    check(kite.order_trades(order_id)[0]["quantity"] == 2, "order trades")
    check(any(o["order_id"] == order_id for o in kite.orders()), "order book")
    positions = kite.positions()
    check(positions["net"][0]["quantity"] == 2, "positions")

    limit_id = kite.place_order(
        variety=kite.VARIETY_REGULAR,
        exchange=kite.EXCHANGE_NSE,
        tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_SELL,
        quantity=2,
        product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_LIMIT,
        price=round(ltp["NSE:INFY"]["last_price"] * 1.1 / 0.05) * 0.05,
    )
    kite.cancel_order(kite.VARIETY_REGULAR, limit_id)
    check(kite.order_history(limit_id)[-1]["status"] == "CANCELLED", "cancel")

    try:
        kite.place_order(
            variety=kite.VARIETY_REGULAR,
            exchange=kite.EXCHANGE_NSE,
            tradingsymbol="NOPE",
            transaction_type=kite.TRANSACTION_TYPE_BUY,
            quantity=1,
            product=kite.PRODUCT_MIS,
            order_type=kite.ORDER_TYPE_MARKET,
        )
        fail("an unknown instrument was accepted")
    except Exception as e:  # the official client raises its InputException
        check(type(e).__name__ == "InputException", f"error type {type(e).__name__}")

    gtt = kite.place_gtt(
        trigger_type=kite.GTT_TYPE_SINGLE,
        tradingsymbol="INFY",
        exchange="NSE",
        trigger_values=[1000],
        last_price=ltp["NSE:INFY"]["last_price"],
        orders=[{"transaction_type": "BUY", "quantity": 1, "order_type": "LIMIT",
                 "product": "CNC", "price": 1000}],
    )
    check(kite.get_gtt(gtt["trigger_id"])["status"] == "active", "gtt")
    kite.delete_gtt(gtt["trigger_id"])

    # The ticker: subscribe in full mode, receive parsed ticks, then stop.
    ws_root = base.replace("http://", "ws://") + "/ws"
    ticker = KiteTicker(api_key, session["access_token"], root=ws_root)
    got = {}
    done = threading.Event()

    def on_connect(ws, response):
        ws.subscribe([infy_token])
        ws.set_mode(ws.MODE_FULL, [infy_token])

    def on_ticks(ws, ticks):
        for tick in ticks:
            if tick["instrument_token"] == infy_token and tick.get("mode") == "full":
                got["tick"] = tick
                done.set()
                ws.close()

    ticker.on_connect = on_connect
    ticker.on_ticks = on_ticks
    ticker.connect(threaded=True)
    if not done.wait(15):
        fail("no full-mode tick from the ticker within 15 s")
    tick = got["tick"]
    check(tick["last_price"] > 0 and len(tick["depth"]["buy"]) == 5, "full tick fields")
    check(tick["tradable"], "INFY is tradable")

    kite.invalidate_access_token()
    print("pykiteconnect check passed: login, profile, margins, quotes, instruments, "
          "historical, orders, positions, GTT, errors, ticker, logout")


if __name__ == "__main__":
    main()
