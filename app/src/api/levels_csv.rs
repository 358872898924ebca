//! Levels as CSV: export (every level, one row each, in the form's own words) and import (every
//! row checked like the form, then all stored or none). Instruments are named by exchange and
//! trading symbol, so a file moves between installations whose instrument tokens differ.

use leptos::prelude::*;
use osp_core::services::trading::LevelView;

use crate::error::AppError;

/// The biggest file an import takes (about 1000 levels with long notes).
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;

#[cfg(feature = "ssr")]
mod rows {
    use osp_core::model::{Exchange, Level, LevelTrigger, OrderSide, ProductKind};
    use osp_core::services::instruments::InstrumentCatalog;
    use osp_core::services::trading::{ConfirmationChoice, LevelDraft, RearmChoice};
    use serde::{Deserialize, Serialize};

    use crate::error::FieldProblem;

    /// One level in the file: the instrument by name, then the form's fields.
    #[derive(Serialize, Deserialize)]
    struct Row {
        exchange: String,
        tradingsymbol: String,
        price: String,
        trigger: LevelTrigger,
        on_up: Option<OrderSide>,
        on_down: Option<OrderSide>,
        quantity: String,
        product: ProductKind,
        limit_offset: String,
        target: String,
        stop_loss: String,
        trailing_stop: String,
        confirmation: ConfirmationChoice,
        confirmation_value: String,
        rearm: RearmChoice,
        rearm_distance: String,
        window_from: String,
        window_to: String,
        enabled: bool,
        note: String,
    }

    /// The header, in `Row`'s field order (the import reads columns by these names).
    const HEADER: [&str; 20] = [
        "exchange",
        "tradingsymbol",
        "price",
        "trigger",
        "on_up",
        "on_down",
        "quantity",
        "product",
        "limit_offset",
        "target",
        "stop_loss",
        "trailing_stop",
        "confirmation",
        "confirmation_value",
        "rearm",
        "rearm_distance",
        "window_from",
        "window_to",
        "enabled",
        "note",
    ];

    pub fn to_csv(levels: &[Level]) -> Result<String, String> {
        // The header is written by hand so a file with no levels still has it.
        let mut out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        out.write_record(HEADER)
            .map_err(|e| format!("cannot write the CSV: {e}"))?;
        for level in levels {
            let d = LevelDraft::from_level(level);
            out.serialize(Row {
                exchange: level.exchange.code().to_owned(),
                tradingsymbol: level.tradingsymbol.clone(),
                price: d.price,
                trigger: d.trigger,
                on_up: d.on_up,
                on_down: d.on_down,
                quantity: d.quantity,
                product: d.product,
                limit_offset: d.limit_offset,
                target: d.target,
                stop_loss: d.stop_loss,
                trailing_stop: d.trailing_stop,
                confirmation: d.confirmation,
                confirmation_value: d.confirmation_value,
                rearm: d.rearm,
                rearm_distance: d.rearm_distance,
                window_from: d.window_from,
                window_to: d.window_to,
                enabled: d.enabled,
                note: inert(d.note),
            })
            .map_err(|e| format!("cannot write the CSV: {e}"))?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| format!("cannot write the CSV: {e}"))?;
        String::from_utf8(bytes).map_err(|e| format!("the CSV is not text: {e}"))
    }

    /// What a spreadsheet reads as a formula when a cell starts with it.
    const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

    /// Free text as a spreadsheet shows it and never runs it: a note starting like a formula
    /// (`=HYPERLINK(…)`) gets a leading `'`, which spreadsheets show as text.
    fn inert(text: String) -> String {
        if text.starts_with(FORMULA_STARTS) {
            format!("'{text}")
        } else {
            text
        }
    }

    /// `inert` undone on import, so an exported note comes back as it was.
    fn revived(text: String) -> String {
        match text.strip_prefix('\'') {
            Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_owned(),
            _ => text,
        }
    }

    fn problem(line: usize, field: &str, message: String) -> FieldProblem {
        FieldProblem {
            field: format!("row {line}: {field}"),
            message: format!("row {line}: {message}"),
        }
    }

    /// Each row as a draft with its line number, or every row that cannot be read (a wrong
    /// value for a choice, an unknown instrument).
    pub fn from_csv(
        text: &str,
        catalog: &InstrumentCatalog,
    ) -> Result<Vec<(usize, LevelDraft)>, Vec<FieldProblem>> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut drafts = Vec::new();
        let mut problems = Vec::new();
        for (i, record) in reader.deserialize::<Row>().enumerate() {
            // The header is line 1.
            let line = i + 2;
            let row = match record {
                Ok(row) => row,
                Err(e) => {
                    let message = match e.kind() {
                        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
                            Some(n) => format!("column {}: {}", n + 1, err.kind()),
                            None => err.kind().to_string(),
                        },
                        _ => e.to_string(),
                    };
                    problems.push(problem(line, "row", message));
                    continue;
                }
            };
            let Ok(exchange) = row.exchange.parse::<Exchange>() else {
                problems.push(problem(
                    line,
                    "exchange",
                    format!("'{}' is not an exchange (NSE, BSE, NFO, …)", row.exchange),
                ));
                continue;
            };
            let Some(instrument) = catalog.find(exchange, &row.tradingsymbol) else {
                problems.push(problem(
                    line,
                    "instrument",
                    format!(
                        "{}:{} is not in today's instruments list",
                        exchange.code(),
                        row.tradingsymbol
                    ),
                ));
                continue;
            };
            drafts.push((
                line,
                LevelDraft {
                    token: instrument.token.0,
                    price: row.price,
                    trigger: row.trigger,
                    on_up: row.on_up,
                    on_down: row.on_down,
                    quantity: row.quantity,
                    product: row.product,
                    limit_offset: row.limit_offset,
                    target: row.target,
                    stop_loss: row.stop_loss,
                    trailing_stop: row.trailing_stop,
                    confirmation: row.confirmation,
                    confirmation_value: row.confirmation_value,
                    rearm: row.rearm,
                    rearm_distance: row.rearm_distance,
                    window_from: row.window_from,
                    window_to: row.window_to,
                    enabled: row.enabled,
                    note: revived(row.note),
                },
            ));
        }
        if problems.is_empty() {
            Ok(drafts)
        } else {
            Err(problems)
        }
    }
}

#[cfg(feature = "ssr")]
pub use rows::{from_csv, to_csv};

/// `POST /api/levels/import` (`csv`: the file's text): every row is checked like the form;
/// any problem refuses the whole file with the rows and fields named, nothing stored.
#[server(endpoint = "levels/import")]
pub async fn import_levels(csv: String) -> Result<Vec<LevelView>, AppError> {
    crate::api::serve("levels/import", |state| async move {
        if csv.len() > MAX_IMPORT_BYTES {
            return Err(AppError::BadRequest(format!(
                "the file is {} KB; an import takes at most {} KB",
                csv.len() / 1024,
                MAX_IMPORT_BYTES / 1024
            )));
        }
        let rows = from_csv(&csv, &state.catalog).map_err(AppError::Invalid)?;
        Ok(state.levels.import(&rows).await?)
    })
    .await
}
