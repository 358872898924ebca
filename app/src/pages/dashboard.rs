use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::market::get_market_snapshot;
use crate::components::{MarketWatch, SystemCard};

#[component]
pub fn DashboardPage() -> impl IntoView {
    // Blocking, so the first HTML already holds prices; the stream takes over after hydration.
    let initial = Resource::new_blocking(|| (), |_| get_market_snapshot());
    view! {
        <Title text="Dashboard · OS Platforms"/>
        <section class="page dashboard">
            <h1>"Dashboard"</h1>
            <div class="grid">
                <Suspense fallback=|| view! { <p class="muted">"Loading prices…"</p> }>
                    {move || Suspend::new(async move {
                        match initial.await {
                            Ok(snapshot) => view! { <MarketWatch initial=snapshot/> }.into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <SystemCard/>
            </div>
        </section>
    }
}
