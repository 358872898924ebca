//! The notification centre (top bar): a bell with the unread count, and a panel listing the
//! newest activity — triggers, fills, rejections, closed trades, alerts here and at Kite —
//! the unread ones marked. Opening the panel marks everything shown as read (per user, kept on
//! the server, so every device agrees). Loaded once hydrated, again after each reconnect;
//! in between, the pushed activity adds to it.

use leptos::prelude::*;

use super::icons::{Glyph, Icon};
use osp_core::format::ist_clock;
use osp_core::services::activity::{ActivityItem, CENTRE_SIZE, NotificationCentreView};

use super::toasts::kind_name;
use crate::api::notifications::{mark_notifications_read, notifications};
use crate::live::{LinkState, use_market_stream};

fn badge(unread: usize) -> String {
    if unread > 99 {
        "99+".to_owned()
    } else {
        unread.to_string()
    }
}

#[component]
pub fn NotificationBell() -> impl IntoView {
    let stream = use_market_stream();
    let centre = RwSignal::new(None::<NotificationCentreView>);
    let open = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // While the panel is open: the mark before it opened (what shows as new).
    let seen_before = RwSignal::new(None::<i64>);
    let taken = StoredValue::new(stream.activity.with_untracked(|log| log.next));

    let load = move || {
        leptos::task::spawn_local(async move {
            match notifications().await {
                Ok(view) => {
                    problem.set(None);
                    centre.set(Some(view));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    // Browser only: (re)load whenever the stream connects, catching up on what a dropped
    // connection missed.
    Effect::new(move |_| {
        if stream.link.get() == LinkState::Live {
            load();
        }
    });
    // Pushed items join the list as unread.
    Effect::new(move |_| {
        let fresh: Vec<ActivityItem> = stream.activity.with(|log| {
            let items = log.from(taken.get_value()).cloned().collect();
            taken.set_value(log.next);
            items
        });
        if fresh.is_empty() {
            return;
        }
        centre.update(|c| {
            if let Some(c) = c {
                for item in fresh {
                    // A reload may already list it.
                    if !c.items.contains(&item) {
                        c.items.insert(0, item);
                        c.unread += 1;
                    }
                }
                c.items.truncate(CENTRE_SIZE);
                c.unread = c.unread.min(c.items.len());
            }
        });
    });
    let mark_read = move || {
        let Some(newest) = centre.with_untracked(|c| {
            c.as_ref()
                .filter(|c| c.unread > 0)
                .and_then(|c| c.items.first().map(|i| i.at_ms))
        }) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match mark_notifications_read(newest).await {
                Ok(view) => centre.set(Some(view)),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let toggle = move |_| {
        if open.get_untracked() {
            open.set(false);
            return;
        }
        seen_before.set(
            centre.with_untracked(|c| c.as_ref().map(|c| c.read_until_ms.unwrap_or(i64::MIN))),
        );
        open.set(true);
        mark_read();
    };
    let unread = move || centre.with(|c| c.as_ref().map_or(0, |c| c.unread));

    view! {
        <div class="notify-centre">
            <button type="button" class="button subtle bell" data-testid="notification-bell"
                aria-label=move || format!("Notifications, {} unread", unread())
                aria-expanded=move || open.get().to_string()
                on:click=toggle>
                <Icon glyph=Glyph::Bell/>
                <Show when=move || { unread() > 0 }>
                    <span class="unread-count" data-testid="unread-count">{move || badge(unread())}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div class="notify-panel" data-testid="notification-panel" role="dialog"
                    aria-label="Notifications">
                    <div class="notify-head">
                        <strong>"Notifications"</strong>
                        <button type="button" class="button subtle" aria-label="Close"
                            on:click=move |_| open.set(false)><Icon glyph=Glyph::Close/></button>
                    </div>
                    {move || problem.get().map(|p| view! { <p class="form-error">{p}</p> })}
                    <NotificationList centre=centre seen_before=seen_before/>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

#[component]
fn NotificationList(
    centre: RwSignal<Option<NotificationCentreView>>,
    seen_before: RwSignal<Option<i64>>,
) -> impl IntoView {
    move || {
        let items = centre.with(|c| c.as_ref().map(|c| c.items.clone()).unwrap_or_default());
        if items.is_empty() {
            return view! { <p class="muted" data-testid="notification-empty">"Nothing yet."</p> }
                .into_any();
        }
        let mark = seen_before.get().unwrap_or(i64::MIN);
        view! {
            <ul class="notify-list">
                {items
                    .into_iter()
                    .map(|item| {
                        let new = item.at_ms > mark;
                        view! {
                            <li class:unread=new data-testid="notification-item"
                                data-kind=kind_name(item.kind)>
                                <span class="notify-time">{ist_clock(item.at_ms)}</span>
                                <span class="notify-text">{item.text}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    }
}
