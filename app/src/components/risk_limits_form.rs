//! The risk limits form (Settings): each limit empty for none or a number; every wrong field
//! is named beside it and nothing changes until all are right.

use leptos::prelude::*;
use osp_core::services::trading::RiskLimitsDraft;

use crate::api::risk::set_risk_limits;
use crate::error::{AppError, FieldProblem};

type Read = fn(&RiskLimitsDraft) -> String;
type Write = fn(&mut RiskLimitsDraft, String);

const FIELDS: [(&str, &str, &str, Read, Write); 6] = [
    (
        "max_order_quantity",
        "Max quantity per order",
        "numeric",
        |d| d.max_order_quantity.clone(),
        |d, v| d.max_order_quantity = v,
    ),
    (
        "max_order_value",
        "Max value per order (₹)",
        "decimal",
        |d| d.max_order_value.clone(),
        |d, v| d.max_order_value = v,
    ),
    (
        "max_open_positions",
        "Max open positions",
        "numeric",
        |d| d.max_open_positions.clone(),
        |d, v| d.max_open_positions = v,
    ),
    (
        "max_orders_per_day",
        "Max orders per day",
        "numeric",
        |d| d.max_orders_per_day.clone(),
        |d, v| d.max_orders_per_day = v,
    ),
    (
        "max_daily_loss",
        "Max daily loss (₹, realised + unrealised)",
        "decimal",
        |d| d.max_daily_loss.clone(),
        |d, v| d.max_daily_loss = v,
    ),
    (
        "price_band",
        "Price band around LTP (%)",
        "decimal",
        |d| d.price_band.clone(),
        |d, v| d.price_band = v,
    ),
];

#[component]
pub fn RiskLimitsForm(initial: RiskLimitsDraft) -> impl IntoView {
    let draft = RwSignal::new(initial);
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        let d = draft.get_untracked();
        leptos::task::spawn_local(async move {
            let result = set_risk_limits(d).await;
            saving.set(false);
            match result {
                Ok(view) => {
                    problems.set(Vec::new());
                    draft.set(view.limits);
                    message.set(Some(
                        "Saved: the limits apply to the next order.".to_owned(),
                    ));
                }
                Err(AppError::Invalid(found)) => {
                    message.set(Some(
                        "Check the fields marked below; nothing was changed.".to_owned(),
                    ));
                    problems.set(found);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let problem_for = move |field: &'static str| {
        problems.with(|p| {
            p.iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone())
        })
    };
    view! {
        <form class="card risk-limits" data-testid="risk-limits" on:submit=submit novalidate>
            <header class="card-head">
                <h2>"Risk limits"</h2>
                <span class="muted small">"Checked before every entry order; empty means no limit. Exits are never blocked."</span>
            </header>
            <div class="field-grid">
                {FIELDS
                    .into_iter()
                    .map(|(field, label, inputmode, get, set)| {
                        view! {
                            <label class="field" class:invalid=move || problem_for(field).is_some()>
                                <span class="field-label">{label}</span>
                                <input
                                    type="text"
                                    name=field
                                    data-testid=format!("risk-{field}")
                                    inputmode=inputmode
                                    autocomplete="off"
                                    prop:value=move || draft.with(get)
                                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
                                />
                                {move || problem_for(field).map(|text| view! {
                                    <span class="field-error" data-testid=format!("problem-{field}")>{text}</span>
                                })}
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="form-actions">
                <button type="submit" class="button primary" data-testid="save-risk"
                    disabled=move || saving.get()>"Save limits"</button>
                {move || message.get().map(|m| view! { <span class="small" role="status" data-testid="risk-message">{m}</span> })}
            </div>
        </form>
    }
    .into_any()
}
