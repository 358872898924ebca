//! Watchlists: list, create, rename, delete; add, remove and move instruments. Each answers
//! with the changed list (or all lists) so the page shows what is stored, not what it hoped.

use leptos::prelude::*;
use osp_core::model::{Tick, Watchlist};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Every list of the user, with the latest tick of each instrument on them (so the first
/// render already shows prices).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchlistsView {
    pub lists: Vec<Watchlist>,
    pub ticks: Vec<Tick>,
}

/// `POST /api/watchlists`.
#[server(endpoint = "watchlists")]
pub async fn get_watchlists() -> Result<WatchlistsView, AppError> {
    crate::api::serve("watchlists", |state| async move {
        let lists = state.watchlists.lists(&crate::auth::owner()?).await?;
        let tokens: Vec<osp_core::model::InstrumentToken> = lists
            .iter()
            .flat_map(|l| l.items.iter().map(|i| i.token))
            .collect();
        let ticks = osp_core::ports::MarketData::latest(state.prices.as_ref(), &tokens);
        Ok(WatchlistsView { lists, ticks })
    })
    .await
}

/// `POST /api/watchlists/create`.
#[server(endpoint = "watchlists/create")]
pub async fn create_watchlist(name: String) -> Result<Watchlist, AppError> {
    crate::api::serve("watchlists/create", |state| async move {
        Ok(state
            .watchlists
            .create(&crate::auth::owner()?, &name)
            .await?)
    })
    .await
}

/// `POST /api/watchlists/rename`.
#[server(endpoint = "watchlists/rename")]
pub async fn rename_watchlist(id: i64, name: String) -> Result<(), AppError> {
    crate::api::serve("watchlists/rename", |state| async move {
        Ok(state
            .watchlists
            .rename(&crate::auth::owner()?, id, &name)
            .await?)
    })
    .await
}

/// `POST /api/watchlists/delete`.
#[server(endpoint = "watchlists/delete")]
pub async fn delete_watchlist(id: i64) -> Result<(), AppError> {
    crate::api::serve("watchlists/delete", |state| async move {
        Ok(state.watchlists.delete(&crate::auth::owner()?, id).await?)
    })
    .await
}

/// `POST /api/watchlists/add`.
#[server(endpoint = "watchlists/add")]
pub async fn add_to_watchlist(id: i64, token: u32) -> Result<Watchlist, AppError> {
    crate::api::serve("watchlists/add", |state| async move {
        Ok(state
            .watchlists
            .add(
                &crate::auth::owner()?,
                id,
                osp_core::model::InstrumentToken(token),
            )
            .await?)
    })
    .await
}

/// `POST /api/watchlists/remove`.
#[server(endpoint = "watchlists/remove")]
pub async fn remove_from_watchlist(id: i64, token: u32) -> Result<Watchlist, AppError> {
    crate::api::serve("watchlists/remove", |state| async move {
        Ok(state
            .watchlists
            .remove(
                &crate::auth::owner()?,
                id,
                osp_core::model::InstrumentToken(token),
            )
            .await?)
    })
    .await
}

/// `POST /api/watchlists/move`: puts the instrument at position `to` (0 is the top).
#[server(endpoint = "watchlists/move")]
pub async fn move_in_watchlist(id: i64, token: u32, to: usize) -> Result<Watchlist, AppError> {
    crate::api::serve("watchlists/move", |state| async move {
        Ok(state
            .watchlists
            .reorder(
                &crate::auth::owner()?,
                id,
                osp_core::model::InstrumentToken(token),
                to,
            )
            .await?)
    })
    .await
}
