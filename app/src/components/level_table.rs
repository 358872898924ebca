//! The levels table: each level with the live price of its instrument and the distance to it,
//! what it does when crossed, where it stands (armed / confirming / triggered / disabled) and
//! its last trigger; edit, enable/disable and delete per row.

use leptos::prelude::*;
use osp_core::format::{ist_clock, percent_from_basis_points};
use osp_core::model::{Direction, Level, LevelOrderType, LevelTrigger, OrderSide, Price, Tick};
use osp_core::services::trading::LevelView;

use crate::live::use_market_stream;

/// "Buy ↑ / Sell ↓", "Buy ↑".
fn actions_text(level: &Level) -> String {
    let side = |s: OrderSide| match s {
        OrderSide::Buy => "Buy",
        OrderSide::Sell => "Sell",
    };
    let mut parts = Vec::new();
    if level.trigger != LevelTrigger::Down
        && let Some(s) = level.on_up
    {
        parts.push(format!("{} ↑", side(s)));
    }
    if level.trigger != LevelTrigger::Up
        && let Some(s) = level.on_down
    {
        parts.push(format!("{} ↓", side(s)));
    }
    let order = match level.order {
        LevelOrderType::Market => "market".to_owned(),
        LevelOrderType::Limit { offset } => format!("limit ±{}", offset.format_indian()),
    };
    format!("{} · {order}", parts.join(" / "))
}

/// LTP − level, and the same in % of the level: `+2.35 (+0.16%)`.
fn distance_text(level: Price, ltp: Price) -> String {
    let Some(diff) = ltp.checked_sub(level) else {
        return "—".to_owned();
    };
    let points = super::quote_format::signed(diff);
    match ltp.change_basis_points(level) {
        Some(bp) => format!("{points} ({})", percent_from_basis_points(bp)),
        None => points,
    }
}

fn trigger_text(view: &LevelView) -> String {
    match view.stored.last_trigger {
        None => "—".to_owned(),
        Some(t) => format!(
            "{} {} at {}",
            match t.direction {
                Direction::Up => "↑",
                Direction::Down => "↓",
            },
            t.price.format_indian(),
            ist_clock(t.at_ms)
        ),
    }
}

#[component]
pub fn LevelTable(
    levels: Signal<Vec<LevelView>>,
    seed: StoredValue<std::collections::HashMap<osp_core::model::InstrumentToken, Tick>>,
    on_edit: Callback<LevelView>,
    on_toggle: Callback<(i64, bool)>,
    on_delete: Callback<i64>,
) -> impl IntoView {
    let stream = use_market_stream();
    view! {
        <div class="table-wrap">
            <table class="quotes levels" data-testid="levels-table">
                <thead>
                    <tr>
                        <th scope="col">"Instrument"</th>
                        <th scope="col" class="num">"Level"</th>
                        <th scope="col" class="num">"LTP"</th>
                        <th scope="col" class="num wide">"Distance"</th>
                        <th scope="col" class="wide">"On crossing"</th>
                        <th scope="col" class="num wide">"Qty"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="wide">"Last trigger"</th>
                        <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || levels.get()
                        key=|v| (v.stored.level.id, v.stored.updated_ms, v.phase)
                        children=move |view| {
                            let level = view.stored.level.clone();
                            let id = level.id.0;
                            let token = level.token;
                            let price = level.price;
                            let enabled = level.enabled;
                            let ltp = move || {
                                stream
                                    .tick(token)
                                    .or_else(|| seed.with_value(|s| s.get(&token).copied()))
                                    .map(|t| t.last_price)
                            };
                            let edit = view.clone();
                            view! {
                                <tr data-testid="level-row" data-level=id data-phase=view.phase.label()>
                                    <td>
                                        <span class="symbol">{level.tradingsymbol.clone()}</span>
                                        <span class="exchange">{level.exchange.code()}</span>
                                        {(!level.note.is_empty()).then(|| view! {
                                            <span class="muted small level-note">{level.note.clone()}</span>
                                        })}
                                    </td>
                                    <td class="num">{price.format_indian()}</td>
                                    <td class="num ltp" data-testid="level-ltp">
                                        {move || ltp().map(|p| p.format_indian()).unwrap_or_else(|| "—".to_owned())}
                                    </td>
                                    <td class="num wide" data-testid="level-distance">
                                        {move || ltp().map(|p| distance_text(price, p)).unwrap_or_default()}
                                    </td>
                                    <td class="wide">{actions_text(&level)}</td>
                                    <td class="num wide">{level.quantity}</td>
                                    <td>
                                        <span class=format!("phase phase-{}", view.phase.label())
                                            title=seen_text(&view)
                                            data-testid="level-phase">{view.phase.label()}</span>
                                    </td>
                                    <td class="wide small" data-testid="level-last-trigger">{trigger_text(&view)}</td>
                                    <td class="actions">
                                        <button type="button" class="button subtle" data-testid="edit-level"
                                            on:click=move |_| on_edit.run(edit.clone())>"Edit"</button>
                                        <button type="button" class="button subtle" data-testid="toggle-level"
                                            on:click=move |_| on_toggle.run((id, !enabled))>
                                            {if enabled { "Disable" } else { "Enable" }}
                                        </button>
                                        <button type="button" class="button subtle" data-testid="delete-level"
                                            on:click=move |_| on_delete.run(id)>"Delete"</button>
                                    </td>
                                </tr>
                            }
                            .into_any()
                        }
                    />
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Where the level monitor watches the level from: the last price of its instrument it worked
/// through, and when (empty where no monitor runs in this process).
fn seen_text(view: &LevelView) -> String {
    view.seen
        .map(|seen| {
            format!(
                "watched from {} (at {} IST)",
                seen.price.format_indian(),
                ist_clock(seen.at_ms)
            )
        })
        .unwrap_or_default()
}
