//! `Trade`: the position one entry order opened, from its first fill to its exit — entry price
//! (the fills' average), the exits the trade monitor manages (target, stop-loss, trailing stop,
//! the intraday square-off), and the realised result.

use serde::{Deserialize, Serialize};

use super::{Distance, Exchange, InstrumentToken, LevelId, OrderSide, Price, ProductKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeState {
    /// Holding the position; the monitor watches its exits.
    Open,
    /// An exit order is out; the trade closes when it fills.
    Exiting,
    Closed,
}

impl TradeState {
    pub fn label(self) -> &'static str {
        match self {
            TradeState::Open => "open",
            TradeState::Exiting => "exiting",
            TradeState::Closed => "closed",
        }
    }
}

/// Why a trade was (or is being) exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    Target,
    StopLoss,
    TrailingStop,
    /// The intraday (MIS) square-off time passed.
    SquareOff,
    /// The trader pressed exit.
    Manual,
    KillSwitch,
    /// The broker no longer held it when an exit was due: closed in Kite's own app, or by
    /// Kite's square-off.
    Outside,
}

impl ExitReason {
    pub fn label(self) -> &'static str {
        match self {
            ExitReason::Target => "target",
            ExitReason::StopLoss => "stop-loss",
            ExitReason::TrailingStop => "trailing stop",
            ExitReason::SquareOff => "square-off",
            ExitReason::Manual => "manual exit",
            ExitReason::KillSwitch => "kill switch",
            ExitReason::Outside => "closed outside the app",
        }
    }
}

/// The record of a position adopted from outside the app: its entry price and who set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adoption {
    /// The user who adopted it.
    pub by: String,
    pub at_ms: i64,
    /// The entry price is the broker's average (`true`) or the one the trader typed.
    pub broker_average: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub id: TradeId,
    /// Bumped by every stored change; updates are compare-and-set on it.
    pub version: i64,
    /// The level whose order opened it, if any.
    pub level: Option<LevelId>,
    /// The order intent that opened it (one trade per entry order); 0 for a trade adopted from
    /// a position the broker held outside the app (`adopted`).
    pub entry_intent: i64,
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub product: ProductKind,
    /// The entry's side: `Buy` is a long trade, `Sell` a short one.
    pub side: OrderSide,
    /// Units still held.
    pub quantity: u32,
    /// Units the entry order has filled (what the trade has taken in so far).
    pub entry_filled: u32,
    /// The average price of the entry fills.
    pub entry_price: Price,
    /// Where the target and the stop sit from the entry, as the level asked (so they move with
    /// the average when more fills come in).
    pub target_distance: Option<Distance>,
    pub stop_distance: Option<Distance>,
    pub target: Option<Price>,
    pub stop_loss: Option<Price>,
    /// The trailing stop's distance from the best price since entry.
    pub trailing: Option<Distance>,
    /// The best price since entry (highest for a long, lowest for a short).
    pub best_price: Price,
    pub state: TradeState,
    pub exit_reason: Option<ExitReason>,
    /// The exit order out now (while `Exiting`) or the one that closed it.
    pub exit_intent: Option<i64>,
    /// The average price of everything exited so far.
    pub exit_price: Option<Price>,
    /// Units exited so far.
    pub exited: u32,
    /// Profit (negative: loss) of the units exited so far, in rupees.
    pub realised: Price,
    /// The last problem with this trade (an exit refused, a late fill), for the trader.
    pub problem: Option<String>,
    /// Exits refused or cancelled in a row; past a few, the monitor stops trying by itself.
    #[serde(default)]
    pub refused_exits: u32,
    /// The protective stop order held at the broker for this trade (its order intent), while
    /// one stands: the broker exits at the stop even if this app, its machine or its network
    /// is down.
    #[serde(default)]
    pub protective: Option<i64>,
    /// Who adopted it, when, and where its entry price came from, for a trade that began as a
    /// position held outside the app.
    #[serde(default)]
    pub adopted: Option<Adoption>,
    pub opened_ms: i64,
    pub updated_ms: i64,
    pub closed_ms: Option<i64>,
}

impl Trade {
    pub fn is_long(&self) -> bool {
        self.side == OrderSide::Buy
    }

    /// The trailing stop's price now, if the trade trails.
    pub fn trailing_stop(&self, tick: Price) -> Option<Price> {
        let d = self.trailing?.from_price(self.best_price)?;
        if self.is_long() {
            // Rounded towards the best price: never a wider stop than asked for.
            Some(self.best_price.checked_sub(d)?.snap_to_tick(tick, true))
        } else {
            Some(self.best_price.checked_add(d)?.snap_to_tick(tick, false))
        }
    }

    /// Profit (negative: loss) of `quantity` units closed at `price`.
    pub fn profit_at(&self, price: Price, quantity: u32) -> Option<Price> {
        profit(self.side, self.entry_price, price, quantity)
    }
}

/// Profit (negative: loss) of `quantity` units entered on `side` at `entry` and closed at
/// `price`.
pub fn profit(side: OrderSide, entry: Price, price: Price, quantity: u32) -> Option<Price> {
    let per_unit = match side {
        OrderSide::Buy => price.checked_sub(entry)?,
        OrderSide::Sell => entry.checked_sub(price)?,
    };
    per_unit.checked_mul_int(i64::from(quantity))
}
