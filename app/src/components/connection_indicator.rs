use leptos::prelude::*;

use crate::live::use_market_stream;

/// A dot and a word for the live link: Live, Connecting…, Reconnecting in N s…, Offline.
#[component]
pub fn ConnectionIndicator() -> impl IntoView {
    let link = use_market_stream().link;
    view! {
        <span
            class="link-state"
            data-testid="link-state"
            data-state=move || link.get().key()
            role="status"
            aria-live="polite"
        >
            <span class="dot" aria-hidden="true"></span>
            <span class="label">{move || link.get().label()}</span>
        </span>
    }
}
