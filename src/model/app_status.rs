//! `AppStatus`: what the server reports about itself — to the status area, to `/health`.

use serde::{Deserialize, Serialize};

use super::{InstrumentsLoad, MarketSession, TradingMode};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    Ok,
    Down,
}

/// One dependency's health, with a reason when it is down. The reason is for operators: it
/// names what failed, never a credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentHealth {
    pub state: HealthState,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    pub version: String,
    pub mode: TradingMode,
    /// `sqlite` or `postgres`.
    pub database_backend: String,
    pub database: ComponentHealth,
    pub feed: ComponentHealth,
    /// The NSE equity session now (the calendar the monitors use).
    pub market: MarketSession,
    /// Where the instruments master's load stands.
    pub instruments: InstrumentsLoad,
    /// Server time, milliseconds since the Unix epoch.
    pub server_time_ms: i64,
    /// The kill switch is on: no level triggers and no entry order goes out.
    #[serde(default)]
    pub halted: bool,
    /// Broker positions the app's trades do not explain, not yet acknowledged: entries on
    /// their instruments are held back (the Account page names them).
    #[serde(default)]
    pub mismatches: u32,
    /// The broker session has ended: nothing is sent until Kite is connected again.
    #[serde(default)]
    pub session_expired: Option<super::SessionExpiry>,
}

impl AppStatus {
    /// The app is healthy when it can reach its database; a stalled feed degrades the dashboard
    /// but is reported separately.
    pub fn overall(&self) -> HealthState {
        self.database.state
    }

    /// The feed is fine for readiness: up, or quiet because the market is closed.
    pub fn feed_ready(&self) -> bool {
        self.feed.state == HealthState::Ok || !self.market.open
    }
}
