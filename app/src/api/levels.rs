//! Levels: list (with the latest ticks of their instruments), create, edit, enable/disable,
//! delete and undo, and the audit log. Each answers with what is stored now.

use leptos::prelude::*;
use osp_core::model::{LevelLogEntry, Tick};
use osp_core::services::trading::{LevelDraft, LevelView};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelsView {
    pub levels: Vec<LevelView>,
    pub ticks: Vec<Tick>,
}

/// `POST /api/levels`.
#[server(endpoint = "levels")]
pub async fn list_levels() -> Result<LevelsView, AppError> {
    crate::api::serve("levels", |state| async move {
        let levels = state.levels.list().await?;
        let tokens: Vec<osp_core::model::InstrumentToken> =
            levels.iter().map(|l| l.stored.level.token).collect();
        let ticks = osp_core::ports::MarketData::latest(state.prices.as_ref(), &tokens);
        Ok(LevelsView { levels, ticks })
    })
    .await
}

/// `POST /api/levels/create` with `{"draft": {...}}`.
#[server(endpoint = "levels/create", input = leptos::server_fn::codec::Json)]
pub async fn create_level(draft: LevelDraft) -> Result<LevelView, AppError> {
    crate::api::serve("levels/create", |state| async move {
        Ok(state.levels.create(&draft).await?)
    })
    .await
}

/// `POST /api/levels/update` with `{"id": N, "draft": {...}, "seen_updated_ms": T}`: `T` is
/// the level's `updated_ms` when the form was opened; a level that changed since (it
/// triggered, say) is not overwritten.
#[server(endpoint = "levels/update", input = leptos::server_fn::codec::Json)]
pub async fn update_level(
    id: i64,
    draft: LevelDraft,
    seen_updated_ms: i64,
) -> Result<LevelView, AppError> {
    crate::api::serve("levels/update", |state| async move {
        Ok(state
            .levels
            .update(osp_core::model::LevelId(id), &draft, seen_updated_ms)
            .await?)
    })
    .await
}

/// `POST /api/levels/enable`.
#[server(endpoint = "levels/enable")]
pub async fn set_level_enabled(id: i64, enabled: bool) -> Result<LevelView, AppError> {
    crate::api::serve("levels/enable", |state| async move {
        Ok(state
            .levels
            .set_enabled(osp_core::model::LevelId(id), enabled)
            .await?)
    })
    .await
}

/// `POST /api/levels/delete`.
#[server(endpoint = "levels/delete")]
pub async fn delete_level(id: i64) -> Result<(), AppError> {
    crate::api::serve("levels/delete", |state| async move {
        Ok(state.levels.delete(osp_core::model::LevelId(id)).await?)
    })
    .await
}

/// `POST /api/levels/restore`: undoes a delete.
#[server(endpoint = "levels/restore")]
pub async fn restore_level(id: i64) -> Result<LevelView, AppError> {
    crate::api::serve("levels/restore", |state| async move {
        Ok(state.levels.restore(osp_core::model::LevelId(id)).await?)
    })
    .await
}

/// `POST /api/levels/log`: the newest entries of one level's audit log (or of all levels).
#[server(endpoint = "levels/log")]
pub async fn level_log(level: Option<i64>, limit: u32) -> Result<Vec<LevelLogEntry>, AppError> {
    crate::api::serve("levels/log", |state| async move {
        Ok(state
            .levels
            .log(level.map(osp_core::model::LevelId), limit)
            .await?)
    })
    .await
}
