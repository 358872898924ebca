//! The alert form: pick an instrument (search), then what to watch (LTP, % change, volume),
//! how to compare (≥, ≤, crosses above, crosses below), with a value or another instrument,
//! once or again after a cooldown, an active window and a note. Every field the server finds
//! wrong shows its message beside it; nothing is stored until all are right.

use leptos::prelude::*;
use osp_core::model::{Alert, Instrument, InstrumentToken};
use osp_core::services::alerts::AlertDraft;

use super::InstrumentSearch;
use super::field_problems::{FieldMessage, problem_for};
use crate::api::alerts::{create_alert, update_alert};
use crate::error::{AppError, FieldProblem};
use crate::live::use_market_stream;

const STREAM_KEY: &str = "alert-form";

/// What the form is for: a new alert on an instrument, or an edit of a stored one.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertTarget {
    pub token: InstrumentToken,
    pub label: String,
    pub editing: Option<i64>,
    pub draft: AlertDraft,
    /// The instrument compared with, as shown.
    pub against_label: Option<String>,
}

impl AlertTarget {
    pub fn new_alert(instrument: &Instrument) -> AlertTarget {
        AlertTarget {
            token: instrument.token,
            label: format!(
                "{} {}",
                instrument.tradingsymbol,
                instrument.exchange.code()
            ),
            editing: None,
            draft: AlertDraft::new(instrument, None),
            against_label: None,
        }
    }

    pub fn edit(alert: &Alert) -> AlertTarget {
        let c = &alert.condition;
        AlertTarget {
            token: c.token,
            label: format!("{} {}", c.tradingsymbol, c.exchange.code()),
            editing: Some(alert.id.0),
            draft: AlertDraft::from_alert(alert),
            against_label: match &c.target {
                osp_core::model::AlertTarget::Instrument { tradingsymbol, .. } => {
                    Some(tradingsymbol.clone())
                }
                osp_core::model::AlertTarget::Constant { .. } => None,
            },
        }
    }
}

#[component]
fn Text(
    label: &'static str,
    field: &'static str,
    draft: RwSignal<AlertDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
    get: fn(&AlertDraft) -> String,
    set: fn(&mut AlertDraft, String),
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] inputmode: &'static str,
) -> impl IntoView {
    view! {
        <label class="field" class:invalid=move || problem_for(problems, field).is_some()>
            <span class="field-label">{label}</span>
            <input type="text" name=field data-testid=format!("alert-{field}") placeholder=placeholder
                inputmode=if inputmode.is_empty() { "text" } else { inputmode } autocomplete="off"
                prop:value=move || draft.with(get)
                on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))/>
            <FieldMessage problems field prefix="alert-"/>
        </label>
    }
    .into_any()
}

#[component]
fn Choice(
    label: &'static str,
    field: &'static str,
    options: &'static [(&'static str, &'static str)],
    draft: RwSignal<AlertDraft>,
    problems: RwSignal<Vec<FieldProblem>>,
    get: fn(&AlertDraft) -> String,
    set: fn(&mut AlertDraft, String),
) -> impl IntoView {
    view! {
        <label class="field" class:invalid=move || problem_for(problems, field).is_some()>
            <span class="field-label">{label}</span>
            <select name=field data-testid=format!("alert-{field}")
                prop:value=move || draft.with(get)
                on:change=move |ev| draft.update(|d| set(d, event_target_value(&ev)))>
                {options.iter().map(|(value, text)| view! {
                    <option value=*value selected=move || draft.with(get) == *value>{*text}</option>
                }).collect_view()}
            </select>
            <FieldMessage problems field prefix="alert-"/>
        </label>
    }
    .into_any()
}

const METRICS: &[(&str, &str)] = &[
    ("last_price", "LTP"),
    ("change_percent", "% change from previous close"),
    ("volume", "Volume today"),
];
const OPERATORS: &[(&str, &str)] = &[
    ("crosses_above", "Crosses above"),
    ("crosses_below", "Crosses below"),
    (">=", "At or above (≥)"),
    ("<=", "At or below (≤)"),
];
const REPEATS: &[(&str, &str)] = &[("once", "Once"), ("every", "Again, after a cooldown")];

#[component]
pub fn AlertForm(
    target: RwSignal<Option<AlertTarget>>,
    on_saved: Callback<Alert>,
) -> impl IntoView {
    let stream = use_market_stream();
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let token = target.with(|t| t.as_ref().map(|t| t.token));
        stream.follow(STREAM_KEY, token.into_iter().collect());
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));
    let pick = Callback::new(move |instrument: Instrument| {
        problems.set(Vec::new());
        message.set(None);
        target.set(Some(AlertTarget::new_alert(&instrument)));
    });
    view! {
        <section class="card alert-form" data-testid="alert-form">
            <header class="card-head">
                <h2>
                    {move || match target.with(|t| t.as_ref().and_then(|t| t.editing)) {
                        Some(id) => format!("Edit alert #{id}"),
                        None => "New alert".to_owned(),
                    }}
                </h2>
            </header>
            <InstrumentSearch on_pick=pick placeholder="Search an instrument for the alert: infy, banknifty…"/>
            {move || match target.get() {
                None => view! { <p class="muted small">"Search an instrument above to set an alert on it."</p> }.into_any(),
                Some(t) => view! {
                    <AlertFields target=t problems message on_done=Callback::new(move |saved: Option<Alert>| {
                        if let Some(alert) = saved {
                            on_saved.run(alert);
                        }
                        problems.set(Vec::new());
                        target.set(None);
                    })/>
                }.into_any(),
            }}
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="alert-message">{m}</p> })}
        </section>
    }
    .into_any()
}

#[component]
fn AlertFields(
    target: AlertTarget,
    problems: RwSignal<Vec<FieldProblem>>,
    message: RwSignal<Option<String>>,
    on_done: Callback<Option<Alert>>,
) -> impl IntoView {
    let stream = use_market_stream();
    let draft = RwSignal::new(target.draft.clone());
    let against_label = RwSignal::new(target.against_label.clone());
    let compare_with_instrument = RwSignal::new(target.draft.against != 0);
    let saving = RwSignal::new(false);
    let token = target.token;
    let editing = target.editing;
    let ltp = move || stream.tick(token).map(|t| t.last_price);
    let pick_other = Callback::new(move |other: Instrument| {
        against_label.set(Some(other.tradingsymbol.clone()));
        draft.update(|d| d.against = other.token.0);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        let mut d = draft.get_untracked();
        if !compare_with_instrument.get_untracked() {
            d.against = 0;
        }
        leptos::task::spawn_local(async move {
            let result = match editing {
                Some(id) => update_alert(id, d).await,
                None => create_alert(d).await,
            };
            saving.set(false);
            match result {
                Ok(alert) => {
                    message.set(Some(format!("Alert #{} is watching.", alert.id.0)));
                    on_done.run(Some(alert));
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
        <form class="level-fields" on:submit=submit novalidate data-testid="alert-fields">
            <p class="form-instrument">
                <strong data-testid="alert-instrument">{target.label.clone()}</strong>
                " · LTP "
                <span class="num" data-testid="alert-ltp">
                    {move || ltp().map(|p| p.format_indian()).unwrap_or_else(|| "—".to_owned())}
                </span>
                " "
                <button type="button" class="button subtle" data-testid="alert-use-ltp"
                    on:click=move |_| if let Some(p) = ltp() {
                        draft.update(|d| d.value = p.format_indian());
                    }>"Use LTP"</button>
            </p>
            <FieldMessage problems field="instrument" prefix="alert-"/>
            <div class="field-grid">
                <Choice label="Watch" field="metric" options=METRICS draft problems
                    get=|d| d.metric.clone() set=|d, v| d.metric = v/>
                <Choice label="When it" field="operator" options=OPERATORS draft problems
                    get=|d| d.operator.clone() set=|d, v| d.operator = v/>
                <label class="field">
                    <span class="field-label">"Compared with"</span>
                    <select data-testid="alert-compare"
                        on:change=move |ev| compare_with_instrument.set(event_target_value(&ev) == "instrument")>
                        <option value="value" selected=move || !compare_with_instrument.get()>"A value"</option>
                        <option value="instrument" selected=move || compare_with_instrument.get()>"Another instrument"</option>
                    </select>
                </label>
                {move || if compare_with_instrument.get() {
                    view! {
                        <div class="field">
                            <span class="field-label">
                                "Instrument: "
                                <strong data-testid="alert-against-label">
                                    {move || against_label.get().unwrap_or_else(|| "none yet".to_owned())}
                                </strong>
                            </span>
                            <InstrumentSearch on_pick=pick_other placeholder="Compare with: nifty 50, tcs…"/>
                            <FieldMessage problems field="against" prefix="alert-"/>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <Text label="Value" field="value" draft problems inputmode="decimal"
                            placeholder="1,520.50 · 1.5% · 1,20,000"
                            get=|d| d.value.clone() set=|d, v| d.value = v/>
                    }.into_any()
                }}
                <Choice label="Fires" field="repeat" options=REPEATS draft problems
                    get=|d| d.repeat.clone() set=|d, v| d.repeat = v/>
                <Text label="Cooldown (if again)" field="cooldown" draft problems placeholder="5m"
                    get=|d| d.cooldown.clone() set=|d, v| d.cooldown = v/>
                <Text label="Active from (IST)" field="window_from" draft problems placeholder="09:15"
                    get=|d| d.window_from.clone() set=|d, v| d.window_from = v/>
                <Text label="Active until (IST)" field="window_to" draft problems placeholder="15:30"
                    get=|d| d.window_to.clone() set=|d, v| d.window_to = v/>
                <Text label="Note" field="note" draft problems
                    get=|d| d.note.clone() set=|d, v| d.note = v/>
            </div>
            <div class="form-actions">
                <button type="submit" class="button primary" data-testid="save-alert"
                    disabled=move || saving.get()>
                    {if editing.is_some() { "Save alert" } else { "Create alert" }}
                </button>
                <button type="button" class="button" data-testid="cancel-alert"
                    on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </form>
    }
    .into_any()
}
