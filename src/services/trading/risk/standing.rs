//! `StandingOrders`: orders the broker holds to place on its own later, without asking this app
//! again (Kite's ATO alerts; GTTs when they come). The gate checks each when it is handed over;
//! engaging the kill switch takes them all back out of the broker's hands, kept here so that
//! putting them back after the release is a deliberate act of the trader's.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What taking the standing orders back did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandDown {
    /// How many the broker no longer holds.
    pub suspended: u32,
    /// What could not be done, each saying what the trader should do (an alert the broker
    /// could not be asked to delete now is tried again at the next sync).
    pub problems: Vec<String>,
}

#[async_trait]
pub trait StandingOrders: Send + Sync {
    /// Takes every standing order this app can put back out of the broker's hands.
    async fn stand_down(&self) -> StandDown;
}
