//! The browser entry: hydrates the server-rendered app. Nothing else lives here.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A page from another build would fail half-way through hydrating: say so instead.
    if let Err(problem) = app::build_info::check_page() {
        leptos::logging::error!("{problem}");
        app::build_info::show_banner(&problem);
        return;
    }
    // Hydrated as a future: a signed-in page's route loads its code first (a wasm chunk of the
    // split release build, app/src/pages/routes.rs). `<html data-hydrated>` is set by the page
    // itself once its route has hydrated (`app::build_info::Hydrated`).
    leptos::mount::hydrate_lazy(app::App);
}
