//! Toasts: on every page, what just happened — a level triggered, an order filled or was
//! rejected, a trade closed — for a few seconds, newest at the bottom. Read from the activity
//! feed every two seconds; a page that just opened shows nothing old.

use std::time::Duration;

use leptos::prelude::*;
use osp_core::services::trading::{ActivityItem, ActivityKind};

use crate::api::activity::recent_activity;

const POLL_EVERY: Duration = Duration::from_secs(2);
const SHOW_FOR: Duration = Duration::from_secs(8);
/// More at once are dropped, oldest first: a burst must not cover the page.
const MAX_SHOWN: usize = 5;

fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::LevelTriggered => "triggered",
        ActivityKind::OrderFilled => "filled",
        ActivityKind::OrderRejected => "rejected",
        ActivityKind::TradeClosed => "closed",
        ActivityKind::AlertFired => "alert",
    }
}

#[component]
pub fn Toasts() -> impl IntoView {
    let shown = RwSignal::new(Vec::<(u64, ActivityItem)>::new());
    let since = RwSignal::new(None::<i64>);
    let next_id = StoredValue::new(0u64);
    let dismiss = move |id: u64| shown.update(|s| s.retain(|(i, _)| *i != id));
    let push = move |item: ActivityItem| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        shown.update(|s| {
            s.push((id, item));
            if s.len() > MAX_SHOWN {
                s.remove(0);
            }
        });
        set_timeout(move || dismiss(id), SHOW_FOR);
    };
    // Effects run in the browser only: the server renders no toasts.
    Effect::new(move |_| {
        let poll = move || {
            leptos::task::spawn_local(async move {
                // A failed read is the connection indicator's to report; the next one catches up.
                if let Ok(feed) = recent_activity(since.get_untracked()).await {
                    since.set(Some(feed.next_since));
                    for item in feed.items {
                        // An alert also goes to the browser's notifications, if they are on.
                        if item.kind == ActivityKind::AlertFired {
                            crate::notify::show("OS Platforms alert", &item.text);
                        }
                        push(item);
                    }
                }
            });
        };
        poll();
        if let Ok(handle) = set_interval_with_handle(poll, POLL_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For
                each=move || shown.get()
                key=|(id, _)| *id
                children=move |(id, item)| {
                    let kind = kind_name(item.kind);
                    view! {
                        <div class=format!("toast toast-{kind}") data-testid="toast" data-kind=kind>
                            <span>{item.text.clone()}</span>
                            <button type="button" class="toast-close" aria-label="Dismiss"
                                on:click=move |_| dismiss(id)>"×"</button>
                        </div>
                    }
                    .into_any()
                }
            />
        </div>
    }
    .into_any()
}
