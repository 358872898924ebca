use leptos::prelude::*;

use super::icons::{Glyph, Icon};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
    fn key(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    fn glyph(self) -> Glyph {
        match self {
            Theme::System => Glyph::ThemeSystem,
            Theme::Light => Glyph::Sun,
            Theme::Dark => Glyph::Moon,
        }
    }
}

const STORAGE_KEY: &str = "osp-theme";

/// Cycles System → Light → Dark. The choice is remembered in the browser and applied before
/// first paint by the shell's boot script.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(Theme::System);
    // After hydration, pick up the remembered choice.
    Effect::new(move |_| {
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        theme.set(match stored.as_deref() {
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            _ => Theme::System,
        });
    });
    let on_click = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        apply(next);
    };
    view! {
        <button
            class="theme-toggle"
            type="button"
            data-testid="theme-toggle"
            data-theme-choice=move || theme.get().key()
            title=move || format!("Theme: {} (click to change)", theme.get().key())
            aria-label=move || format!("Theme: {}", theme.get().key())
            on:click=on_click
        >
            {move || view! { <Icon glyph=theme.get().glyph()/> }}
            <span class="theme-name">{move || theme.get().key()}</span>
        </button>
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn apply(theme: Theme) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    let storage = storage();
    match theme {
        Theme::System => {
            if let Some(root) = root {
                let _ = root.remove_attribute("data-theme");
            }
            if let Some(s) = storage {
                let _ = s.remove_item(STORAGE_KEY);
            }
        }
        Theme::Light | Theme::Dark => {
            if let Some(root) = root {
                let _ = root.set_attribute("data-theme", theme.key());
            }
            if let Some(s) = storage {
                let _ = s.set_item(STORAGE_KEY, theme.key());
            }
        }
    }
}
