//! The market watch: the user's watchlists as tabs, each a live price table in the spirit of
//! Kite's (symbol, LTP with a flash on change, change and %, bid/ask, volume). A row expands to
//! five levels of depth and the day's OHLC. Instruments are added through the search box,
//! removed, and moved up or down; every change is stored before the table shows it.

use std::collections::HashMap;

use leptos::prelude::*;

use super::icons::{Glyph, Icon};
use osp_core::format::indian_integer;
use osp_core::model::{Instrument, InstrumentToken, Price, Tick, Watchlist, WatchlistItem};

use super::quote_format::{change_percent_text, change_text, day_direction, direction};
use super::{DepthTable, InstrumentSearch};
use crate::api::watchlists::{
    WatchlistsView, add_to_watchlist, create_watchlist, delete_watchlist, move_in_watchlist,
    remove_from_watchlist,
};
use crate::error::AppError;
use crate::live::use_market_stream;

/// What the page's watchlist part follows on the stream.
const STREAM_KEY: &str = "watchlist";

#[derive(Clone, Copy)]
struct Watch {
    lists: RwSignal<Vec<Watchlist>>,
    active: RwSignal<i64>,
    expanded: RwSignal<Option<InstrumentToken>>,
    message: RwSignal<Option<String>>,
    /// The ticks the server rendered with, until the stream brings newer ones.
    seed: StoredValue<HashMap<InstrumentToken, Tick>>,
}

impl Watch {
    fn active_list(&self) -> Option<Watchlist> {
        self.lists.with(|lists| {
            let id = self.active.get();
            lists.iter().find(|l| l.id == id).or(lists.first()).cloned()
        })
    }

    fn active_id(&self) -> Option<i64> {
        self.active_list().map(|l| l.id)
    }

    /// Shows the stored list the server answered with, or its error.
    fn apply(&self, result: Result<Watchlist, AppError>) {
        match result {
            Ok(list) => {
                self.message.set(None);
                self.lists
                    .update(|lists| match lists.iter_mut().find(|l| l.id == list.id) {
                        Some(slot) => *slot = list,
                        None => lists.push(list),
                    });
            }
            Err(e) => self.message.set(Some(e.to_string())),
        }
    }

    fn add(self, instrument: Instrument) {
        let Some(id) = self.active_id() else { return };
        leptos::task::spawn_local(async move {
            self.apply(add_to_watchlist(id, instrument.token.0).await);
        });
    }

    fn remove(self, token: InstrumentToken) {
        let Some(id) = self.active_id() else { return };
        leptos::task::spawn_local(async move {
            self.apply(remove_from_watchlist(id, token.0).await);
        });
    }

    fn move_to(self, token: InstrumentToken, to: usize) {
        let Some(id) = self.active_id() else { return };
        leptos::task::spawn_local(async move {
            self.apply(move_in_watchlist(id, token.0, to).await);
        });
    }

    fn create(self, name: String) {
        leptos::task::spawn_local(async move {
            match create_watchlist(name).await {
                Ok(list) => {
                    let id = list.id;
                    self.apply(Ok(list));
                    self.active.set(id);
                }
                Err(e) => self.message.set(Some(e.to_string())),
            }
        });
    }

    fn delete_active(self) {
        let Some(id) = self.active_id() else { return };
        leptos::task::spawn_local(async move {
            match delete_watchlist(id).await {
                Ok(()) => {
                    self.message.set(None);
                    self.lists.update(|lists| lists.retain(|l| l.id != id));
                    if let Some(first) = self.lists.with_untracked(|l| l.first().map(|l| l.id)) {
                        self.active.set(first);
                    }
                }
                Err(e) => self.message.set(Some(e.to_string())),
            }
        });
    }
}

#[component]
pub fn MarketWatch(initial: WatchlistsView) -> impl IntoView {
    let stream = use_market_stream();
    let watch = Watch {
        active: RwSignal::new(initial.lists.first().map(|l| l.id).unwrap_or_default()),
        lists: RwSignal::new(initial.lists),
        expanded: RwSignal::new(None),
        message: RwSignal::new(None),
        seed: StoredValue::new(initial.ticks.into_iter().map(|t| (t.token, t)).collect()),
    };
    let items = Memo::new(move |_| watch.active_list().map(|l| l.items).unwrap_or_default());
    Effect::new(move |_| {
        stream.follow(
            STREAM_KEY,
            items.with(|i| i.iter().map(|i| i.token).collect()),
        );
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));
    let naming = RwSignal::new(None::<String>);

    view! {
        <section class="card market-watch" data-testid="market-watch">
            <header class="card-head">
                <h2>"Market watch"</h2>
                <span class="muted small" data-testid="watch-count">
                    {move || format!("{} instruments", items.with(Vec::len))}
                </span>
            </header>
            <nav class="tabs" aria-label="Watchlists">
                <For
                    each=move || watch.lists.get()
                    key=|l| (l.id, l.name.clone())
                    children=move |list| {
                        let id = list.id;
                        view! {
                            <button
                                type="button"
                                class="tab"
                                data-testid="watchlist-tab"
                                aria-pressed=move || (watch.active_id() == Some(id)).to_string()
                                on:click=move |_| watch.active.set(id)
                            >
                                {list.name}
                            </button>
                        }
                    }
                />
                {move || match naming.get() {
                    None => view! {
                        <button type="button" class="tab add" title="New watchlist"
                            data-testid="new-watchlist"
                            on:click=move |_| naming.set(Some(String::new()))>"+"</button>
                    }.into_any(),
                    Some(_) => view! {
                        <form class="new-list" on:submit=move |ev| {
                            ev.prevent_default();
                            if let Some(name) = naming.get_untracked() {
                                watch.create(name);
                            }
                            naming.set(None);
                        }>
                            <input type="text" maxlength="32" placeholder="List name" aria-label="New watchlist name"
                                data-testid="new-watchlist-name"
                                on:input=move |ev| naming.set(Some(event_target_value(&ev)))/>
                            <button type="submit" class="button">"Create"</button>
                            <button type="button" class="button" on:click=move |_| naming.set(None)>"Cancel"</button>
                        </form>
                    }.into_any(),
                }}
            </nav>
            <InstrumentSearch on_pick=Callback::new(move |i| watch.add(i))/>
            <Show when=move || stream.refused.with(Option::is_some)>
                <p class="error small" role="alert" data-testid="stream-refused">
                    "Live prices: " {move || stream.refused.get().unwrap_or_default()}
                </p>
            </Show>
            <Show when=move || watch.message.with(Option::is_some)>
                <p class="error small" role="alert" data-testid="watch-message">
                    {move || watch.message.get().unwrap_or_default()}
                </p>
            </Show>
            <div class="table-wrap">
                <table class="quotes">
                    <thead>
                        <tr>
                            <th scope="col">"Symbol"</th>
                            <th scope="col" class="num">"LTP"</th>
                            <th scope="col" class="num">"Chg"</th>
                            <th scope="col" class="num">"%"</th>
                            <th scope="col" class="num wide">"Bid"</th>
                            <th scope="col" class="num wide">"Ask"</th>
                            <th scope="col" class="num wide">"Volume"</th>
                            <th scope="col" class="actions wide"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || items.get()
                            key=|item| item.token
                            children=move |item| view! { <QuoteRow item watch items/> }
                        />
                    </tbody>
                </table>
            </div>
            <Show when=move || items.with(Vec::is_empty)>
                <p class="muted empty-list">"This list is empty: search above to add instruments."</p>
            </Show>
            <footer class="watch-foot">
                <button type="button" class="button subtle" data-testid="delete-watchlist"
                    disabled=move || watch.lists.with(|l| l.len() <= 1)
                    on:click=move |_| watch.delete_active()>
                    "Delete this list"
                </button>
            </footer>
        </section>
    }
}

/// One instrument's line (and its depth when expanded). Its own component (type-erased) so the
/// table's view type stays shallow.
#[component]
fn QuoteRow(item: WatchlistItem, watch: Watch, items: Memo<Vec<WatchlistItem>>) -> impl IntoView {
    let stream = use_market_stream();
    let token = item.token;
    let tick = Memo::new(move |_| {
        stream
            .tick(token)
            .or_else(|| watch.seed.with_value(|s| s.get(&token).copied()))
    });
    // The last price and which way it just moved, for the flash.
    let flash = Memo::new(move |previous: Option<&(Option<Price>, &'static str)>| {
        let now = tick.with(|t| t.map(|t| t.last_price));
        let class = match (previous.and_then(|p| p.0), now) {
            (Some(before), Some(now)) if now != before => direction(now, before),
            _ => previous.map(|p| p.1).unwrap_or("flat"),
        };
        (now, class)
    });
    let position = move || items.with(|v| v.iter().position(|i| i.token == token));
    let count = move || items.with(Vec::len);
    let at_top = move || position() == Some(0);
    let at_bottom = move || position().map(|p| p + 1 >= count()).unwrap_or(true);
    let move_up = move |_| {
        if let Some(p) = position() {
            watch.move_to(token, p.saturating_sub(1))
        }
    };
    let move_down = move |_| {
        if let Some(p) = position() {
            watch.move_to(token, p + 1)
        }
    };
    let is_open = move || watch.expanded.get() == Some(token);
    let text = move |f: fn(&Tick) -> String| {
        move || tick.with(|t| t.as_ref().map(f).unwrap_or_else(|| "—".to_owned()))
    };
    let day = move || tick.with(|t| t.as_ref().map(day_direction).unwrap_or("flat"));

    view! {
        <tr data-token=token.0 data-testid="quote-row" class:open=is_open>
            <th scope="row">
                <button type="button" class="symbol-button" aria-expanded=move || is_open().to_string()
                    data-testid="expand-row"
                    on:click=move |_| watch.expanded.update(|e| *e = if *e == Some(token) { None } else { Some(token) })>
                    <span class="symbol" data-testid="symbol">{item.tradingsymbol.clone()}</span>
                    <span class="exchange">{item.exchange.code()}</span>
                </button>
            </th>
            // Re-created on every price, so the flash animation restarts.
            <td class="num ltp-cell">
                {move || {
                    let (price, class) = flash.get();
                    let text = price.map(Price::format_indian).unwrap_or_else(|| "—".to_owned());
                    view! { <span class=format!("ltp flash-{class}") data-testid="ltp">{text}</span> }
                }}
            </td>
            <td class=move || format!("num {}", day())>{text(change_text)}</td>
            <td class=move || format!("num {}", day())>{text(change_percent_text)}</td>
            <td class="num wide">{text(|t| best(t, true))}</td>
            <td class="num wide">{text(|t| best(t, false))}</td>
            <td class="num wide">{text(|t| indian_integer(t.volume))}</td>
            <td class="actions wide">
                <a class="icon" href=format!("/instrument/{}", token.0) title="Chart" aria-label="Chart" data-testid="chart-link">
                    <Icon glyph=Glyph::Chart/>
                </a>
                <a class="icon" href=format!("/alerts?token={}", token.0) title="Add an alert"
                    aria-label="Add an alert" data-testid="alert-link"><Icon glyph=Glyph::Bell/></a>
                <button type="button" class="icon" title="Move up" aria-label="Move up"
                    data-testid="move-up" disabled=at_top on:click=move_up>
                    <Icon glyph=Glyph::ArrowUp/>
                </button>
                <button type="button" class="icon" title="Move down" aria-label="Move down"
                    data-testid="move-down" disabled=at_bottom on:click=move_down>
                    <Icon glyph=Glyph::ArrowDown/>
                </button>
                <button type="button" class="icon remove" title="Remove" aria-label="Remove"
                    data-testid="remove" on:click=move |_| watch.remove(token)>
                    <Icon glyph=Glyph::Close/>
                </button>
            </td>
        </tr>
        {move || {
            is_open().then(|| {
                view! {
                    <tr class="detail" data-testid="quote-detail">
                        <td colspan="8">
                            // The row's actions again, as words: on a phone the icon column is hidden.
                            <div class="row-actions">
                                <a class="button" href=format!("/instrument/{}", token.0)>"Chart"</a>
                                <a class="button" href=format!("/alerts?token={}", token.0)>"Alert"</a>
                                <button type="button" class="button" disabled=at_top on:click=move_up>"Move up"</button>
                                <button type="button" class="button"
                                    disabled=at_bottom on:click=move_down>"Move down"</button>
                                <button type="button" class="button" data-testid="detail-remove"
                                    on:click=move |_| watch.remove(token)>"Remove"</button>
                            </div>
                            {move || match tick.get() {
                                Some(t) => view! { <DepthTable tick=t/> }.into_any(),
                                None => view! { <p class="muted small">"No prices yet."</p> }.into_any(),
                            }}
                        </td>
                    </tr>
                }
            })
        }}
    }
    .into_any()
}

fn best(tick: &Tick, bid: bool) -> String {
    let level = tick
        .depth
        .and_then(|d| if bid { d.best_bid() } else { d.best_ask() });
    level
        .map(|l| l.price.format_indian())
        .unwrap_or_else(|| "—".to_owned())
}
