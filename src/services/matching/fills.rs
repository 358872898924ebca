//! When an order fills, and at what price.

use crate::model::{OrderKind, OrderSide, Price};

/// How far a market (or triggered stop-market) order fills from the last price, against the
/// trader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slippage {
    /// Basis points of the last price, rounded onto the tick grid against the trader (the
    /// paper broker's setting).
    BasisPoints(u32),
    /// Whole ticks (the simulator's setting); a sell that would go to zero or below fills at the
    /// last price.
    Ticks(i64),
}

/// The price a resting limit fills at once the market reaches it. An order that arrives
/// marketable (placed or modified) always fills at the last price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestingLimit {
    /// At the last price (never worse than the limit).
    AtTouch,
    /// At the limit itself (the simulator, as Kite's exchange fills a resting order).
    AtLimit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillRules {
    pub slippage: Slippage,
    pub resting_limit: RestingLimit,
}

/// Where a working order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Working {
    /// A stop waiting for its trigger.
    TriggerPending,
    /// On the book: a market or limit order, or a stop whose trigger was reached.
    Open,
}

/// What one last price does to a working order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// A stop's trigger was reached now (it is `Open` from here on).
    pub triggered: bool,
    /// It fills whole at this price.
    pub fill_at: Option<Price>,
}

/// Matches an order (`side`, `kind`, its instrument's `tick`) in state `working` against the
/// last price `ltp`. `entering`: the order has just arrived (placed or modified), so a
/// marketable limit fills at the last price whatever `rules.resting_limit` says.
pub fn on_price(
    side: OrderSide,
    kind: OrderKind,
    tick: Price,
    working: Working,
    ltp: Price,
    entering: bool,
    rules: &FillRules,
) -> Step {
    let buy = side == OrderSide::Buy;
    let reached = |trigger: Price| if buy { ltp >= trigger } else { ltp <= trigger };
    let marketable = |limit: Price| if buy { ltp <= limit } else { ltp >= limit };
    let limit_fill = |limit: Price| {
        let at = match (entering, rules.resting_limit) {
            (true, _) | (false, RestingLimit::AtTouch) => ltp,
            (false, RestingLimit::AtLimit) => limit,
        };
        marketable(limit).then_some(at)
    };
    // A GTT places a new LIMIT order when a leg fires: marketable, it fills at the last price.
    // (Once fired, its holder matches that leg's LIMIT.)
    if let OrderKind::Gtt { .. } = kind {
        let leg = kind.fired_leg(side, ltp);
        return Step {
            triggered: leg.is_some(),
            fill_at: leg.and_then(|leg| marketable(leg.price).then_some(ltp)),
        };
    }
    let trigger = match kind {
        OrderKind::StopLoss { trigger, .. } | OrderKind::StopLossMarket { trigger } => {
            Some(trigger)
        }
        OrderKind::Market | OrderKind::Limit { .. } | OrderKind::Gtt { .. } => None,
    };
    let triggered = match (working, trigger) {
        (Working::TriggerPending, Some(trigger)) if reached(trigger) => true,
        (Working::TriggerPending, Some(_)) => {
            return Step {
                triggered: false,
                fill_at: None,
            };
        }
        _ => false,
    };
    let fill_at = match kind {
        OrderKind::Market | OrderKind::StopLossMarket { .. } => {
            Some(market_fill_price(ltp, side, tick, rules.slippage))
        }
        OrderKind::Limit { price } | OrderKind::StopLoss { price, .. } => limit_fill(price),
        OrderKind::Gtt { .. } => None,
    };
    Step { triggered, fill_at }
}

/// The price a market order fills at: the last price moved by `slippage` against the trader.
pub fn market_fill_price(ltp: Price, side: OrderSide, tick: Price, slippage: Slippage) -> Price {
    let buy = side == OrderSide::Buy;
    match slippage {
        Slippage::BasisPoints(bp) => slipped_bp(ltp, buy, bp, tick),
        Slippage::Ticks(ticks) => {
            let slip = tick.checked_mul_int(ticks).unwrap_or(Price::ZERO);
            let price = if buy {
                ltp.checked_add(slip)
            } else {
                ltp.checked_sub(slip)
            };
            price.filter(|p| p.raw() > 0).unwrap_or(ltp)
        }
    }
}

/// The last price moved `bp` basis points against the trader, onto the tick grid (up for a
/// buy, down for a sell: never better than the slippage asked).
fn slipped_bp(ltp: Price, buy: bool, bp: u32, tick: Price) -> Price {
    // In i128: a large slippage setting must not overflow.
    let delta = i128::from(ltp.raw()) * i128::from(bp) / 10_000;
    let mut raw = if buy {
        i128::from(ltp.raw()) + delta
    } else {
        i128::from(ltp.raw()) - delta
    };
    let t = i128::from(tick.raw());
    if t > 0 {
        let below = raw - raw.rem_euclid(t);
        raw = if buy && below != raw {
            below + t
        } else {
            below
        };
    }
    Price::from_raw(i64::try_from(raw.max(0)).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    const PAPER: FillRules = FillRules {
        slippage: Slippage::BasisPoints(10),
        resting_limit: RestingLimit::AtTouch,
    };
    const SIM: FillRules = FillRules {
        slippage: Slippage::Ticks(1),
        resting_limit: RestingLimit::AtLimit,
    };
    const TICK: &str = "0.05";

    fn step(
        side: OrderSide,
        kind: OrderKind,
        working: Working,
        ltp: &str,
        entering: bool,
        rules: &FillRules,
    ) -> Step {
        on_price(side, kind, p(TICK), working, p(ltp), entering, rules)
    }

    #[test]
    fn a_market_order_fills_at_once_slipped_against_the_trader() {
        let buy = step(
            OrderSide::Buy,
            OrderKind::Market,
            Working::Open,
            "1000",
            true,
            &PAPER,
        );
        assert_eq!(buy.fill_at, Some(p("1001")), "10 bp up");
        let sell = step(
            OrderSide::Sell,
            OrderKind::Market,
            Working::Open,
            "1000",
            true,
            &SIM,
        );
        assert_eq!(sell.fill_at, Some(p("999.95")), "one tick down");
        // Rounded onto the grid against the trader: 1234.56 + 0.1 % = 1235.79456 → 1235.80.
        assert_eq!(
            market_fill_price(
                p("1234.56"),
                OrderSide::Buy,
                p(TICK),
                Slippage::BasisPoints(10)
            ),
            p("1235.80")
        );
        assert_eq!(
            market_fill_price(
                p("1234.56"),
                OrderSide::Sell,
                p(TICK),
                Slippage::BasisPoints(10)
            ),
            p("1233.30")
        );
        // A sell slipped to zero fills at the last price instead.
        assert_eq!(
            market_fill_price(p("0.05"), OrderSide::Sell, p(TICK), Slippage::Ticks(3)),
            p("0.05")
        );
    }

    #[test]
    fn a_limit_rests_until_marketable_then_fills_by_the_venues_rule() {
        let limit = OrderKind::Limit { price: p("990") };
        assert_eq!(
            step(OrderSide::Buy, limit, Working::Open, "995", true, &SIM).fill_at,
            None
        );
        // Arriving marketable: at the last price, on both venues.
        assert_eq!(
            step(OrderSide::Buy, limit, Working::Open, "985", true, &SIM).fill_at,
            Some(p("985"))
        );
        assert_eq!(
            step(OrderSide::Buy, limit, Working::Open, "985", true, &PAPER).fill_at,
            Some(p("985"))
        );
        // Resting, then reached: the simulator fills at the limit, the paper broker at the touch.
        assert_eq!(
            step(OrderSide::Buy, limit, Working::Open, "985", false, &SIM).fill_at,
            Some(p("990"))
        );
        assert_eq!(
            step(OrderSide::Buy, limit, Working::Open, "985", false, &PAPER).fill_at,
            Some(p("985"))
        );
        let sell = OrderKind::Limit { price: p("1010") };
        assert_eq!(
            step(OrderSide::Sell, sell, Working::Open, "1009.95", false, &SIM).fill_at,
            None
        );
        assert_eq!(
            step(OrderSide::Sell, sell, Working::Open, "1010", false, &SIM).fill_at,
            Some(p("1010"))
        );
    }

    #[test]
    fn stops_wait_for_their_trigger() {
        let slm = OrderKind::StopLossMarket { trigger: p("950") };
        let waiting = step(
            OrderSide::Sell,
            slm,
            Working::TriggerPending,
            "951",
            false,
            &SIM,
        );
        assert_eq!(
            waiting,
            Step {
                triggered: false,
                fill_at: None
            }
        );
        let hit = step(
            OrderSide::Sell,
            slm,
            Working::TriggerPending,
            "950",
            false,
            &SIM,
        );
        assert_eq!(
            hit,
            Step {
                triggered: true,
                fill_at: Some(p("949.95"))
            }
        );

        // A stop-loss limit triggers, then rests as a limit until marketable.
        let sl = OrderKind::StopLoss {
            trigger: p("1050"),
            price: p("1052"),
        };
        let armed = step(
            OrderSide::Buy,
            sl,
            Working::TriggerPending,
            "1053",
            false,
            &PAPER,
        );
        assert_eq!(
            armed,
            Step {
                triggered: true,
                fill_at: None
            },
            "above its limit: rests"
        );
        let filled = step(OrderSide::Buy, sl, Working::Open, "1051", false, &PAPER);
        assert_eq!(
            filled,
            Step {
                triggered: false,
                fill_at: Some(p("1051"))
            }
        );
        let at_limit = step(
            OrderSide::Buy,
            sl,
            Working::TriggerPending,
            "1051",
            false,
            &SIM,
        );
        assert_eq!(
            at_limit,
            Step {
                triggered: true,
                fill_at: Some(p("1052"))
            }
        );
    }
}
