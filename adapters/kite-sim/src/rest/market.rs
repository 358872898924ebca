//! Market data: quote / ohlc / ltp (keyed as asked: `NSE:INFY` or a token; unknown instruments
//! are left out, as Kite does), the instruments dump as CSV, and historical candles generated
//! from the seed: deterministic for an instrument and a time, so overlapping requests agree,
//! and anchored on the instrument's current price.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use osp_core::model::{Price, Quote};
use serde::Serialize;

use super::super::SimState;
use super::super::clock_text::{candle_time, kite_time, parse_kite_date};
use super::super::quotes::packet_for;
use super::params::Params;
use super::reply::{SimError, SimResult, ok};
use kite_connect::common::enums::Interval;
use kite_connect::http::models::{
    Candle, Candles, DepthEntry, FullQuote, LtpQuote, MarketDepth, OhlcQuote, OhlcValues, QuoteMap,
};
use kite_connect::ticker::TickerMode;
use osp_core::model::Instrument;

/// More candles than this in one request is refused, like Kite's per-interval day limits.
const MAX_CANDLES: i64 = 20_000;

fn requested<'a>(
    sim: &'a SimState,
    query: &Option<String>,
) -> Result<Vec<(String, &'a Instrument)>, SimError> {
    let params = Params::parse(query.as_deref().unwrap_or("").as_bytes());
    let keys = params.all("i");
    if keys.is_empty() {
        return Err(SimError::input(
            "Missing `i`: name instruments as i=EXCHANGE:TRADINGSYMBOL.",
        ));
    }
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let instrument = match key.split_once(':') {
                Some((exchange, symbol)) => sim.universe.by_symbol(exchange, symbol),
                None => key.parse().ok().and_then(|t| sim.universe.by_token(t)),
            }?;
            Some((key.to_owned(), instrument))
        })
        .collect())
}

/// The asked-for instruments that have a price, each answered in `shape`, keyed as asked.
fn answer<T: Serialize>(
    sim: &SimState,
    query: &Option<String>,
    shape: impl Fn(&Quote) -> T,
) -> SimResult {
    let market = sim.market.snapshot_now();
    let mut out = QuoteMap::new();
    for (key, instrument) in requested(sim, query)? {
        if let Some(quote) = market.quote(instrument.token) {
            out.insert(key, shape(quote));
        }
    }
    Ok(ok(out))
}

pub(super) async fn ltp(State(sim): State<Arc<SimState>>, RawQuery(q): RawQuery) -> SimResult {
    answer(&sim, &q, |quote| LtpQuote {
        instrument_token: quote.tick.token.0,
        last_price: quote.tick.last_price,
    })
}

pub(super) async fn ohlc(State(sim): State<Arc<SimState>>, RawQuery(q): RawQuery) -> SimResult {
    answer(&sim, &q, |quote| OhlcQuote {
        instrument_token: quote.tick.token.0,
        last_price: quote.tick.last_price,
        ohlc: ohlc_values(quote),
    })
}

fn ohlc_values(quote: &Quote) -> OhlcValues {
    let o = quote.tick.ohlc;
    OhlcValues {
        open: o.open,
        high: o.high,
        low: o.low,
        close: o.close,
    }
}

pub(super) async fn quote(State(sim): State<Arc<SimState>>, RawQuery(q): RawQuery) -> SimResult {
    answer(&sim, &q, full_quote)
}

/// A full quote: the same numbers the ticker sends in full mode.
fn full_quote(quote: &Quote) -> FullQuote {
    let packet = packet_for(quote, TickerMode::Full);
    let depth = packet.depth.map(|d| {
        let side = |levels: &[kite_connect::ticker::DepthLevel]| {
            levels
                .iter()
                .map(|l| DepthEntry {
                    price: l.price,
                    quantity: i64::from(l.quantity),
                    orders: i64::from(l.orders),
                })
                .collect()
        };
        MarketDepth {
            buy: side(&d.buy),
            sell: side(&d.sell),
        }
    });
    let time = kite_time(quote.tick.exchange_time_ms);
    FullQuote {
        instrument_token: quote.tick.token.0,
        timestamp: Some(time.clone()),
        last_trade_time: Some(time),
        last_price: quote.tick.last_price,
        last_quantity: i64::from(packet.last_quantity),
        buy_quantity: i64::from(packet.buy_quantity),
        sell_quantity: i64::from(packet.sell_quantity),
        volume: i64::from(packet.volume),
        average_price: packet.average_price,
        oi: 0,
        oi_day_high: 0,
        oi_day_low: 0,
        net_change: quote.tick.change().unwrap_or(Price::ZERO),
        lower_circuit_limit: circuit(quote, -1),
        upper_circuit_limit: circuit(quote, 1),
        ohlc: ohlc_values(quote),
        depth,
    }
}

/// ±20 % of the previous close, on the 5-paise grid.
fn circuit(quote: &Quote, sign: i64) -> Price {
    let close = quote.tick.ohlc.close;
    Price::from_raw(close.raw() + sign * close.raw() / 5)
        .round_to_tick(Price::from_raw(500))
        .unwrap_or(close)
}

pub(super) async fn instruments(State(sim): State<Arc<SimState>>) -> impl IntoResponse {
    csv(sim.universe.dump_csv(None))
}

pub(super) async fn instruments_of(
    State(sim): State<Arc<SimState>>,
    Path(exchange): Path<String>,
) -> impl IntoResponse {
    csv(sim.universe.dump_csv(Some(&exchange)))
}

fn csv(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/csv")], body)
}

pub(super) async fn historical(
    State(sim): State<Arc<SimState>>,
    Path((token, interval)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> SimResult {
    let instrument = token
        .parse()
        .ok()
        .and_then(|t| sim.universe.by_token(t))
        .ok_or_else(|| SimError::input(format!("Invalid `instrument_token`: {token}.")))?;
    let interval: Interval = interval
        .parse()
        .map_err(|e| SimError::input(format!("Invalid `interval`: {e}")))?;
    let params = Params::parse(q.as_deref().unwrap_or("").as_bytes());
    let date = |key: &str| -> Result<i64, SimError> {
        let text = params.required(key)?;
        parse_kite_date(text).ok_or_else(|| {
            SimError::input(format!(
                "Invalid `{key}`: '{text}' is not yyyy-mm-dd or yyyy-mm-dd hh:mm:ss."
            ))
        })
    };
    let (from, to) = (date("from")?, date("to")?);
    if from > to {
        return Err(SimError::input("Invalid `from`: it is after `to`."));
    }
    let step = interval.seconds();
    if (to - from) / step > MAX_CANDLES {
        return Err(SimError::input(format!(
            "interval exceeds max limit: ask for at most {MAX_CANDLES} {interval} candles at a time."
        )));
    }
    let with_oi = params.get("oi") == Some("1");
    let anchor = sim
        .market
        .snapshot_now()
        .quote(instrument.token)
        .map(|q| q.tick.ohlc.close)
        .unwrap_or(Price::from_rupees(100).unwrap_or(Price::ZERO));
    let candles = generate_candles(sim.seed, instrument, anchor, interval, from, to, with_oi);
    Ok(ok(Candles { candles }))
}

/// A deterministic hash of the seed, an instrument and a time: the simulator's "market memory".
fn mix(seed: u64, token: u32, time: i64) -> u64 {
    let mut z = seed ^ (u64::from(token) << 32) ^ (time as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The price at `time`: a day's level within ±1 % of the anchor, then a walk of at most 3 basis
/// points a minute from that day's midnight (IST), kept within ±2.5 % — so a chart of the
/// candles looks like a market, and the same instrument and time always give the same price.
fn price_at(seed: u64, instrument: &Instrument, anchor: Price, time: i64) -> Price {
    const IST: i64 = 5 * 3600 + 1800;
    let day_start = time - (time + IST).rem_euclid(86_400);
    let day_bp = (mix(seed, instrument.token.0, day_start) % 201) as i64 - 100;
    let mut walk = 0i64;
    for minute in 0..(time - day_start) / 60 {
        let step = (mix(seed, instrument.token.0, day_start + minute * 60 + 1) % 7) as i64 - 3;
        walk = (walk + step).clamp(-250, 250);
    }
    let bp = day_bp + walk;
    let tick = if instrument.tick_size.is_zero() {
        Price::from_raw(500)
    } else {
        instrument.tick_size
    };
    Price::from_raw(anchor.raw() + anchor.raw() * bp / 10_000)
        .round_to_tick(tick)
        .unwrap_or(anchor)
}

fn generate_candles(
    seed: u64,
    instrument: &Instrument,
    anchor: Price,
    interval: Interval,
    from: i64,
    to: i64,
    with_oi: bool,
) -> Vec<Candle> {
    let step = interval.seconds();
    let ist = 5 * 3600 + 1800;
    // Align to the interval in IST, as Kite's candles are.
    let mut t = from + (step - (from + ist).rem_euclid(step)) % step;
    let mut out = Vec::new();
    while t <= to {
        let local = t + ist;
        let weekday = (local.div_euclid(86_400) + 4).rem_euclid(7); // 0 = Sunday
        let minute_of_day = local.rem_euclid(86_400) / 60;
        let trading_day = (1..=5).contains(&weekday);
        let in_session = interval == Interval::Day || (555..930).contains(&minute_of_day);
        if trading_day && in_session {
            let open = price_at(seed, instrument, anchor, t - step);
            let close = price_at(seed, instrument, anchor, t);
            let wiggle = |salt: i64| {
                let tick = instrument.tick_size.raw().max(500);
                Price::from_raw(tick * (mix(seed, instrument.token.0, t ^ salt) % 4) as i64)
            };
            let high = open.max(close).checked_add(wiggle(1)).unwrap_or(close);
            let low = open
                .min(close)
                .checked_sub(wiggle(2))
                .filter(|p| p.raw() > 0)
                .unwrap_or(close);
            let volume = if instrument.is_tradable() {
                (mix(seed, instrument.token.0, t ^ 3) % 50_000) as i64 + 100
            } else {
                0
            };
            out.push(Candle {
                timestamp: candle_time(t),
                open,
                high,
                low,
                close,
                volume,
                oi: with_oi.then_some(0),
            });
        }
        t += step;
    }
    out
}
