//! The Orders page: the manual order ticket, and the order book — every order the platform
//! recorded, newest first, with the level or trade it belongs to, its state at the broker,
//! fills, the reason for a refusal, and modify and cancel for an open one. Read again every two
//! seconds.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::format::ist_clock;
use osp_core::model::{IntentState, OrderIntent, OrderKind, OrderSide};

use crate::api::orders::{cancel_order, list_orders};
use crate::components::{OrderModifyForm, OrderTicketForm};

const REFRESH_EVERY: Duration = Duration::from_secs(2);

fn state_label(state: IntentState) -> &'static str {
    match state {
        IntentState::Pending => "pending",
        IntentState::Placed => "open",
        IntentState::PartiallyFilled => "partly filled",
        IntentState::Filled => "filled",
        IntentState::Rejected => "rejected",
        IntentState::Cancelled => "cancelled",
    }
}

fn kind_text(kind: OrderKind) -> String {
    match kind {
        OrderKind::Market => "MARKET".to_owned(),
        OrderKind::Limit { price } => format!("LIMIT {}", price.format_indian()),
        OrderKind::StopLoss { trigger, price } => {
            format!("SL {} → {}", trigger.format_indian(), price.format_indian())
        }
        OrderKind::StopLossMarket { trigger } => format!("SL-M {}", trigger.format_indian()),
        OrderKind::Gtt { stop, target } => {
            let mut text = format!(
                "GTT SL {} → {}",
                stop.trigger.format_indian(),
                stop.price.format_indian()
            );
            if let Some(t) = target {
                text.push_str(&format!(" · target {}", t.trigger.format_indian()));
            }
            text
        }
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |_| list_orders());
    // Bumped when the ticket placed an order: the book reads itself again at once.
    let placed = RwSignal::new(0u32);
    view! {
        <Title text="Orders · OS Platforms"/>
        <section class="page orders-page">
            <h1>"Orders"</h1>
            <crate::user_context::RoleGate needs=osp_core::model::Access::Trader note="Viewers read the order book; a trader or an admin places orders.">
                <OrderTicketForm on_placed=Callback::new(move |()| placed.update(|n| *n += 1))/>
            </crate::user_context::RoleGate>
            <Suspense fallback=|| view! { <p class="muted">"Loading orders…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(orders) => view! { <OrderBook initial=orders placed/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn OrderBook(initial: Vec<OrderIntent>, placed: RwSignal<u32>) -> impl IntoView {
    let orders = RwSignal::new(initial);
    // What the last action (modify, cancel) came to; it stays until the next action.
    let message = RwSignal::new(None::<String>);
    // Why the book could not be read; cleared by the next good read.
    let read_error = RwSignal::new(None::<String>);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            match list_orders().await {
                Ok(found) => {
                    read_error.set(None);
                    orders.set(found);
                }
                Err(e) => read_error.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    Effect::new(move |first: Option<()>| {
        placed.track();
        if first.is_some() {
            refresh();
        }
    });
    // The order being modified; its form stays open while the book refreshes around it.
    let editing = RwSignal::new(None::<OrderIntent>);
    let on_modify = Callback::new(move |order: OrderIntent| {
        message.set(None);
        editing.set(Some(order));
    });
    let on_modified = Callback::new(move |done: Option<String>| {
        editing.set(None);
        if done.is_some() {
            message.set(done);
            refresh();
        }
    });
    let on_cancel = Callback::new(move |id: i64| {
        leptos::task::spawn_local(async move {
            match cancel_order(id).await {
                Ok(_) => {
                    message.set(Some(format!("Cancel of order #{id} sent to the broker.")));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    view! {
        <section class="card" data-testid="order-book">
            <header class="card-head">
                <h2>"Order book"</h2>
                <span class="muted small">"Your levels' orders, trade exits and manual orders, newest first"</span>
            </header>
            <Show when=move || read_error.with(Option::is_some)>
                <p class="error small" role="alert">{move || read_error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || message.with(Option::is_some)>
                <p class="small" role="status" data-testid="order-book-message">{move || message.get().unwrap_or_default()}</p>
            </Show>
            {move || editing.get().map(|order| view! { <OrderModifyForm order on_done=on_modified/> })}
            <Show
                when=move || !orders.with(Vec::is_empty)
                fallback=|| view! {
                    <p class="muted" data-testid="no-orders">
                        "No orders yet. When the market crosses one of your levels, its order appears here."
                    </p>
                }
            >
                <div class="table-wrap">
                    <table class="quotes orders" data-testid="orders-table">
                        <thead>
                            <tr>
                                <th scope="col">"Time"</th>
                                <th scope="col">"Instrument"</th>
                                <th scope="col">"Side"</th>
                                <th scope="col" class="num">"Qty"</th>
                                <th scope="col" class="wide">"Type"</th>
                                <th scope="col">"State"</th>
                                <th scope="col" class="num">"Avg price"</th>
                                <th scope="col" class="wide">"From"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || orders.get()
                                key=|o| (o.id, o.updated_ms)
                                children=move |o| view! { <OrderRow order=o on_modify on_cancel/> }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn OrderRow(
    order: OrderIntent,
    on_modify: Callback<OrderIntent>,
    on_cancel: Callback<i64>,
) -> impl IntoView {
    let id = order.id;
    let cancellable = matches!(
        order.state,
        IntentState::Placed | IntentState::PartiallyFilled
    );
    // Exits are the trade monitor's: they are cancelled or left, never re-priced here.
    let modifiable = cancellable
        .then(|| order.clone())
        .filter(OrderIntent::is_entry);
    let r = &order.request;
    let side = match r.side {
        OrderSide::Buy => "BUY",
        OrderSide::Sell => "SELL",
    };
    let state = state_label(order.state);
    view! {
        <tr data-testid="order-row" data-state=state data-level=order.level.map(|l| l.0)>
            <td class="small">{ist_clock(order.created_ms)}</td>
            <td>
                <span class="symbol">{r.tradingsymbol.clone()}</span>
                <span class="exchange">{r.exchange.code()}</span>
            </td>
            <td class=if r.side == OrderSide::Buy { "up" } else { "down" }>{side}</td>
            <td class="num">{format!("{}/{}", order.filled_quantity, r.quantity)}</td>
            <td class="wide small">{kind_text(r.kind)}</td>
            <td>
                <span class=format!("order-state state-{}", state.replace(' ', "-"))
                    data-testid="order-state">{state}</span>
                {order.reason.clone().map(|reason| view! {
                    <span class="muted small order-reason">{reason}</span>
                })}
            </td>
            <td class="num" data-testid="order-average">
                {order.average_price.map(|p| p.format_indian()).unwrap_or_else(|| "—".to_owned())}
            </td>
            <td class="wide small">
                {match (order.closes, order.level) {
                    // The trade monitor's exits are market orders; a stop order is the one
                    // standing at the broker for the trade.
                    (Some(trade), _) if matches!(
                        r.kind,
                        OrderKind::StopLoss { .. }
                            | OrderKind::StopLossMarket { .. }
                            | OrderKind::Gtt { .. }
                    ) => format!("stop at the broker for trade #{}", trade.0),
                    (Some(trade), _) => format!("exit of trade #{}", trade.0),
                    (None, _) if order.outside_exit => "exit of units held outside the app".to_owned(),
                    (None, Some(l)) => format!("level #{}", l.0),
                    (None, None) => "manual".to_owned(),
                }}
            </td>
            <td class="order-actions">
                {modifiable.map(|o| view! {
                    <button type="button" class="button subtle" data-testid="modify-order"
                        on:click=move |_| on_modify.run(o.clone())>"Modify"</button>
                })}
                {cancellable.then(|| view! {
                    <button type="button" class="button subtle" data-testid="cancel-order"
                        on:click=move |_| on_cancel.run(id)>"Cancel"</button>
                })}
            </td>
        </tr>
    }
    .into_any()
}
