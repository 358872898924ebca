use leptos::prelude::*;

use super::{ConnectionIndicator, NotificationBell, ThemeToggle, UserMenu};
use crate::status_context::use_status;

/// The bar on every page: name, trading mode, market state, the kill switch when it is on, link
/// state, the notification centre, who is signed in, theme.
#[component]
pub fn TopBar() -> impl IntoView {
    let status = use_status().status;
    view! {
        <header class="topbar">
            // Named for screen readers: on a phone the words are hidden and the logo alone shows.
            <a class="brand" href="/" aria-label="OS Platforms, dashboard">
                <img src="/icons/icon-192.png" alt="" width="28" height="28"/>
                <span>"OS Platforms"</span>
            </a>
            <div class="status-area">
                // A transition: a refresh keeps showing the last status instead of blinking.
                <Transition fallback=|| view! { <span class="mode-badge">"…"</span> }>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(s) => {
                                let label = s.mode.label();
                                let (class, word) = if s.market.open {
                                    ("market-state open", "Market open")
                                } else {
                                    ("market-state closed", "Market closed")
                                };
                                view! {
                                    <span class="mode-badge" data-mode=label data-testid="mode-badge">
                                        {label}
                                    </span>
                                    <span class=class data-testid="market-state" title=s.market.detail.clone()>
                                        {word}
                                    </span>
                                    {s.session_expired.clone().map(|e| view! {
                                        <a class="halt-badge" href="/settings" data-testid="session-expired-badge"
                                            title=format!("Nothing is sent and no level triggers until Kite is connected again ({})", e.reason)>
                                            "KITE DISCONNECTED · reconnect"
                                        </a>
                                    })}
                                    {(s.mismatches > 0).then(|| view! {
                                        <a class="halt-badge" href="/account" data-testid="mismatch-badge"
                                            title="The broker holds units the app's trades do not explain; new entries on those instruments wait until a trader acknowledges them on the Account page">
                                            {format!("BROKER MISMATCH ×{} · review", s.mismatches)}
                                        </a>
                                    })}
                                    {s.halted.then(|| view! {
                                        <a class="halt-badge" href="/trades" data-testid="halt-badge"
                                            title="No level triggers and no entry order goes out until it is released on the Trades page">
                                            "KILL SWITCH ON"
                                        </a>
                                    })}
                                }
                                    .into_any()
                            }
                            Err(_) => {
                                view! { <span class="mode-badge" data-mode="unknown">"?"</span> }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
                <ConnectionIndicator/>
                <NotificationBell/>
                <UserMenu/>
                <ThemeToggle/>
            </div>
        </header>
    }
}
