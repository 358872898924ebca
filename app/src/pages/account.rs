//! The Account page: the account as the broker holds it — every net position Kite reports,
//! however it was placed (here, in Kite's own app, by Kite's square-off) — each saying whether
//! the app manages it (its trades) or how much of it is outside the app. Read again every
//! 15 seconds (Kite allows far more; positions change on fills, which the Trades page shows
//! at once). Below them, the broker's statement (funds and margins, holdings, order and trade
//! books) arrives with them as HTML the server renders (`api/statement.rs`).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::format::ist_clock;
use osp_core::model::Mismatch;
use osp_core::model::PositionKey;
use osp_core::model::{OrderSide, ProductKind};
use osp_core::services::trading::{
    AccountPosition, AccountView, AdoptionDraft, outside_exit_order,
};

use crate::api::trades::{account_view, acknowledge_mismatch, adopt_position, exit_outside};

const REFRESH_EVERY: Duration = Duration::from_secs(15);

fn product_code(product: Option<ProductKind>) -> &'static str {
    match product {
        Some(ProductKind::Intraday) => "intraday",
        Some(ProductKind::Delivery) => "delivery",
        Some(ProductKind::CarryForward) => "carry_forward",
        None => "",
    }
}

/// Whether the broker holds units beyond the app's trades, on the side it holds them.
fn adoptable(row: &AccountPosition) -> bool {
    outside_exit_order(row).is_ok()
}

fn product_text(product: Option<ProductKind>) -> &'static str {
    match product {
        Some(ProductKind::Intraday) => "MIS",
        Some(ProductKind::Delivery) => "CNC",
        Some(ProductKind::CarryForward) => "NRML",
        None => "—",
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |_| account_view());
    view! {
        <Title text="Account · OS Platforms"/>
        <section class="page account-page">
            <h1>"Account"</h1>
            <p class="muted small">
                "Positions as the broker holds them. A row the app does not manage is outside: \
                 placed in Kite's own app, or squared off by Kite."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Reading the broker's positions…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(view) => view! { <Positions initial=view/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn Positions(initial: AccountView) -> impl IntoView {
    let account = RwSignal::new(initial);
    let read_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let refresh = move || {
            leptos::task::spawn_local(async move {
                match account_view().await {
                    Ok(found) => {
                        read_error.set(None);
                        account.set(found);
                    }
                    Err(e) => read_error.set(Some(e.to_string())),
                }
            });
        };
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let rows = move || account.with(|a| a.positions.clone());
    let refresh = Callback::new(move |()| {
        leptos::task::spawn_local(async move {
            if let Ok(found) = account_view().await {
                account.set(found);
            }
        });
    });
    view! {
        <Show when=move || read_error.with(Option::is_some)>
            <p class="error small" role="alert">{move || read_error.get().unwrap_or_default()}</p>
        </Show>
        {move || account.with(|a| a.problem.clone()).map(|p| view! {
            <p class="error" role="alert" data-testid="account-problem">{p}</p>
        })}
        <Mismatches account refresh/>
        <section class="card">
            <h2>"Positions"</h2>
            <p class="muted small" data-testid="account-read">
                {move || format!("read from the broker at {}", ist_clock(account.with(|a| a.read_ms)))}
            </p>
            <Show
                when=move || account.with(|a| !a.positions.is_empty())
                fallback=|| view! { <p class="muted" data-testid="no-positions">"The broker holds no position today."</p> }
            >
                <div class="table-wrap">
                    <table class="quotes account-positions" data-testid="account-table">
                        <thead>
                            <tr>
                                <th scope="col">"Instrument"</th>
                                <th>"Product"</th>
                                <th class="num">"Net"</th>
                                <th class="num">"Average"</th>
                                <th class="num">"Last"</th>
                                <th>"Managed"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=rows key=|r| (r.position.tradingsymbol.clone(), product_text(r.position.product), r.position.quantity, r.managed)
                                children=move |row| view! { <PositionRow row on_adopted=refresh/> }/>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
        // Funds, holdings and the order and trade books: HTML rendered by the server.
        <div class="account-statement" inner_html=move || account.with(|a| a.statement_html.clone())></div>
    }
    .into_any()
}

#[component]
fn PositionRow(row: AccountPosition, on_adopted: Callback<()>) -> impl IntoView {
    let can_adopt = adoptable(&row);
    let adopting = RwSignal::new(false);
    let entry = RwSignal::new(String::new());
    let stop = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let can_trade = crate::user_context::use_user().can(osp_core::model::Access::Trader);
    let draft = {
        let p = row.position.clone();
        move || AdoptionDraft {
            exchange: p.exchange.code().to_owned(),
            tradingsymbol: p.tradingsymbol.clone(),
            product: product_code(p.product).to_owned(),
            entry_price: entry.get_untracked(),
            stop_loss: stop.get_untracked(),
            target: target.get_untracked(),
        }
    };
    let adopt = Callback::new(move |()| {
        let draft = draft();
        leptos::task::spawn_local(async move {
            match adopt_position(draft).await {
                Ok(trade) => {
                    message.set(Some(format!("adopted as trade #{}", trade.id.0)));
                    adopting.set(false);
                    on_adopted.run(());
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    // One market order for just the outside units (never the app's trades' own).
    let exit_label = outside_exit_order(&row)
        .map(|o| {
            let side = if o.side == OrderSide::Sell {
                "Sell"
            } else {
                "Buy"
            };
            format!("{side} {} at market", o.quantity)
        })
        .unwrap_or_default();
    let key = PositionKey {
        exchange: row.position.exchange,
        tradingsymbol: row.position.tradingsymbol.clone(),
        product: row.position.product,
    };
    let exit = move |_| {
        let key = key.clone();
        leptos::task::spawn_local(async move {
            message.set(Some(match exit_outside(key).await {
                Ok(o) => match o.reason {
                    Some(why) => format!("exit order #{} not placed: {why}", o.id),
                    None => format!("exit order #{} sent", o.id),
                },
                Err(e) => e.to_string(),
            }));
            on_adopted.run(());
        });
    };
    let average = row.position.average_price.format_indian();
    let p = &row.position;
    let managed = if row.trades.is_empty() {
        "outside the app".to_owned()
    } else {
        let ids: Vec<String> = row.trades.iter().map(|t| format!("#{}", t.0)).collect();
        format!("trade {}", ids.join(", "))
    };
    let outside = match row.outside {
        0 => None,
        n if n > 0 && row.managed != 0 => Some(format!("{n} more held outside the app")),
        n if n < 0 => Some(format!(
            "the broker holds {} fewer than the app's trades",
            n.unsigned_abs()
        )),
        _ => None,
    };
    let quantity_class = match p.quantity {
        q if q > 0 => "num up",
        q if q < 0 => "num down",
        _ => "num",
    };
    view! {
        <tr data-testid="account-position" data-outside=row.outside data-managed=row.managed>
            <td>
                <span class="symbol">{p.tradingsymbol.clone()}</span>
                <span class="exchange">{p.exchange.code()}</span>
            </td>
            <td>{product_text(p.product)}</td>
            <td class=quantity_class>
                {p.quantity}
            </td>
            <td class="num">{p.average_price.format_indian()}</td>
            <td class="num" data-testid="position-ltp">{row.ltp.map(|l| l.format_indian()).unwrap_or_else(|| "—".to_owned())}</td>
            <td data-testid="position-managed">
                <span class=if row.trades.is_empty() { "badge warn" } else { "badge" }>{managed}</span>
                {outside.map(|o| view! { <span class="muted small">" "{o}</span> })}
                <Show when=move || can_adopt && can_trade.get() && !adopting.get()>
                    <button type="button" class="button subtle" data-testid="adopt"
                        on:click=move |_| adopting.set(true)>"Adopt"</button>
                    <button type="button" class="danger small" data-testid="exit-outside"
                        title="one market order for the units held outside the app"
                        on:click=exit.clone()>{exit_label.clone()}</button>
                </Show>
                <Show when=move || adopting.get()>
                    <form class="adopt-form" data-testid="adopt-form"
                        on:submit=move |ev| { ev.prevent_default(); adopt.run(()); }>
                        <label>"Entry"<input data-testid="adopt-entry" inputmode="decimal"
                            placeholder=average.clone() prop:value=entry
                            on:input=move |ev| entry.set(event_target_value(&ev))/></label>
                        <label>"Stop-loss"<input data-testid="adopt-stop" inputmode="decimal"
                            prop:value=stop on:input=move |ev| stop.set(event_target_value(&ev))/></label>
                        <label>"Target"<input data-testid="adopt-target" inputmode="decimal"
                            prop:value=target on:input=move |ev| target.set(event_target_value(&ev))/></label>
                        <button type="submit" class="button" data-testid="adopt-confirm">"Adopt"</button>
                        <button type="button" class="button subtle"
                            on:click=move |_| adopting.set(false)>"Cancel"</button>
                    </form>
                </Show>
                {move || message.get().map(|m| view! { <span class="small" data-testid="adopt-message">{m}</span> })}
            </td>
        </tr>
    }
    .into_any()
}

/// What the broker holds that the app's trades do not explain, each with its acknowledgment.
#[component]
fn Mismatches(account: RwSignal<AccountView>, refresh: Callback<()>) -> impl IntoView {
    view! {
        <Show when=move || account.with(|a| !a.mismatches.is_empty())>
            <section class="card mismatches" data-testid="mismatches">
                <h2>"Not explained by the app's trades"</h2>
                <p class="muted small">
                    "New entries on these instruments are held back until a trader acknowledges \
                     them (or adopts or exits the units below). Exits and stops are never held back."
                </p>
                <ul class="plain">
                    <For each=move || account.with(|a| a.mismatches.clone())
                        key=|m| (m.tradingsymbol.clone(), product_text(m.product), m.held, m.managed, m.acknowledged.is_some())
                        children=move |m| view! { <MismatchRow m on_done=refresh/> }/>
                </ul>
            </section>
        </Show>
    }
    .into_any()
}

#[component]
fn MismatchRow(m: Mismatch, on_done: Callback<()>) -> impl IntoView {
    let can_trade = crate::user_context::use_user().can(osp_core::model::Access::Trader);
    let message = RwSignal::new(None::<String>);
    let key = PositionKey {
        exchange: m.exchange,
        tradingsymbol: m.tradingsymbol.clone(),
        product: m.product,
    };
    let acknowledge = move |_| {
        let key = key.clone();
        leptos::task::spawn_local(async move {
            match acknowledge_mismatch(key).await {
                Ok(_) => on_done.run(()),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let acknowledged = m.acknowledged.clone();
    let state = move || {
        match &acknowledged {
        Some(ack) => view! {
            <span class="muted small" data-testid="mismatch-acknowledged">
                {format!("acknowledged by {} at {}", ack.by, ist_clock(ack.at_ms))}
            </span>
        }
        .into_any(),
        None if can_trade.get() => view! {
            <button type="button" class="danger small" data-testid="acknowledge-mismatch" on:click=acknowledge.clone()>
                "Acknowledge"
            </button>
        }
        .into_any(),
        None => view! { <span class="muted small">"a trader must acknowledge it"</span> }.into_any(),
    }
    };
    view! {
        <li data-testid="mismatch" data-blocks=m.blocks().to_string()>
            <strong>{m.tradingsymbol.clone()}</strong>
            " "
            <span>{m.describe()}</span>
            <span class="muted small">{format!(" (since {})", ist_clock(m.seen_ms))}</span>
            " "
            {state}
            {move || message.get().map(|t| view! { <p class="error small" role="alert">{t}</p> })}
        </li>
    }
    .into_any()
}
