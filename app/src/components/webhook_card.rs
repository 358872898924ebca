//! Webhook (Settings, admins): the address alert firings are POSTed to, signed with
//! HMAC-SHA256 under a secret shown once when saved; a test; and the delivery log (attempts,
//! the last answer, delivered or given up).

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::{WebhookDelivery, WebhookView};

use crate::api::webhooks::{read_webhook, remove_webhook, save_webhook, test_webhook};
use crate::error::AppError;
use crate::typed::typed_before_hydration;

#[component]
pub fn WebhookCard(initial: WebhookView) -> impl IntoView {
    let view = RwSignal::new(initial);
    // What was typed before the page hydrated wins over the address saved.
    let typed = typed_before_hydration("webhook-form", "url");
    let url = RwSignal::new(if typed.is_empty() {
        view.with_untracked(|v| v.url.clone().unwrap_or_default())
    } else {
        typed
    });
    let secret = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            if let Ok(found) = read_webhook().await {
                view.set(found);
            }
        });
    };
    // The log moves as deliveries are tried.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(refresh, std::time::Duration::from_secs(2)) {
            on_cleanup(move || handle.clear());
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = url.get_untracked();
        leptos::task::spawn_local(async move {
            match save_webhook(address).await {
                Ok(saved) => {
                    problem.set(None);
                    secret.set(Some(saved.secret));
                    message.set(Some(format!(
                        "Alert firings go to {} now. Copy the secret below into the receiver: it is not shown again.",
                        saved.url
                    )));
                    refresh();
                }
                Err(AppError::Invalid(found)) => {
                    problem.set(found.into_iter().next().map(|p| p.message));
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let test = move |_| {
        leptos::task::spawn_local(async move {
            match test_webhook().await {
                Ok(d) => {
                    message.set(Some(format!("Test delivery #{} is queued.", d.id)));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            match remove_webhook().await {
                Ok(()) => {
                    url.set(String::new());
                    secret.set(None);
                    message.set(Some("No webhook: firings are no longer sent.".to_owned()));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" data-testid="webhook-card">
            <header class="card-head">
                <h2>"Webhook"</h2>
                <span class="muted small">"Each alert firing is POSTed here as JSON, signed (X-OSP-Signature: HMAC-SHA256 of timestamp.body), retried until taken"</span>
            </header>
            <form class="field-grid" on:submit=save data-testid="webhook-form" novalidate>
                <label class="field" class:invalid=move || problem.with(Option::is_some)>
                    <span class="field-label">"Address"</span>
                    <input type="url" name="url" autocomplete="off" spellcheck="false" data-testid="webhook-url"
                        placeholder="https://hooks.example.com/osp"
                        prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
                    {move || problem.get().map(|p| view! { <span class="field-error" data-testid="webhook-problem">{p}</span> })}
                </label>
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="webhook-save">"Save (new secret)"</button>
                    <button type="button" class="button" data-testid="webhook-test" on:click=test
                        disabled=move || view.with(|v| v.url.is_none())>"Send a test"</button>
                    <button type="button" class="button subtle" data-testid="webhook-remove" on:click=remove
                        disabled=move || view.with(|v| v.url.is_none())>"Remove"</button>
                </div>
            </form>
            {move || secret.get().map(|s| view! {
                <p class="small">"Secret: " <code data-testid="webhook-secret">{s}</code></p>
            })}
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="webhook-message">{m}</p> })}
            <div class="table-wrap">
                <table class="quotes">
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"What"</th>
                            <th scope="col">"State"</th>
                            <th scope="col" class="num">"Attempts"</th>
                            <th scope="col">"Last answer"</th>
                            <th scope="col">"When"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || view.get().deliveries key=|d| (d.id, d.attempts, d.state)
                            children=move |d| view! { <DeliveryRow delivery=d/> }/>
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn DeliveryRow(delivery: WebhookDelivery) -> impl IntoView {
    let answer = match (delivery.last_status, delivery.last_error.clone()) {
        (_, Some(error)) => error,
        (Some(status), None) => format!("HTTP {status}"),
        (None, None) => "—".to_owned(),
    };
    let what = match delivery.alert_event {
        Some(event) => format!("alert firing {event}"),
        None => "test".to_owned(),
    };
    view! {
        <tr data-testid="webhook-delivery" data-state=delivery.state.code()>
            <td class="num">{delivery.id}</td>
            <td>{what}</td>
            <td>{delivery.state.code()}</td>
            <td class="num" data-testid="webhook-attempts">{delivery.attempts}</td>
            <td class="small">{answer}</td>
            <td class="small">{format!("{} IST", ist_clock(delivery.delivered_ms.unwrap_or(delivery.created_ms)))}</td>
        </tr>
    }
    .into_any()
}
