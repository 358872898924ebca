//! `GET /levels/export.csv`: every level as a CSV file to download (the format the import on
//! the Levels page reads back). A plain link, so it works without scripts.

use app::error::AppError;
use app::state::AppState;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

pub async fn export(State(state): State<AppState>) -> Response {
    let views = match state.levels.list().await {
        Ok(views) => views,
        Err(e) => return AppError::from(e).into_response(),
    };
    let levels: Vec<_> = views.into_iter().map(|v| v.stored.level).collect();
    match app::api::levels_csv::to_csv(&levels) {
        Ok(text) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (CONTENT_DISPOSITION, "attachment; filename=\"levels.csv\""),
            ],
            text,
        )
            .into_response(),
        Err(e) => AppError::internal(e).into_response(),
    }
}
