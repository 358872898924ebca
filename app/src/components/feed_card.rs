//! The live feed (Settings page): each ticker connection's state, the instruments followed of
//! the most it can (Kite: 3 connections × 3000 per API key), tick packets per second and the
//! last update. Read in the browser every two seconds; the rate is between two readings.

use std::time::Duration;

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::FeedFigures;

use crate::api::workers::feed_figures;

const REFRESH_EVERY: Duration = Duration::from_secs(2);

#[component]
pub fn FeedCard() -> impl IntoView {
    let latest = RwSignal::new(None::<FeedFigures>);
    let rate = RwSignal::new(None::<u64>);
    let problem = RwSignal::new(None::<String>);
    let read = move || {
        leptos::task::spawn_local(async move {
            match feed_figures().await {
                Ok(now) => {
                    problem.set(None);
                    if let Some(before) = latest.get_untracked() {
                        rate.set(now.rate_since(&before));
                    }
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
        <section class="card" data-testid="feed-card">
            <header class="card-head"><h2>"Live feed"</h2></header>
            {move || problem.get().map(|p| view! { <p class="error">{p}</p> })}
            {move || match latest.get() {
                None => view! { <p class="muted">"Reading the feed…"</p> }.into_any(),
                Some(f) => view! {
                    <dl class="facts">
                        <dt>"Connections"</dt>
                        <dd data-testid="feed-connections">
                            {if f.connections.is_empty() {
                                "none open (nothing followed yet)".to_owned()
                            } else {
                                format!("{} · {}", f.connections.len(), f.connections.join(", "))
                            }}
                        </dd>
                        <dt>"Instruments"</dt>
                        <dd data-testid="feed-instruments">{format!("{} of {}", f.subscribed, f.capacity)}</dd>
                        <dt>"Ticks per second"</dt>
                        <dd data-testid="feed-rate">
                            {move || rate.get().map_or_else(|| "measuring…".to_owned(), |r| r.to_string())}
                        </dd>
                        <dt>"Last tick"</dt>
                        <dd data-testid="feed-last-tick">
                            {f.last_tick_ms.map_or_else(|| "none yet".to_owned(), |ms| format!("{} IST", ist_clock(ms)))}
                        </dd>
                    </dl>
                }
                .into_any(),
            }}
        </section>
    }
    .into_any()
}
