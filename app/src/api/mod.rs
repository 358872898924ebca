//! Server functions, one module per area. Each parses its input, calls one service and maps
//! the error; no business rule lives here.

#[cfg(feature = "ssr")]
pub mod access;
pub mod activity;
pub mod alerts;
pub mod auth;
pub mod instruments;
pub mod kite;
pub mod kite_alerts;
pub mod levels;
pub mod levels_csv;
pub mod notifications;
pub mod orders;
pub mod risk;
pub mod statement;
pub mod status;
pub mod trades;
pub mod users;
pub mod watchlists;
pub mod webhooks;
pub mod workers;

/// Every server function's body runs here, named by its endpoint: the caller's role is checked
/// against the access table first (`access::check`: the same rule whether the call came over
/// HTTP or from a page rendering on the server), a read from Kite is taken from the user's
/// budget (`access::KiteReadBudgets`), then `work` gets the app's state, and an error
/// answers with the status it calls for (a 400, a 403, a 503 — server functions otherwise answer
/// every error with 500).
#[cfg(feature = "ssr")]
pub(crate) async fn serve<T, Work, Done>(
    endpoint: &'static str,
    work: Work,
) -> Result<T, crate::error::AppError>
where
    Work: FnOnce(crate::state::AppState) -> Done,
    Done: std::future::Future<Output = Result<T, crate::error::AppError>>,
{
    let result = match access::check(endpoint)
        .and_then(|()| crate::state::app_state())
        .and_then(|state| state.kite_reads.take(endpoint).map(|()| state))
    {
        Ok(state) => work(state).await,
        Err(e) => Err(e),
    };
    crate::error::with_status(result)
}
