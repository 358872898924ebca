//! The app's status (mode, version, health) as one resource shared by the status area and the
//! dashboard, with a way to ask for it again.

use leptos::prelude::*;
use osp_core::model::AppStatus;

use crate::api::status::get_status;
use crate::error::AppError;

const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone, Copy)]
pub struct StatusContext {
    pub status: Resource<Result<AppStatus, AppError>>,
    refresh: RwSignal<u32>,
}

impl StatusContext {
    pub fn refresh(&self) {
        self.refresh.update(|n| *n = n.wrapping_add(1));
    }
}

pub fn provide_status() {
    let refresh = RwSignal::new(0_u32);
    // Blocking: the first HTML already shows the mode, before any wasm runs.
    let status = Resource::new_blocking(move || refresh.get(), |_| get_status());
    let context = StatusContext { status, refresh };
    provide_context(context);
    // Read again now and then: the kill switch and the Kite session change on the server
    // (another browser, the broker), and every page's top bar must say so.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || context.refresh(), REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
}

pub fn use_status() -> StatusContext {
    expect_context::<StatusContext>()
}
