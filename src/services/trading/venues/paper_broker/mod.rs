//! `PaperBroker`: the `Broker` port with simulated fills against live prices and no way out to
//! a real broker — it holds no client, so paper mode cannot place a live order whatever a
//! caller does; which broker the trading engine gets is decided once, at start-up.
//!
//! Fills (the core's matching engine, `services/matching`, with this venue's rules): a market
//! order at the last price moved by the configured slippage against the trader; a limit when
//! the price reaches it (at once if it already has); a stop-loss (market or limit) when the
//! price reaches its trigger. The positions are the engine's `NetPosition`s. `on_tick` matches resting orders. Every change
//! (a fill, a cancel) is published on the `OrderUpdates` sink, which the engine reads like the
//! broker's own order updates.
//!
//! The account: virtual capital, net positions per instrument (average price, realised profit)
//! from the fills, and the funds they leave free; an order that would add exposure beyond the
//! free funds is refused. `restore` rebuilds the book's resting orders and the positions after a
//! restart; `reset` starts afresh.
//!
//! Over 500 lines: the `Broker` port's four operations, the book and the account share one
//! lock order, kept in one file so it can be read whole (tests in `tests.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::model::{
    BrokerOrder, BrokerPosition, InstrumentToken, IntentState, OrderIntent, OrderKind,
    OrderRequest, OrderSide, OrderStatus, OrderTag, Price, Tick, Trade, TradeState,
};
use crate::ports::{Broker, BrokerError, BrokerErrorKind, Clock, MarketData, OrderUpdates};
use crate::services::instruments::InstrumentCatalog;
use crate::services::matching::{
    FillRules, NetPosition, RestingLimit, Slippage, Working, market_fill_price, on_price,
};

struct PaperOrder {
    id: String,
    request: OrderRequest,
    token: InstrumentToken,
    /// The instrument's tick: a slipped fill lands on it, against the trader.
    tick: Price,
    status: OrderStatus,
    filled_quantity: u32,
    average_price: Option<Price>,
    /// A stop-loss limit whose trigger was hit rests as a limit at its price.
    triggered: bool,
    /// A GTT whose leg fired: the LIMIT price it placed (it matches as that limit from then on).
    fired: Option<Price>,
    message: Option<String>,
}

impl PaperOrder {
    fn view(&self) -> BrokerOrder {
        BrokerOrder {
            order_id: self.id.clone(),
            tag: Some(self.request.tag.clone()),
            status: self.status,
            quantity: self.request.quantity,
            kind: Some(self.request.kind),
            filled_quantity: self.filled_quantity,
            average_price: self.average_price,
            status_message: self.message.clone(),
        }
    }

    /// The price it fills at now, if `ltp` allows (a stop arms on its trigger): the core's
    /// matching engine decides, with the paper broker's rules.
    fn fill_price(&mut self, ltp: Price, slippage_bp: u32) -> Option<Price> {
        if self.status.is_final() {
            return None;
        }
        let working = if self.triggered || self.status != OrderStatus::TriggerPending {
            Working::Open
        } else {
            Working::TriggerPending
        };
        let mut kind = self.request.kind;
        let mut entering = false;
        if let OrderKind::Gtt { .. } = kind {
            // A fired leg is a new LIMIT order from then on (Kite places one).
            if self.fired.is_none() {
                self.fired = kind.fired_leg(self.request.side, ltp).map(|leg| leg.price);
                entering = self.fired.is_some();
            }
            kind = OrderKind::Limit { price: self.fired? };
            self.triggered = true;
            self.status = OrderStatus::Open;
        }
        let step = on_price(
            self.request.side,
            kind,
            self.tick,
            working,
            ltp,
            entering,
            &paper_rules(slippage_bp),
        );
        if step.triggered {
            self.triggered = true;
            self.status = OrderStatus::Open;
        }
        step.fill_at
    }

    /// Fills what is left at `price`; returns the units filled.
    fn fill(&mut self, price: Price) -> u32 {
        let units = self.request.quantity - self.filled_quantity;
        self.status = OrderStatus::Complete;
        self.filled_quantity = self.request.quantity;
        self.average_price = Some(price);
        units
    }
}

/// The paper broker's fills: market orders slipped by basis points, a resting limit at the
/// touch (never worse than its limit).
fn paper_rules(slippage_bp: u32) -> FillRules {
    FillRules {
        slippage: Slippage::BasisPoints(slippage_bp),
        resting_limit: RestingLimit::AtTouch,
    }
}

/// A net position of the paper account (the matching engine's ledger entry).
pub type PaperPosition = NetPosition;

/// The paper account as it stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperAccount {
    pub capital: Price,
    pub realised: Price,
    /// Tied up in open positions.
    pub used: Price,
    /// Capital plus realised profit, less what is used.
    pub available: Price,
    pub positions: Vec<(InstrumentToken, PaperPosition)>,
    /// When the account was last reset (Unix ms); `None`: never.
    #[serde(default)]
    pub since_ms: Option<i64>,
}

/// How the paper broker fills and how much it may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaperSettings {
    /// Market and stop-market orders fill this many basis points against the trader.
    pub slippage_bp: u32,
    /// The virtual capital the account starts with.
    pub capital: Price,
}

#[derive(Default)]
struct Ledger {
    positions: HashMap<InstrumentToken, PaperPosition>,
    realised: Price,
    since_ms: Option<i64>,
}

impl Ledger {
    fn used(&self) -> Price {
        self.positions.values().fold(Price::ZERO, |sum, p| {
            sum.checked_add(p.used()).unwrap_or(sum)
        })
    }
}

pub struct PaperBroker {
    market: Arc<dyn MarketData>,
    catalog: Arc<InstrumentCatalog>,
    clock: Arc<dyn Clock>,
    updates: Arc<dyn OrderUpdates>,
    settings: PaperSettings,
    book: Mutex<Vec<PaperOrder>>,
    ledger: Mutex<Ledger>,
    next_id: Mutex<u64>,
}

fn rejected(message: String) -> BrokerError {
    BrokerError {
        kind: BrokerErrorKind::Rejected,
        message,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl PaperBroker {
    pub fn new(
        market: Arc<dyn MarketData>,
        catalog: Arc<InstrumentCatalog>,
        clock: Arc<dyn Clock>,
        updates: Arc<dyn OrderUpdates>,
        settings: PaperSettings,
    ) -> Self {
        Self {
            market,
            catalog,
            clock,
            updates,
            settings,
            book: Mutex::new(Vec::new()),
            ledger: Mutex::new(Ledger::default()),
            next_id: Mutex::new(0),
        }
    }

    /// An order id unique across restarts: the time it was made and a sequence.
    fn new_id(&self) -> String {
        let mut n = lock(&self.next_id);
        *n += 1;
        format!("P{}{:04}", self.clock.now_ms(), *n % 10_000)
    }

    /// Records a fill in the account.
    fn book_fill(&self, order: &PaperOrder, units: u32, price: Price) {
        let mut ledger = lock(&self.ledger);
        let realised = ledger.positions.entry(order.token).or_default().apply(
            order.request.side,
            units,
            price,
        );
        ledger.realised = ledger
            .realised
            .checked_add(realised)
            .unwrap_or(ledger.realised);
        ledger.positions.retain(|_, p| p.units != 0);
    }

    /// Matches resting orders of the tick's instrument; publishes and returns those that changed.
    pub fn on_tick(&self, tick: &Tick) -> Vec<BrokerOrder> {
        let mut changed = Vec::new();
        {
            let mut book = lock(&self.book);
            for o in book
                .iter_mut()
                .filter(|o| o.token == tick.token && !o.status.is_final())
            {
                let was = o.status;
                match o.fill_price(tick.last_price, self.settings.slippage_bp) {
                    Some(price) => {
                        let units = o.fill(price);
                        self.book_fill(o, units, price);
                        changed.push(o.view());
                    }
                    None if o.status != was => changed.push(o.view()),
                    None => {}
                }
            }
        }
        for order in &changed {
            self.updates.publish(order);
        }
        changed
    }

    /// The account: capital, realised profit, what positions use and what is free.
    pub fn account(&self) -> PaperAccount {
        let ledger = lock(&self.ledger);
        let used = ledger.used();
        let available = self
            .settings
            .capital
            .checked_add(ledger.realised)
            .and_then(|c| c.checked_sub(used))
            .unwrap_or(Price::ZERO);
        let mut positions: Vec<_> = ledger.positions.iter().map(|(t, p)| (*t, *p)).collect();
        positions.sort_by_key(|(t, _)| *t);
        PaperAccount {
            capital: self.settings.capital,
            realised: ledger.realised,
            used,
            available,
            positions,
            since_ms: ledger.since_ms,
        }
    }

    /// After a restart: the resting orders (`open`: placed or partly filled intents with their
    /// paper ids) go back in the book, the open trades become the positions again, and
    /// `realised` (the result of the trades closed since the last reset, at `since_ms`) is the
    /// account's realised profit.
    pub fn restore(
        &self,
        open: &[OrderIntent],
        trades: &[Trade],
        realised: Price,
        since_ms: Option<i64>,
    ) {
        let mut book = lock(&self.book);
        for intent in open {
            let (Some(id), false) = (&intent.broker_order_id, intent.state.is_final()) else {
                continue;
            };
            if intent.state == IntentState::Pending || book.iter().any(|o| &o.id == id) {
                continue;
            }
            let r = &intent.request;
            let Some(instrument) = self.catalog.find(r.exchange, &r.tradingsymbol) else {
                continue;
            };
            book.push(PaperOrder {
                id: id.clone(),
                request: r.clone(),
                token: instrument.token,
                tick: instrument.tick_size,
                status: match r.kind {
                    OrderKind::StopLoss { .. }
                    | OrderKind::StopLossMarket { .. }
                    | OrderKind::Gtt { .. } => OrderStatus::TriggerPending,
                    _ => OrderStatus::Open,
                },
                filled_quantity: intent.filled_quantity,
                average_price: intent.average_price,
                triggered: false,
                fired: None,
                message: None,
            });
        }
        let mut ledger = lock(&self.ledger);
        ledger.positions.clear();
        for t in trades
            .iter()
            .filter(|t| t.state != TradeState::Closed && t.quantity > 0)
        {
            ledger
                .positions
                .entry(t.token)
                .or_default()
                .apply(t.side, t.quantity, t.entry_price);
        }
        ledger.positions.retain(|_, p| p.units != 0);
        ledger.realised = realised;
        ledger.since_ms = since_ms;
    }

    /// Starts the account afresh at `now_ms`: the full capital, no realised profit, the book
    /// emptied of its ended orders. Refused, changing nothing, while an order rests or a
    /// position is open (their news would land in an account that no longer knows them).
    pub fn reset(&self, now_ms: i64) -> Result<(), String> {
        let mut book = lock(&self.book);
        let mut ledger = lock(&self.ledger);
        let working = book.iter().filter(|o| !o.status.is_final()).count();
        let open = ledger.positions.len();
        if working > 0 || open > 0 {
            return Err(format!(
                "the paper account has {open} open position(s) and {working} working order(s); \
                 exit the positions and cancel the orders first (the kill switch with \
                 square-off does both), then reset"
            ));
        }
        book.clear();
        *ledger = Ledger {
            since_ms: Some(now_ms),
            ..Ledger::default()
        };
        Ok(())
    }

    /// Why `order` does not fit the free funds, if it adds exposure.
    fn capital_problem(
        &self,
        order: &OrderRequest,
        token: InstrumentToken,
        tick: Price,
        ltp: Price,
    ) -> Option<String> {
        let price = match order.kind {
            OrderKind::Market => market_fill_price(
                ltp,
                order.side,
                tick,
                Slippage::BasisPoints(self.settings.slippage_bp),
            ),
            OrderKind::Limit { price } | OrderKind::StopLoss { price, .. } => price,
            OrderKind::StopLossMarket { trigger } => trigger,
            OrderKind::Gtt { stop, .. } => stop.price,
        };
        let ledger = lock(&self.ledger);
        let held = ledger.positions.get(&token).map_or(0, |p| p.units);
        let signed = match order.side {
            OrderSide::Buy => i64::from(order.quantity),
            OrderSide::Sell => -i64::from(order.quantity),
        };
        // Only the units beyond what it closes add exposure.
        let adds = if held == 0 || (held > 0) == (signed > 0) {
            signed.abs()
        } else {
            (signed.abs() - held.abs()).max(0)
        };
        if adds == 0 {
            return None;
        }
        let needed = price
            .checked_mul_int(adds)
            .unwrap_or(Price::from_raw(i64::MAX));
        let free = self
            .settings
            .capital
            .checked_add(ledger.realised)
            .and_then(|c| c.checked_sub(ledger.used()))
            .unwrap_or(Price::ZERO);
        (needed > free).then(|| {
            format!(
                "not enough virtual capital: the order needs {}, {} is free of the paper \
                 account's {}",
                needed.format_inr(),
                free.format_inr(),
                self.settings.capital.format_inr()
            )
        })
    }
}

#[async_trait::async_trait]
impl Broker for PaperBroker {
    async fn place_order(&self, order: &OrderRequest) -> Result<String, BrokerError> {
        if order.quantity == 0 {
            return Err(rejected("the quantity must be at least 1".to_owned()));
        }
        let instrument = self
            .catalog
            .find(order.exchange, &order.tradingsymbol)
            .ok_or_else(|| {
                rejected(format!(
                    "{}:{} is not in today's instruments list",
                    order.exchange, order.tradingsymbol
                ))
            })?;
        if !instrument.is_tradable() {
            return Err(rejected(format!(
                "{} is an index and cannot be traded",
                instrument.tradingsymbol
            )));
        }
        let ltp = self
            .market
            .latest(&[instrument.token])
            .first()
            .map(|t| t.last_price)
            .ok_or_else(|| BrokerError {
                kind: BrokerErrorKind::Unavailable,
                message: format!(
                    "no price for {} yet, so a paper fill cannot be simulated; try again when it trades",
                    instrument.tradingsymbol
                ),
            })?;
        if let Some(problem) =
            self.capital_problem(order, instrument.token, instrument.tick_size, ltp)
        {
            return Err(rejected(problem));
        }
        let id = self.new_id();
        let mut paper = PaperOrder {
            id: id.clone(),
            request: order.clone(),
            token: instrument.token,
            tick: instrument.tick_size,
            status: match order.kind {
                OrderKind::StopLoss { .. }
                | OrderKind::StopLossMarket { .. }
                | OrderKind::Gtt { .. } => OrderStatus::TriggerPending,
                _ => OrderStatus::Open,
            },
            filled_quantity: 0,
            average_price: None,
            triggered: false,
            fired: None,
            message: None,
        };
        let filled = paper
            .fill_price(ltp, self.settings.slippage_bp)
            .map(|price| {
                let units = paper.fill(price);
                self.book_fill(&paper, units, price);
                paper.view()
            });
        lock(&self.book).push(paper);
        if let Some(update) = filled {
            self.updates.publish(&update);
        }
        Ok(id)
    }

    async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError> {
        let update = {
            let mut book = lock(&self.book);
            let order = book
                .iter_mut()
                .find(|o| o.id == order_id)
                .ok_or_else(|| rejected(format!("no paper order {order_id}")))?;
            if order.status.is_final() {
                return Err(rejected(format!(
                    "paper order {order_id} is already {:?} and cannot be cancelled",
                    order.status
                )));
            }
            order.status = OrderStatus::Cancelled;
            order.message = Some("cancelled by the user".to_owned());
            order.view()
        };
        self.updates.publish(&update);
        Ok(())
    }

    async fn modify_order(&self, order_id: &str, order: &OrderRequest) -> Result<(), BrokerError> {
        let (token, tick, filled) = {
            let book = lock(&self.book);
            let current = book
                .iter()
                .find(|o| o.id == order_id)
                .ok_or_else(|| rejected(format!("no paper order {order_id}")))?;
            if current.status.is_final() {
                return Err(rejected(format!(
                    "paper order {order_id} is already {:?} and cannot be modified",
                    current.status
                )));
            }
            (current.token, current.tick, current.filled_quantity)
        };
        if order.quantity <= filled {
            return Err(rejected(format!(
                "the quantity must be more than the {filled} already filled"
            )));
        }
        let ltp = self
            .market
            .latest(&[token])
            .first()
            .map(|t| t.last_price)
            .ok_or_else(|| BrokerError {
                kind: BrokerErrorKind::Unavailable,
                message: "no price yet, so the change cannot be checked; try again when it trades"
                    .to_owned(),
            })?;
        let mut rest = order.clone();
        rest.quantity = order.quantity - filled;
        if let Some(problem) = self.capital_problem(&rest, token, tick, ltp) {
            return Err(rejected(problem));
        }
        let update = {
            let mut book = lock(&self.book);
            let paper = book
                .iter_mut()
                .find(|o| o.id == order_id)
                .filter(|o| !o.status.is_final())
                .ok_or_else(|| rejected(format!("paper order {order_id} ended meanwhile")))?;
            if paper.fired.is_some() {
                return Err(rejected(format!(
                    "paper GTT {order_id} has fired; its order stands as placed"
                )));
            }
            // Instrument, side, product and tag stay; quantity and pricing change.
            // A stop-loss limit already triggered stays triggered if its trigger is the same
            // (only its limit or quantity changed).
            paper.triggered = paper.triggered
                && matches!(
                    (paper.request.kind, order.kind),
                    (OrderKind::StopLoss { trigger: was, .. }, OrderKind::StopLoss { trigger, .. })
                        if was == trigger
                );
            paper.request.quantity = order.quantity;
            paper.request.kind = order.kind;
            paper.status = match order.kind {
                OrderKind::StopLoss { .. } if paper.triggered => OrderStatus::Open,
                OrderKind::StopLoss { .. }
                | OrderKind::StopLossMarket { .. }
                | OrderKind::Gtt { .. } => OrderStatus::TriggerPending,
                _ => OrderStatus::Open,
            };
            if let Some(price) = paper.fill_price(ltp, self.settings.slippage_bp) {
                let units = paper.fill(price);
                self.book_fill(paper, units, price);
            }
            paper.view()
        };
        self.updates.publish(&update);
        Ok(())
    }

    async fn order_by_tag(&self, tag: &OrderTag) -> Result<Option<BrokerOrder>, BrokerError> {
        Ok(lock(&self.book)
            .iter()
            .rev()
            .find(|o| &o.request.tag == tag)
            .map(PaperOrder::view))
    }

    async fn orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        Ok(lock(&self.book).iter().map(PaperOrder::view).collect())
    }

    async fn statement(&self) -> Result<Option<crate::model::BrokerStatement>, BrokerError> {
        Ok(Some(self.statement_now()))
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        let ledger = lock(&self.ledger);
        Ok(ledger
            .positions
            .iter()
            .filter_map(|(token, p)| {
                let instrument = self.catalog.get(*token)?;
                Some(BrokerPosition {
                    exchange: instrument.exchange,
                    tradingsymbol: instrument.tradingsymbol,
                    product: None,
                    quantity: p.units,
                    average_price: p.average,
                    // The paper ledger keeps net units only.
                    sold_average: None,
                    bought_average: None,
                })
            })
            .collect())
    }
}

mod statement;

#[cfg(test)]
mod tests;
