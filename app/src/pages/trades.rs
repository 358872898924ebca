//! The Trades page: positions (open trades with entry, last price, exits and live P&L, each
//! with an exit button) and the trade book (closed trades with their exit and realised
//! result), under the day's totals and the kill switch. Read again every two seconds; between
//! reads the positions' last price and P&L (and the total) follow the live price stream.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::format::ist_clock;
use osp_core::model::InstrumentToken;
use osp_core::model::{ExitReason, KillSwitch, Price, TradeState};
use osp_core::services::trading::{PaperAccount, TradeBook, TradeView, unrealised};

use crate::api::risk::risk_settings;
use crate::api::trades::{exit_trade, get_paper_account, list_trades};
use crate::components::{KillSwitchPanel, PaperAccountCard};
use crate::live::{LinkState, MarketStream, use_market_stream};

const REFRESH_EVERY: Duration = Duration::from_secs(2);
const STREAM_KEY: &str = "trades";

/// The newest price of `token`: the stream's while it is live, else the one the book was read
/// with (a dropped stream must not freeze the P&L while the reads go on).
fn live_price(stream: MarketStream, token: InstrumentToken, read: Option<Price>) -> Option<Price> {
    let live = stream.link.with(|l| matches!(l, LinkState::Live));
    live.then(|| stream.tick(token).map(|t| t.last_price))
        .flatten()
        .or(read)
}

fn money(p: Price) -> String {
    let text = p.format_indian();
    if p > Price::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

fn sign_class(p: Option<Price>) -> &'static str {
    match p {
        Some(p) if p > Price::ZERO => "num up",
        Some(p) if p < Price::ZERO => "num down",
        _ => "num",
    }
}

fn price_or_dash(p: Option<Price>) -> String {
    p.map(|p| p.format_indian())
        .unwrap_or_else(|| "—".to_owned())
}

#[component]
pub fn TradesPage() -> impl IntoView {
    let initial = Resource::new_blocking(
        || (),
        |_| async {
            (
                list_trades().await,
                risk_settings().await,
                get_paper_account().await,
            )
        },
    );
    view! {
        <Title text="Trades · OS Platforms"/>
        <section class="page trades-page">
            <h1>"Trades"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading trades…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        (Ok(book), Ok(risk), Ok(paper)) => view! {
                            <Trades initial=book kill_switch=risk.kill_switch paper/>
                        }
                        .into_any(),
                        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                            view! { <p class="error">{e.to_string()}</p> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn Trades(
    initial: TradeBook,
    kill_switch: Option<KillSwitch>,
    paper: Option<PaperAccount>,
) -> impl IntoView {
    let book = RwSignal::new(initial);
    let paper = RwSignal::new(paper);
    let kill_switch = RwSignal::new(kill_switch);
    // Why the last exit failed; it stays until the next one.
    let message = RwSignal::new(None::<String>);
    // Why the book could not be read; cleared by the next good read.
    let read_error = RwSignal::new(None::<String>);
    let stream = use_market_stream();
    Effect::new(move |_| {
        let mut tokens: Vec<InstrumentToken> = book.with(|b| {
            b.trades
                .iter()
                .filter(|t| t.trade.state != TradeState::Closed)
                .map(|t| t.trade.token)
                .collect()
        });
        tokens.sort_unstable();
        tokens.dedup();
        stream.follow(STREAM_KEY, tokens);
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));
    // Everything still held, at the newest prices.
    let total_unrealised = move || {
        book.with(|b| {
            b.trades
                .iter()
                .filter(|t| t.trade.state != TradeState::Closed)
                .filter_map(|t| {
                    live_price(stream, t.trade.token, t.ltp).and_then(|p| unrealised(&t.trade, p))
                })
                .fold(Price::ZERO, |sum, u| sum.checked_add(u).unwrap_or(sum))
        })
    };
    let refresh = move || {
        leptos::task::spawn_local(async move {
            match list_trades().await {
                Ok(found) => {
                    read_error.set(None);
                    book.set(found);
                }
                Err(e) => read_error.set(Some(e.to_string())),
            }
            if paper.with_untracked(Option::is_some)
                && let Ok(account) = get_paper_account().await
            {
                paper.set(account);
            }
        });
    };
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let on_exit = Callback::new(move |id: i64| {
        leptos::task::spawn_local(async move {
            match exit_trade(id).await {
                Ok(_) => {
                    message.set(None);
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let open = move || {
        book.with(|b| {
            b.trades
                .iter()
                .filter(|t| t.trade.state != TradeState::Closed)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let closed = move || {
        book.with(|b| {
            b.trades
                .iter()
                .filter(|t| t.trade.state == TradeState::Closed)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <crate::user_context::RoleGate needs=osp_core::model::Access::Trader
            note="The kill switch is for traders and admins; the top bar says when it is on.">
            <KillSwitchPanel state=kill_switch on_change=Callback::new(move |()| refresh())/>
        </crate::user_context::RoleGate>
        <section class="card trade-totals" data-testid="trade-totals">
            <div>
                <span class="muted small">"Open positions"</span>
                <strong data-testid="open-positions">{move || book.with(|b| b.open_positions)}</strong>
            </div>
            <div>
                <span class="muted small">"Unrealised P&L"</span>
                <strong class=move || sign_class(Some(total_unrealised()))
                    data-testid="total-unrealised">{move || money(total_unrealised())}</strong>
            </div>
            <div>
                <span class="muted small">"Realised today"</span>
                <strong class=move || sign_class(Some(book.with(|b| b.realised_today)))
                    data-testid="realised-today">{move || money(book.with(|b| b.realised_today))}</strong>
            </div>
        </section>
        <PaperAccountCard account=paper/>
        <Show when=move || read_error.with(Option::is_some)>
            <p class="error small" role="alert">{move || read_error.get().unwrap_or_default()}</p>
        </Show>
        <Show when=move || message.with(Option::is_some)>
            <p class="error small" role="alert">{move || message.get().unwrap_or_default()}</p>
        </Show>
        <section class="card" data-testid="positions">
            <header class="card-head">
                <h2>"Positions"</h2>
                <span class="muted small">"Open trades, with live P&L"</span>
            </header>
            <Show
                when=move || !open().is_empty()
                fallback=|| view! {
                    <p class="muted" data-testid="no-positions">
                        "No open positions. A filled order opens one here."
                    </p>
                }
            >
                <div class="table-wrap">
                    <table class="quotes trades" data-testid="positions-table">
                        <thead>
                            <tr>
                                <th scope="col">"Instrument"</th>
                                <th scope="col">"Side"</th>
                                <th scope="col" class="num">"Qty"</th>
                                <th scope="col" class="num">"Entry"</th>
                                <th scope="col" class="num">"LTP"</th>
                                <th scope="col" class="num wide">"Target"</th>
                                <th scope="col" class="num wide">"Stop"</th>
                                <th scope="col" class="num">"P&L"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=open
                                key=|t| (t.trade.id, t.trade.version, t.ltp)
                                children=move |t| view! { <PositionRow view=t on_exit=on_exit/> }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
        <section class="card" data-testid="trade-book">
            <header class="card-head">
                <h2>"Closed trades"</h2>
                <span class="muted small">"Newest first"</span>
            </header>
            <Show
                when=move || !closed().is_empty()
                fallback=|| view! { <p class="muted" data-testid="no-closed-trades">"No closed trades yet."</p> }
            >
                <div class="table-wrap">
                    <table class="quotes trades" data-testid="closed-table">
                        <thead>
                            <tr>
                                <th scope="col">"Closed"</th>
                                <th scope="col">"Instrument"</th>
                                <th scope="col">"Side"</th>
                                <th scope="col" class="num">"Qty"</th>
                                <th scope="col" class="num">"Entry"</th>
                                <th scope="col" class="num">"Exit"</th>
                                <th scope="col">"Why"</th>
                                <th scope="col" class="num">"P&L"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=closed
                                key=|t| (t.trade.id, t.trade.version)
                                children=|t| view! { <ClosedRow view=t/> }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
    .into_any()
}

fn side_text(long: bool) -> &'static str {
    if long { "LONG" } else { "SHORT" }
}

#[component]
fn PositionRow(view: TradeView, on_exit: Callback<i64>) -> impl IntoView {
    let t = view.trade;
    let id = t.id.0;
    let exiting = t.state == TradeState::Exiting;
    // The stop that applies now: the trailing one once it is tighter than the fixed one.
    let stop = match (t.stop_loss, view.trailing_stop) {
        (Some(s), Some(tr)) if (t.is_long() && tr > s) || (!t.is_long() && tr < s) => {
            format!("{} (trailing)", tr.format_indian())
        }
        (Some(s), _) => s.format_indian(),
        (None, Some(tr)) => format!("{} (trailing)", tr.format_indian()),
        (None, None) => "—".to_owned(),
    };
    let stream = use_market_stream();
    let (token, read) = (t.token, view.ltp);
    let ltp = move || live_price(stream, token, read);
    let held = StoredValue::new(t.clone());
    let pnl = move || held.with_value(|h| ltp().and_then(|p| unrealised(h, p)));
    view! {
        <tr data-testid="position-row" data-trade=id data-state=t.state.label()>
            <td>
                <span class="symbol">{t.tradingsymbol.clone()}</span>
                <span class="exchange">{t.exchange.code()}</span>
                {t.problem.clone().map(|p| view! { <span class="error small trade-problem">{p}</span> })}
            </td>
            <td class=if t.is_long() { "up" } else { "down" }>{side_text(t.is_long())}</td>
            <td class="num">{t.quantity}</td>
            <td class="num" data-testid="entry-price">{t.entry_price.format_indian()}</td>
            <td class="num" data-testid="position-ltp">{move || price_or_dash(ltp())}</td>
            <td class="num wide">{price_or_dash(t.target)}</td>
            <td class="num wide" data-testid="stop">
                {stop}
                // The stop order standing at the broker: it exits even if this app is down.
                {t.protective.map(|order| view! {
                    <span class="muted small stop-at-broker" data-testid="stop-at-broker"
                        title=format!("stop order #{order} stands at the broker")>" at broker"</span>
                })}
            </td>
            <td class=move || sign_class(pnl()) data-testid="unrealised">
                {move || pnl().map(money).unwrap_or_else(|| "—".to_owned())}
            </td>
            <td>
                {if exiting {
                    view! {
                        <span class="order-state state-pending" data-testid="exiting">
                            {format!("exiting ({})", t.exit_reason.map(ExitReason::label).unwrap_or("exit"))}
                        </span>
                    }
                    .into_any()
                } else {
                    // A viewer reads positions; only a trader or an admin exits them.
                    let can_trade = crate::user_context::use_user().can(osp_core::model::Access::Trader);
                    view! {
                        <Show when=move || can_trade.get()>
                            <button type="button" class="button subtle" data-testid="exit-trade"
                                on:click=move |_| on_exit.run(id)>"Exit"</button>
                        </Show>
                    }
                    .into_any()
                }}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn ClosedRow(view: TradeView) -> impl IntoView {
    let t = view.trade;
    view! {
        <tr data-testid="closed-row" data-trade=t.id.0
            data-reason=t.exit_reason.map(ExitReason::label).unwrap_or("")>
            <td class="small">{t.closed_ms.map(ist_clock).unwrap_or_default()}</td>
            <td>
                <span class="symbol">{t.tradingsymbol.clone()}</span>
                <span class="exchange">{t.exchange.code()}</span>
            </td>
            <td class=if t.is_long() { "up" } else { "down" }>{side_text(t.is_long())}</td>
            <td class="num">{t.exited}</td>
            <td class="num" data-testid="entry-price">{t.entry_price.format_indian()}</td>
            <td class="num" data-testid="exit-price">{price_or_dash(t.exit_price)}</td>
            <td data-testid="exit-reason">{t.exit_reason.map(ExitReason::label).unwrap_or("—")}</td>
            <td class=sign_class(Some(t.realised)) data-testid="realised">{money(t.realised)}</td>
        </tr>
    }
    .into_any()
}
