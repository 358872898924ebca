//! The event bus (Settings page): in process, or the Redis bus between the web processes and
//! the workers — its address, whether this process is subscribed, messages published, received
//! and dropped, and the workers' processes heard on it (which one's ticker is connected). Read
//! every five seconds.

use std::time::Duration;

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::BusStatus;

use crate::api::workers::bus_status;

const REFRESH_EVERY: Duration = Duration::from_secs(5);

#[component]
pub fn BusCard() -> impl IntoView {
    let latest = RwSignal::new(None::<BusStatus>);
    let problem = RwSignal::new(None::<String>);
    let read = move || {
        leptos::task::spawn_local(async move {
            match bus_status().await {
                Ok(now) => {
                    problem.set(None);
                    latest.set(Some(now));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    // Browser only.
    Effect::new(move |_| {
        read();
        if let Ok(handle) = set_interval_with_handle(read, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <section class="card" data-testid="bus-card">
            <header class="card-head"><h2>"Event bus"</h2></header>
            {move || problem.get().map(|p| view! { <p class="error">{p}</p> })}
            {move || match latest.get() {
                None => view! { <p class="muted">"Reading the bus…"</p> }.into_any(),
                Some(b) => view! { <BusFacts status=b/> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

#[component]
fn BusFacts(status: BusStatus) -> impl IntoView {
    let kind = if status.kind == "redis" {
        format!("Redis · {}", status.address)
    } else {
        "in process (one server: web and workers together)".to_owned()
    };
    let state = match (&status.connected, &status.last_error) {
        (true, _) => "subscribed".to_owned(),
        (false, Some(e)) => format!("not connected: {e}"),
        (false, None) => "not connected".to_owned(),
    };
    let peers = if status.kind != "redis" {
        "—".to_owned()
    } else if status.peers.is_empty() {
        "none heard: start `osp workers`".to_owned()
    } else {
        status
            .peers
            .iter()
            .map(|p| {
                format!(
                    "{} ({}{}, heard {} IST)",
                    p.label,
                    p.role,
                    if p.feed { ", ticker connected" } else { "" },
                    ist_clock(p.heard_ms)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    view! {
        <dl class="facts">
            <dt>"Bus"</dt>
            <dd data-testid="bus-kind">{kind}</dd>
            <dt>"This process"</dt>
            <dd data-testid="bus-role">{status.role.clone()}</dd>
            <dt>"State"</dt>
            <dd data-testid="bus-state">{state}</dd>
            <dt>"Messages"</dt>
            <dd data-testid="bus-messages">
                {format!(
                    "{} published · {} received · {} dropped",
                    status.published,
                    status.received,
                    status.dropped,
                )}
            </dd>
            <dt>"Workers processes"</dt>
            <dd data-testid="bus-peers">{peers}</dd>
        </dl>
    }
}
