//! The form for an alert kept at Kite: a name, the instrument whose last price is watched, how
//! it compares (≥, ≤, >, <, =) with a price, and its type — simple (it only tells) or ATO (it
//! places its basket of orders at Kite when it fires; not offered in paper mode). Every field
//! Kite's rules or the app find wrong shows its message beside it; nothing reaches Kite until
//! all are right.

use leptos::prelude::*;
use osp_core::model::{
    BrokerAlert, BrokerAlertKind, BrokerAlertOperator, Instrument, OrderSide, ProductKind,
};
use osp_core::services::alerts::{AtoOrderDraft, AtoOrderType, BrokerAlertDraft, MAX_ATO_ORDERS};

use super::InstrumentSearch;
use super::field_problems::{FieldMessage, problem_for};
use crate::api::kite_alerts::{create_kite_alert, modify_kite_alert};
use crate::error::{AppError, FieldProblem};

/// What the form is for: a new Kite alert, or a change to one.
#[derive(Clone, Debug, PartialEq)]
pub struct KiteAlertTarget {
    /// The alert's Kite id, when changing one.
    pub editing: Option<String>,
    /// The watched instrument, as shown.
    pub label: Option<String>,
    /// The instrument the orders trade, when not the watched one.
    pub order_label: Option<String>,
    pub draft: BrokerAlertDraft,
}

impl KiteAlertTarget {
    pub fn new_alert() -> KiteAlertTarget {
        KiteAlertTarget {
            editing: None,
            label: None,
            order_label: None,
            draft: BrokerAlertDraft::default(),
        }
    }

    /// `None` for an alert this app cannot edit (made elsewhere, with a condition it does not
    /// make).
    pub fn edit(alert: &BrokerAlert) -> Option<KiteAlertTarget> {
        let draft = BrokerAlertDraft::from_alert(alert)?;
        let spec = alert.spec.as_ref()?;
        Some(KiteAlertTarget {
            editing: Some(alert.id.clone()),
            label: Some(format!("{} {}", spec.tradingsymbol, spec.exchange.code())),
            order_label: None,
            draft,
        })
    }
}

fn side_code(side: OrderSide) -> &'static str {
    match side {
        OrderSide::Buy => "buy",
        OrderSide::Sell => "sell",
    }
}

fn product_code(product: ProductKind) -> &'static str {
    match product {
        ProductKind::Intraday => "intraday",
        ProductKind::Delivery => "delivery",
        ProductKind::CarryForward => "carry_forward",
    }
}

#[component]
pub fn KiteAlertForm(
    target: RwSignal<Option<KiteAlertTarget>>,
    /// Whether ATO alerts may be made here (not in paper mode).
    orders_allowed: bool,
    on_saved: Callback<BrokerAlert>,
) -> impl IntoView {
    view! {
        {move || target.get().map(|t| view! {
            <KiteAlertFields target=t orders_allowed on_done=Callback::new(move |saved: Option<BrokerAlert>| {
                if let Some(alert) = saved {
                    on_saved.run(alert);
                }
                target.set(None);
            })/>
        })}
    }
    .into_any()
}

#[component]
fn KiteAlertFields(
    target: KiteAlertTarget,
    orders_allowed: bool,
    on_done: Callback<Option<BrokerAlert>>,
) -> impl IntoView {
    let draft = RwSignal::new(target.draft.clone());
    let label = RwSignal::new(target.label.clone());
    let order_label = RwSignal::new(target.order_label.clone());
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let editing = target.editing.clone();
    let is_edit = editing.is_some();
    let pick = Callback::new(move |instrument: Instrument| {
        label.set(Some(label_of(&instrument)));
        draft.update(|d| {
            d.token = Some(instrument.token);
            if d.name.trim().is_empty() {
                d.name = instrument.tradingsymbol.clone();
            }
        });
    });
    let pick_orders = Callback::new(move |instrument: Instrument| {
        order_label.set(Some(label_of(&instrument)));
        draft.update(|d| d.order_token = Some(instrument.token));
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        let d = draft.get_untracked();
        let editing = editing.clone();
        leptos::task::spawn_local(async move {
            let result = match editing {
                Some(id) => modify_kite_alert(id, d).await,
                None => create_kite_alert(d).await,
            };
            saving.set(false);
            match result {
                Ok(alert) => {
                    problems.set(Vec::new());
                    on_done.run(Some(alert));
                }
                Err(AppError::Invalid(found)) => {
                    message.set(Some(
                        "Kite was not asked: fix the fields marked below.".into(),
                    ));
                    problems.set(found);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let ato = move || draft.with(|d| d.kind == BrokerAlertKind::Ato);
    view! {
        <form class="kite-alert-form" data-testid="kite-alert-form" novalidate on:submit=submit>
            <h3>{if is_edit { "Change the Kite alert" } else { "New alert at Kite" }}</h3>
            <PickedInstrument caption="Watch the last price of" testid="kite-alert-instrument"
                field="instrument" label unset="no instrument yet: search below"
                placeholder="Search the instrument: infy, nifty 50…" problems on_pick=pick/>
            <label class="field" class:invalid=move || problem_for(problems, "name").is_some()>
                <span class="field-label">"Name (Kite's notifications show it)"</span>
                <input type="text" name="name" data-testid="kite-alert-name" autocomplete="off"
                    prop:value=move || draft.with(|d| d.name.clone())
                    on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev))/>
                <FieldMessage problems field="name" prefix="kite-alert-"/>
            </label>
            <div class="form-row">
                <label class="field">
                    <span class="field-label">"Fires when the LTP is"</span>
                    <select name="operator" data-testid="kite-alert-operator"
                        on:change=move |ev| {
                            if let Some(op) = BrokerAlertOperator::from_symbol(&event_target_value(&ev)) {
                                draft.update(|d| d.operator = op);
                            }
                        }>
                        {BrokerAlertOperator::ALL.iter().map(|op| {
                            let op = *op;
                            view! {
                                <option value=op.symbol() selected=move || draft.with(|d| d.operator == op)>
                                    {op.symbol()}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field" class:invalid=move || problem_for(problems, "value").is_some()>
                    <span class="field-label">"Price"</span>
                    <input type="text" name="value" inputmode="decimal" data-testid="kite-alert-value"
                        autocomplete="off"
                        prop:value=move || draft.with(|d| d.value.clone())
                        on:input=move |ev| draft.update(|d| d.value = event_target_value(&ev))/>
                    <FieldMessage problems field="value" prefix="kite-alert-"/>
                </label>
                <label class="field" class:invalid=move || problem_for(problems, "kind").is_some()>
                    <span class="field-label">"Type"</span>
                    <select name="kind" data-testid="kite-alert-kind" disabled=is_edit
                        on:change=move |ev| draft.update(|d| {
                            d.kind = if event_target_value(&ev) == "ato" { BrokerAlertKind::Ato } else { BrokerAlertKind::Simple };
                            if d.kind == BrokerAlertKind::Ato && d.basket.is_empty() {
                                d.basket.push(AtoOrderDraft::default());
                            }
                        })>
                        <option value="simple" selected=move || !ato()>"Simple: only tell me"</option>
                        <option value="ato" selected=ato disabled=!orders_allowed>
                            {if orders_allowed { "ATO: also place orders at Kite" } else { "ATO: not in paper mode" }}
                        </option>
                    </select>
                    <FieldMessage problems field="kind" prefix="kite-alert-"/>
                </label>
            </div>
            {(!orders_allowed).then(|| view! {
                <p class="muted small" data-testid="kite-alert-no-ato">
                    "Paper mode never sends an order to Kite, so ATO alerts (which place orders at Kite) are not offered."
                </p>
            })}
            <Show when=ato>
                <AtoBasket draft problems order_label pick_orders/>
            </Show>
            {move || message.get().map(|m| view! { <p class="form-error" role="alert" data-testid="kite-alert-message">{m}</p> })}
            <div class="form-actions">
                <button type="submit" class="button primary" data-testid="kite-alert-save"
                    disabled=move || saving.get()>
                    {move || if saving.get() { "Asking Kite…" } else if is_edit { "Save at Kite" } else { "Create at Kite" }}
                </button>
                <button type="button" class="button subtle" data-testid="kite-alert-cancel"
                    on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </form>
    }
    .into_any()
}

fn label_of(instrument: &Instrument) -> String {
    format!(
        "{} {}",
        instrument.tradingsymbol,
        instrument.exchange.code()
    )
}

/// An instrument the form names: what is picked (or `unset`), a search to pick another, and
/// the problem with it.
#[component]
fn PickedInstrument(
    caption: &'static str,
    testid: &'static str,
    field: &'static str,
    label: RwSignal<Option<String>>,
    unset: &'static str,
    placeholder: &'static str,
    problems: RwSignal<Vec<FieldProblem>>,
    on_pick: Callback<Instrument>,
) -> impl IntoView {
    view! {
        <div class="field" class:invalid=move || problem_for(problems, field).is_some()>
            <span class="field-label">{caption}</span>
            <strong data-testid=testid>{move || label.get().unwrap_or_else(|| unset.to_owned())}</strong>
            <InstrumentSearch on_pick placeholder/>
            <FieldMessage problems field prefix="kite-alert-"/>
        </div>
    }
    .into_any()
}

/// The ATO alert's orders: what each buys or sells, how many, how priced, which product.
#[component]
fn AtoBasket(
    draft: RwSignal<BrokerAlertDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
    order_label: RwSignal<Option<String>>,
    pick_orders: Callback<Instrument>,
) -> impl IntoView {
    let rows = move || draft.with(|d| d.basket.len());
    view! {
        <fieldset class="ato-basket" data-testid="ato-basket">
            <legend>"Orders placed at Kite when it fires"</legend>
            <PickedInstrument caption="They trade" testid="ato-order-instrument"
                field="order_instrument" label=order_label unset="the watched instrument"
                placeholder="Another instrument (for an index alert: its future)" problems
                on_pick=pick_orders/>
            <FieldMessage problems field="basket" prefix="kite-alert-"/>
            {move || (0..rows()).map(|n| view! { <AtoRow n draft problems/> }).collect_view()}
            <button type="button" class="button subtle" data-testid="ato-add-order"
                disabled=move || { rows() >= MAX_ATO_ORDERS }
                on:click=move |_| draft.update(|d| d.basket.push(AtoOrderDraft::default()))>
                "Add an order"
            </button>
        </fieldset>
    }
    .into_any()
}

#[component]
fn AtoRow(
    n: usize,
    draft: RwSignal<BrokerAlertDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
) -> impl IntoView {
    let get = move |f: fn(&AtoOrderDraft) -> String| {
        move || draft.with(|d| d.basket.get(n).map(f).unwrap_or_default())
    };
    let set = move |f: fn(&mut AtoOrderDraft, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            draft.update(|d| {
                if let Some(row) = d.basket.get_mut(n) {
                    f(row, value);
                }
            })
        }
    };
    let field = move |name: &str| format!("basket.{n}.{name}");
    let limit = move || {
        draft.with(|d| {
            d.basket
                .get(n)
                .is_some_and(|r| r.order_type == AtoOrderType::Limit)
        })
    };
    view! {
        <div class="form-row ato-row" data-testid="ato-row">
            <label class="field">
                <span class="field-label">"Side"</span>
                <select data-testid="ato-side" prop:value=get(|r| side_code(r.side).to_owned())
                    on:change=set(|r, v| r.side = if v == "sell" { OrderSide::Sell } else { OrderSide::Buy })>
                    <option value="buy">"Buy"</option>
                    <option value="sell">"Sell"</option>
                </select>
            </label>
            <label class="field" class:invalid=move || problem_for(problems, &field("quantity")).is_some()>
                <span class="field-label">"Quantity"</span>
                <input type="text" inputmode="numeric" data-testid="ato-quantity" autocomplete="off"
                    prop:value=get(|r| r.quantity.clone()) on:input=set(|r, v| r.quantity = v)/>
                <FieldMessage problems field=field("quantity") prefix="kite-alert-"/>
            </label>
            <label class="field">
                <span class="field-label">"Order"</span>
                <select data-testid="ato-order-type"
                    prop:value=get(|r| if r.order_type == AtoOrderType::Market { "market".into() } else { "limit".into() })
                    on:change=set(|r, v| r.order_type = if v == "market" { AtoOrderType::Market } else { AtoOrderType::Limit })>
                    <option value="limit">"Limit"</option>
                    <option value="market">"Market"</option>
                </select>
            </label>
            <Show when=limit>
                <label class="field" class:invalid=move || problem_for(problems, &field("price")).is_some()>
                    <span class="field-label">"Limit price"</span>
                    <input type="text" inputmode="decimal" data-testid="ato-price" autocomplete="off"
                        prop:value=get(|r| r.price.clone()) on:input=set(|r, v| r.price = v)/>
                    <FieldMessage problems field=field("price") prefix="kite-alert-"/>
                </label>
            </Show>
            <label class="field" class:invalid=move || problem_for(problems, &field("product")).is_some()>
                <span class="field-label">"Product"</span>
                <select data-testid="ato-product" prop:value=get(|r| product_code(r.product).to_owned())
                    on:change=set(|r, v| r.product = match v.as_str() {
                        "intraday" => ProductKind::Intraday,
                        "carry_forward" => ProductKind::CarryForward,
                        _ => ProductKind::Delivery,
                    })>
                    <option value="delivery">"Delivery (CNC)"</option>
                    <option value="intraday">"Intraday (MIS)"</option>
                    <option value="carry_forward">"Carry forward (NRML)"</option>
                </select>
                <FieldMessage problems field=field("product") prefix="kite-alert-"/>
            </label>
            <button type="button" class="button subtle danger" data-testid="ato-remove"
                aria-label="Remove this order"
                on:click=move |_| draft.update(|d| { if n < d.basket.len() { d.basket.remove(n); } })>
                "×"
            </button>
        </div>
    }
    .into_any()
}
