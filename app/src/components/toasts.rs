//! Toasts: on every page, what just happened — a level triggered, an order filled or was
//! rejected, a trade closed, an alert fired here or at Kite — for a few seconds, newest at the
//! bottom. Pushed by the server over the price websocket (`MarketStream::activity`); a page
//! that just opened shows nothing old (the notification centre lists it).

use std::time::Duration;

use leptos::prelude::*;

use super::icons::{Glyph, Icon};
use osp_core::services::activity::{ActivityItem, ActivityKind};

use crate::live::use_market_stream;

const SHOW_FOR: Duration = Duration::from_secs(8);
/// More at once are dropped, oldest first: a burst must not cover the page.
const MAX_SHOWN: usize = 5;

pub fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::LevelTriggered => "triggered",
        ActivityKind::OrderFilled => "filled",
        ActivityKind::OrderRejected => "rejected",
        ActivityKind::TradeClosed => "closed",
        ActivityKind::AlertFired => "alert",
        ActivityKind::KiteAlertFired => "kite-alert",
    }
}

#[component]
pub fn Toasts() -> impl IntoView {
    let stream = use_market_stream();
    let shown = RwSignal::new(Vec::<(u64, ActivityItem)>::new());
    let next_id = StoredValue::new(0u64);
    // The first pushed item not yet shown.
    let taken = StoredValue::new(stream.activity.with_untracked(|log| log.next));
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
        let fresh: Vec<ActivityItem> = stream.activity.with(|log| {
            let items = log.from(taken.get_value()).cloned().collect();
            taken.set_value(log.next);
            items
        });
        for item in fresh {
            // An alert also goes to the browser's notifications, if they are on.
            if matches!(
                item.kind,
                ActivityKind::AlertFired | ActivityKind::KiteAlertFired
            ) {
                crate::notify::show("OS Platforms alert", &item.text);
            }
            push(item);
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
                                on:click=move |_| dismiss(id)><Icon glyph=Glyph::Close/></button>
                        </div>
                    }
                    .into_any()
                }
            />
        </div>
    }
    .into_any()
}
