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
    leptos::mount::hydrate_body(app::App);
    app::build_info::mark_hydrated();
}
