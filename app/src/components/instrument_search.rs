use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use osp_core::model::Instrument;

use crate::api::instruments::search_instruments;

/// A search box over the instruments master: type, move with ↑/↓, add with Enter (or a click),
/// close with Escape. Results are ranked by the server (symbol prefix first, then name, fuzzy).
#[component]
pub fn InstrumentSearch(
    on_pick: Callback<Instrument>,
    /// What the box asks for; the market watch's "search and add" by default.
    #[prop(optional)]
    placeholder: Option<&'static str>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<Instrument>::new());
    let highlighted = RwSignal::new(0usize);
    let error = RwSignal::new(None::<String>);

    let run = move |text: String| {
        query.set(text.clone());
        if text.trim().is_empty() {
            results.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let found = search_instruments(text.clone()).await;
            // A later keystroke has its own search; drop this answer.
            if query.get_untracked() != text {
                return;
            }
            match found {
                Ok(found) => {
                    error.set(None);
                    highlighted.set(0);
                    results.set(found);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    // The box's text is the input's own (not bound to `query`): hydrating must not wipe what
    // was typed into the server's page before the code arrived — on a phone, or while a
    // page's chunk of the split bundle loads, people start typing. Once the page is alive,
    // that text is searched for.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let typed = input.value();
            if !typed.trim().is_empty() && query.get_untracked().is_empty() {
                run(typed);
            }
        }
    });
    let pick = move |instrument: Instrument| {
        on_pick.run(instrument);
        query.set(String::new());
        results.set(Vec::new());
        if let Some(input) = input.get_untracked() {
            input.set_value("");
        }
    };
    let on_key = move |ev: KeyboardEvent| {
        let count = results.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                highlighted.update(|h| *h = (*h + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                highlighted.update(|h| *h = (*h + count - 1) % count);
            }
            "Enter" => {
                ev.prevent_default();
                let chosen = results.with(|r| r.get(highlighted.get_untracked()).cloned());
                if let Some(instrument) = chosen {
                    pick(instrument);
                }
            }
            "Escape" => results.set(Vec::new()),
            _ => {}
        }
    };

    view! {
        <div class="search">
            <input
                type="search"
                class="search-input"
                placeholder=placeholder.unwrap_or("Search and add: infy, nifty bank, sbin…")
                aria-label=placeholder.unwrap_or("Search instruments to add")
                aria-controls="search-results"
                autocomplete="off"
                data-testid="instrument-search"
                node_ref=input
                on:input=move |ev| run(event_target_value(&ev))
                on:keydown=on_key
            />
            <Show when=move || error.with(Option::is_some)>
                <p class="error small">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <ul
                id="search-results"
                class="search-results"
                role="listbox"
                data-testid="search-results"
                hidden=move || results.with(Vec::is_empty)
            >
                <For
                    each=move || results.get().into_iter().enumerate()
                    key=|(n, i)| (*n, i.token)
                    children=move |(n, instrument)| {
                        let chosen = instrument.clone();
                        view! {
                            <li
                                role="option"
                                data-testid="search-result"
                                data-token=instrument.token.0
                                aria-selected=move || (highlighted.get() == n).to_string()
                                class:active=move || highlighted.get() == n
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    pick(chosen.clone());
                                }
                            >
                                <span class="symbol">{instrument.tradingsymbol.clone()}</span>
                                <span class="exchange">{instrument.exchange.code()}</span>
                                <span class="muted small result-name">
                                    {describe(&instrument)}
                                </span>
                            </li>
                        }
                    }
                />
            </ul>
        </div>
    }
}

/// "RELIANCE INDUSTRIES · EQ", "NIFTY · FUT 2026-12-29".
fn describe(i: &Instrument) -> String {
    let mut text = if i.name.is_empty() {
        i.instrument_type.clone()
    } else {
        format!("{} · {}", i.name, i.instrument_type)
    };
    if let Some(expiry) = &i.expiry {
        text.push(' ');
        text.push_str(expiry);
    }
    text
}
