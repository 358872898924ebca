//! Browser notifications (the Notification API) for alert firings: asked for only on a
//! person's click (browsers refuse a request without one), shown for each firing the toasts
//! receive while permission is granted — also when the tab or the installed app is in the
//! background, as far as the platform delivers them (through the service worker where there
//! is one). Browser-only; on the server every call is a no-op.

/// Where the browser stands on notifications for this site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// The browser has no Notification API (or this is the server).
    Unsupported,
    /// Not asked yet.
    Default,
    Granted,
    Denied,
}

impl Permission {
    pub fn label(self) -> &'static str {
        match self {
            Permission::Unsupported => "unsupported",
            Permission::Default => "not asked",
            Permission::Granted => "on",
            Permission::Denied => "blocked",
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use super::Permission;
    use wasm_bindgen::JsCast;
    use web_sys::{
        Notification, NotificationOptions, NotificationPermission, ServiceWorkerRegistration,
    };

    fn supported() -> bool {
        web_sys::window()
            .and_then(|w| js_sys::Reflect::has(&w, &"Notification".into()).ok())
            .unwrap_or(false)
    }

    pub fn permission() -> Permission {
        if !supported() {
            return Permission::Unsupported;
        }
        match Notification::permission() {
            NotificationPermission::Granted => Permission::Granted,
            NotificationPermission::Denied => Permission::Denied,
            _ => Permission::Default,
        }
    }

    /// Asks (call it from a click); `done` gets the answer.
    pub fn request(done: impl Fn(Permission) + 'static) {
        if !supported() {
            done(Permission::Unsupported);
            return;
        }
        let Ok(promise) = Notification::request_permission() else {
            done(permission());
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            done(permission());
        });
    }

    /// Shows one, through the service worker when the page has one (the only way Android
    /// shows them, and an installed app's notification then leads back to it — `sw.js`), else
    /// with the page's own `Notification`. On a first visit the worker may still be installing
    /// (it keeps the app shell first) when a firing arrives: a registration without an active
    /// worker refuses `showNotification`, so this waits for `ready` — up to
    /// [`WORKER_WAIT_MS`], as a site whose worker never registers must still notify.
    pub fn show(title: &str, body: &str) {
        if permission() != Permission::Granted {
            return;
        }
        let options = NotificationOptions::new();
        options.set_body(body);
        options.set_icon("/icons/icon-192.png");
        let title = title.to_owned();
        let Some(ready) =
            web_sys::window().and_then(|w| w.navigator().service_worker().ready().ok())
        else {
            construct(&title, &options);
            return;
        };
        leptos::task::spawn_local(async move {
            let waited =
                js_sys::Promise::race(&js_sys::Array::of2(&ready, &timeout(WORKER_WAIT_MS)));
            let registration = wasm_bindgen_futures::JsFuture::from(waited)
                .await
                .ok()
                .and_then(|r| r.dyn_into::<ServiceWorkerRegistration>().ok());
            let shown = match registration {
                Some(registration) => {
                    match registration.show_notification_with_options(&title, &options) {
                        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
                        Err(_) => false,
                    }
                }
                None => false,
            };
            if !shown {
                construct(&title, &options);
            }
        });
    }

    /// How long a notification waits for the service worker to become active.
    const WORKER_WAIT_MS: i32 = 10_000;

    /// A promise that resolves to `undefined` after `ms`.
    fn timeout(ms: i32) -> js_sys::Promise {
        js_sys::Promise::new(&mut |resolve, _reject| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        })
    }

    fn construct(title: &str, options: &NotificationOptions) {
        if let Ok(n) = Notification::new_with_options(title, options) {
            // Clicking it brings the app's window forward.
            let focus = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
                if let Some(w) = web_sys::window() {
                    let _ = w.focus();
                }
            });
            n.set_onclick(Some(focus.as_ref().unchecked_ref()));
            focus.forget();
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::{permission, request, show};

#[cfg(not(target_arch = "wasm32"))]
pub fn permission() -> Permission {
    Permission::Unsupported
}

#[cfg(not(target_arch = "wasm32"))]
pub fn request(done: impl Fn(Permission) + 'static) {
    done(Permission::Unsupported);
}

#[cfg(not(target_arch = "wasm32"))]
pub fn show(_title: &str, _body: &str) {}
