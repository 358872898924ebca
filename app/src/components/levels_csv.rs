//! Levels as a file: download them all as CSV (a plain link), or import a CSV of levels — every
//! row checked like the form; any problem refuses the whole file, listing rows and fields.

use leptos::prelude::*;

use crate::api::levels_csv::import_levels;
use crate::error::{AppError, FieldProblem};

#[component]
pub fn LevelsCsv(
    /// Called after an import stored levels, so the page reads them again.
    on_imported: Callback<()>,
) -> impl IntoView {
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        let input: leptos::web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same file may be chosen again after it was fixed.
        input.set_value("");
        busy.set(true);
        problems.set(Vec::new());
        message.set(None);
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string());
            let Some(text) = text else {
                busy.set(false);
                message.set(Some("The file could not be read as text.".to_owned()));
                return;
            };
            let result = import_levels(text).await;
            busy.set(false);
            match result {
                Ok(stored) => {
                    message.set(Some(match stored.len() {
                        1 => "Imported 1 level.".to_owned(),
                        n => format!("Imported {n} levels."),
                    }));
                    on_imported.run(());
                }
                Err(AppError::Invalid(found)) => {
                    message.set(Some(
                        "Nothing was imported: fix these rows and try again.".to_owned(),
                    ));
                    problems.set(found);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <div class="levels-csv" data-testid="levels-csv">
            <a class="button subtle" href="/levels/export.csv" download="levels.csv"
                data-testid="export-levels" rel="external">"Export CSV"</a>
            <label class="button subtle file-button">
                "Import CSV"
                <input type="file" accept=".csv,text/csv" class="visually-hidden"
                    data-testid="import-levels" disabled=move || busy.get() on:change=on_file/>
            </label>
            {move || message.get().map(|m| view! { <span class="small" role="status" data-testid="import-message">{m}</span> })}
            <Show when=move || !problems.with(Vec::is_empty)>
                <ul class="import-problems small" data-testid="import-problems">
                    {move || problems.get().into_iter().map(|p| view! { <li class="field-error">{p.message}</li> }).collect_view()}
                </ul>
            </Show>
        </div>
    }
    .into_any()
}
