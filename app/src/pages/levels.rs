use leptos::prelude::*;

use super::ComingPage;

#[component]
pub fn LevelsPage() -> impl IntoView {
    view! {
        <ComingPage title="Levels">
            <p>"Your price levels will appear here, a table per instrument."</p>
            <p class="muted">
                "Each level shows its distance from the live price, whether it is armed, waiting \
                 for confirmation or triggered, and its last trigger. When the market crosses an \
                 armed level, exactly one order is placed."
            </p>
        </ComingPage>
    }
}
