use leptos::prelude::*;
use osp_core::format::{indian_integer, ist_clock};
use osp_core::model::{InstrumentToken, MarketSnapshot, Price};

use crate::live::use_market_stream;

/// Which way a number moved, for colour and the brief flash on change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    Up,
    Down,
    Flat,
}

impl Move {
    fn of(now: Price, before: Price) -> Move {
        match now.cmp(&before) {
            std::cmp::Ordering::Greater => Move::Up,
            std::cmp::Ordering::Less => Move::Down,
            std::cmp::Ordering::Equal => Move::Flat,
        }
    }
    fn class(self) -> &'static str {
        match self {
            Move::Up => "up",
            Move::Down => "down",
            Move::Flat => "flat",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Row {
    token: InstrumentToken,
    seq: u64,
    symbol: String,
    exchange: &'static str,
    last_price: Price,
    ltp: String,
    change: String,
    change_percent: String,
    /// Versus the previous close.
    day_move: Move,
    /// Versus the previous update, for the flash.
    tick_move: Move,
    volume: String,
    high: String,
    low: String,
}

fn rows(snapshot: &MarketSnapshot, previous: Option<&Vec<Row>>) -> Vec<Row> {
    snapshot
        .quotes
        .iter()
        .map(|q| {
            let t = &q.tick;
            let before = previous
                .and_then(|rows| rows.iter().find(|r| r.token == t.token))
                .map(|r| r.last_price)
                .unwrap_or(t.last_price);
            Row {
                token: t.token,
                seq: snapshot.seq,
                symbol: q.tradingsymbol.clone(),
                exchange: q.exchange.code(),
                last_price: t.last_price,
                ltp: t.last_price.format_indian(),
                change: t
                    .change()
                    .map(|c| {
                        let text = c.format_indian();
                        if c.is_negative() || c.is_zero() {
                            text
                        } else {
                            format!("+{text}")
                        }
                    })
                    .unwrap_or_default(),
                change_percent: q.change_percent_text(),
                day_move: Move::of(t.last_price, t.ohlc.close),
                tick_move: Move::of(t.last_price, before),
                volume: indian_integer(t.volume),
                high: t.ohlc.high.format_indian(),
                low: t.ohlc.low.format_indian(),
            }
        })
        .collect()
}

/// The live price table. Shows `initial` (rendered on the server) until the websocket delivers
/// its first snapshot, then follows the stream.
#[component]
pub fn MarketWatch(initial: MarketSnapshot) -> impl IntoView {
    let stream = use_market_stream();
    let snapshot = Memo::new(move |_| stream.snapshot.get().unwrap_or_else(|| initial.clone()));
    let table = Memo::new(move |previous: Option<&Vec<Row>>| snapshot.with(|s| rows(s, previous)));
    let updated = move || {
        snapshot.with(|s| {
            s.quotes
                .iter()
                .map(|q| q.tick.exchange_time_ms)
                .max()
                .map(|ms| format!("{} IST", ist_clock(ms)))
                .unwrap_or_default()
        })
    };

    view! {
        <section class="card market-watch" data-testid="market-watch">
            <header class="card-head">
                <h2>"Market watch"</h2>
                <span class="muted small" data-testid="market-updated">
                    "Updated " {updated} " · #" {move || snapshot.with(|s| s.seq)}
                </span>
            </header>
            <div class="table-wrap">
            <table class="quotes">
                <thead>
                    <tr>
                        <th scope="col">"Symbol"</th>
                        <th scope="col" class="num">"LTP"</th>
                        <th scope="col" class="num">"Chg"</th>
                        <th scope="col" class="num">"%"</th>
                        <th scope="col" class="num wide">"High"</th>
                        <th scope="col" class="num wide">"Low"</th>
                        <th scope="col" class="num wide">"Volume"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || table.get()
                        key=|row| (row.token, row.seq)
                        children=|row| view! { <QuoteRow row/> }
                    />
                </tbody>
            </table>
            </div>
        </section>
    }
}

/// One instrument's line. Its own component (type-erased) so the table's view type stays shallow.
#[component]
fn QuoteRow(row: Row) -> impl IntoView {
    let flash = format!("flash-{}", row.tick_move.class());
    view! {
        <tr data-token=row.token.0 data-testid="quote-row">
            <th scope="row">
                <span class="symbol">{row.symbol}</span>
                <span class="exchange">{row.exchange}</span>
            </th>
            <td class=format!("num ltp {flash}") data-testid="ltp">
                {row.ltp}
            </td>
            <td class=format!("num {}", row.day_move.class())>{row.change}</td>
            <td class=format!("num {}", row.day_move.class())>{row.change_percent}</td>
            <td class="num wide">{row.high}</td>
            <td class="num wide">{row.low}</td>
            <td class="num wide">{row.volume}</td>
        </tr>
    }
    .into_any()
}
