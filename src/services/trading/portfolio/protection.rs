//! Protection held at the broker, without IO: for every open trade with a stop, a stop order
//! stands at the broker for what the trade holds, so the broker exits it at the stop even if
//! this app, its machine or its network is down. SL-M where the exchange allows it; for
//! options, where SL-M is barred, SL with a limit a protection band beyond the trigger. A
//! delivery (CNC) or carry-forward (NRML) trade, which must stay protected past today, gets a
//! GTT instead — two-leg (OCO) with its target, whose limit legs outlive the day. The
//! trailing stop moves it within a modification budget; the app exits by itself only once the
//! standing order is cancelled (or found filled), so a target and a stop never both execute.

use crate::model::{
    ExitReason, GttLeg, OrderIntent, OrderKind, OrderRequest, Price, ProductKind, Trade, TradeState,
};

use super::trade_rules::{count_exited, effective_stop, exit_order};

/// How long a stop may stand due (the price past it) while the broker's stop order has not
/// filled, before the app cancels it and exits at market itself: an SL whose limit the market
/// ran past, a broker that did not trigger.
pub const PROTECTIVE_GRACE_MS: i64 = 5_000;
/// Trigger moves of one standing order within a minute (Kite allows 25 modifications per
/// order in all; a trailing stop in a fast market coalesces to the newest price instead).
pub const MOVES_PER_MINUTE: usize = 3;
/// Modifications of one standing order in all, below Kite's 25: the rest stays for the
/// quantity changes of later fills. Past it the order stays where it is (still protecting, a
/// little wider), and the app's own trailing stop goes on watching.
pub const MAX_MODIFICATIONS: usize = 20;
/// After the broker refused or cancelled a protective order by itself, the next one waits.
pub const PROTECT_RETRY_MS: i64 = 300_000;
/// The SL limit's distance beyond the trigger for options, in basis points.
pub const OPTION_BAND_BP: i64 = 500;
/// A GTT's stop leg is a LIMIT (Kite's GTTs place limit orders only): its distance beyond the
/// trigger for anything but an option, in basis points.
pub const GTT_BAND_BP: i64 = 200;

/// The stop order that should stand at the broker for `trade`: everything it holds, at its
/// effective stop (the tighter of the stop-loss and the trailing stop). `None` when the trade
/// has no stop or is not open. Intraday: an SL-M (an SL for an option). Delivery and
/// carry-forward: a GTT, with the target as its second leg when the trade has one.
pub fn protective_order(trade: &Trade, tick: Price, option: bool) -> Option<OrderRequest> {
    if trade.state != TradeState::Open {
        return None;
    }
    let (trigger, _) = effective_stop(trade, tick)?;
    let mut request = exit_order(trade)?;
    let long = trade.is_long();
    // A sell stop's limit sits below the trigger, a buy stop's above: the band is how far the
    // fill may slip before the limit holds it back.
    let stop_limit = |band_bp: i64| -> Option<Price> {
        let band = Price::from_raw(
            i64::try_from(i128::from(trigger.raw()) * i128::from(band_bp) / 10_000).ok()?,
        );
        Some(if long {
            trigger
                .checked_sub(band)?
                .max(tick)
                .snap_to_tick(tick, false)
        } else {
            trigger.checked_add(band)?.snap_to_tick(tick, true)
        })
    };
    request.kind = if trade.product != ProductKind::Intraday {
        let stop = GttLeg {
            trigger,
            price: stop_limit(if option { OPTION_BAND_BP } else { GTT_BAND_BP })?,
        };
        // Kite's two-leg GTT holds the target on the other side of the price from the stop.
        let target = trade
            .target
            .filter(|t| if long { *t > trigger } else { *t < trigger })
            .map(|t| GttLeg {
                trigger: t,
                price: t,
            });
        OrderKind::Gtt { stop, target }
    } else if option {
        OrderKind::StopLoss {
            trigger,
            price: stop_limit(OPTION_BAND_BP)?,
        }
    } else {
        OrderKind::StopLossMarket { trigger }
    };
    Some(request)
}

/// Why the standing order that filled `filled` units at `average` ended `trade`: a GTT's target
/// leg is the target; anything else is the stop (`stop_reason`: the stop-loss or the trailing
/// stop, whichever stands).
pub fn protective_reason(
    trade: &Trade,
    kind: OrderKind,
    average: Option<Price>,
    stop_reason: ExitReason,
) -> ExitReason {
    match (kind, average) {
        (
            OrderKind::Gtt {
                stop,
                target: Some(target),
            },
            Some(at),
        ) => {
            // The fill is on the target's side of the two triggers' midpoint.
            let mid = (i128::from(stop.trigger.raw()) + i128::from(target.trigger.raw())) / 2;
            let above = i128::from(at.raw()) > mid;
            if above == trade.is_long() {
                ExitReason::Target
            } else {
                stop_reason
            }
        }
        _ => stop_reason,
    }
}

/// The trigger of a standing stop order.
pub fn trigger_of(kind: OrderKind) -> Option<Price> {
    match kind {
        OrderKind::StopLoss { trigger, .. } | OrderKind::StopLossMarket { trigger } => {
            Some(trigger)
        }
        OrderKind::Gtt { stop, .. } => Some(stop.trigger),
        _ => None,
    }
}

/// What a standing order must change to become `wanted`: `None` when it already is. A
/// trigger is only ever moved towards the price (a trailing stop tightens); a looser one
/// wanted (the stop-loss moved with a new average) waits for no budget, like a quantity.
pub fn needs_change(standing: &OrderRequest, wanted: &OrderRequest) -> Option<Change> {
    if standing.quantity != wanted.quantity {
        return Some(Change::Quantity);
    }
    if standing.kind != wanted.kind {
        return Some(Change::Trigger);
    }
    None
}

/// What kind of change a standing order needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// More units filled (or some exited): always made.
    Quantity,
    /// The trailing stop moved: made within the budget, coalesced to the newest price.
    Trigger,
}

/// Whether one more trigger move of an order may go now, given when its earlier
/// modifications were made (`made`, oldest first).
pub fn move_allowed(made: &[i64], now_ms: i64) -> bool {
    if made.len() >= MAX_MODIFICATIONS {
        return false;
    }
    made.iter().filter(|t| now_ms - **t < 60_000).count() < MOVES_PER_MINUTE
}

/// What the protective order's news does to `trade`: filled, the trade closes (or shrinks) at
/// the broker's price with `reason`; ended without a fill, the trade stands unprotected at the
/// broker again — saying why unless the app cancelled it itself (`withdrawn`). `None` when the
/// order is not the trade's standing one or is still working.
pub fn on_protective_update(
    trade: &Trade,
    intent: &OrderIntent,
    reason: ExitReason,
    withdrawn: bool,
    now_ms: i64,
) -> Option<Trade> {
    if trade.protective != Some(intent.id) || !intent.state.is_final() {
        return None;
    }
    let mut next = trade.clone();
    next.protective = None;
    next.updated_ms = now_ms;
    let filled = intent.filled_quantity.min(trade.quantity);
    if filled > 0
        && let Some(price) = intent.average_price
    {
        count_exited(&mut next, filled, price);
    }
    if next.quantity == 0 {
        next.state = TradeState::Closed;
        next.exit_reason = Some(reason);
        next.exit_intent = Some(intent.id);
        next.closed_ms = Some(now_ms);
        next.problem = None;
        return Some(next);
    }
    if !withdrawn {
        next.problem = Some(format!(
            "the stop order at the broker was {}: {}; {} units are unprotected at the broker \
             until it is placed again (the app still exits at the stop while it runs)",
            if intent.state == crate::model::IntentState::Rejected {
                "refused"
            } else {
                "cancelled"
            },
            intent.reason.as_deref().unwrap_or("no reason given"),
            next.quantity
        ));
    }
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Distance, Exchange, InstrumentToken, IntentState, OrderSide, OrderTag};
    use crate::services::trading::portfolio::trade_rules::open_trade;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    /// An order intent `id` for `side` of `qty` INFY, filled at `avg`.
    fn intent(id: i64, side: OrderSide, qty: u32, avg: &str) -> OrderIntent {
        OrderIntent {
            id,
            level: None,
            closes: None,
            outside_exit: false,
            request: OrderRequest {
                exchange: Exchange::Nse,
                tradingsymbol: "INFY".to_owned(),
                side,
                quantity: qty,
                kind: OrderKind::Market,
                product: ProductKind::Intraday,
                tag: OrderTag::parse("t1").unwrap(),
            },
            state: IntentState::Filled,
            broker_order_id: Some("1".to_owned()),
            filled_quantity: qty,
            average_price: Some(p(avg)),
            reason: None,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    fn infy_trade(side: OrderSide, entry: &str, qty: u32) -> Trade {
        open_trade(
            &intent(1, side, qty, entry),
            InstrumentToken(408_065),
            None,
            p("0.05"),
            0,
        )
        .unwrap()
    }

    #[test]
    fn a_long_trade_is_protected_by_a_sell_stop_for_all_it_holds_at_its_stop() {
        let mut trade = infy_trade(OrderSide::Buy, "1500", 3);
        trade.stop_loss = Some(p("1480"));
        let order = protective_order(&trade, p("0.05"), false).unwrap();
        assert_eq!(order.side, OrderSide::Sell);
        assert_eq!(order.quantity, 3);
        assert_eq!(order.kind, OrderKind::StopLossMarket { trigger: p("1480") });
        // The trailing stop, once tighter, is what stands.
        trade.trailing = Some(Distance::Points(p("10")));
        trade.best_price = p("1520");
        let order = protective_order(&trade, p("0.05"), false).unwrap();
        assert_eq!(trigger_of(order.kind), Some(p("1510")));
        // An option gets an SL with its limit 5 % beyond the trigger, on the grid.
        let order = protective_order(&trade, p("0.05"), true).unwrap();
        assert_eq!(
            order.kind,
            OrderKind::StopLoss {
                trigger: p("1510"),
                price: p("1434.50")
            }
        );
        // No stop, nothing to stand; nor for a trade that is exiting.
        trade.stop_loss = None;
        trade.trailing = None;
        assert!(protective_order(&trade, p("0.05"), false).is_none());
        trade.stop_loss = Some(p("1480"));
        trade.state = TradeState::Exiting;
        assert!(protective_order(&trade, p("0.05"), false).is_none());
    }

    #[test]
    fn a_delivery_or_carry_forward_trade_is_protected_by_a_gtt_with_its_target_as_the_other_leg() {
        let mut trade = infy_trade(OrderSide::Buy, "1500", 3);
        trade.product = ProductKind::Delivery;
        trade.stop_loss = Some(p("1480"));
        trade.target = Some(p("1550"));
        let order = protective_order(&trade, p("0.05"), false).unwrap();
        assert_eq!(order.side, OrderSide::Sell);
        assert_eq!(order.quantity, 3);
        let kind = OrderKind::Gtt {
            // The stop leg is a limit 2 % below its trigger (GTTs place limit orders only).
            stop: GttLeg {
                trigger: p("1480"),
                price: p("1450.40"),
            },
            target: Some(GttLeg {
                trigger: p("1550"),
                price: p("1550"),
            }),
        };
        assert_eq!(order.kind, kind);
        assert_eq!(trigger_of(order.kind), Some(p("1480")));
        // Filled on the target's side it closed at the target; on the stop's, at the stop.
        assert_eq!(
            protective_reason(&trade, kind, Some(p("1551")), ExitReason::StopLoss),
            ExitReason::Target
        );
        assert_eq!(
            protective_reason(&trade, kind, Some(p("1470")), ExitReason::TrailingStop),
            ExitReason::TrailingStop
        );
        // Without a target (or one the stop has passed), the GTT is the stop alone.
        trade.target = None;
        let order = protective_order(&trade, p("0.05"), false).unwrap();
        assert!(matches!(order.kind, OrderKind::Gtt { target: None, .. }));
        // A short carried forward buys back: its stop leg's limit sits above the trigger.
        let mut short = infy_trade(OrderSide::Sell, "1500", 2);
        short.product = ProductKind::CarryForward;
        short.stop_loss = Some(p("1520"));
        short.target = Some(p("1450"));
        let order = protective_order(&short, p("0.05"), true).unwrap();
        assert_eq!(order.side, OrderSide::Buy);
        let OrderKind::Gtt { stop, target } = order.kind else {
            panic!("{:?}", order.kind);
        };
        assert_eq!((stop.trigger, stop.price), (p("1520"), p("1596")));
        assert_eq!(target.map(|t| t.trigger), Some(p("1450")));
        assert_eq!(
            protective_reason(&short, order.kind, Some(p("1449")), ExitReason::StopLoss),
            ExitReason::Target
        );
        // Intraday stays an SL-M.
        trade.product = ProductKind::Intraday;
        let order = protective_order(&trade, p("0.05"), false).unwrap();
        assert_eq!(order.kind, OrderKind::StopLossMarket { trigger: p("1480") });
    }

    #[test]
    fn a_short_trade_is_protected_by_a_buy_stop_above() {
        let mut trade = infy_trade(OrderSide::Sell, "1500", 2);
        trade.stop_loss = Some(p("1520"));
        let order = protective_order(&trade, p("0.05"), true).unwrap();
        assert_eq!(order.side, OrderSide::Buy);
        assert_eq!(
            order.kind,
            OrderKind::StopLoss {
                trigger: p("1520"),
                price: p("1596")
            }
        );
    }

    #[test]
    fn trigger_moves_are_budgeted_per_minute_and_in_all() {
        assert!(move_allowed(&[], 0));
        assert!(move_allowed(&[0, 1_000], 2_000));
        assert!(!move_allowed(&[0, 1_000, 2_000], 3_000));
        assert!(move_allowed(&[0, 1_000, 2_000], 60_001));
        let many: Vec<i64> = (0..MAX_MODIFICATIONS as i64).map(|i| i * 120_000).collect();
        assert!(!move_allowed(&many, 10_000_000));
        let standing = protective_order(
            &Trade {
                stop_loss: Some(p("1480")),
                ..infy_trade(OrderSide::Buy, "1500", 3)
            },
            p("0.05"),
            false,
        )
        .unwrap();
        let mut wanted = standing.clone();
        assert_eq!(needs_change(&standing, &wanted), None);
        wanted.kind = OrderKind::StopLossMarket { trigger: p("1490") };
        assert_eq!(needs_change(&standing, &wanted), Some(Change::Trigger));
        wanted.quantity = 5;
        assert_eq!(needs_change(&standing, &wanted), Some(Change::Quantity));
    }

    #[test]
    fn the_protective_fill_closes_the_trade_and_a_cancel_leaves_it_open_unprotected() {
        let mut trade = infy_trade(OrderSide::Buy, "1500", 3);
        trade.protective = Some(7);
        let mut intent = intent(7, OrderSide::Sell, 3, "1479.95");
        intent.closes = Some(trade.id);
        intent.state = IntentState::Placed;
        intent.filled_quantity = 0;
        assert!(on_protective_update(&trade, &intent, ExitReason::StopLoss, false, 1).is_none());
        intent.state = IntentState::Filled;
        intent.filled_quantity = 3;
        intent.average_price = Some(p("1479.95"));
        let closed = on_protective_update(&trade, &intent, ExitReason::StopLoss, false, 2).unwrap();
        assert_eq!(closed.state, TradeState::Closed);
        assert_eq!(closed.quantity, 0);
        assert_eq!(closed.exit_reason, Some(ExitReason::StopLoss));
        assert_eq!(closed.exit_intent, Some(7));
        assert_eq!(closed.protective, None);
        assert_eq!(closed.realised, p("-60.15"));

        intent.state = IntentState::Cancelled;
        intent.filled_quantity = 0;
        intent.reason = Some("cancelled in Kite".to_owned());
        let open = on_protective_update(&trade, &intent, ExitReason::StopLoss, false, 3).unwrap();
        assert_eq!(open.state, TradeState::Open);
        assert_eq!(open.protective, None);
        assert!(open.problem.unwrap().contains("cancelled in Kite"));
        let withdrawn =
            on_protective_update(&trade, &intent, ExitReason::StopLoss, true, 3).unwrap();
        assert_eq!(
            withdrawn.problem, None,
            "the app's own cancel is no problem"
        );
        // Another order's news is not this trade's.
        intent.id = 8;
        assert!(on_protective_update(&trade, &intent, ExitReason::StopLoss, false, 4).is_none());
    }
}
