//! Unknown `/api/…` paths answer in the API's own language — `AppError` as JSON — rather
//! than with the HTML 404 page meant for people.

use app::error::AppError;
use axum::http::{Method, Uri};

pub async fn api_not_found(method: Method, uri: Uri) -> AppError {
    AppError::NotFound(format!("the API endpoint {method} {}", uri.path()))
}
