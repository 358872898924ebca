//! The Account page's broker statement: funds and margins, holdings, and today's order and
//! trade books as the broker reports them — every order, however it was placed, each said to
//! be the app's (it carries the tag of one of the app's orders) or outside. Read at most once
//! per `STATEMENT_TTL_MS` however many pages are open (Kite's rate limits), and again at once
//! after a fill.

use serde::{Deserialize, Serialize};

use crate::model::BrokerStatement;

use super::{TradeService, lock};

/// The statement is read from the broker at most this often.
pub const STATEMENT_TTL_MS: i64 = 10_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementView {
    /// `None` when the venue keeps no statement or it could not be read (`problem` says why).
    pub statement: Option<BrokerStatement>,
    /// The order ids in the book that are the app's.
    pub ours: Vec<String>,
    pub read_ms: i64,
    pub problem: Option<String>,
    /// The fills counted when it was read: a new fill reads it again before the TTL.
    #[serde(skip)]
    fills: u64,
}

impl TradeService {
    fn fills_seen(&self) -> u64 {
        self.fills_seen.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The broker's statement, as read within the last `STATEMENT_TTL_MS` (and since the last
    /// fill the app saw).
    pub async fn statement(&self) -> StatementView {
        let now = self.clock.now_ms();
        let fills = self.fills_seen();
        if let Some(cached) = lock(&self.statement_cache)
            .as_ref()
            .filter(|c| now - c.read_ms < STATEMENT_TTL_MS && c.fills == fills)
        {
            return cached.clone();
        }
        let view = match self.executor.statement().await {
            Ok(Some((statement, ours))) => StatementView {
                statement: Some(statement),
                ours,
                read_ms: now,
                problem: None,
                fills,
            },
            Ok(None) => StatementView {
                read_ms: now,
                fills,
                ..StatementView::default()
            },
            Err(e) => StatementView {
                read_ms: now,
                problem: Some(format!(
                    "the broker's funds, holdings and order book could not be read: {e}"
                )),
                fills,
                ..StatementView::default()
            },
        };
        *lock(&self.statement_cache) = Some(view.clone());
        view
    }
}
