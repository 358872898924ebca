//! `POST /session/token` (request token + checksum → access token), `DELETE /session/token`,
//! the profile and margins.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};

use super::super::SimState;
use super::params::Params;
use super::reply::{SimError, SimResult, ok};
use kite_connect::http::models::{Margins, Profile, Session};

pub(super) fn profile_of(sim: &SimState) -> Profile {
    Profile {
        user_id: sim.broker.user_id().to_owned(),
        user_type: "individual".into(),
        email: "demo@osplatforms.local".into(),
        user_name: "Demo Trader".into(),
        user_shortname: "Demo".into(),
        broker: "ZERODHA".into(),
        exchanges: ["NSE", "BSE", "NFO"].map(String::from).to_vec(),
        products: ["CNC", "NRML", "MIS"].map(String::from).to_vec(),
        order_types: ["MARKET", "LIMIT", "SL", "SL-M"].map(String::from).to_vec(),
        avatar_url: None,
    }
}

pub(super) async fn create_session(State(sim): State<Arc<SimState>>, body: Bytes) -> SimResult {
    let form = Params::parse(&body);
    let api_key = form.required("api_key")?;
    let request_token = form.required("request_token")?;
    let checksum = form.required("checksum")?;
    let access_token = sim.auth.exchange(api_key, request_token, checksum)?;
    Ok(ok(Session {
        profile: profile_of(&sim),
        api_key: api_key.to_owned(),
        access_token,
        public_token: String::new(),
        refresh_token: String::new(),
        login_time: sim.now_text(),
    }))
}

pub(super) async fn invalidate_session(
    State(sim): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> SimResult {
    let query = Params::parse(query.unwrap_or_default().as_bytes());
    let api_key = query.required("api_key")?;
    let token = query.required("access_token")?;
    sim.auth.invalidate(api_key, token)?;
    Ok(ok(true))
}

pub(super) async fn profile(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(profile_of(&sim)))
}

pub(super) async fn margins(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(Margins {
        equity: Some(sim.broker.equity_margin()),
        commodity: None,
    }))
}

pub(super) async fn segment_margins(
    State(sim): State<Arc<SimState>>,
    Path(segment): Path<String>,
) -> SimResult {
    match segment.as_str() {
        "equity" => Ok(ok(sim.broker.equity_margin())),
        "commodity" => Err(SimError::input(
            "The commodity segment is not enabled for this account.",
        )),
        other => Err(SimError::input(format!(
            "Invalid segment `{other}`; use equity or commodity."
        ))),
    }
}
