//! `/instrument/:token`: one instrument's live 1-minute candles (backfilled from the historical
//! API on the server) with its levels drawn as lines, its last price and day change, market
//! depth and day stats. A click on the chart opens the level form at that price.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use osp_core::format::ist_clock;
use osp_core::model::{Candle, InstrumentToken};
use osp_core::services::prices::CandleSeries;

use osp_core::model::{LevelTrigger, OrderSide, Price};
use osp_core::services::trading::LevelView;

use crate::api::instruments::{InstrumentView, get_instrument};
use crate::api::levels::list_levels;
use crate::components::{
    CandleChart, DepthTable, FormTarget, LevelForm, PriceLine, change_percent_text, change_text,
    day_direction,
};
use crate::live::use_market_stream;

const STREAM_KEY: &str = "instrument";
/// Candles the page keeps while open (a trading day is 375).
const KEPT: usize = 1_500;

#[component]
pub fn InstrumentPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || {
        params.with(|p| {
            p.get("token")
                .and_then(|t| t.parse::<u32>().ok())
                .unwrap_or_default()
        })
    };
    let view_data = Resource::new_blocking(token, |t| async move {
        (get_instrument(t).await, list_levels().await)
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the instrument…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    (Ok(data), levels) => {
                        // Without the levels the chart still draws; it just has no lines.
                        let levels = levels.map(|l| l.levels).unwrap_or_default();
                        view! { <InstrumentDetail data levels/> }.into_any()
                    }
                    (Err(e), _) => view! {
                        <section class="page">
                            <h1>"Instrument"</h1>
                            <p class="error" data-testid="instrument-error">{e.to_string()}</p>
                            <a href="/">"Back to the market watch"</a>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InstrumentDetail(data: InstrumentView, levels: Vec<LevelView>) -> impl IntoView {
    let stream = use_market_stream();
    let token: InstrumentToken = data.instrument.token;
    let levels = RwSignal::new(levels);
    let lines = Signal::derive(move || level_lines(&levels.get(), token));
    let target = RwSignal::new(None::<FormTarget>);
    let on_pick = {
        let instrument = data.instrument.clone();
        Callback::new(move |price: Price| {
            target.set(Some(FormTarget::new_level_at(&instrument, price)));
        })
    };
    let on_saved = Callback::new(move |_saved: LevelView| {
        leptos::task::spawn_local(async move {
            if let Ok(found) = list_levels().await {
                levels.set(found.levels);
            }
        });
    });
    let mut series = CandleSeries::new(data.interval_ms, KEPT);
    series.backfill(&data.candles);
    let series = StoredValue::new(series);
    let candles = RwSignal::new(data.candles.clone());
    let seed = data.latest;
    let tick = Memo::new(move |_| stream.tick(token).or(seed));
    // Each new tick extends the candles (the series ignores ticks older than its last candle).
    Effect::new(move |_| {
        if let Some(t) = stream.tick(token) {
            let changed = series.try_update_value(|s| s.apply(&t)).unwrap_or(false);
            if changed {
                candles.set(series.with_value(|s| s.to_vec()));
            }
        }
    });
    Effect::new(move |_| stream.follow(STREAM_KEY, vec![token]));
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));

    let instrument = data.instrument.clone();
    let title = format!("{} · OS Platforms", instrument.tradingsymbol);
    let text = move |f: fn(&osp_core::model::Tick) -> String| {
        move || tick.with(|t| t.as_ref().map(f).unwrap_or_else(|| "—".to_owned()))
    };
    let day = move || tick.with(|t| t.as_ref().map(day_direction).unwrap_or("flat"));
    let chart_candles = Signal::derive(move || candles.get());
    let count = move || candles.with(Vec::len);
    let session = data.session.clone();

    view! {
        <Title text=title/>
        <section class="page instrument" data-testid="instrument-page" data-token=token.0>
            <header class="instrument-head">
                <div>
                    <h1>
                        {instrument.tradingsymbol.clone()}
                        <span class="exchange">{instrument.exchange.code()}</span>
                    </h1>
                    <p class="muted small">
                        {instrument.name.clone()} " · " {instrument.instrument_type.clone()}
                        {instrument.expiry.clone().map(|e| format!(" · expires {e}"))}
                        " · tick " {instrument.tick_size.format_indian()}
                        " · lot " {instrument.lot_size}
                        " · "
                        <a href=format!("/alerts?token={}", token.0) data-testid="instrument-alert-link">"Add an alert"</a>
                    </p>
                </div>
                <div class="instrument-price">
                    <span class="big-ltp" data-testid="instrument-ltp">
                        {text(|t| t.last_price.format_indian())}
                    </span>
                    <span class=move || format!("num {}", day())>
                        {text(change_text)} " (" {text(change_percent_text)} ")"
                    </span>
                    <span class=if session.open { "session open" } else { "session closed" }
                        data-testid="instrument-session">
                        {if session.open { "Market open" } else { "Market closed" }}
                        " · " {session.detail.clone()}
                    </span>
                </div>
            </header>
            <div class="grid">
                <section class="card chart-card">
                    <header class="card-head">
                        <h2>"1-minute candles"</h2>
                        <span class="muted small" data-testid="candle-count">
                            {move || format!("{} candles", count())}
                        </span>
                    </header>
                    {data.history_error.clone().map(|e| view! {
                        <p class="muted small" data-testid="history-error">
                            "Older candles are missing: " {e}
                        </p>
                    })}
                    <CandleChart candles=chart_candles lines tick=data.instrument.tick_size on_pick/>
                    <p class="muted small">"Click the chart at a price to set a level there."</p>
                    <p class="muted small">
                        {move || last_candle_text(&candles.get())}
                    </p>
                </section>
                <section class="card">
                    <header class="card-head"><h2>"Depth and day"</h2></header>
                    {move || match tick.get() {
                        Some(t) => view! { <DepthTable tick=t/> }.into_any(),
                        None => view! { <p class="muted">"No prices yet."</p> }.into_any(),
                    }}
                </section>
            </div>
            <crate::user_context::RoleGate needs=osp_core::model::Access::Trader note="Viewers read the levels; a trader or an admin sets them.">
                <LevelForm target on_saved/>
            </crate::user_context::RoleGate>
        </section>
    }
}

/// This instrument's levels as chart lines: "#3 ↑ BUY", "#4 ↕ BUY/SELL".
fn level_lines(levels: &[LevelView], token: InstrumentToken) -> Vec<PriceLine> {
    let side = |s: Option<OrderSide>| match s {
        Some(OrderSide::Buy) => "BUY",
        Some(OrderSide::Sell) => "SELL",
        None => "—",
    };
    levels
        .iter()
        .map(|v| &v.stored.level)
        .filter(|l| l.token == token)
        .map(|l| PriceLine {
            price: l.price,
            label: match l.trigger {
                LevelTrigger::Up => format!("#{} ↑ {}", l.id.0, side(l.on_up)),
                LevelTrigger::Down => format!("#{} ↓ {}", l.id.0, side(l.on_down)),
                LevelTrigger::Either => {
                    format!("#{} ↕ {}/{}", l.id.0, side(l.on_up), side(l.on_down))
                }
            },
        })
        .collect()
}

fn last_candle_text(candles: &[Candle]) -> String {
    match candles.last() {
        Some(c) => format!("Last candle {} IST", ist_clock(c.start_ms)),
        None => String::new(),
    }
}
