//! Modifying an open order (Orders page): its quantity, type and prices, filled in with the
//! order as it stands. The instrument, side and product stay. Every field the server finds
//! wrong shows its message beside it and nothing is sent; a refusal (risk limits, the broker)
//! says why and leaves the order as it was. Escape or Back closes it.

use leptos::prelude::*;
use osp_core::model::{OrderIntent, OrderSide};
use osp_core::services::trading::{OrderChange, TicketKind};

use super::order_ticket_form::KINDS;
use crate::api::orders::modify_order;
use crate::error::{AppError, FieldProblem};

#[component]
pub fn OrderModifyForm(
    order: OrderIntent,
    /// Called when the form closes: with the message to show, after a change was made.
    on_done: Callback<Option<String>>,
) -> impl IntoView {
    let id = order.id;
    let r = &order.request;
    let heading = format!(
        "Modify order #{id}: {} {} {} ({} of {} filled)",
        match r.side {
            OrderSide::Buy => "BUY",
            OrderSide::Sell => "SELL",
        },
        r.tradingsymbol,
        r.exchange.code(),
        order.filled_quantity,
        r.quantity
    );
    let initial = OrderChange::of(r);
    let start_kind = initial.kind;
    let change = RwSignal::new(initial);
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let kind = Memo::new(move |_| change.with(|c| c.kind));
    let problem_for = move |field: &'static str| {
        problems.with(|p| {
            p.iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone())
        })
    };
    let send = move || {
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        let c = change.get_untracked();
        leptos::task::spawn_local(async move {
            let result = modify_order(id, c).await;
            sending.set(false);
            match result {
                Ok(_) => on_done.run(Some(format!("Order #{id} modified."))),
                Err(AppError::Invalid(found)) => {
                    message.set(Some(
                        "Check the fields marked below; nothing was sent.".to_owned(),
                    ));
                    problems.set(found);
                }
                Err(e) => {
                    problems.set(Vec::new());
                    message.set(Some(e.to_string()));
                }
            }
        });
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            on_done.run(None);
        }
    });
    on_cleanup(move || keys.remove());
    let field = move |name: &'static str,
                      label: &'static str,
                      read: fn(&OrderChange) -> String,
                      write: fn(&mut OrderChange, String)| {
        view! {
            <label class="field" class:invalid=move || problem_for(name).is_some()>
                <span class="field-label">{label}</span>
                <input type="text" inputmode="decimal" autocomplete="off" name=name
                    data-testid=format!("modify-{name}")
                    prop:value=move || change.with(read)
                    on:input=move |ev| change.update(|c| write(c, event_target_value(&ev)))/>
                {move || problem_for(name).map(|m| view! {
                    <span class="field-error" data-testid=format!("problem-{name}")>{m}</span>
                })}
            </label>
        }
    };
    let label = heading.clone();
    view! {
        <section class="card order-modify" data-testid="order-modify" role="dialog" aria-label=label>
            <header class="card-head">
                <h2>{heading}</h2>
            </header>
            <form class="ticket-fields" novalidate
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    send();
                }>
                <div class="field-grid">
                    {field("quantity", "Quantity", |c| c.quantity.clone(), |c, v| c.quantity = v)}
                    <label class="field">
                        <span class="field-label">"Type"</span>
                        <select data-testid="modify-kind" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some((k, _, _)) = KINDS.iter().find(|(_, code, _)| *code == v) {
                                change.update(|c| c.kind = *k);
                            }
                        }>
                            {KINDS.iter().map(|(k, code, text)| view! {
                                <option value=*code selected=*k == start_kind>{*text}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <Show when=move || matches!(kind.get(), TicketKind::Limit | TicketKind::StopLoss)>
                        {field("price", "Limit price", |c| c.price.clone(), |c, v| c.price = v)}
                    </Show>
                    <Show when=move || matches!(kind.get(), TicketKind::StopLoss | TicketKind::StopLossMarket)>
                        {field("trigger", "Trigger price", |c| c.trigger.clone(), |c, v| c.trigger = v)}
                    </Show>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="modify-save"
                        disabled=move || sending.get()>"Save change"</button>
                    <button type="button" class="button" data-testid="modify-back"
                        on:click=move |_| on_done.run(None)>"Back"</button>
                </div>
            </form>
            {move || message.get().map(|m| view! { <p class="error small" role="alert" data-testid="modify-message">{m}</p> })}
        </section>
    }
    .into_any()
}
