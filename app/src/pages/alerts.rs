//! The Alerts page: the alert form (opened on an instrument by `?token=N`, as the market
//! watch's and the chart's "Alert" links do), the alerts with their state and live value,
//! filtered by instrument and state, enable/disable, edit and delete, and the history of
//! firings. States and history are read again every two seconds; prices stream. Below them,
//! the alerts that live at Kite (`KiteAlertsCard`).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use osp_core::format::ist_clock;
use osp_core::model::{Access, Alert, AlertEvent, AlertState, InstrumentToken};

use crate::api::alerts::{AlertsView, alert_history, delete_alert, list_alerts, set_alert_enabled};
use crate::api::instruments::get_instrument;
use crate::api::kite_alerts::kite_alerts;
use crate::components::{AlertForm, AlertTarget, KiteAlertsCard};
use crate::live::use_market_stream;
use crate::user_context::{RoleGate, use_user};

const STREAM_KEY: &str = "alerts";
const REFRESH_EVERY: Duration = Duration::from_secs(2);
const HISTORY_ENTRIES: u32 = 50;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |_| list_alerts());
    let at_kite = Resource::new_blocking(|| (), |_| kite_alerts());
    view! {
        <Title text="Alerts · OS Platforms"/>
        <section class="page alerts-page">
            <h1>"Alerts"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading alerts…"</p> }>
                {move || Suspend::new(async move {
                    let board = match initial.await {
                        Ok(view) => view! { <AlertsBoard initial=view/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    };
                    let kite = match at_kite.await {
                        Ok(kite) => view! { <KiteAlertsCard initial=kite/> }.into_any(),
                        Err(e) => view! { <p class="error" data-testid="kite-alerts-error">{e.to_string()}</p> }.into_any(),
                    };
                    view! { {board} {kite} }.into_any()
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

/// `armed`, `fired` or `disabled`, as the table and the filter say it.
fn phase(alert: &Alert) -> &'static str {
    if !alert.enabled {
        "disabled"
    } else if alert.state == AlertState::Fired {
        "fired"
    } else {
        "armed"
    }
}

#[component]
fn AlertsBoard(initial: AlertsView) -> impl IntoView {
    let stream = use_market_stream();
    let alerts = RwSignal::new(initial.alerts);
    let history = RwSignal::new(Vec::<AlertEvent>::new());
    let message = RwSignal::new(None::<String>);
    let target = RwSignal::new(None::<AlertTarget>);
    let query = use_query_map();

    // `?token=N`: the form opens on that instrument.
    Effect::new(move |_| {
        let Some(token) = query
            .with(|q| q.get("token"))
            .and_then(|t| t.parse::<u32>().ok())
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            match get_instrument(token).await {
                Ok(view) => target.set(Some(AlertTarget::new_alert(&view.instrument))),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    Effect::new(move |_| {
        let tokens = alerts.with(|a| {
            let mut t: Vec<InstrumentToken> = a.iter().flat_map(|a| a.condition.tokens()).collect();
            t.sort_unstable();
            t.dedup();
            t
        });
        stream.follow(STREAM_KEY, tokens);
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));
    let refresh = move || {
        leptos::task::spawn_local(async move {
            if let Ok(view) = list_alerts().await {
                alerts.set(view.alerts);
            }
            if let Ok(found) = alert_history(None, HISTORY_ENTRIES).await {
                history.set(found);
            }
        });
    };
    Effect::new(move |_| {
        refresh();
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let on_saved = Callback::new(move |_saved: Alert| refresh());
    let toggle = Callback::new(move |(id, enabled): (i64, bool)| {
        leptos::task::spawn_local(async move {
            match set_alert_enabled(id, enabled).await {
                Ok(_) => refresh(),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let remove = Callback::new(move |id: i64| {
        leptos::task::spawn_local(async move {
            match delete_alert(id).await {
                Ok(()) => {
                    message.set(Some(format!(
                        "Alert #{id} is deleted; its history stays below."
                    )));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let edit = Callback::new(move |alert: Alert| target.set(Some(AlertTarget::edit(&alert))));
    view! {
        <RoleGate needs=Access::Trader note="Viewers see the alerts; a trader or an admin sets them.">
            <AlertForm target on_saved/>
        </RoleGate>
        {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="alerts-message">{m}</p> })}
        <BrowserNotifications/>
        <AlertsTable alerts toggle remove edit/>
        <AlertHistory history/>
    }
    .into_any()
}

/// The alerts, filtered by instrument and state, with their live price and actions.
#[component]
fn AlertsTable(
    alerts: RwSignal<Vec<Alert>>,
    toggle: Callback<(i64, bool)>,
    remove: Callback<i64>,
    edit: Callback<Alert>,
) -> impl IntoView {
    let filter_text = RwSignal::new(String::new());
    let filter_state = RwSignal::new("all".to_owned());
    let shown = move || {
        let text = filter_text.get().trim().to_ascii_uppercase();
        let state = filter_state.get();
        alerts.with(|all| {
            all.iter()
                .filter(|a| text.is_empty() || a.condition.tradingsymbol.contains(&text))
                .filter(|a| state == "all" || phase(a) == state)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card" data-testid="alerts-card">
            <header class="card-head">
                <h2>"Your alerts"</h2>
                <div class="filters">
                    <input type="search" placeholder="Filter by instrument" data-testid="alerts-filter"
                        prop:value=move || filter_text.get()
                        on:input=move |ev| filter_text.set(event_target_value(&ev))/>
                    <select data-testid="alerts-filter-state"
                        on:change=move |ev| filter_state.set(event_target_value(&ev))>
                        <option value="all">"All"</option>
                        <option value="armed">"Armed"</option>
                        <option value="fired">"Fired"</option>
                        <option value="disabled">"Disabled"</option>
                    </select>
                </div>
            </header>
            {move || alerts.with(Vec::is_empty).then(|| view! {
                <p class="muted empty-state" data-testid="alerts-empty">
                    "No alerts yet. Set one above, or from an instrument's Alert link on the dashboard or its chart."
                </p>
            })}
            <div class="table-wrap">
                <table class="quotes alerts">
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Condition"</th>
                            <th scope="col" class="num">"LTP"</th>
                            <th scope="col">"State"</th>
                            <th scope="col" class="num">"Fired"</th>
                            <th scope="col">"Last"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=shown key=|a| (a.id, a.updated_ms, a.fired_count, a.enabled)
                            children=move |alert| view! { <AlertRow alert toggle remove edit/> }/>
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn AlertRow(
    alert: Alert,
    toggle: Callback<(i64, bool)>,
    remove: Callback<i64>,
    edit: Callback<Alert>,
) -> impl IntoView {
    let stream = use_market_stream();
    let may_trade = use_user().can(Access::Trader);
    let id = alert.id.0;
    let enabled = alert.enabled;
    let token = alert.condition.token;
    let state = phase(&alert);
    let editing = StoredValue::new(alert.clone());
    view! {
        <tr data-testid="alert-row" data-alert=id data-state=state>
            <td class="num">{id}</td>
            <td>
                <span data-testid="alert-condition">{alert.condition.describe()}</span>
                {(!alert.note.is_empty()).then(|| view! { <span class="muted small">{format!(" · {}", alert.note)}</span> })}
            </td>
            <td class="num">
                {move || stream.tick(token).map(|t| t.last_price.format_indian()).unwrap_or_else(|| "—".to_owned())}
            </td>
            <td><span class=format!("alert-state {state}") data-testid="alert-state">{state}</span></td>
            <td class="num" data-testid="alert-fired-count">{alert.fired_count}</td>
            <td class="small">{alert.last_fired_ms.map(|ms| format!("{} IST", ist_clock(ms))).unwrap_or_else(|| "—".to_owned())}</td>
            <td class="actions">
                {move || may_trade.get().then(|| view! {
                    // A fired one-shot alert is armed again; otherwise it flips on or off.
                    <button type="button" class="button subtle" data-testid="alert-toggle"
                        on:click=move |_| toggle.run((id, state == "fired" || !enabled))>
                        {match (state, enabled) {
                            ("fired", _) => "Arm again",
                            (_, true) => "Disable",
                            _ => "Enable",
                        }}
                    </button>
                    <button type="button" class="button subtle" data-testid="alert-edit"
                        on:click=move |_| edit.run(editing.get_value())>"Edit"</button>
                    <button type="button" class="button subtle danger" data-testid="alert-delete"
                        on:click=move |_| remove.run(id)>"Delete"</button>
                })}
            </td>
        </tr>
    }
    .into_any()
}

/// Every firing, newest first, with what it saw.
#[component]
fn AlertHistory(history: RwSignal<Vec<AlertEvent>>) -> impl IntoView {
    view! {
        <section class="card" data-testid="alert-history">
            <header class="card-head">
                <h2>"History"</h2>
                <span class="muted small">"Every time an alert fired, with what it saw"</span>
            </header>
            {move || history.with(Vec::is_empty).then(|| view! { <p class="muted small">"Nothing has fired yet."</p> })}
            <ul class="log">
                <For each=move || history.get() key=|e| e.id let:event>
                    <li data-testid="alert-event" data-alert=event.alert.0>
                        <span class="muted">{format!("{} IST · #{} ", ist_clock(event.at_ms), event.alert.0)}</span>
                        {event.text.clone()}
                    </li>
                </For>
            </ul>
        </section>
    }
    .into_any()
}

/// Browser notifications for firings: their state, and the button that asks (browsers take
/// the request only from a click).
#[component]
fn BrowserNotifications() -> impl IntoView {
    // Known only in the browser: the server renders "not asked" and the first effect corrects it.
    let state = RwSignal::new(crate::notify::Permission::Default);
    Effect::new(move |_| state.set(crate::notify::permission()));
    let ask = move |_| crate::notify::request(move |answer| state.set(answer));
    view! {
        <p class="card small" data-testid="browser-notifications">
            "Browser notifications for alerts: "
            <strong data-testid="notifications-state">{move || state.get().label()}</strong>
            " "
            {move || match state.get() {
                crate::notify::Permission::Default => view! {
                    <button type="button" class="button subtle" data-testid="notifications-ask"
                        on:click=ask>"Turn on"</button>
                }.into_any(),
                crate::notify::Permission::Denied => view! {
                    <span class="muted">"(allow them in the browser's site settings)"</span>
                }.into_any(),
                _ => ().into_any(),
            }}
        </p>
    }
    .into_any()
}
