use leptos::prelude::*;
use leptos_meta::Title;

use crate::build_info::Hydrated;

/// Every unknown path: a real 404 status on the server, and a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · OS Platforms"/>
        <section class="page not-found" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link is mistyped."</p>
            <p>
                <a class="button" href="/">"Go to the dashboard"</a>
            </p>
        </section>
        <Hydrated/>
    }
}
