//! Pre-trade risk limits of the account, and the kill switch. Every limit is optional (`None`:
//! no limit); the defaults are deliberately conservative for a new account.

use serde::{Deserialize, Serialize};

use super::Price;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskLimits {
    /// Units in one order.
    pub max_order_quantity: Option<u32>,
    /// Quantity × price (the limit price, or the last price for a market order), in rupees.
    pub max_order_value: Option<Price>,
    /// Open trades at once; an order that would open one more is refused.
    pub max_open_positions: Option<u32>,
    /// Entry orders per IST day (exits never count and are never refused).
    pub max_orders_per_day: Option<u32>,
    /// Realised plus unrealised loss today, in rupees; once reached, new entries are refused.
    pub max_daily_loss: Option<Price>,
    /// How far a limit price may sit from the last price, in basis points (100 = 1 %).
    pub price_band_bp: Option<u32>,
}

impl RiskLimits {
    /// No limit at all (the kill switch still holds): for an account that sets its own, and
    /// for tests of everything but the limits.
    pub const NONE: RiskLimits = RiskLimits {
        max_order_quantity: None,
        max_order_value: None,
        max_open_positions: None,
        max_orders_per_day: None,
        max_daily_loss: None,
        price_band_bp: None,
    };
}

impl Default for RiskLimits {
    fn default() -> Self {
        Self {
            max_order_quantity: None,
            // ₹10 lakh.
            max_order_value: Price::from_rupees(1_000_000),
            max_open_positions: Some(20),
            max_orders_per_day: Some(200),
            max_daily_loss: None,
            price_band_bp: Some(500),
        }
    }
}

/// The kill switch, while engaged: no level triggers and no entry order goes out until the
/// trader releases it. Stored, so it holds across a restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillSwitch {
    pub engaged_ms: i64,
    /// Whether engaging it also squared off the open positions.
    pub squared_off: bool,
}
