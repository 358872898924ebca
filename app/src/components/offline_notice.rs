use leptos::prelude::*;

/// A banner while the browser has no network: the app shell still opens (service worker), but
/// prices and actions need the server.
#[component]
pub fn OfflineNotice() -> impl IntoView {
    let online = RwSignal::new(true);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            use wasm_bindgen::closure::Closure;
            let Some(window) = web_sys::window() else {
                return;
            };
            online.set(window.navigator().on_line());
            for (event, value) in [("online", true), ("offline", false)] {
                let cb = Closure::<dyn FnMut()>::new(move || online.set(value));
                if window
                    .add_event_listener_with_callback(event, cb.as_ref().unchecked_ref())
                    .is_ok()
                {
                    // The shell lives as long as the page.
                    cb.forget();
                }
            }
        }
    });
    view! {
        <Show when=move || !online.get()>
            <div class="offline-notice" role="alert" data-testid="offline-notice">
                "You are offline. This is the saved app shell; prices and orders return when the connection does."
            </div>
        </Show>
    }
}
