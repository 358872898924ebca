//! `/login`: username and password. After signing in the browser goes where it was headed
//! (`?next=`, only ever a path on this site), as a full page load so every page renders with
//! the session.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::log_in;
use crate::typed::typed_before_hydration;

/// `next` if it is a path on this site, else the dashboard: never another site (`//evil`,
/// `https://…`, `/\evil`, nor `/<tab>/evil`: browsers drop tabs and line breaks from an address,
/// and read a backslash as a slash, so no control character, space or backslash is taken).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
                && !path.starts_with("/login")
                && !path.starts_with("/setup") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A full page load of `path` (the session cookie is new: everything renders again).
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let username = RwSignal::new(typed_before_hydration("login-form", "username"));
    let password = RwSignal::new(typed_before_hydration("login-form", "password"));
    let code = RwSignal::new(typed_before_hydration("login-form", "code"));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The button works once the page has hydrated (the first HTML has no wasm behind it yet).
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let next = safe_next(query.get_untracked().get("next").as_deref());
        let (u, p) = (username.get_untracked(), password.get_untracked());
        let c = Some(code.get_untracked()).filter(|c| !c.trim().is_empty());
        leptos::task::spawn_local(async move {
            match log_in(u, p, c).await {
                Ok(_) => go_to(&next),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    password.set(String::new());
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <Title text="Sign in · OS Platforms"/>
        <main class="auth-page">
            <form class="card auth-card" on:submit=submit data-testid="login-form">
                <h1>"Sign in"</h1>
                <label class="field">
                    <span class="field-label">"Username"</span>
                    <input type="text" name="username" autocomplete="username" required
                        autocapitalize="none" spellcheck="false" data-testid="login-username"
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required
                        data-testid="login-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">"Authenticator code (if you turned it on)"</span>
                    <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                        maxlength="6" data-testid="login-code"
                        prop:value=move || code.get()
                        on:input=move |ev| code.set(event_target_value(&ev))/>
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="login-error">{e}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="login-submit"
                        disabled=move || !ready.get() || busy.get()>
                        {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </div>
                <p class="muted small">"Forgot the password? An admin can set a new one on the Settings page."</p>
            </form>
        </main>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_only_ever_a_path_on_this_site() {
        assert_eq!(safe_next(Some("/levels?x=1")), "/levels?x=1");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/login?next=/x")), "/");
        // Browsers drop a tab or line break: `/\t/evil` would be `//evil`.
        assert_eq!(safe_next(Some("/\t/example.org")), "/");
        assert_eq!(safe_next(Some("/\n/example.org")), "/");
        assert_eq!(safe_next(Some("/\r\n/example.org")), "/");
        assert_eq!(safe_next(Some("/ /example.org")), "/");
        assert_eq!(safe_next(Some("/levels\\x")), "/");
    }
}
