//! Trades: the trade book (each trade with its entry, exits, live P&L, and the day's totals)
//! and the exit button; the paper account in paper mode, and its reset.

use leptos::prelude::*;
use osp_core::model::Trade;
use osp_core::services::trading::{PaperAccount, TradeBook};

use crate::error::AppError;

/// `POST /api/trades`.
#[server(endpoint = "trades")]
pub async fn list_trades() -> Result<TradeBook, AppError> {
    crate::api::serve("trades", |state| async move {
        state.trades.book().await.map_err(AppError::internal)
    })
    .await
}

/// `POST /api/account`: the broker's net positions now, each with the app's trades on it and
/// what of it is outside the app; and the rest of the account as the broker reports it (funds,
/// holdings, order and trade books), as HTML rendered here (read at most once per
/// `STATEMENT_TTL_MS`).
#[server(endpoint = "account")]
pub async fn account_view() -> Result<osp_core::services::trading::AccountView, AppError> {
    crate::api::serve("account", |state| async move {
        let mut view = state.trades.account().await;
        view.mismatches = state.risk.mismatches();
        view.statement_html = crate::api::statement::html::render(&state.trades.statement().await);
        Ok(view)
    })
    .await
}

/// `POST /api/account/acknowledge`: the trader knows of the units the app's trades do not
/// explain on one broker position; entries on its instrument may go out again (until those
/// units change). Nothing is placed or changed at the broker.
#[server(endpoint = "account/acknowledge", input = leptos::server_fn::codec::Json)]
pub async fn acknowledge_mismatch(
    key: osp_core::model::PositionKey,
) -> Result<osp_core::model::Mismatch, AppError> {
    crate::api::serve("account/acknowledge", |state| async move {
        let by = crate::auth::signed_in()?.username;
        Ok(state.risk.acknowledge(&key, &by).await?)
    })
    .await
}

/// `POST /api/account/adopt`: the outside units of one broker position become a trade the app
/// manages (entry price, stop, target), recorded with who adopted it. No order is placed but
/// the stop order that protects a trade with a stop.
#[server(endpoint = "account/adopt", input = leptos::server_fn::codec::Json)]
pub async fn adopt_position(
    draft: osp_core::services::trading::AdoptionDraft,
) -> Result<Trade, AppError> {
    crate::api::serve("account/adopt", |state| async move {
        let by = crate::auth::signed_in()?.username;
        let trade = state.trades.adopt(&draft, &by).await?;
        // The adopted units are explained now: a mismatch on them is cleared at once, not at
        // the next housekeeping.
        if let Err(e) = state.risk.check_mismatches().await {
            tracing::warn!(error = %e, "the mismatches could not be read again after an adoption");
        }
        Ok(trade)
    })
    .await
}

/// `POST /api/account/exit-outside`: one market order for exactly the units the broker holds
/// outside the app's trades on one position (read again just before it is sent). It passes the
/// risk gate as an exit — the kill switch never holds it back — and opens no trade.
#[server(endpoint = "account/exit-outside", input = leptos::server_fn::codec::Json)]
pub async fn exit_outside(
    key: osp_core::model::PositionKey,
) -> Result<osp_core::model::OrderIntent, AppError> {
    crate::api::serve("account/exit-outside", |state| async move {
        let by = crate::auth::signed_in()?.username;
        let sent = state.trades.exit_outside(&key).await?;
        tracing::info!(
            user = %by,
            order = sent.id,
            instrument = %key.tradingsymbol,
            quantity = sent.request.quantity,
            "units held outside the app sent to exit"
        );
        Ok(sent)
    })
    .await
}

/// `POST /api/trades/exit`: a market order for everything the trade still holds.
#[server(endpoint = "trades/exit")]
pub async fn exit_trade(id: i64) -> Result<Trade, AppError> {
    crate::api::serve("trades/exit", |state| async move {
        Ok(state.trades.exit(osp_core::model::TradeId(id)).await?)
    })
    .await
}

/// `POST /api/paper/account`: the paper account (capital, free funds, realised profit), or
/// nothing outside paper mode.
#[server(endpoint = "paper/account")]
pub async fn get_paper_account() -> Result<Option<PaperAccount>, AppError> {
    crate::api::serve("paper/account", |state| async move {
        Ok(state.paper.as_ref().map(|p| p.account()))
    })
    .await
}

/// `POST /api/paper/reset`: starts the paper account afresh (full capital, no result), once no
/// trade is open and no order working. Refused outside paper mode.
#[server(endpoint = "paper/reset")]
pub async fn reset_paper_account() -> Result<PaperAccount, AppError> {
    crate::api::serve("paper/reset", |state| async move {
        let paper = state.paper.as_ref().ok_or_else(|| {
            AppError::BadRequest(
                "this is not paper mode: only the paper account can be reset".to_owned(),
            )
        })?;
        Ok(paper.reset().await?)
    })
    .await
}
