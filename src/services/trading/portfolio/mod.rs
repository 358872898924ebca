//! The portfolio: the trades held in memory that count for today (`Portfolio`: every open or
//! exiting trade, and the realised profit of each closed today; written by the trade monitor
//! as it stores them, read by the risk gate at every order — no database read per order), and
//! the numbers over them — the last price of what is held, the day's realised and unrealised
//! profit — as pure functions read by the trade book and the risk gate alike (so risk needs
//! nothing of the trade monitor, and the trade monitor nothing of risk). Below it: the trade's
//! rules without IO (`trade_rules`: entry, target / stop / trailing exits, square-off;
//! `protection`: the stop order held at the broker for each trade) and the trade monitor that
//! applies them (`trades`).

pub(crate) mod protection;
pub(super) mod trade_rules;
pub(super) mod trades;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::model::{InstrumentToken, OrderSide, Price, Trade, TradeId, TradeState};
use crate::ports::{MarketData, StoreError, TradeStore};
use crate::services::market_calendar::{ist_day_number, ist_day_start_ms};

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

/// The trades that count for today's risk, in memory. Empty and not loaded until the trade
/// monitor has read them from the store (`load`): until then the risk gate refuses entries
/// rather than check them against nothing.
#[derive(Debug, Default)]
pub struct Portfolio {
    inner: Mutex<Option<Held>>,
}

/// What the portfolio holds once loaded: of each trade not closed yet, and of each closed one,
/// only what the day's totals need. A trade's full copy is some 700 bytes, and the trade
/// monitor holds one already: a second full copy of each open trade here grew the workers by
/// some 700 bytes more for every trade a long day left open, and the risk gate copied them
/// all at every order.
#[derive(Debug, Default)]
struct Held {
    open: HashMap<TradeId, Counted>,
    closed: HashMap<TradeId, Closed>,
}

/// A trade not closed yet, as the day's totals count it (`day_totals`): at most 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Counted {
    version: i64,
    token: InstrumentToken,
    side: OrderSide,
    state: TradeState,
    /// Units still held.
    quantity: u32,
    entry_price: Price,
    /// Profit of the units exited so far.
    realised: Price,
    closed_ms: Option<i64>,
}

impl Counted {
    pub(crate) fn of(trade: &Trade) -> Self {
        Self {
            version: trade.version,
            token: trade.token,
            side: trade.side,
            state: trade.state,
            quantity: trade.quantity,
            entry_price: trade.entry_price,
            realised: trade.realised,
            closed_ms: trade.closed_ms,
        }
    }

    fn counts_on(&self, today: i64) -> bool {
        self.closed_ms.is_none_or(|c| ist_day_number(c) == today)
    }

    /// What the units still held would make at `ltp` (nothing once closed).
    pub(crate) fn unrealised(&self, ltp: Price) -> Option<Price> {
        if self.state == TradeState::Closed {
            return Some(Price::ZERO);
        }
        crate::model::profit(self.side, self.entry_price, ltp, self.quantity)
    }
}

/// A closed trade as the day's totals count it.
#[derive(Clone, Copy, Debug)]
struct Closed {
    version: i64,
    /// The IST day it closed on (`None`: no close time recorded — counted on every day, as
    /// before the record was made compact).
    day: Option<i64>,
    realised: Price,
}

impl Held {
    fn version_of(&self, id: TradeId) -> Option<i64> {
        self.open
            .get(&id)
            .map(|t| t.version)
            .or_else(|| self.closed.get(&id).map(|c| c.version))
    }

    fn insert(&mut self, trade: &Trade) {
        if trade.state == TradeState::Closed {
            self.open.remove(&trade.id);
            self.closed.insert(
                trade.id,
                Closed {
                    version: trade.version,
                    day: trade.closed_ms.map(ist_day_number),
                    realised: trade.realised,
                },
            );
        } else {
            self.closed.remove(&trade.id);
            self.open.insert(trade.id, Counted::of(trade));
        }
    }

    /// Closed trades of days before `today` leave.
    fn forget_before(&mut self, today: i64) {
        self.open
            .retain(|_, t| t.closed_ms.is_none_or(|c| ist_day_number(c) >= today));
        self.closed.retain(|_, c| c.day.is_none_or(|d| d >= today));
    }
}

impl Portfolio {
    /// Not loaded yet: the trade monitor loads it at start-up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loaded with `trades` (for a caller with nothing stored, or a test).
    pub fn holding(trades: impl IntoIterator<Item = Trade>) -> Self {
        let portfolio = Self::default();
        portfolio.replace(trades);
        portfolio
    }

    fn lock(&self) -> MutexGuard<'_, Option<Held>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads what counts at `now_ms` from `store` — every active trade and those closed since
    /// the IST day began — and holds it from now on (two reads, once per load).
    pub async fn load(&self, store: &dyn TradeStore, now_ms: i64) -> Result<(), StoreError> {
        let mut trades = store.active().await?;
        trades.extend(
            store
                .closed_since(ist_day_start_ms(ist_day_number(now_ms)))
                .await?,
        );
        self.replace(trades);
        Ok(())
    }

    fn replace(&self, trades: impl IntoIterator<Item = Trade>) {
        let mut held = Held::default();
        for trade in trades {
            if held.version_of(trade.id).is_none_or(|v| v <= trade.version) {
                held.insert(&trade);
            }
        }
        *self.lock() = Some(held);
    }

    /// `trade` as just stored (opened, changed or closed). Closed trades of earlier days leave.
    pub fn put(&self, trade: &Trade) {
        let mut inner = self.lock();
        let Some(held) = inner.as_mut() else {
            // Not loaded: the load that comes reads it from the store.
            return;
        };
        if let Some(closed) = trade.closed_ms {
            held.forget_before(ist_day_number(closed));
        }
        // An older copy arriving after a newer one (two tasks storing the same trade) changes
        // nothing.
        if held.version_of(trade.id).is_none_or(|v| v <= trade.version) {
            held.insert(trade);
        }
    }

    /// The instruments held by the trades that count on IST day `today` (`None` until
    /// loaded): the prices `totals` needs.
    pub fn open_tokens(&self, today: i64) -> Option<Vec<InstrumentToken>> {
        let inner = self.lock();
        let held = inner.as_ref()?;
        let mut tokens: Vec<InstrumentToken> = held
            .open
            .values()
            .filter(|t| t.counts_on(today) && t.state != TradeState::Closed)
            .map(|t| t.token)
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        Some(tokens)
    }

    /// The day's realised and unrealised profit (at `prices`) and how many trades are open, on
    /// IST day `today` (`None` until loaded): `day_totals` over every trade that counts, worked
    /// out under the lock — the risk check at every order copies no trade (with two thousand
    /// trades open that copy was 1.4 MB per order).
    pub fn totals(
        &self,
        today: i64,
        prices: &HashMap<InstrumentToken, Price>,
    ) -> Option<(Price, Price, usize)> {
        let inner = self.lock();
        let held = inner.as_ref()?;
        let (realised, unrealised, open) = day_totals(
            held.open.values().filter(|t| t.counts_on(today)).copied(),
            prices,
            today,
        );
        let closed_realised = held
            .closed
            .values()
            .filter(|c| c.day.is_none_or(|d| d == today))
            .fold(Price::ZERO, |sum, c| {
                sum.checked_add(c.realised).unwrap_or(sum)
            });
        Some((
            realised.checked_add(closed_realised).unwrap_or(realised),
            unrealised,
            open,
        ))
    }
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
    trades: impl IntoIterator<Item = Counted>,
    prices: &HashMap<InstrumentToken, Price>,
    today: i64,
) -> (Price, Price, usize) {
    let mut realised = Price::ZERO;
    let mut open_unrealised = Price::ZERO;
    let mut open = 0;
    for trade in trades {
        if trade.counts_on(today) {
            realised = realised.checked_add(trade.realised).unwrap_or(realised);
        }
        if trade.state != TradeState::Closed {
            open += 1;
            if let Some(u) = prices.get(&trade.token).and_then(|p| trade.unrealised(*p)) {
                open_unrealised = open_unrealised.checked_add(u).unwrap_or(open_unrealised);
            }
        }
    }
    (realised, open_unrealised, open)
}
