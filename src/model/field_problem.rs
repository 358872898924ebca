//! `FieldProblem`: what is wrong with one field of a form — a level, an order ticket, the risk
//! limits, an alert, a Kite alert, a CSV row — so the form shows it beside the field it names.
//! One type from the rule that finds it to the page that shows it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The form's name for the field (`price`, `basket.0.quantity`, `row 3: price`).
    pub field: String,
    /// What is wrong and how to put it right.
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
