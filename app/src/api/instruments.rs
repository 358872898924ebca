//! Instruments: search the master (ranked: exact and prefix of the symbol first, then name,
//! then fuzzy) and one instrument's chart data.

use leptos::prelude::*;
use osp_core::model::{Candle, Instrument, MarketSession, Tick};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the instrument page needs at once: the contract, its 1-minute candles (backfilled from
/// the historical API), the latest tick and whether its market is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentView {
    pub instrument: Instrument,
    pub candles: Vec<Candle>,
    pub interval_ms: i64,
    /// Why older candles are missing, if the history could not be fetched.
    pub history_error: Option<String>,
    pub latest: Option<Tick>,
    pub session: MarketSession,
}

/// `POST /api/instruments/search`: up to 20 matches for `query`.
#[server(endpoint = "instruments/search")]
pub async fn search_instruments(query: String) -> Result<Vec<Instrument>, AppError> {
    crate::api::serve("instruments/search", |state| async move {
        if query.chars().count() > 64 {
            return Err(AppError::BadRequest(
                "a search has at most 64 characters".to_owned(),
            ));
        }
        Ok(state.catalog.search(&query, 20))
    })
    .await
}

/// `POST /api/instruments/chart`.
#[server(endpoint = "instruments/chart")]
pub async fn get_instrument(token: u32) -> Result<InstrumentView, AppError> {
    crate::api::serve("instruments/chart", |state| async move {
        use osp_core::model::InstrumentToken;
        let token = InstrumentToken(token);
        let instrument = state
            .catalog
            .get(token)
            .ok_or_else(|| AppError::NotFound(format!("instrument {}", token.0)))?;
        let now = state.clock.now_ms();
        let chart = state.prices.chart(token, now).await;
        Ok(InstrumentView {
            session: state.calendar.session(instrument.exchange, now),
            latest: state.prices.latest_tick(token),
            instrument,
            candles: chart.candles,
            interval_ms: chart.interval_ms,
            history_error: chart.history_error,
        })
    })
    .await
}
