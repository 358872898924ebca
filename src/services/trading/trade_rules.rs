//! The trade's rules, without IO: a fill opens a trade (entry price, target, stop) or adds to
//! it; each price moves the trailing stop and may call an exit; an exit order's outcome closes
//! the trade or hands it back; when an intraday trade must be squared off.

use crate::model::{
    ExitReason, IntentState, Level, OrderIntent, OrderKind, OrderRequest, OrderTag, Price,
    ProductKind, Trade, TradeId, TradeState,
};
use crate::services::market_calendar::{ist_day_number, ist_day_start_ms, ist_minute_of_day};

use super::level_orders::exit_prices;

/// Exits refused in a row after which the monitor leaves the trade to the trader (a broker that
/// keeps refusing must not get an order every half minute all day).
pub const MAX_REFUSED_EXITS: u32 = 5;

/// The default intraday square-off: 15:15 IST.
pub const DEFAULT_SQUARE_OFF_MINUTE: u16 = 15 * 60 + 15;

/// The trade an entry order's first fill opens. `level` gives its exits (a manual order has
/// none). `None` when the intent has no fill yet.
pub fn open_trade(
    intent: &OrderIntent,
    token: crate::model::InstrumentToken,
    level: Option<&Level>,
    tick: Price,
    now_ms: i64,
) -> Option<Trade> {
    if intent.filled_quantity == 0 || intent.closes.is_some() {
        return None;
    }
    let entry = intent.average_price?;
    let r = &intent.request;
    let (target_distance, stop_distance, trailing) = match level {
        Some(l) => (l.target, l.stop_loss, l.trailing_stop),
        None => (None, None, None),
    };
    let (target, stop_loss) = exit_prices(entry, r.side, target_distance, stop_distance, tick);
    Some(Trade {
        id: TradeId(0),
        version: 0,
        level: intent.level,
        entry_intent: intent.id,
        token,
        exchange: r.exchange,
        tradingsymbol: r.tradingsymbol.clone(),
        product: r.product,
        side: r.side,
        quantity: intent.filled_quantity,
        entry_filled: intent.filled_quantity,
        entry_price: entry,
        target_distance,
        stop_distance,
        target,
        stop_loss,
        trailing,
        best_price: entry,
        state: TradeState::Open,
        exit_reason: None,
        exit_intent: None,
        exit_price: None,
        exited: 0,
        realised: Price::ZERO,
        problem: None,
        refused_exits: 0,
        opened_ms: now_ms,
        updated_ms: now_ms,
        closed_ms: None,
    })
}

/// More of the entry order filled: the trade takes the new units at the new average, and its
/// target and stop move with the average. A fill after the exit began is not managed: the
/// trade says so. `None` when nothing changed.
pub fn add_fills(trade: &Trade, intent: &OrderIntent, tick: Price, now_ms: i64) -> Option<Trade> {
    if intent.filled_quantity <= trade.entry_filled {
        return None;
    }
    let more = intent.filled_quantity - trade.entry_filled;
    let mut next = trade.clone();
    next.entry_filled = intent.filled_quantity;
    next.updated_ms = now_ms;
    if trade.state != TradeState::Open {
        next.problem = Some(format!(
            "{more} more units of the entry filled after the exit began; they are not managed \
             by this trade — close them with a manual order"
        ));
        return Some(next);
    }
    next.quantity += more;
    if let Some(average) = intent.average_price {
        next.entry_price = average;
        let (target, stop) = exit_prices(
            average,
            trade.side,
            trade.target_distance,
            trade.stop_distance,
            tick,
        );
        next.target = target;
        next.stop_loss = stop;
        if trade.is_long() {
            next.best_price = trade.best_price.max(average);
        } else {
            next.best_price = trade.best_price.min(average);
        }
    }
    Some(next)
}

/// What a price does to an open trade: the best price (and so the trailing stop) moves, and an
/// exit may be due. Returns the trade with its new best price and the exit, if any. The target
/// is checked before the stop; a stop the trailing one has passed is reported as trailing.
pub fn on_price(trade: &Trade, ltp: Price, tick: Price) -> (Trade, Option<ExitReason>) {
    let mut next = trade.clone();
    if trade.state != TradeState::Open {
        return (next, None);
    }
    let long = trade.is_long();
    if trade.trailing.is_some() {
        next.best_price = if long {
            trade.best_price.max(ltp)
        } else {
            trade.best_price.min(ltp)
        };
    }
    let beyond = |level: Price, favourable: bool| {
        // A target is reached when the price goes its way; a stop, the other way.
        if long == favourable {
            ltp >= level
        } else {
            ltp <= level
        }
    };
    if let Some(target) = trade.target
        && beyond(target, true)
    {
        return (next, Some(ExitReason::Target));
    }
    let trail = next.trailing_stop(tick);
    let stop = trade.stop_loss;
    let (effective, reason) = match (stop, trail) {
        (Some(s), Some(t)) => {
            let trail_tighter = if long { t > s } else { t < s };
            if trail_tighter {
                (Some(t), ExitReason::TrailingStop)
            } else {
                (Some(s), ExitReason::StopLoss)
            }
        }
        (Some(s), None) => (Some(s), ExitReason::StopLoss),
        (None, Some(t)) => (Some(t), ExitReason::TrailingStop),
        (None, None) => (None, ExitReason::StopLoss),
    };
    match effective {
        Some(level) if beyond(level, false) => (next, Some(reason)),
        _ => (next, None),
    }
}

/// The market order that exits everything `trade` still holds. The tag is a placeholder: the
/// executor gives every order its own.
pub fn exit_order(trade: &Trade) -> Option<OrderRequest> {
    if trade.quantity == 0 {
        return None;
    }
    Some(OrderRequest {
        exchange: trade.exchange,
        tradingsymbol: trade.tradingsymbol.clone(),
        side: trade.side.opposite(),
        quantity: trade.quantity,
        kind: OrderKind::Market,
        product: trade.product,
        tag: OrderTag::parse("pending").ok()?,
    })
}

/// Whether the monitor may exit `trade` by itself (not after too many refusals in a row).
pub fn auto_exit_allowed(trade: &Trade) -> bool {
    trade.refused_exits < MAX_REFUSED_EXITS
}

/// The trade as it is once its exit order `intent` is recorded with it.
pub fn exiting(trade: &Trade, reason: ExitReason, now_ms: i64) -> Trade {
    let mut next = trade.clone();
    if reason == ExitReason::Manual {
        next.refused_exits = 0;
    }
    next.state = TradeState::Exiting;
    next.exit_reason = Some(reason);
    next.problem = None;
    next.updated_ms = now_ms;
    next
}

/// What the exit order's news does to the trade: filled, it closes with its realised profit;
/// refused or cancelled, it is open again (less what did fill) with the reason; still working,
/// nothing. `None` when nothing changes.
pub fn on_exit_update(trade: &Trade, intent: &OrderIntent, now_ms: i64) -> Option<Trade> {
    if trade.state != TradeState::Exiting || trade.exit_intent != Some(intent.id) {
        return None;
    }
    if !intent.state.is_final() {
        return None;
    }
    let filled = intent.filled_quantity.min(trade.quantity);
    let mut next = trade.clone();
    next.updated_ms = now_ms;
    if filled > 0
        && let Some(price) = intent.average_price
    {
        let profit = trade.profit_at(price, filled).unwrap_or(Price::ZERO);
        next.realised = trade.realised.checked_add(profit).unwrap_or(trade.realised);
        next.exit_price = Some(weighted(trade.exit_price, trade.exited, price, filled));
        next.exited += filled;
        next.quantity -= filled;
    }
    if next.quantity == 0 {
        next.state = TradeState::Closed;
        next.closed_ms = Some(now_ms);
        return Some(next);
    }
    next.state = TradeState::Open;
    next.exit_intent = None;
    next.refused_exits = trade.refused_exits + 1;
    let what = match intent.state {
        IntentState::Rejected => "refused",
        _ => "cancelled",
    };
    let then = if next.refused_exits >= MAX_REFUSED_EXITS {
        format!(
            "after {} refusals the monitor stops trying: exit it with the Exit button",
            next.refused_exits
        )
    } else {
        "the monitor tries again shortly".to_owned()
    };
    next.problem = Some(format!(
        "the {} exit was {what}: {}; {} units are still held — {then}",
        trade.exit_reason.map(ExitReason::label).unwrap_or("exit"),
        intent.reason.as_deref().unwrap_or("no reason given"),
        next.quantity
    ));
    Some(next)
}

/// The average of two groups of fills.
fn weighted(before: Option<Price>, before_qty: u32, price: Price, qty: u32) -> Price {
    let Some(before) = before.filter(|_| before_qty > 0) else {
        return price;
    };
    let total = i128::from(before.raw()) * i128::from(before_qty)
        + i128::from(price.raw()) * i128::from(qty);
    let raw = total / i128::from(before_qty + qty);
    Price::from_raw(i64::try_from(raw).unwrap_or(price.raw()))
}

/// Whether an intraday trade opened at `opened_ms` must be squared off at `now_ms`: at the
/// square-off minute of the IST day it opened, or of the next day if it opened after that
/// minute (the demo market trades around the clock). Other products are never squared off.
pub fn square_off_due(trade: &Trade, square_off_minute: u16, now_ms: i64) -> bool {
    if trade.product != ProductKind::Intraday || trade.state != TradeState::Open {
        return false;
    }
    let mut day = ist_day_number(trade.opened_ms);
    if ist_minute_of_day(trade.opened_ms) >= square_off_minute {
        day += 1;
    }
    now_ms >= ist_day_start_ms(day) + i64::from(square_off_minute) * 60_000
}

/// Unrealised profit of what the trade still holds, at `ltp`.
pub fn unrealised(trade: &Trade, ltp: Price) -> Option<Price> {
    if trade.state == TradeState::Closed {
        return Some(Price::ZERO);
    }
    trade.profit_at(ltp, trade.quantity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Distance, Exchange, InstrumentToken, LevelId, OrderSide};

    fn p(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    fn filled(id: i64, side: OrderSide, qty: u32, avg: &str) -> OrderIntent {
        OrderIntent {
            id,
            level: Some(LevelId(1)),
            closes: None,
            request: OrderRequest {
                exchange: Exchange::Nse,
                tradingsymbol: "SBIN".to_owned(),
                side,
                quantity: 10,
                kind: OrderKind::Market,
                product: ProductKind::Intraday,
                tag: OrderTag::parse("t1").unwrap(),
            },
            state: if qty == 10 {
                IntentState::Filled
            } else {
                IntentState::PartiallyFilled
            },
            broker_order_id: Some("1".to_owned()),
            filled_quantity: qty,
            average_price: Some(p(avg)),
            reason: None,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    fn trade(side: OrderSide) -> Trade {
        let mut t = open_trade(
            &filled(7, side, 10, "100"),
            InstrumentToken(1),
            None,
            p("0.05"),
            1_000,
        )
        .unwrap();
        t.id = TradeId(3);
        t
    }

    #[test]
    fn a_fill_opens_a_trade_at_its_average_and_more_fills_move_it() {
        let first = filled(7, OrderSide::Buy, 4, "100");
        let mut t = open_trade(&first, InstrumentToken(1), None, p("0.05"), 5).unwrap();
        t.target_distance = Some(Distance::Points(p("2")));
        assert_eq!(
            (t.quantity, t.entry_price, t.entry_filled),
            (4, p("100"), 4)
        );
        let more = filled(7, OrderSide::Buy, 10, "100.60");
        let t2 = add_fills(&t, &more, p("0.05"), 6).unwrap();
        assert_eq!((t2.quantity, t2.entry_price), (10, p("100.60")));
        assert_eq!(
            t2.target,
            Some(p("102.60")),
            "the target moves with the average"
        );
        assert!(
            add_fills(&t2, &more, p("0.05"), 7).is_none(),
            "the same news twice is nothing"
        );
        let mut none = filled(8, OrderSide::Buy, 0, "0");
        none.average_price = None;
        assert!(open_trade(&none, InstrumentToken(1), None, p("0.05"), 5).is_none());
    }

    #[test]
    fn target_and_stop_exit_a_long_and_a_short_on_their_sides() {
        let mut long = trade(OrderSide::Buy);
        long.target = Some(p("102"));
        long.stop_loss = Some(p("99"));
        assert_eq!(on_price(&long, p("101.95"), p("0.05")).1, None);
        assert_eq!(
            on_price(&long, p("102"), p("0.05")).1,
            Some(ExitReason::Target)
        );
        assert_eq!(
            on_price(&long, p("99"), p("0.05")).1,
            Some(ExitReason::StopLoss)
        );
        let mut short = trade(OrderSide::Sell);
        short.target = Some(p("98"));
        short.stop_loss = Some(p("101"));
        assert_eq!(on_price(&short, p("99"), p("0.05")).1, None);
        assert_eq!(
            on_price(&short, p("97.5"), p("0.05")).1,
            Some(ExitReason::Target)
        );
        assert_eq!(
            on_price(&short, p("101.05"), p("0.05")).1,
            Some(ExitReason::StopLoss)
        );
    }

    #[test]
    fn a_trailing_stop_follows_the_best_price_and_never_backs_off() {
        let mut t = trade(OrderSide::Buy);
        t.stop_loss = Some(p("98"));
        t.trailing = Some(Distance::Points(p("1.5")));
        let (t, exit) = on_price(&t, p("103"), p("0.05"));
        assert_eq!((t.best_price, exit), (p("103"), None));
        assert_eq!(t.trailing_stop(p("0.05")), Some(p("101.50")));
        let (t, exit) = on_price(&t, p("102"), p("0.05"));
        assert_eq!(
            (t.best_price, exit),
            (p("103"), None),
            "a fall keeps the best"
        );
        let (_, exit) = on_price(&t, p("101.5"), p("0.05"));
        assert_eq!(exit, Some(ExitReason::TrailingStop));
    }

    #[test]
    fn an_exit_fill_closes_with_the_profit_and_a_refusal_hands_it_back() {
        let mut t = trade(OrderSide::Buy);
        t.state = TradeState::Exiting;
        t.exit_reason = Some(ExitReason::Target);
        t.exit_intent = Some(9);
        let mut exit = filled(9, OrderSide::Sell, 10, "102.50");
        exit.closes = Some(t.id);
        let closed = on_exit_update(&t, &exit, 50).unwrap();
        assert_eq!(closed.state, TradeState::Closed);
        assert_eq!(closed.realised, p("25"), "(102.50 - 100) x 10");
        assert_eq!((closed.quantity, closed.exited), (0, 10));
        assert!(on_exit_update(&closed, &exit, 51).is_none(), "applied once");

        let mut part = filled(9, OrderSide::Sell, 4, "99");
        part.closes = Some(t.id);
        part.state = IntentState::Cancelled;
        part.reason = Some("cancelled by the broker".to_owned());
        let back = on_exit_update(&t, &part, 60).unwrap();
        assert_eq!(
            (back.state, back.quantity, back.exited),
            (TradeState::Open, 6, 4)
        );
        assert_eq!(back.realised, p("-4"));
        assert!(
            back.problem
                .clone()
                .unwrap()
                .contains("6 units are still held")
        );
        assert!(auto_exit_allowed(&back));
        // Refused again and again: the monitor gives the trade back to the trader.
        let mut tired = t.clone();
        tired.refused_exits = MAX_REFUSED_EXITS - 1;
        let given_up = on_exit_update(&tired, &part, 70).unwrap();
        assert!(!auto_exit_allowed(&given_up));
        assert!(given_up.problem.clone().unwrap().contains("Exit button"));
        let manual = exiting(&given_up, ExitReason::Manual, 80);
        assert!(
            auto_exit_allowed(&manual),
            "a manual exit starts the count afresh"
        );
        let mut working = part.clone();
        working.state = IntentState::PartiallyFilled;
        assert!(on_exit_update(&t, &working, 61).is_none(), "still working");
    }

    #[test]
    fn intraday_trades_square_off_at_the_minute_of_their_day_or_the_next() {
        // 2026-12-01 09:30 IST is 04:00 UTC.
        let morning = 1_796_097_600_000;
        let mut t = trade(OrderSide::Buy);
        t.opened_ms = morning;
        let at = |hh: i64, mm: i64| morning + ((hh - 9) * 60 + (mm - 30)) * 60_000;
        assert!(!square_off_due(&t, DEFAULT_SQUARE_OFF_MINUTE, at(15, 14)));
        assert!(square_off_due(&t, DEFAULT_SQUARE_OFF_MINUTE, at(15, 15)));
        t.opened_ms = at(16, 0);
        assert!(!square_off_due(&t, DEFAULT_SQUARE_OFF_MINUTE, at(23, 0)));
        assert!(square_off_due(
            &t,
            DEFAULT_SQUARE_OFF_MINUTE,
            at(15, 15) + 86_400_000
        ));
        t.product = ProductKind::Delivery;
        assert!(!square_off_due(
            &t,
            DEFAULT_SQUARE_OFF_MINUTE,
            at(20, 0) + 86_400_000
        ));
    }
}
