use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::{ComponentHealth, HealthState};

use crate::status_context::use_status;

/// Version, database and feed health, from the `get_status` server function, with a refresh.
#[component]
pub fn SystemCard() -> impl IntoView {
    let ctx = use_status();
    let status = ctx.status;
    view! {
        <section class="card system-card" data-testid="system-card">
            <header class="card-head">
                <h2>"System"</h2>
                <button
                    type="button"
                    class="button"
                    data-testid="refresh-status"
                    on:click=move |_| ctx.refresh()
                >
                    "Refresh"
                </button>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading status…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => {
                            view! {
                                <dl class="facts">
                                    <dt>"Version"</dt>
                                    <dd>{s.version.clone()}</dd>
                                    <dt>"Database"</dt>
                                    <dd>{health_line(&s.database, &s.database_backend)}</dd>
                                    <dt>"Price feed"</dt>
                                    <dd>{health_line(&s.feed, "demo")}</dd>
                                    <dt>"Market"</dt>
                                    <dd data-testid="market-session">
                                        {if s.market.open { "open" } else { "closed" }}
                                        " · " {s.market.detail.clone()}
                                    </dd>
                                    <dt>"Instruments"</dt>
                                    <dd data-testid="instruments-load">{s.instruments.summary()}</dd>
                                    <dt>"Checked at"</dt>
                                    <dd data-testid="status-time">
                                        {format!("{} IST", ist_clock(s.server_time_ms))}
                                    </dd>
                                </dl>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn health_line(h: &ComponentHealth, what: &str) -> impl IntoView + use<> {
    let (class, word) = match h.state {
        HealthState::Ok => ("ok", "OK"),
        HealthState::Down => ("down", "DOWN"),
    };
    view! {
        <span class=format!("health {class}")>{word}</span>
        " "
        <span class="muted">{format!("{what} · {}", h.detail)}</span>
    }
}
