//! The trade's rules, without IO: a fill opens a trade (entry price, target, stop) or adds to
//! it; each price moves the trailing stop and may call an exit; an exit order's outcome closes
//! the trade or hands it back; when an intraday trade must be squared off.

use crate::model::{
    Distance, ExitReason, IntentState, Level, OrderIntent, OrderKind, OrderRequest, OrderSide,
    OrderTag, Price, ProductKind, Trade, TradeId, TradeState,
};
use crate::services::market_calendar::{ist_day_number, ist_day_start_ms, ist_minute_of_day};

/// Target and stop-loss prices for a position entered at `entry` on `side` (the entry order's
/// side). Both land on the tick grid on the cautious side: the target no further than asked,
/// the stop no further than asked.
pub fn exit_prices(
    entry: Price,
    side: OrderSide,
    target: Option<Distance>,
    stop: Option<Distance>,
    tick: Price,
) -> (Option<Price>, Option<Price>) {
    let long = side == OrderSide::Buy;
    let target = target.and_then(|d| d.from_price(entry)).and_then(|d| {
        if long {
            entry.checked_add(d).map(|p| p.snap_to_tick(tick, false))
        } else {
            entry.checked_sub(d).map(|p| p.snap_to_tick(tick, true))
        }
    });
    let stop = stop.and_then(|d| d.from_price(entry)).and_then(|d| {
        if long {
            entry.checked_sub(d).map(|p| p.snap_to_tick(tick, true))
        } else {
            entry.checked_add(d).map(|p| p.snap_to_tick(tick, false))
        }
    });
    (target, stop)
}

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
    if intent.filled_quantity == 0 || !intent.is_entry() {
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
        protective: None,
        adopted: None,
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
    let (effective, reason) = match effective_stop(&next, tick) {
        Some((level, reason)) => (Some(level), reason),
        None => (None, ExitReason::StopLoss),
    };
    match effective {
        Some(level) if beyond(level, false) => (next, Some(reason)),
        _ => (next, None),
    }
}

/// The stop that stands for `trade` now: the tighter of its stop-loss and its trailing stop
/// (at its stored best price), with which of the two it is.
pub fn effective_stop(trade: &Trade, tick: Price) -> Option<(Price, ExitReason)> {
    let long = trade.is_long();
    match (trade.stop_loss, trade.trailing_stop(tick)) {
        (Some(s), Some(t)) => {
            let trail_tighter = if long { t > s } else { t < s };
            if trail_tighter {
                Some((t, ExitReason::TrailingStop))
            } else {
                Some((s, ExitReason::StopLoss))
            }
        }
        (Some(s), None) => Some((s, ExitReason::StopLoss)),
        (None, Some(t)) => Some((t, ExitReason::TrailingStop)),
        (None, None) => None,
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
        count_exited(&mut next, filled, price);
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

/// How many of `quantity` an exit of `trade` may close, given what the broker holds (`net`,
/// signed) and what this app's open trades on the same instrument and product add up to
/// (`expected`, signed, `trade` included). The broker nets every trade, hedged ones too: only
/// what it lacks of what the app expects on this trade's side was closed outside, and that
/// much is not sent again — a sell of it would open a short, a buy a long.
pub fn closable_units(trade: &Trade, quantity: u32, expected: i64, net: i64) -> u32 {
    let lacking = if trade.is_long() {
        expected - net
    } else {
        net - expected
    };
    let units = i64::from(quantity) - lacking.max(0);
    u32::try_from(units.max(0)).unwrap_or(0)
}

/// A trade's open units, signed: positive long, negative short.
pub fn signed_units(trade: &Trade) -> i64 {
    if trade.is_long() {
        i64::from(trade.quantity)
    } else {
        -i64::from(trade.quantity)
    }
}

/// `units` of `trade` closed outside the app (sold in Kite's own app, squared off by Kite):
/// the broker no longer holds them. Counted as exited at `price` — the broker's average on
/// that side today, or the last price when the broker does not say — with nothing sent. All
/// of it, and the trade is closed as closed outside; part, and it holds the rest.
pub fn closed_outside(
    trade: &Trade,
    units: u32,
    price: Price,
    from_broker: bool,
    now_ms: i64,
) -> Trade {
    let mut next = trade.clone();
    let units = units.min(trade.quantity);
    count_exited(&mut next, units, price);
    next.updated_ms = now_ms;
    let at = if from_broker {
        "the broker's average price on that side today"
    } else {
        "the last price: the broker did not say"
    };
    if next.quantity > 0 {
        next.problem = Some(format!(
            "reduced outside the app: the broker no longer holds {units} of its {} {}; \
             they are counted at {} ({at}) and the trade holds the other {}",
            trade.quantity,
            trade.tradingsymbol,
            price.format_indian(),
            next.quantity
        ));
        return next;
    }
    next.state = TradeState::Closed;
    next.exit_reason = Some(ExitReason::Outside);
    next.exit_intent = None;
    next.closed_ms = Some(now_ms);
    next.problem = Some(format!(
        "closed outside the app: the broker held none of its {units} {}, so nothing was \
         sent; counted at {} ({at})",
        trade.tradingsymbol,
        price.format_indian()
    ));
    next
}

/// `units` of what `trade` holds counted as exited at `price`: the realised profit, the
/// average exit price and the units held move together.
pub(super) fn count_exited(trade: &mut Trade, units: u32, price: Price) {
    let units = units.min(trade.quantity);
    let profit = trade.profit_at(price, units).unwrap_or(Price::ZERO);
    trade.realised = trade.realised.checked_add(profit).unwrap_or(trade.realised);
    trade.exit_price = Some(weighted(trade.exit_price, trade.exited, price, units));
    trade.exited += units;
    trade.quantity -= units;
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
    super::Counted::of(trade).unrealised(ltp)
}

#[cfg(test)]
mod tests;
