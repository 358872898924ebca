//! The Levels page: the level form, the table of levels with live prices, the undo of a
//! delete, and the recent level events (crossings, triggers, the orders they placed). Phases
//! and the log are read again every two seconds; prices stream.

use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::format::ist_clock;
use osp_core::model::{InstrumentToken, LevelLogEntry, Tick};
use osp_core::services::trading::LevelView;

use crate::api::levels::{
    LevelsView, delete_level, level_log, list_levels, restore_level, set_level_enabled,
};
use crate::components::{FormTarget, LevelForm, LevelTable, LevelsCsv};
use crate::live::use_market_stream;

const STREAM_KEY: &str = "levels";
const REFRESH_EVERY: Duration = Duration::from_secs(2);
const LOG_ENTRIES: u32 = 30;

#[component]
pub fn LevelsPage() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |_| list_levels());
    view! {
        <Title text="Levels · OS Platforms"/>
        <section class="page levels-page">
            <h1>"Levels"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading levels…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(view) => view! { <LevelsBoard initial=view/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn LevelsBoard(initial: LevelsView) -> impl IntoView {
    let stream = use_market_stream();
    let levels = RwSignal::new(initial.levels);
    let seed: StoredValue<HashMap<InstrumentToken, Tick>> =
        StoredValue::new(initial.ticks.into_iter().map(|t| (t.token, t)).collect());
    let log = RwSignal::new(Vec::<LevelLogEntry>::new());
    let message = RwSignal::new(None::<String>);
    let deleted = RwSignal::new(None::<(i64, String)>);
    let target = RwSignal::new(None::<FormTarget>);

    Effect::new(move |_| {
        let tokens = levels.with(|l| {
            let mut t: Vec<InstrumentToken> = l.iter().map(|v| v.stored.level.token).collect();
            t.sort_unstable();
            t.dedup();
            t
        });
        stream.follow(STREAM_KEY, tokens);
    });
    on_cleanup(move || stream.follow(STREAM_KEY, Vec::new()));

    let refresh = move || {
        leptos::task::spawn_local(async move {
            match list_levels().await {
                Ok(view) => levels.set(view.levels),
                Err(e) => message.set(Some(e.to_string())),
            }
            if let Ok(entries) = level_log(None, LOG_ENTRIES).await {
                log.set(entries);
            }
        });
    };
    // Browser only: effects do not run on the server.
    Effect::new(move |_| {
        refresh();
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });

    let upsert = move |view: LevelView| {
        levels.update(|all| {
            match all
                .iter_mut()
                .find(|v| v.stored.level.id == view.stored.level.id)
            {
                Some(slot) => *slot = view,
                None => all.push(view),
            }
        });
    };
    let on_saved = Callback::new(move |view: LevelView| {
        message.set(None);
        upsert(view);
        refresh();
    });
    let on_edit = Callback::new(move |view: LevelView| target.set(Some(FormTarget::edit(&view))));
    let on_toggle = Callback::new(move |(id, enabled): (i64, bool)| {
        leptos::task::spawn_local(async move {
            match set_level_enabled(id, enabled).await {
                Ok(view) => {
                    message.set(None);
                    upsert(view);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let on_delete = Callback::new(move |id: i64| {
        let label = levels.with_untracked(|all| {
            all.iter()
                .find(|v| v.stored.level.id.0 == id)
                .map(|v| {
                    format!(
                        "{} at {}",
                        v.stored.level.tradingsymbol,
                        v.stored.level.price.format_indian()
                    )
                })
                .unwrap_or_default()
        });
        leptos::task::spawn_local(async move {
            match delete_level(id).await {
                Ok(()) => {
                    message.set(None);
                    levels.update(|all| all.retain(|v| v.stored.level.id.0 != id));
                    deleted.set(Some((id, label)));
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    let undo = move |_| {
        let Some((id, _)) = deleted.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match restore_level(id).await {
                Ok(view) => {
                    deleted.set(None);
                    upsert(view);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };

    // One column: the table needs the page's width for its status and actions.
    view! {
        <div class="stack">
            <crate::user_context::RoleGate needs=osp_core::model::Access::Trader note="Viewers read the levels; a trader or an admin sets them.">
                <LevelForm target on_saved/>
            </crate::user_context::RoleGate>
            <section class="card" data-testid="levels">
                <header class="card-head">
                    <h2>"Your levels"</h2>
                    <span class="muted small" data-testid="level-count">
                        {move || match levels.with(Vec::len) {
                            1 => "1 level".to_owned(),
                            n => format!("{n} levels"),
                        }}
                    </span>
                </header>
                <LevelsCsv on_imported=Callback::new(move |()| refresh())/>
                <Show when=move || deleted.with(Option::is_some)>
                    <p class="notice small" role="status" data-testid="undo-delete">
                        {move || deleted.get().map(|(_, l)| format!("Deleted {l}. ")).unwrap_or_default()}
                        <button type="button" class="button subtle" data-testid="undo" on:click=undo>"Undo"</button>
                    </p>
                </Show>
                <Show when=move || message.with(Option::is_some)>
                    <p class="error small" role="alert" data-testid="levels-message">
                        {move || message.get().unwrap_or_default()}
                    </p>
                </Show>
                <Show
                    when=move || !levels.with(Vec::is_empty)
                    fallback=|| view! {
                        <p class="muted" data-testid="no-levels">
                            "No levels yet. Pick an instrument in the form to set one: when the \
                             market crosses it, exactly one order is placed."
                        </p>
                    }
                >
                    <LevelTable levels=levels.into() seed on_edit on_toggle on_delete/>
                </Show>
                <LevelLog log/>
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn LevelLog(log: RwSignal<Vec<LevelLogEntry>>) -> impl IntoView {
    view! {
        <h3 class="subhead">"Recent level events"</h3>
        <Show
            when=move || !log.with(Vec::is_empty)
            fallback=|| view! { <p class="muted small">"Nothing has crossed a level yet."</p> }
        >
            <ul class="event-log" data-testid="level-log">
                <For
                    each=move || log.get()
                    key=|e| e.id
                    children=|e| {
                        view! {
                            <li data-testid="level-event" data-kind=e.kind.label()>
                                <span class="muted">{ist_clock(e.at_ms)}</span>
                                " #" {e.level.0} " "
                                <strong>{e.kind.label()}</strong>
                                " at " {e.price.format_indian()} " — " {e.detail}
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
    }
    .into_any()
}
