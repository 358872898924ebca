//! A form's per-field problems, as the server named them: the text for one field (several
//! joined), and the message shown beside it. Shared by the level, alert and Kite alert forms.

use leptos::prelude::*;

use crate::error::FieldProblem;

/// What the server said about `field`, if anything.
pub fn problem_for(problems: RwSignal<Vec<FieldProblem>>, field: &str) -> Option<String> {
    problems.with(|p| {
        let text: Vec<&str> = p
            .iter()
            .filter(|p| p.field == field)
            .map(|p| p.message.as_str())
            .collect();
        (!text.is_empty()).then(|| text.join("; "))
    })
}

/// The message beside `field` (test id `{prefix}problem-{field}`), while there is one.
#[component]
pub fn FieldMessage(
    problems: RwSignal<Vec<FieldProblem>>,
    #[prop(into)] field: String,
    #[prop(optional)] prefix: &'static str,
) -> impl IntoView {
    move || {
        problem_for(problems, &field).map(|text| {
            view! { <span class="field-error" data-testid=format!("{prefix}problem-{field}")>{text}</span> }
        })
    }
}
