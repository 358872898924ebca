//! Text a person typed into the server-rendered page before it hydrated. On a phone the wasm
//! takes seconds to arrive and people start typing; an input whose value is bound to a signal
//! would be wiped by hydrating with an empty one, so a form's signals start from what is there.

/// What was typed into input `name` of the server's form `form` (its `data-testid`) before the
/// page hydrated (on a phone the wasm takes seconds to arrive, and people start typing): the
/// inputs' values are bound to signals, so hydrating with empty ones would wipe it. Read from
/// the page's own form when the component is made, before it binds them; empty when the page
/// was not served with the form.
pub fn typed_before_hydration(form: &str, name: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(&format!("form[data-testid={form}] input[name={name}]"))
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (form, name);
        String::new()
    }
}
