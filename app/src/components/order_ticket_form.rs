//! The manual order ticket (Orders page): pick an instrument, BUY (blue) or SELL (red),
//! quantity, product, type (market, limit, SL, SL-M) with its prices, then review and confirm.
//! Keys: `b` / `s` choose the side (outside a text box), Enter confirms, Escape goes back.
//! Every field the server finds wrong shows its message beside it; nothing is sent until all
//! are right. The order goes through the same executor and risk checks as a level's.

use leptos::prelude::*;
use osp_core::model::{Instrument, IntentState, OrderSide, ProductKind};
use osp_core::services::trading::{OrderTicket, TicketKind};

use super::InstrumentSearch;
use crate::api::orders::place_order;
use crate::error::{AppError, FieldProblem};
use crate::live::use_market_stream;

const STREAM_KEY: &str = "order-ticket";

const PRODUCTS: [(ProductKind, &str); 3] = [
    (ProductKind::Intraday, "MIS (intraday)"),
    (ProductKind::Delivery, "CNC (delivery)"),
    (ProductKind::CarryForward, "NRML (carry forward)"),
];
/// The order types: value, form code, label.
pub(super) const KINDS: [(TicketKind, &str, &str); 4] = [
    (TicketKind::Market, "market", "MARKET"),
    (TicketKind::Limit, "limit", "LIMIT"),
    (TicketKind::StopLoss, "sl", "SL (stop-loss limit)"),
    (
        TicketKind::StopLossMarket,
        "sl_m",
        "SL-M (stop-loss market)",
    ),
];

fn product_code(p: ProductKind) -> &'static str {
    match p {
        ProductKind::Intraday => "MIS",
        ProductKind::Delivery => "CNC",
        ProductKind::CarryForward => "NRML",
    }
}

fn side_word(side: OrderSide) -> &'static str {
    match side {
        OrderSide::Buy => "BUY",
        OrderSide::Sell => "SELL",
    }
}

/// "BUY 5 SBIN NSE at MARKET (MIS)", for the confirm step.
fn summary(t: &OrderTicket, label: &str) -> String {
    let how = match t.kind {
        TicketKind::Market => "MARKET".to_owned(),
        TicketKind::Limit => format!("LIMIT {}", t.price.trim()),
        TicketKind::StopLoss => format!("SL {} → {}", t.trigger.trim(), t.price.trim()),
        TicketKind::StopLossMarket => format!("SL-M {}", t.trigger.trim()),
    };
    format!(
        "{} {} {label} at {how} ({})",
        side_word(t.side),
        t.quantity.trim(),
        product_code(t.product)
    )
}

fn state_word(state: IntentState) -> &'static str {
    match state {
        IntentState::Pending => "being sent",
        IntentState::Placed => "open",
        IntentState::PartiallyFilled => "partly filled",
        IntentState::Filled => "filled",
        IntentState::Rejected => "rejected",
        IntentState::Cancelled => "cancelled",
    }
}

#[component]
pub fn OrderTicketForm(
    /// Called after an order was placed, so the page reads the order book again.
    on_placed: Callback<()>,
) -> impl IntoView {
    let stream = use_market_stream();
    let ticket = RwSignal::new(None::<OrderTicket>);
    let label = RwSignal::new(String::new());
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let sending = RwSignal::new(false);
    Effect::new(move |_| {
        let token = ticket.with(|t| t.as_ref().map(|t| t.token));
        stream.follow(STREAM_KEY, token.into_iter().collect());
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));
    let ltp = move || {
        ticket
            .with(|t| t.as_ref().map(|t| t.token))
            .and_then(|token| stream.tick(token))
            .map(|t| t.last_price)
    };
    let pick = Callback::new(move |instrument: Instrument| {
        problems.set(Vec::new());
        message.set(None);
        confirming.set(false);
        label.set(format!(
            "{} {}",
            instrument.tradingsymbol,
            instrument.exchange.code()
        ));
        ticket.set(Some(OrderTicket::new(instrument.token)));
    });
    // The form is built once per instrument; side, type and the fields follow the ticket.
    let token = Memo::new(move |_| ticket.with(|t| t.as_ref().map(|t| t.token)));
    let side = Memo::new(move |_| {
        ticket
            .with(|t| t.as_ref().map(|t| t.side))
            .unwrap_or(OrderSide::Buy)
    });
    let kind = Memo::new(move |_| {
        ticket
            .with(|t| t.as_ref().map(|t| t.kind))
            .unwrap_or_default()
    });
    let text_of = move |read: fn(&OrderTicket) -> String| {
        move || ticket.with(|t| t.as_ref().map(read).unwrap_or_default())
    };
    let problem_for = move |field: &'static str| {
        problems.with(|p| {
            p.iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone())
        })
    };
    let set_side = move |side: OrderSide| {
        ticket.update(|t| {
            if let Some(t) = t {
                t.side = side;
            }
        });
    };
    let send = move || {
        if sending.get_untracked() {
            return;
        }
        let Some(t) = ticket.get_untracked() else {
            return;
        };
        sending.set(true);
        leptos::task::spawn_local(async move {
            let result = place_order(t).await;
            sending.set(false);
            confirming.set(false);
            match result {
                Ok(order) => {
                    problems.set(Vec::new());
                    let mut text = format!("Order #{}: {}", order.id, state_word(order.state));
                    if let Some(reason) = &order.reason {
                        text.push_str(&format!(" — {reason}"));
                    }
                    message.set(Some(text));
                    on_placed.run(());
                }
                Err(AppError::Invalid(found)) => {
                    message.set(Some(
                        "Check the fields marked below; nothing was sent.".to_owned(),
                    ));
                    problems.set(found);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    // Keys outside a text box: b / s pick the side; in the confirm step Enter sends, Escape
    // goes back.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ticket.with_untracked(Option::is_none) {
            return;
        }
        let typing = ev
            .target()
            .and_then(|t| {
                use leptos::wasm_bindgen::JsCast;
                t.dyn_into::<leptos::web_sys::Element>().ok()
            })
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        match ev.key().as_str() {
            "Escape" if confirming.get_untracked() => confirming.set(false),
            "Enter" if confirming.get_untracked() && !typing => {
                ev.prevent_default();
                send();
            }
            "b" | "B" if !typing && !ev.ctrl_key() && !ev.meta_key() => set_side(OrderSide::Buy),
            "s" | "S" if !typing && !ev.ctrl_key() && !ev.meta_key() => set_side(OrderSide::Sell),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <section class="card order-ticket" data-testid="order-ticket">
            <header class="card-head">
                <h2>"Order ticket"</h2>
                <span class="muted small">
                    "Keys: b buy · s sell · Enter confirm · Esc back. A ticket opens a new trade: \
                     close a position with its Exit button on the Trades page."
                </span>
            </header>
            <InstrumentSearch on_pick=pick placeholder="Search an instrument to trade: sbin, infy…"/>
            {move || token.get().map(|_| {
                let t = ticket.get_untracked().unwrap_or_else(|| OrderTicket::new(osp_core::model::InstrumentToken(0)));
                let side_class = move || if side.get() == OrderSide::Buy { "button side-buy active" } else { "button side-sell active" };
                view! {
                    <form class="ticket-fields" novalidate
                        on:submit=move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            confirming.set(true);
                        }>
                        <p class="form-instrument">
                            <strong data-testid="ticket-instrument">{move || label.get()}</strong>
                            " · LTP "
                            <span class="num" data-testid="ticket-ltp">
                                {move || ltp().map(|p| p.format_indian()).unwrap_or_else(|| "—".to_owned())}
                            </span>
                        </p>
                        {move || problem_for("instrument").map(|m| view! {
                            <span class="field-error" data-testid="problem-instrument">{m}</span>
                        })}
                        <div class="side-toggle" role="group" aria-label="Side">
                            <button type="button" class="button side-buy" data-testid="ticket-buy"
                                class:active=move || side.get() == OrderSide::Buy
                                aria-pressed=move || (side.get() == OrderSide::Buy).to_string()
                                on:click=move |_| set_side(OrderSide::Buy)>"BUY"</button>
                            <button type="button" class="button side-sell" data-testid="ticket-sell"
                                class:active=move || side.get() == OrderSide::Sell
                                aria-pressed=move || (side.get() == OrderSide::Sell).to_string()
                                on:click=move |_| set_side(OrderSide::Sell)>"SELL"</button>
                        </div>
                        <div class="field-grid">
                            <label class="field" class:invalid=move || problem_for("quantity").is_some()>
                                <span class="field-label">"Quantity"</span>
                                <input type="text" inputmode="numeric" autocomplete="off" name="quantity"
                                    data-testid="ticket-quantity" prop:value=text_of(|t| t.quantity.clone())
                                    on:input=move |ev| ticket.update(|t| if let Some(t) = t { t.quantity = event_target_value(&ev) })/>
                                {move || problem_for("quantity").map(|m| view! {
                                    <span class="field-error" data-testid="problem-quantity">{m}</span>
                                })}
                            </label>
                            <label class="field" class:invalid=move || problem_for("product").is_some()>
                                <span class="field-label">"Product"</span>
                                <select data-testid="ticket-product" on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    ticket.update(|t| if let Some(t) = t
                                        && let Some((p, _)) = PRODUCTS.iter().find(|(p, _)| product_code(*p) == v)
                                    {
                                        t.product = *p;
                                    });
                                }>
                                    {PRODUCTS.iter().map(|(p, text)| view! {
                                        <option value=product_code(*p) selected=*p == t.product>{*text}</option>
                                    }).collect_view()}
                                </select>
                                {move || problem_for("product").map(|m| view! {
                                    <span class="field-error" data-testid="problem-product">{m}</span>
                                })}
                            </label>
                            <label class="field">
                                <span class="field-label">"Type"</span>
                                <select data-testid="ticket-kind" on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    ticket.update(|t| if let Some(t) = t
                                        && let Some((k, _, _)) = KINDS.iter().find(|(_, code, _)| *code == v)
                                    {
                                        t.kind = *k;
                                    });
                                }>
                                    {KINDS.iter().map(|(k, code, text)| view! {
                                        <option value=*code selected=*k == t.kind>{*text}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <Show when=move || matches!(kind.get(), TicketKind::Limit | TicketKind::StopLoss)>
                                <label class="field" class:invalid=move || problem_for("price").is_some()>
                                    <span class="field-label">"Limit price"</span>
                                    <input type="text" inputmode="decimal" autocomplete="off" name="price"
                                        data-testid="ticket-price" prop:value=text_of(|t| t.price.clone())
                                        on:input=move |ev| ticket.update(|t| if let Some(t) = t { t.price = event_target_value(&ev) })/>
                                    {move || problem_for("price").map(|m| view! {
                                        <span class="field-error" data-testid="problem-price">{m}</span>
                                    })}
                                </label>
                            </Show>
                            <Show when=move || matches!(kind.get(), TicketKind::StopLoss | TicketKind::StopLossMarket)>
                                <label class="field" class:invalid=move || problem_for("trigger").is_some()>
                                    <span class="field-label">"Trigger price"</span>
                                    <input type="text" inputmode="decimal" autocomplete="off" name="trigger"
                                        data-testid="ticket-trigger" prop:value=text_of(|t| t.trigger.clone())
                                        on:input=move |ev| ticket.update(|t| if let Some(t) = t { t.trigger = event_target_value(&ev) })/>
                                    {move || problem_for("trigger").map(|m| view! {
                                        <span class="field-error" data-testid="problem-trigger">{m}</span>
                                    })}
                                </label>
                            </Show>
                        </div>
                        {move || if confirming.get() {
                            let text = ticket.with(|t| t.as_ref().map(|t| summary(t, &label.get())).unwrap_or_default());
                            view! {
                                <div class="ticket-confirm" role="alertdialog" aria-label="Confirm the order">
                                    <p data-testid="ticket-summary"><strong>{text}</strong></p>
                                    <div class="form-actions">
                                        <button type="button" class=side_class
                                            data-testid="ticket-confirm" disabled=move || sending.get()
                                            on:click=move |_| send()>
                                            {move || format!("Place {} order", side_word(side.get()))}
                                        </button>
                                        <button type="button" class="button" data-testid="ticket-back"
                                            on:click=move |_| confirming.set(false)>"Back"</button>
                                    </div>
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <div class="form-actions">
                                    <button type="submit" class=side_class data-testid="ticket-review">
                                        {move || format!("Review {} order", side_word(side.get()))}
                                    </button>
                                </div>
                            }.into_any()
                        }}
                    </form>
                }
                .into_any()
            })}
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="ticket-message">{m}</p> })}
        </section>
    }
    .into_any()
}
