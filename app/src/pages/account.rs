//! The Account page: the account as the broker holds it — every net position Kite reports,
//! however it was placed (here, in Kite's own app, by Kite's square-off) — each saying whether
//! the app manages it (its trades) or how much of it is outside the app. Read again every
//! 15 seconds (Kite allows far more; positions change on fills, which the Trades page shows
//! at once).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::format::ist_clock;
use osp_core::model::ProductKind;
use osp_core::services::trading::{AccountPosition, AccountView};

use crate::api::trades::account_view;

const REFRESH_EVERY: Duration = Duration::from_secs(15);

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
    view! {
        <Show when=move || read_error.with(Option::is_some)>
            <p class="error small" role="alert">{move || read_error.get().unwrap_or_default()}</p>
        </Show>
        {move || account.with(|a| a.problem.clone()).map(|p| view! {
            <p class="error" role="alert" data-testid="account-problem">{p}</p>
        })}
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
                                children=|row| view! { <PositionRow row/> }/>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn PositionRow(row: AccountPosition) -> impl IntoView {
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
            <td class="num">{row.ltp.map(|l| l.format_indian()).unwrap_or_else(|| "—".to_owned())}</td>
            <td data-testid="position-managed">
                <span class=if row.trades.is_empty() { "badge warn" } else { "badge" }>{managed}</span>
                {outside.map(|o| view! { <span class="muted small">" "{o}</span> })}
            </td>
        </tr>
    }
    .into_any()
}
