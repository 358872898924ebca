use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::watchlists::get_watchlists;
use crate::components::{MarketWatch, SystemCard};

#[component]
pub fn DashboardPage() -> impl IntoView {
    // Blocking, so the first HTML already holds the lists and prices; the stream takes over
    // after hydration.
    let initial = Resource::new_blocking(|| (), |_| get_watchlists());
    view! {
        <Title text="Dashboard · OS Platforms"/>
        <section class="page dashboard">
            <h1>"Dashboard"</h1>
            <div class="grid">
                <Suspense fallback=|| view! { <p class="muted">"Loading watchlists…"</p> }>
                    {move || Suspend::new(async move {
                        match initial.await {
                            Ok(view) => view! { <MarketWatch initial=view/> }.into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <SystemCard/>
            </div>
        </section>
    }
}
