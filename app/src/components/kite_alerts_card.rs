//! The alerts that live at Kite (Alerts page): Kite's list as last synced — with how fresh it
//! is, why the last sync failed if it did, and a warning before Kite's limit of 200 per
//! account is hit — each alert's condition, type (simple or ATO with its orders), state and
//! count; create, change, delete, Kite's history of one, and "Sync now". These fire at Kite
//! even while this app is off; the app learns of each firing at the next sync. The ATO alerts
//! the kill switch took from Kite are listed apart, to put back (after the release) or let go.

use std::time::Duration;

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::{
    Access, BrokerAlert, BrokerAlertHistoryEntry, BrokerAlertKind, SuspendedBrokerAlert,
};
use osp_core::services::alerts::BrokerAlertBoard;

use super::kite_alert_form::{KiteAlertForm, KiteAlertTarget};
use crate::api::kite_alerts::{
    delete_kite_alert, kite_alert_history, kite_alerts, let_go_kite_alert, put_back_kite_alert,
    sync_kite_alerts,
};
use crate::user_context::use_user;

/// How often the page reads the mirror again (the sync worker refreshes it from Kite).
const REFRESH_EVERY: Duration = Duration::from_secs(5);

#[component]
pub fn KiteAlertsCard(initial: BrokerAlertBoard) -> impl IntoView {
    let may_trade = use_user().can(Access::Trader);
    let orders_allowed = initial.orders_allowed;
    let board = RwSignal::new(initial);
    let target = RwSignal::new(None::<KiteAlertTarget>);
    let message = RwSignal::new(None::<String>);
    let history = RwSignal::new(None::<(String, Vec<BrokerAlertHistoryEntry>)>);
    let syncing = RwSignal::new(false);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = kite_alerts().await {
                board.set(fresh);
            }
        });
    };
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let sync_now = move |_| {
        syncing.set(true);
        leptos::task::spawn_local(async move {
            match sync_kite_alerts().await {
                Ok(fresh) => {
                    message.set(None);
                    board.set(fresh);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
            syncing.set(false);
        });
    };
    let on_saved = Callback::new(move |alert: BrokerAlert| {
        message.set(Some(format!("Kite now keeps \"{}\".", alert.name)));
        refresh();
    });
    let remove = Callback::new(move |(id, name): (String, String)| {
        leptos::task::spawn_local(async move {
            match delete_kite_alert(id).await {
                Ok(()) => {
                    message.set(Some(format!("\"{name}\" is deleted at Kite.")));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let show_history = Callback::new(move |(id, name): (String, String)| {
        leptos::task::spawn_local(async move {
            match kite_alert_history(id).await {
                Ok(entries) => history.set(Some((name, entries))),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let put_back = Callback::new(move |(id, name): (String, String)| {
        leptos::task::spawn_local(async move {
            match put_back_kite_alert(id).await {
                Ok(_) => {
                    message.set(Some(format!("\"{name}\" is back at Kite.")));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let let_go = Callback::new(move |(id, name): (String, String)| {
        leptos::task::spawn_local(async move {
            match let_go_kite_alert(id).await {
                Ok(()) => {
                    message.set(Some(format!("\"{name}\" is let go: it stays off Kite.")));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let edit = Callback::new(move |alert: BrokerAlert| {
        match KiteAlertTarget::edit(&alert) {
        Some(t) => target.set(Some(t)),
        None => message.set(Some(
            "This alert was made at Kite with a condition or orders this app does not make: change it at Kite, or delete it here.".into(),
        )),
    }
    });
    let used = move || board.with(|b| b.mirror.alerts.len());
    view! {
        <section class="card kite-alerts" data-testid="kite-alerts-card">
            <header class="card-head">
                <h2>"At Kite"</h2>
                <span class="muted small" data-testid="kite-alerts-used">
                    {move || board.with(|b| format!("{} of {} alerts", b.mirror.alerts.len(), b.limit))}
                </span>
            </header>
            <p class="muted small">
                "These live at Kite: they fire even while this app is off, and Kite notifies you as it does for alerts made on Kite. ATO alerts also place their orders at Kite."
            </p>
            {move || board.with(BrokerAlertBoard::limit_warning).map(|w| view! {
                <p class="warning" role="alert" data-testid="kite-alerts-limit">{w}</p>
            })}
            <p class="small" data-testid="kite-alerts-sync">
                {move || board.with(|b| match (b.mirror.synced_ms, &b.mirror.error) {
                    (_, Some(error)) => format!("Last sync failed: {error}"),
                    (Some(ms), None) => format!("Synced with Kite at {} IST", ist_clock(ms)),
                    (None, None) => "Not synced with Kite yet.".to_owned(),
                })}
                " "
                <button type="button" class="button subtle" data-testid="kite-alerts-sync-now"
                    disabled=move || syncing.get() on:click=sync_now>
                    {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                </button>
                {move || may_trade.get().then(|| view! {
                    <button type="button" class="button" data-testid="kite-alert-new"
                        disabled=move || { used() >= board.with(|b| b.limit) }
                        on:click=move |_| target.set(Some(KiteAlertTarget::new_alert()))>
                        "New alert at Kite"
                    </button>
                })}
            </p>
            <KiteAlertForm target orders_allowed on_saved/>
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="kite-alerts-message">{m}</p> })}
            {move || (used() == 0).then(|| view! {
                <p class="muted empty-state" data-testid="kite-alerts-empty">"No alerts at Kite."</p>
            })}
            <ul class="kite-alert-list">
                <For each=move || board.with(|b| b.mirror.alerts.clone())
                    key=|a| (a.id.clone(), a.name.clone(), a.condition.clone(), a.basket.clone(), a.fired_count, a.enabled)
                    children=move |alert| view! { <KiteAlertRow alert edit remove show_history/> }/>
            </ul>
            <SuspendedKiteAlerts board put_back let_go/>
            <KiteAlertHistory history/>
        </section>
    }
    .into_any()
}

#[component]
fn KiteAlertRow(
    alert: BrokerAlert,
    edit: Callback<BrokerAlert>,
    remove: Callback<(String, String)>,
    show_history: Callback<(String, String)>,
) -> impl IntoView {
    let may_trade = use_user().can(Access::Trader);
    let id = alert.id.clone();
    let name = alert.name.clone();
    let state = if alert.enabled { "enabled" } else { "disabled" };
    let editing = StoredValue::new(alert.clone());
    let (hid, hname) = (id.clone(), name.clone());
    view! {
        <li class="kite-alert" data-testid="kite-alert-row" data-kind=alert.kind.label() data-state=state>
            <div>
                <strong data-testid="kite-alert-name-shown">{alert.name.clone()}</strong>
                " "
                <span class="badge">{alert.kind.label()}</span>
                " "
                <span class=format!("alert-state {state}") data-testid="kite-alert-state">{state}</span>
                {(!alert.disabled_reason.is_empty()).then(|| view! {
                    <span class="muted small">{format!(" ({})", alert.disabled_reason)}</span>
                })}
            </div>
            <div data-testid="kite-alert-condition">{alert.condition.clone()}</div>
            {(alert.kind == BrokerAlertKind::Ato).then(|| view! {
                <ul class="small ato-orders" data-testid="kite-alert-orders">
                    {alert.basket.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}
                </ul>
            })}
            <div class="small muted">
                "Fired "<span data-testid="kite-alert-count">{alert.fired_count}</span>" times"
            </div>
            <div class="actions">
                <button type="button" class="button subtle" data-testid="kite-alert-history"
                    on:click=move |_| show_history.run((hid.clone(), hname.clone()))>"History"</button>
                {move || may_trade.get().then(|| {
                    let (id, name) = (id.clone(), name.clone());
                    view! {
                        <button type="button" class="button subtle" data-testid="kite-alert-edit"
                            on:click=move |_| edit.run(editing.get_value())>"Edit"</button>
                        <button type="button" class="button subtle danger" data-testid="kite-alert-delete"
                            on:click=move |_| remove.run((id.clone(), name.clone()))>"Delete"</button>
                    }
                })}
            </div>
        </li>
    }
    .into_any()
}

/// The ATO alerts the kill switch took from Kite: kept here, off Kite, until the trader puts
/// one back (refused while the switch is on) or lets it go.
#[component]
fn SuspendedKiteAlerts(
    board: RwSignal<BrokerAlertBoard>,
    put_back: Callback<(String, String)>,
    let_go: Callback<(String, String)>,
) -> impl IntoView {
    let may_trade = use_user().can(Access::Trader);
    // Erased to `AnyView`: the card's view type would otherwise nest too deep to compile.
    (move || {
        let suspended = board.with(|b| b.suspended.clone());
        (!suspended.is_empty()).then(|| view! {
            <div class="kite-alerts-suspended" data-testid="kite-alerts-suspended">
                <h3>"Taken from Kite by the kill switch"</h3>
                <p class="muted small">
                    "These ATO alerts no longer exist at Kite, so they place no orders. Once the kill switch is released, put back the ones you still want."
                </p>
                <ul class="kite-alert-list">
                    {suspended.into_iter().map(|kept: SuspendedBrokerAlert| {
                        let alert = kept.alert;
                        let (id, name) = (alert.id.clone(), alert.name.clone());
                        view! {
                            <li class="kite-alert" data-testid="kite-alert-suspended-row">
                                <div>
                                    <strong>{alert.name.clone()}</strong>
                                    " "
                                    <span class="muted small">{format!("taken {} IST", ist_clock(kept.suspended_ms))}</span>
                                </div>
                                <div>{alert.condition.clone()}</div>
                                <ul class="small ato-orders">
                                    {alert.basket.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}
                                </ul>
                                {move || may_trade.get().then(|| {
                                    let (id, name) = (id.clone(), name.clone());
                                    let (id2, name2) = (id.clone(), name.clone());
                                    view! {
                                        <div class="actions">
                                            <button type="button" class="button" data-testid="kite-alert-put-back"
                                                on:click=move |_| put_back.run((id.clone(), name.clone()))>"Put back at Kite"</button>
                                            <button type="button" class="button subtle danger" data-testid="kite-alert-let-go"
                                                on:click=move |_| let_go.run((id2.clone(), name2.clone()))>"Let go"</button>
                                        </div>
                                    }
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })
    })
    .into_any()
}

/// Kite's record of one alert's firings, as read from Kite.
#[component]
fn KiteAlertHistory(
    history: RwSignal<Option<(String, Vec<BrokerAlertHistoryEntry>)>>,
) -> impl IntoView {
    (move || {
        history.get().map(|(name, entries)| {
            view! {
                <div class="kite-alert-history" data-testid="kite-alert-history-panel">
                    <h3>{format!("Kite's history of \"{name}\"")}</h3>
                    {entries.is_empty().then(|| view! { <p class="muted small">"It has not fired."</p> })}
                    <ul class="log">
                        {entries.into_iter().map(|e| view! {
                            <li data-testid="kite-alert-history-entry">
                                <span class="muted">{e.at.map(|at| format!("{at} IST · ")).unwrap_or_default()}</span>
                                {e.condition}
                                {(!e.quotes.is_empty()).then(|| format!(" · {}", e.quotes.join(", ")))}
                            </li>
                        }).collect_view()}
                    </ul>
                    <button type="button" class="button subtle" on:click=move |_| history.set(None)>"Close"</button>
                </div>
            }
        })
    })
    .into_any()
}
