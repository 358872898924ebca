//! The level form: pick an instrument (search), then its price, direction, order per direction,
//! quantity, product, order type, exits, confirmation, re-arm, window and note. Every field the
//! server finds wrong shows its message beside it; nothing is stored until all are right.

use leptos::prelude::*;
use osp_core::model::{Instrument, InstrumentToken, LevelTrigger, OrderSide, ProductKind};
use osp_core::services::trading::{ConfirmationChoice, LevelDraft, LevelView, RearmChoice};

use super::InstrumentSearch;
use super::field_problems::{FieldMessage, problem_for};
use crate::api::levels::{create_level, update_level};
use crate::error::{AppError, FieldProblem};
use crate::live::use_market_stream;

const STREAM_KEY: &str = "level-form";

/// What the form is for: a new level on an instrument, or an edit of a stored level.
#[derive(Clone, Debug, PartialEq)]
pub struct FormTarget {
    pub token: InstrumentToken,
    pub label: String,
    pub editing: Option<i64>,
    /// The edited level's `updated_ms` when the form opened (an edit is saved only over that).
    pub seen_updated_ms: i64,
    pub draft: LevelDraft,
}

impl FormTarget {
    pub fn new_level(instrument: &Instrument) -> FormTarget {
        FormTarget {
            token: instrument.token,
            label: format!(
                "{} {}",
                instrument.tradingsymbol,
                instrument.exchange.code()
            ),
            editing: None,
            seen_updated_ms: 0,
            // The price is the trader's to type (or take from the LTP with one click).
            draft: LevelDraft {
                price: String::new(),
                ..LevelDraft::new(instrument, osp_core::model::Price::ZERO)
            },
        }
    }

    /// A new level on `instrument` at `price` (picked on the chart).
    pub fn new_level_at(instrument: &Instrument, price: osp_core::model::Price) -> FormTarget {
        let mut target = FormTarget::new_level(instrument);
        target.draft.price = price.format_indian();
        target
    }

    pub fn edit(view: &LevelView) -> FormTarget {
        let level = &view.stored.level;
        FormTarget {
            token: level.token,
            label: format!("{} {}", level.tradingsymbol, level.exchange.code()),
            editing: Some(level.id.0),
            seen_updated_ms: view.stored.updated_ms,
            draft: LevelDraft::from_level(level),
        }
    }
}

type ReadText = fn(&LevelDraft) -> String;
type WriteText = fn(&mut LevelDraft, String);

#[component]
fn TextField(
    label: &'static str,
    field: &'static str,
    draft: RwSignal<LevelDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
    get: ReadText,
    set: WriteText,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] inputmode: &'static str,
) -> impl IntoView {
    view! {
        <label class="field" class:invalid=move || problem_for(problems, field).is_some()>
            <span class="field-label">{label}</span>
            <input
                type="text"
                name=field
                data-testid=format!("level-{field}")
                placeholder=placeholder
                inputmode=if inputmode.is_empty() { "text" } else { inputmode }
                autocomplete="off"
                prop:value=move || draft.with(get)
                on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
            />
            <FieldMessage problems field/>
        </label>
    }
    .into_any()
}

#[component]
fn SelectField(
    label: &'static str,
    field: &'static str,
    options: &'static [(&'static str, &'static str)],
    draft: RwSignal<LevelDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
    get: fn(&LevelDraft) -> &'static str,
    set: fn(&mut LevelDraft, &str),
) -> impl IntoView {
    view! {
        <label class="field" class:invalid=move || problem_for(problems, field).is_some()>
            <span class="field-label">{label}</span>
            <select
                name=field
                data-testid=format!("level-{field}")
                prop:value=move || draft.with(get)
                on:change=move |ev| draft.update(|d| set(d, &event_target_value(&ev)))
            >
                {options
                    .iter()
                    .map(|(value, text)| {
                        view! {
                            <option value=*value selected=move || draft.with(get) == *value>
                                {*text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <FieldMessage problems field/>
        </label>
    }
    .into_any()
}

fn side_text(side: Option<OrderSide>) -> &'static str {
    match side {
        Some(OrderSide::Buy) => "buy",
        Some(OrderSide::Sell) => "sell",
        None => "none",
    }
}

fn side_of(text: &str) -> Option<OrderSide> {
    match text {
        "buy" => Some(OrderSide::Buy),
        "sell" => Some(OrderSide::Sell),
        _ => None,
    }
}

const SIDES: &[(&str, &str)] = &[("buy", "Buy"), ("sell", "Sell"), ("none", "No order")];
const TRIGGERS: &[(&str, &str)] = &[
    ("up", "Upward crossing"),
    ("down", "Downward crossing"),
    ("either", "Either way"),
];
const PRODUCTS: &[(&str, &str)] = &[
    ("mis", "MIS (intraday)"),
    ("cnc", "CNC (delivery)"),
    ("nrml", "NRML (carry forward)"),
];
const CONFIRMATIONS: &[(&str, &str)] = &[
    ("cross", "On the crossing tick"),
    ("ticks", "N ticks beyond"),
    ("seconds", "T seconds beyond"),
    ("buffer", "X points beyond"),
];
const REARMS: &[(&str, &str)] = &[
    ("once", "Once"),
    ("after_move", "After moving away"),
    ("daily", "Each trading day"),
];

#[component]
pub fn LevelForm(
    target: RwSignal<Option<FormTarget>>,
    on_saved: Callback<LevelView>,
) -> impl IntoView {
    let stream = use_market_stream();
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    Effect::new(move |_| {
        let token = target.with(|t| t.as_ref().map(|t| t.token));
        stream.follow(STREAM_KEY, token.into_iter().collect());
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));

    let pick = Callback::new(move |instrument: Instrument| {
        problems.set(Vec::new());
        message.set(None);
        target.set(Some(FormTarget::new_level(&instrument)));
    });

    view! {
        <section class="card level-form" data-testid="level-form">
            <header class="card-head">
                <h2>
                    {move || match target.with(|t| t.as_ref().and_then(|t| t.editing)) {
                        Some(id) => format!("Edit level #{id}"),
                        None => "New level".to_owned(),
                    }}
                </h2>
            </header>
            <InstrumentSearch on_pick=pick placeholder="Search an instrument for the level: sbin, nifty fut…"/>
            {move || match target.get() {
                None => view! {
                    <p class="muted small">"Search an instrument above to set a level on it."</p>
                }
                    .into_any(),
                Some(t) => {
                    let draft = RwSignal::new(t.draft.clone());
                    view! {
                        <DraftFields
                            target=t
                            draft
                            problems
                            message
                            saving
                            on_done=Callback::new(move |saved: Option<LevelView>| {
                                if let Some(view) = saved {
                                    on_saved.run(view);
                                }
                                problems.set(Vec::new());
                                target.set(None);
                            })
                        />
                    }
                        .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

#[component]
fn DraftFields(
    target: FormTarget,
    draft: RwSignal<LevelDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
    message: RwSignal<Option<String>>,
    saving: RwSignal<bool>,
    on_done: Callback<Option<LevelView>>,
) -> impl IntoView {
    let stream = use_market_stream();
    let token = target.token;
    let editing = target.editing;
    let seen_updated_ms = target.seen_updated_ms;
    let ltp = move || stream.tick(token).map(|t| t.last_price);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        let d = draft.get_untracked();
        leptos::task::spawn_local(async move {
            let result = match editing {
                Some(id) => update_level(id, d, seen_updated_ms).await,
                None => create_level(d).await,
            };
            saving.set(false);
            match result {
                Ok(view) => {
                    message.set(None);
                    on_done.run(Some(view));
                }
                Err(AppError::Invalid(found)) => {
                    message.set(Some("Check the fields marked below.".to_owned()));
                    problems.set(found);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form class="level-fields" on:submit=submit novalidate>
            <p class="form-instrument">
                <strong data-testid="form-instrument">{target.label.clone()}</strong>
                " · LTP "
                <span class="num" data-testid="form-ltp">
                    {move || ltp().map(|p| p.format_indian()).unwrap_or_else(|| "—".to_owned())}
                </span>
                " "
                <button
                    type="button"
                    class="button subtle"
                    data-testid="use-ltp"
                    on:click=move |_| {
                        if let Some(p) = ltp() {
                            draft.update(|d| d.price = p.format_indian());
                        }
                    }
                >
                    "Use LTP"
                </button>
            </p>
            <FieldMessage problems field="instrument"/>
            <div class="field-grid">
                <TextField label="Level price" field="price" draft problems inputmode="decimal"
                    get=|d| d.price.clone() set=|d, v| d.price = v/>
                <SelectField label="Triggers on" field="trigger" options=TRIGGERS draft problems
                    get=|d| match d.trigger {
                        LevelTrigger::Up => "up",
                        LevelTrigger::Down => "down",
                        LevelTrigger::Either => "either",
                    }
                    set=|d, v| d.trigger = match v {
                        "down" => LevelTrigger::Down,
                        "either" => LevelTrigger::Either,
                        _ => LevelTrigger::Up,
                    }/>
                <SelectField label="Upward: order" field="on_up" options=SIDES draft problems
                    get=|d| side_text(d.on_up) set=|d, v| d.on_up = side_of(v)/>
                <SelectField label="Downward: order" field="on_down" options=SIDES draft problems
                    get=|d| side_text(d.on_down) set=|d, v| d.on_down = side_of(v)/>
                <TextField label="Quantity" field="quantity" draft problems inputmode="numeric"
                    get=|d| d.quantity.clone() set=|d, v| d.quantity = v/>
                <SelectField label="Product" field="product" options=PRODUCTS draft problems
                    get=|d| match d.product {
                        ProductKind::Intraday => "mis",
                        ProductKind::Delivery => "cnc",
                        ProductKind::CarryForward => "nrml",
                    }
                    set=|d, v| d.product = match v {
                        "cnc" => ProductKind::Delivery,
                        "nrml" => ProductKind::CarryForward,
                        _ => ProductKind::Intraday,
                    }/>
                <TextField label="Limit offset (empty: market)" field="limit_offset" draft problems
                    inputmode="decimal" placeholder="market"
                    get=|d| d.limit_offset.clone() set=|d, v| d.limit_offset = v/>
            </div>
            <ExitFields draft problems/>
            <FieldMessage problems field="on_up"/>
            <Show when=move || message.with(Option::is_some)>
                <p class="error small" role="alert" data-testid="level-form-message">
                    {move || message.get().unwrap_or_default()}
                </p>
            </Show>
            <div class="form-actions">
                <button type="submit" class="button primary" data-testid="save-level"
                    disabled=move || saving.get()>
                    {if editing.is_some() { "Save changes" } else { "Create level" }}
                </button>
                <button type="button" class="button" on:click=move |_| on_done.run(None)>
                    "Cancel"
                </button>
            </div>
        </form>
    }
    .into_any()
}

/// The trade's exits and the level's behaviour: target, stop, trail, confirmation, re-arm,
/// window, enabled, note.
#[component]
fn ExitFields(draft: RwSignal<LevelDraft>, problems: RwSignal<Vec<FieldProblem>>) -> impl IntoView {
    view! {
        <div class="field-grid">
            <TextField label="Target (points or %)" field="target" draft problems
                placeholder="none" get=|d| d.target.clone() set=|d, v| d.target = v/>
            <TextField label="Stop-loss (points or %)" field="stop_loss" draft problems
                placeholder="none" get=|d| d.stop_loss.clone() set=|d, v| d.stop_loss = v/>
            <TextField label="Trailing stop" field="trailing_stop" draft problems
                placeholder="none" get=|d| d.trailing_stop.clone() set=|d, v| d.trailing_stop = v/>
            <SelectField label="Confirmation" field="confirmation" options=CONFIRMATIONS draft problems
                get=|d| match d.confirmation {
                    ConfirmationChoice::Cross => "cross",
                    ConfirmationChoice::Ticks => "ticks",
                    ConfirmationChoice::Seconds => "seconds",
                    ConfirmationChoice::Buffer => "buffer",
                }
                set=|d, v| d.confirmation = match v {
                    "ticks" => ConfirmationChoice::Ticks,
                    "seconds" => ConfirmationChoice::Seconds,
                    "buffer" => ConfirmationChoice::Buffer,
                    _ => ConfirmationChoice::Cross,
                }/>
            <TextField label="Confirmation: N, T or X" field="confirmation_value" draft problems
                placeholder="—" get=|d| d.confirmation_value.clone()
                set=|d, v| d.confirmation_value = v/>
            <SelectField label="Re-arm" field="rearm" options=REARMS draft problems
                get=|d| match d.rearm {
                    RearmChoice::Once => "once",
                    RearmChoice::AfterMove => "after_move",
                    RearmChoice::Daily => "daily",
                }
                set=|d, v| d.rearm = match v {
                    "after_move" => RearmChoice::AfterMove,
                    "daily" => RearmChoice::Daily,
                    _ => RearmChoice::Once,
                }/>
            <TextField label="Re-arm distance" field="rearm_distance" draft problems
                placeholder="—" get=|d| d.rearm_distance.clone() set=|d, v| d.rearm_distance = v/>
            <TextField label="Active from (IST)" field="window_from" draft problems
                placeholder="09:15" get=|d| d.window_from.clone() set=|d, v| d.window_from = v/>
            <TextField label="Active until (IST)" field="window_to" draft problems
                placeholder="15:15" get=|d| d.window_to.clone() set=|d, v| d.window_to = v/>
        </div>
        <FieldMessage problems field="window"/>
        <label class="field wide-field">
            <span class="field-label">"Note"</span>
            <input type="text" name="note" data-testid="level-note" maxlength="500"
                prop:value=move || draft.with(|d| d.note.clone())
                on:input=move |ev| draft.update(|d| d.note = event_target_value(&ev))/>
            <FieldMessage problems field="note"/>
        </label>
        <label class="check">
            <input type="checkbox" data-testid="level-enabled"
                prop:checked=move || draft.with(|d| d.enabled)
                on:change=move |ev| draft.update(|d| d.enabled = event_target_checked(&ev))/>
            " Enabled (armed once saved)"
        </label>
    }
    .into_any()
}
