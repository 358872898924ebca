//! Pre-trade risk: the account's limits and its kill switch, held in memory (`RiskState`,
//! shared with the level trader, which stops triggering while the switch is on), the pure
//! check of one entry order against them (`order_problem`; `change_problem` for a modified
//! one), and the gate the executor asks
//! before anything is sent (`RiskGate`). Exit orders are never refused: they reduce risk, and
//! the kill switch's square-off must get through.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::model::{KillSwitch, Mismatch, OrderIntent, OrderKind, OrderRequest, Price, RiskLimits};
use crate::ports::{Clock, IntentStore, MarketData, RiskStore};
use crate::services::instruments::InstrumentCatalog;
use crate::services::market_calendar::{ist_day_number, ist_day_start_ms};

use crate::services::trading::execution::PreTradeCheck;
use crate::services::trading::portfolio::Portfolio;

/// The limits and the kill switch as they stand now (loaded at start-up, changed by the risk
/// service after it stored the change).
#[derive(Debug, Default)]
pub struct RiskState {
    inner: Mutex<(RiskLimits, Option<KillSwitch>)>,
    /// The broker positions the app's trades do not explain (see `Mismatch`).
    mismatches: Mutex<Vec<Mismatch>>,
}

impl RiskState {
    pub fn new(limits: RiskLimits, kill_switch: Option<KillSwitch>) -> Self {
        Self {
            inner: Mutex::new((limits, kill_switch)),
            mismatches: Mutex::default(),
        }
    }

    pub fn mismatches(&self) -> Vec<Mismatch> {
        self.mismatches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many mismatches hold entries back (not acknowledged).
    pub fn blocking_mismatches(&self) -> u32 {
        let list = self.mismatches.lock().unwrap_or_else(|p| p.into_inner());
        u32::try_from(list.iter().filter(|m| m.blocks()).count()).unwrap_or(u32::MAX)
    }

    pub(in crate::services::trading) fn set_mismatches(&self, mismatches: Vec<Mismatch>) {
        *self.mismatches.lock().unwrap_or_else(|p| p.into_inner()) = mismatches;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (RiskLimits, Option<KillSwitch>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn limits(&self) -> RiskLimits {
        self.lock().0
    }

    pub fn kill_switch(&self) -> Option<KillSwitch> {
        self.lock().1.clone()
    }

    /// Whether the kill switch is on: nothing triggers, no entry goes out.
    pub fn halted(&self) -> bool {
        self.lock().1.is_some()
    }

    pub(in crate::services::trading) fn set_limits(&self, limits: RiskLimits) {
        self.lock().0 = limits;
    }

    pub(in crate::services::trading) fn set_kill_switch(&self, state: Option<KillSwitch>) {
        self.lock().1 = state;
    }
}

/// What the check needs to know besides the order.
#[derive(Clone, Copy, Debug, Default)]
pub struct RiskContext {
    pub ltp: Option<Price>,
    pub open_positions: u32,
    /// Entry orders recorded today, this one included.
    pub entries_today: u32,
    /// Realised plus unrealised profit today (negative: a loss).
    pub day_pnl: Price,
}

fn percent(bp: u32) -> String {
    if bp.is_multiple_of(100) {
        format!("{} %", bp / 100)
    } else {
        format!("{}.{:02} %", bp / 100, bp % 100)
    }
}

const HALTED: &str = "the kill switch is on: no new orders until it is released on the Trades page";

/// Why `intent` may not be sent under `limits`, or `None` when it may. Exits always may.
pub fn order_problem(
    limits: &RiskLimits,
    kill_switch: Option<&KillSwitch>,
    intent: &OrderIntent,
    cx: RiskContext,
) -> Option<String> {
    if !intent.is_entry() {
        return None;
    }
    if kill_switch.is_some() {
        return Some(HALTED.to_owned());
    }
    if let OrderKind::Gtt { .. } = intent.request.kind {
        return Some(
            "a GTT is placed only by the trade monitor, as an open trade's protection; enter \
             with a market, limit or stop order"
                .to_owned(),
        );
    }
    if let Some(problem) = per_order_problem(limits, &intent.request, cx.ltp) {
        return Some(problem);
    }
    if let Some(max) = limits.max_open_positions
        && cx.open_positions >= max
    {
        return Some(format!(
            "{} positions are open, the most allowed; close one first",
            cx.open_positions
        ));
    }
    if let Some(max) = limits.max_orders_per_day
        && cx.entries_today > max
    {
        return Some(format!(
            "{max} orders were placed today, the most allowed per day"
        ));
    }
    if let Some(max) = limits.max_daily_loss
        && let Some(loss) = Price::ZERO.checked_sub(cx.day_pnl)
        && loss >= max
    {
        return Some(format!(
            "today's loss of {} has reached the limit of {}",
            loss.format_inr(),
            max.format_inr()
        ));
    }
    None
}

/// Why an entry on `r`'s instrument may not go out while the broker holds units there that
/// the app's trades do not explain (until they are acknowledged or adopted), or `None`.
pub fn mismatch_problem(mismatches: &[Mismatch], r: &OrderRequest) -> Option<String> {
    mismatches
        .iter()
        .find(|m| m.blocks() && m.on(r.exchange, &r.tradingsymbol))
        .map(|m| {
            format!(
                "{}; no new entry on {} until that is acknowledged (or the units adopted) on \
                 the Account page",
                m.describe(),
                r.tradingsymbol
            )
        })
}

/// What is wrong with `r` by itself (its quantity, value and price against the last price
/// `ltp`), whatever else the account holds.
fn per_order_problem(limits: &RiskLimits, r: &OrderRequest, ltp: Option<Price>) -> Option<String> {
    if let Some(max) = limits.max_order_quantity
        && r.quantity > max
    {
        return Some(format!(
            "quantity {} is above the limit of {max} per order",
            r.quantity
        ));
    }
    let priced_at = match r.kind {
        OrderKind::Market => None,
        OrderKind::Limit { price } | OrderKind::StopLoss { price, .. } => Some(price),
        OrderKind::StopLossMarket { trigger } => Some(trigger),
        OrderKind::Gtt { stop, .. } => Some(stop.price),
    };
    let needs_ltp =
        limits.price_band_bp.is_some() || (limits.max_order_value.is_some() && priced_at.is_none());
    let Some(ltp) = ltp.filter(|p| *p > Price::ZERO) else {
        return needs_ltp.then(|| {
            format!(
                "there is no live price for {} yet, so the order cannot be checked against the \
                 risk limits; try again once prices stream",
                r.tradingsymbol
            )
        });
    };
    if let (Some(band), Some(price)) = (limits.price_band_bp, priced_at) {
        // A distance too large to compute is outside any band: refused, never waved through.
        let off = price
            .checked_sub(ltp)
            .and_then(Price::checked_abs)
            .unwrap_or(Price::from_raw(i64::MAX));
        // Exact: off / ltp > band / 10000, without rounding the ratio.
        if i128::from(off.raw()) * 10_000 > i128::from(band) * i128::from(ltp.raw()) {
            return Some(format!(
                "the price {} is more than {} from the last price {} (the price band)",
                price.format_indian(),
                percent(band),
                ltp.format_indian()
            ));
        }
    }
    if let Some(max) = limits.max_order_value {
        let value = priced_at
            .unwrap_or(ltp)
            .checked_mul_int(i64::from(r.quantity))
            .unwrap_or(Price::from_raw(i64::MAX));
        if value > max {
            return Some(format!(
                "the order is worth {}, above the limit of {} per order",
                value.format_inr(),
                max.format_inr()
            ));
        }
    }
    None
}

/// Why open order `intent` may not be changed to its (new) request: the kill switch, or a
/// limit on the order itself. Positions and today's count are not asked again: the change
/// places no new order.
pub fn change_problem(
    limits: &RiskLimits,
    kill_switch: Option<&KillSwitch>,
    intent: &OrderIntent,
    ltp: Option<Price>,
) -> Option<String> {
    if kill_switch.is_some() {
        return Some(HALTED.to_owned());
    }
    per_order_problem(limits, &intent.request, ltp)
}

/// Why the broker may not be given `orders` to place on its own later (an ATO alert's basket),
/// or `None`: the kill switch; each order's quantity, value and price band against its last
/// price now (`ltp`), as for an order sent from here; and more orders than the daily limit
/// allows in one day. The positions and today's loss are asked when the orders would go out,
/// which the broker does not let this app see: the basket is held to what can be known now.
pub fn standing_orders_problem(
    limits: &RiskLimits,
    kill_switch: Option<&KillSwitch>,
    orders: &[OrderRequest],
    ltp: impl Fn(&OrderRequest) -> Option<Price>,
) -> Option<String> {
    if kill_switch.is_some() {
        return Some(format!(
            "{HALTED}; an alert that places orders at Kite is refused while it is on"
        ));
    }
    if let Some(max) = limits.max_orders_per_day
        && orders.len() > usize::try_from(max).unwrap_or(usize::MAX)
    {
        return Some(format!(
            "the basket has {} orders, more than the {max} allowed per day",
            orders.len()
        ));
    }
    orders.iter().enumerate().find_map(|(n, r)| {
        per_order_problem(limits, r, ltp(r)).map(|problem| {
            if orders.len() == 1 {
                problem
            } else {
                format!(
                    "order {} of the basket ({}): {problem}",
                    n + 1,
                    r.tradingsymbol
                )
            }
        })
    })
}

/// Today's entry orders, counted in memory: the ids the store held at the day's first check
/// (one read a day, and one per process), then each entry the gate is asked about.
#[derive(Debug, Default)]
pub struct EntryCount {
    inner: Mutex<Option<(i64, HashSet<i64>)>>,
}

impl EntryCount {
    /// How many entries were recorded on `intent`'s IST day at `now_ms`, `intent` among them.
    async fn with(
        &self,
        intent: &OrderIntent,
        now_ms: i64,
        store: &dyn IntentStore,
    ) -> Result<u32, String> {
        let day = ist_day_number(now_ms);
        let count = |ids: &mut HashSet<i64>| {
            ids.insert(intent.id);
            u32::try_from(ids.len()).unwrap_or(u32::MAX)
        };
        {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((counted_day, ids)) = inner.as_mut()
                && *counted_day == day
            {
                return Ok(count(ids));
            }
        }
        let stored: HashSet<i64> = store
            .entries_since(ist_day_start_ms(day))
            .await
            .map_err(|e| format!("the risk limits could not be checked (orders unreadable): {e}"))?
            .into_iter()
            .collect();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.as_mut() {
            // Another check read the day meanwhile: both reads' ids count.
            Some((counted_day, ids)) if *counted_day == day => {
                ids.extend(stored);
                Ok(count(ids))
            }
            _ => {
                let (_, ids) = inner.insert((day, stored));
                Ok(count(ids))
            }
        }
    }
}

/// The executor's gate: reads what the check needs — the last price, the portfolio in memory
/// (open trades, today's P&L) and today's entry count — and refuses what breaks a limit.
pub struct RiskGate {
    pub state: Arc<RiskState>,
    /// Read once a day for the count of entries recorded before this process counted them.
    pub intents: Arc<dyn IntentStore>,
    /// The trade monitor's trades: read at every entry, never the database.
    pub portfolio: Arc<Portfolio>,
    pub entries: EntryCount,
    pub market: Arc<dyn MarketData>,
    pub catalog: Arc<InstrumentCatalog>,
    pub clock: Arc<dyn Clock>,
    /// Where the web side runs in other processes: the limits and kill switch are read from
    /// here before every order, so a switch engaged there holds whatever the bus delivered.
    pub stored: Option<Arc<dyn RiskStore>>,
}

impl RiskGate {
    /// The limits and kill switch to check against: the store's (kept in `state` too), or
    /// `state`'s in one process.
    async fn current(&self) -> Result<(RiskLimits, Option<KillSwitch>), String> {
        if let Some(store) = &self.stored {
            let mismatches = store.mismatches().await.map_err(|e| {
                format!("the broker mismatches could not be read, so nothing is sent: {e}")
            })?;
            self.state.set_mismatches(mismatches);
            let limits = store
                .limits()
                .await
                .map_err(|e| {
                    format!("the risk settings could not be read, so nothing is sent: {e}")
                })?
                .unwrap_or_default();
            let kill_switch = store.kill_switch().await.map_err(|e| {
                format!("the kill switch could not be read, so nothing is sent: {e}")
            })?;
            self.state.set_limits(limits);
            self.state.set_kill_switch(kill_switch.clone());
            return Ok((limits, kill_switch));
        }
        Ok((self.state.limits(), self.state.kill_switch()))
    }

    fn last_price(&self, r: &OrderRequest) -> Option<Price> {
        let token = self.catalog.find(r.exchange, &r.tradingsymbol)?.token;
        self.market.latest(&[token]).first().map(|t| t.last_price)
    }
}

#[async_trait]
impl PreTradeCheck for RiskGate {
    async fn check_change(&self, intent: &OrderIntent) -> Result<(), String> {
        // The stored switch where the web side runs apart, as for a new order.
        let (limits, kill_switch) = self.current().await?;
        let ltp = self.last_price(&intent.request);
        match change_problem(&limits, kill_switch.as_ref(), intent, ltp) {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    async fn check_standing(&self, orders: &[OrderRequest]) -> Result<(), String> {
        let (limits, kill_switch) = self.current().await?;
        if let Some(problem) = standing_orders_problem(&limits, kill_switch.as_ref(), orders, |r| {
            self.last_price(r)
        }) {
            return Err(problem);
        }
        let mismatches = self.state.mismatches();
        match orders.iter().find_map(|r| mismatch_problem(&mismatches, r)) {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    async fn halted(&self) -> Result<bool, String> {
        Ok(self.current().await?.1.is_some())
    }

    async fn check(&self, intent: &OrderIntent) -> Result<(), String> {
        if !intent.is_entry() {
            return Ok(());
        }
        let (limits, kill_switch) = self.current().await?;
        if kill_switch.is_some() {
            return match order_problem(
                &limits,
                kill_switch.as_ref(),
                intent,
                RiskContext::default(),
            ) {
                Some(problem) => Err(problem),
                None => Ok(()),
            };
        }
        if let Some(problem) = mismatch_problem(&self.state.mismatches(), &intent.request) {
            return Err(problem);
        }
        let now = self.clock.now_ms();
        let ltp = self.last_price(&intent.request);
        let today = ist_day_number(now);
        let not_loaded = || {
            "the open trades are not loaded yet, so the risk limits cannot be checked; try \
             again in a moment"
                .to_owned()
        };
        let tokens = self.portfolio.open_tokens(today).ok_or_else(not_loaded)?;
        let prices = self
            .market
            .latest(&tokens)
            .into_iter()
            .map(|t| (t.token, t.last_price))
            .collect();
        let (realised, unrealised, open) = self
            .portfolio
            .totals(today, &prices)
            .ok_or_else(not_loaded)?;
        let entries_today = self
            .entries
            .with(intent, now, self.intents.as_ref())
            .await?;
        let cx = RiskContext {
            ltp,
            open_positions: u32::try_from(open).unwrap_or(u32::MAX),
            entries_today,
            day_pnl: realised.checked_add(unrealised).unwrap_or(realised),
        };
        match order_problem(&limits, None, intent, cx) {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
