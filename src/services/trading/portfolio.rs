//! The portfolio as numbers: which trades count, the last price of what is held, and the
//! day's realised and unrealised profit — pure functions over trades and prices, read by the
//! trade book and the risk gate alike (so risk needs nothing of the trade monitor, and the
//! trade monitor nothing of risk).

use std::collections::HashMap;

use crate::model::{InstrumentToken, Price, Trade, TradeState};
use crate::ports::{MarketData, TradeStore};
use crate::services::market_calendar::ist_day_number;

use super::trade_rules::unrealised;

/// The most trades the trade book shows.
pub const MAX_TRADES: u32 = 200;

/// Every open trade (however old) and the newest `MAX_TRADES`, newest first: what the trade
/// book shows and the risk checks count.
pub(crate) async fn open_and_recent(store: &dyn TradeStore) -> Result<Vec<Trade>, String> {
    let mut trades = store.recent(MAX_TRADES).await?;
    let active = store.active().await?;
    for trade in active {
        if !trades.iter().any(|t| t.id == trade.id) {
            trades.push(trade);
        }
    }
    trades.sort_by_key(|t| std::cmp::Reverse(t.id));
    Ok(trades)
}

/// The last price of each instrument `trades` still hold.
pub(crate) fn open_prices(
    market: &dyn MarketData,
    trades: &[Trade],
) -> HashMap<InstrumentToken, Price> {
    let mut tokens: Vec<InstrumentToken> = trades
        .iter()
        .filter(|t| t.state != TradeState::Closed)
        .map(|t| t.token)
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    market
        .latest(&tokens)
        .into_iter()
        .map(|t| (t.token, t.last_price))
        .collect()
}

/// The day's totals over `trades`: realised profit of the trades closed on IST day `today` and
/// of partial exits of open ones, unrealised profit of what is held (at `prices`), and how many
/// trades are open.
pub(crate) fn day_totals(
    trades: &[Trade],
    prices: &HashMap<InstrumentToken, Price>,
    today: i64,
) -> (Price, Price, usize) {
    let mut realised = Price::ZERO;
    let mut open_unrealised = Price::ZERO;
    let mut open = 0;
    for trade in trades {
        let counts = match trade.closed_ms {
            Some(closed) => ist_day_number(closed) == today,
            None => true,
        };
        if counts {
            realised = realised.checked_add(trade.realised).unwrap_or(realised);
        }
        if trade.state != TradeState::Closed {
            open += 1;
            if let Some(u) = prices.get(&trade.token).and_then(|p| unrealised(trade, *p)) {
                open_unrealised = open_unrealised.checked_add(u).unwrap_or(open_unrealised);
            }
        }
    }
    (realised, open_unrealised, open)
}
